// Attention's input side in one pass: RMSNorm, the q/k/v projections with bias, rotate-half RoPE on
// q and k, q out as fp32 and k/v written straight into the bf16 cache at their positions.
// One warp owns the row pair (d, d + head_dim/2) of one head, the two halves RoPE mixes.
#include "gemv_core.cuh"
#include "rope.cuh"

extern "C" __global__ void __launch_bounds__(KOG_GEMV_THREADS)
    qkv_rope_norm(const kog_bf16* __restrict__ wq, const kog_bf16* __restrict__ wk,
                  const kog_bf16* __restrict__ wv, const kog_bf16* __restrict__ bq,
                  const kog_bf16* __restrict__ bk, const kog_bf16* __restrict__ bv,
                  const float* x, const kog_bf16* __restrict__ norm, float eps,
                  const float* __restrict__ inv_freq,  // [head_dim / 2]
                  const int* state,                    // state[0]: position of activation row 0
                  float* __restrict__ q_out,           // [N, n_heads * head_dim]
                  kog_bf16* __restrict__ k_cache,      // [n_kv, max_seq, head_dim], this layer
                  kog_bf16* __restrict__ v_cache, int n_heads, int n_kv, int head_dim, int max_seq, int k) {
  constexpr int N = KOG_ROWS;
  const int half = head_dim / 2;
  const auto rows_of = [&](int p, const uint4* (&w)[2]) {
    const QkvPair q = qkv_pair(p, n_heads, n_kv, head_dim);
    const kog_bf16* row0 = (q.kind == 0 ? wq : q.kind == 1 ? wk : wv) + (size_t)q.row0 * k;
    w[0] = reinterpret_cast<const uint4*>(row0);
    w[1] = reinterpret_cast<const uint4*>(row0 + (size_t)half * k);
  };
  // Lane 0 writes a pair's outputs; its biases, position and rotations are loaded as the pair starts.
  float pre_b0, pre_b1;
  int pre_pos;
  float2 pre_rot[N];
  const auto preload = [&](int p) {
    if (threadIdx.x % KOG_WARP != 0) return;
    const QkvPair q = qkv_pair(p, n_heads, n_kv, head_dim);
    const kog_bf16* bias = q.kind == 0 ? bq : q.kind == 1 ? bk : bv;
    pre_b0 = bias ? bf16_to_float(bias[q.row0]) : 0.f;
    pre_b1 = bias ? bf16_to_float(bias[q.row0 + half]) : 0.f;
    pre_pos = load_cg(state);
#pragma unroll
    for (int r = 0; r < N; ++r) pre_rot[r] = rope_rotation(q, pre_pos + r, inv_freq, head_dim);
  };
  const auto emit = [&](int p, float (&acc)[N][2]) {
    if (threadIdx.x % KOG_WARP != 0) return;
    const QkvPair q = qkv_pair(p, n_heads, n_kv, head_dim);
#pragma unroll
    for (int r = 0; r < N; ++r)
      rope_store(q, r, pre_pos + r, acc[r][0] + pre_b0, acc[r][1] + pre_b1, pre_rot[r], q_out, k_cache, v_cache,
                 n_heads, head_dim, max_seq);
  };
  gemv_blocks<N, 2, true>((n_heads + 2 * n_kv) * half, k, x, norm, eps, true, rows_of, emit, preload);
}

// The same RoPE and cache write for q, k and v already projected (fp32, biases added) by other kernels,
// the quantized GEMVs: each of q, k, v is a row-major [n, width] view with its own row stride. One
// thread per (row, rotation pair); the positions come from state[0] at run time.
extern "C" __global__ void __launch_bounds__(256)
    rope_cache_write(const float* q, int q_stride, const float* k, int k_stride, const float* v, int v_stride,
                     const float* __restrict__ inv_freq, const int* state, float* __restrict__ q_out,
                     kog_bf16* __restrict__ k_cache, kog_bf16* __restrict__ v_cache, int n_heads, int n_kv,
                     int head_dim, int max_seq, int n) {
  kog_allow_next_grid();
  // Before the wait: the position (written only between passes) and the first pair's rotation; q, k
  // and v are the previous kernels' outputs.
  const int half = head_dim / 2, pairs = (n_heads + 2 * n_kv) * half;
  const int pos0 = load_cg(state);
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  int r = i / pairs;
  QkvPair w = qkv_pair(i % pairs, n_heads, n_kv, head_dim);
  float2 rot = i < n * pairs ? rope_rotation(w, pos0 + r, inv_freq, head_dim) : make_float2(0.f, 1.f);
  kog_wait_prior_grid();
  while (i < n * pairs) {
    const float* src = w.kind == 0 ? q + (size_t)r * q_stride
                       : w.kind == 1 ? k + (size_t)r * k_stride
                                     : v + (size_t)r * v_stride;
    rope_store(w, r, pos0 + r, load_cg(src + w.row0), load_cg(src + w.row0 + half), rot, q_out, k_cache, v_cache,
               n_heads, head_dim, max_seq);
    i += gridDim.x * blockDim.x;
    if (i >= n * pairs) break;
    r = i / pairs;
    w = qkv_pair(i % pairs, n_heads, n_kv, head_dim);
    rot = rope_rotation(w, pos0 + r, inv_freq, head_dim);
  }
}
