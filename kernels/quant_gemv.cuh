// The fused dequantize-and-multiply GEMV over GGUF blocks as stored, for any format F of
// quant_blocks.cuh / quant_kblocks.cuh, and the row dequantization (embedding rows, prefill weights).
//
// Each warp streams its own groups of R weight rows (grid-stride) through KOG_QSTAGES shared-memory
// buffers with 16-byte cp.async copies of the rows' byte range, whatever the block alignment; the
// first copies go out before the wait on the previous kernel. The block stages the N activation rows
// once (times the norm weight, as 16-bit integers: kog_qx), then each lane takes units of the rows'
// blocks and keeps per-row partial sums, reduced across the warp and scaled by the RMSNorm at the end.
#pragma once
#include "argmax.cuh"
#include "gemv_core.cuh"
#include "quant_common.cuh"
#include "rope.cuh"

#define KOG_QSTAGES 2           // weight buffers per warp
#define KOG_QUANT_MAX_THREADS 256  // blocks of 2..8 warps, chosen by the host per shape

template <int Pending>
__device__ __forceinline__ void copy_async_wait_pending() {
#if defined(__CUDA_ARCH__) && (__CUDA_ARCH__ >= 800) && !defined(__HIP_PLATFORM_AMD__)
  asm volatile("cp.async.wait_group %0;" ::"n"(Pending) : "memory");
#endif
}

// Starts copying the bytes of weight rows [g*R, g*R + R) (clipped to `rows`) into dst, from the
// 16-byte boundary at or below their start; the rows then begin at dst + (start & 15).
template <int R>
__device__ __forceinline__ void issue_row_group(const unsigned char* W, int bpr, int rows, int g, unsigned char* dst,
                                                int thread, int threads) {
  const long long r0 = (long long)g * R;
  const long long begin = r0 * bpr, end = min(r0 + R, (long long)rows) * bpr;
  const long long a0 = begin & ~15ll;
  const int chunks = (int)(((end + 15) & ~15ll) - a0) >> 4;
  const uint4* src = reinterpret_cast<const uint4*>(W + a0);
  uint4* d = reinterpret_cast<uint4*>(dst);
  for (int c = thread; c < chunks; c += threads) copy_weights_async_16(d + c, src + c);
}

// The sum over each run of L adjacent lanes (L a power of two up to a warp), in every lane of the run.
template <int L>
__device__ __forceinline__ float lanes_sum(float v) {
#pragma unroll
  for (int m = L / 2; m > 0; m >>= 1) v += KOG_SHFL_XOR(v, m);
  return v;
}

template <typename XT>
__device__ __forceinline__ void load8(const XT* p, float (&v)[8]);

template <>
__device__ __forceinline__ void load8<float>(const float* p, float (&v)[8]) {
  const float4 a = load_cg(reinterpret_cast<const float4*>(p)), b = load_cg(reinterpret_cast<const float4*>(p) + 1);
  v[0] = a.x, v[1] = a.y, v[2] = a.z, v[3] = a.w, v[4] = b.x, v[5] = b.y, v[6] = b.z, v[7] = b.w;
}

template <>
__device__ __forceinline__ void load8<kog_bf16>(const kog_bf16* p, float (&v)[8]) {
  unpack8(load_cg(reinterpret_cast<const uint4*>(p)), v);
}

// Activations given as [gate | up] rows of 2k fp32 values (the fused gate/up GEMV's output): the down
// projection stages silu(gate) * up, so the MLP needs no separate activation kernel.
struct kog_silu_pair {
  float v;
};

// Columns c..c+7 of activation row n as loaded (for silu pairs, the gate and the up values), then as
// the GEMV takes them.
template <typename XT>
struct kog_raw8 {
  float v[8];
};
template <>
struct kog_raw8<kog_silu_pair> {
  float v[8], up[8];
};

template <typename XT>
__device__ __forceinline__ void load_raw8(const XT* x, int n, int k, int c, kog_raw8<XT>& r) {
  load8<XT>(x + (size_t)n * k + c, r.v);
}

template <>
__device__ __forceinline__ void load_raw8<kog_silu_pair>(const kog_silu_pair* x, int n, int k, int c,
                                                         kog_raw8<kog_silu_pair>& r) {
  const float* row = reinterpret_cast<const float*>(x) + (size_t)n * 2 * k;
  load8<float>(row + c, r.v);
  load8<float>(row + k + c, r.up);
}

template <typename XT>
__device__ __forceinline__ void activate8(const kog_raw8<XT>& r, float (&v)[8]) {
#pragma unroll
  for (int e = 0; e < 8; ++e) v[e] = r.v[e];
}

template <>
__device__ __forceinline__ void activate8<kog_silu_pair>(const kog_raw8<kog_silu_pair>& r, float (&v)[8]) {
#pragma unroll
  for (int e = 0; e < 8; ++e) v[e] = r.v[e] / (1.f + expf(-r.v[e])) * r.up[e];
}

// Values v of columns c..c+7 of activation row n (the j-th group of 8; the 4 groups of a 32-column
// block on adjacent lanes, every lane taking part in the shuffles, `live` or not) as kog_qx: their bytes
// (in rows of row_bytes, or with FRAG in fragment order), the block's scale and each 16 columns' sum.
template <int N, int Unit, bool FRAG>
__device__ __forceinline__ void kog_qx_store8(const float (&v)[8], bool live, int n, int c, int j, int k,
                                              unsigned char* bytes, int row_bytes, float* scale, float* sum16) {
  float amax = 0.f;
#pragma unroll
  for (int e = 0; e < 8; ++e) amax = fmaxf(amax, fabsf(v[e]));
  amax = fmaxf(amax, KOG_SHFL_XOR(amax, 1));
  amax = fmaxf(amax, KOG_SHFL_XOR(amax, 2));
  kog_u32 h0, h1, l0, l1;
  int sum;
  const float s = kog_qx_pack8(v, amax, h0, h1, l0, l1, sum);
  sum += KOG_SHFL_XOR(sum, 1);
  if (!live) return;
  if (FRAG) {
    *reinterpret_cast<uint4*>(bytes + ((size_t)((c >> 5) * N + n) * 4 + ((c >> 3) & 3)) * 16) =
        make_uint4(h0, h1, l0, l1);
  } else {
    unsigned char* at = bytes + (size_t)n * row_bytes + kog_qx_group<Unit>(c & ~15) + (c & 15);
    *reinterpret_cast<uint2*>(at) = make_uint2(h0, h1);
    *reinterpret_cast<uint2*>(at + 16) = make_uint2(l0, l1);
  }
  if (j % 4 == 0) scale[n * (k / 32) + c / 32] = s;
  if (j % 2 == 0) sum16[n * (k / 16) + c / 16] = s * (float)sum;
}

#define KOG_STAGE_UNROLL 4  // activation loads a thread has in flight while staging

// Block prologue, after the wait on the previous kernel: the N activation rows (times the norm weight
// g with NORM) as kog_qx in shared memory, 8 columns a thread, 4 lanes a 32-column block. With NORM,
// each row's sum of squares goes to red[warp][row]; the RMS scale itself is applied to the outputs.
// NOTE: each thread loads KOG_STAGE_UNROLL groups of 8 before converting any: one L2 round trip per
// round, not per group (a down projection of 8 rows of 8960 staged by 2 warps took 140 round trips).
// FRAG (the tensor-core GEMVs of quant_mma.cuh): instead of rows, 16 bytes per 8 columns in fragment
// order, [32-column block][row][8-column chunk] x {4 high bytes, 4 high, 4 low, 4 low}.
template <int N, int Unit, bool NORM, typename XT, bool FRAG = false>
__device__ __forceinline__ void stage_quant_activations(const XT* x, int k, const kog_bf16* __restrict__ g,
                                                        unsigned char* bytes, float* scale, float* sum16,
                                                        float (&red)[KOG_QUANT_MAX_THREADS / KOG_WARP][N]) {
  constexpr int U = KOG_STAGE_UNROLL;
  const int row_bytes = kog_qx_row_bytes<Unit>(k), per_row = k / 8, total = N * per_row;
  float ss[N];
#pragma unroll
  for (int n = 0; n < N; ++n) ss[n] = 0.f;
  for (int base = 0; base < total; base += U * blockDim.x) {  // NOTE: whole warps iterate together (shuffles)
    kog_raw8<XT> raw[U];
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const int j = base + u * blockDim.x + threadIdx.x;
      if (j < total) load_raw8<XT>(x, N == 1 ? 0 : j / per_row, k, N == 1 ? 8 * j : (j % per_row) * 8, raw[u]);
    }
#pragma unroll
    for (int u = 0; u < U; ++u) {
      const int j = base + u * blockDim.x + threadIdx.x;
      if (base + u * blockDim.x >= total) break;  // the same for the whole block
      const bool live = j < total;
      // NOTE: one row needs no division (it sat between the wait and the first load of every GEMV)
      const int n = N == 1 || !live ? 0 : j / per_row, c = !live ? 0 : N == 1 ? 8 * j : (j % per_row) * 8;
      float v[8] = {0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f};
      if (live) {
        activate8<XT>(raw[u], v);
        if (NORM) {
          float gv[8];
          unpack8(__ldg(reinterpret_cast<const uint4*>(g + c)), gv);
#pragma unroll
          for (int e = 0; e < 8; ++e) {
#pragma unroll
            for (int r = 0; r < N; ++r) ss[r] += r == n ? v[e] * v[e] : 0.f;
            v[e] *= gv[e];
          }
        }
      }
      kog_qx_store8<N, Unit, FRAG>(v, live, n, c, j, k, bytes, row_bytes, scale, sum16);
    }
  }
  if (NORM) {
#pragma unroll
    for (int n = 0; n < N; ++n) {
      const float t = warp_sum(ss[n]);
      if (threadIdx.x % KOG_WARP == 0) red[threadIdx.x / KOG_WARP][n] = t;
    }
  }
  __syncthreads();
}

// y[n, o] = residual[n, o] + bias[o] + sum_c deq(W)[o, c] * a[n, c], a = x (or its RMSNorm with
// norm), for the KOG_ROWS activation rows. W: rows x bpr bytes of F blocks (+16 bytes of slack).
// The block's copy of an image kog_silu_image wrote (its first `bytes`), every 16-byte chunk in
// flight at once; the wait also covers any weight copies the block issued before.
__device__ __forceinline__ void copy_image_in(unsigned char* smem, const void* image, size_t bytes) {
  const int chunks = (int)((bytes + 15) / 16);
  for (int c = threadIdx.x; c < chunks; c += blockDim.x)
    copy_async_16(reinterpret_cast<uint4*>(smem) + c, reinterpret_cast<const uint4*>(image) + c);
  copy_async_commit();
  copy_async_wait_all();
  __syncthreads();
}

// Where a q/k/v stack's GEMV puts its outputs when RoPE and the cache write are fused into it: the
// stack's rows are whole heads of q, k and v in that order, starting at rotation pair `pair_base`
// (qkv_pair's numbering over all three).
struct kog_rope_args {
  const float* __restrict__ inv_freq;  // [head_dim / 2]
  const int* state;                    // state[0]: position of activation row 0
  float* __restrict__ q_out;           // [N, n_heads * head_dim]
  kog_bf16* __restrict__ k_cache;      // [n_kv, max_seq, head_dim], this layer
  kog_bf16* __restrict__ v_cache;
  int n_heads, n_kv, head_dim, max_seq, pair_base;
  // A stack of two formats (quant_gemv_body's FB): its rows from `rows1` on are the tail matrix's,
  // bpr2 bytes a row, with their own biases.
  const unsigned char* __restrict__ W2 = nullptr;
  int bpr2 = 0, rows1 = 0;
  const kog_bf16* __restrict__ bias2 = nullptr;
};

template <class A, class B>
struct kog_same_type {
  static constexpr bool value = false;
};
template <class A>
struct kog_same_type<A, A> {
  static constexpr bool value = true;
};

// The greedy pick fused into an LM head's GEMV (ARGMAX): each block's best (value, row) of every
// activation row goes to the partials, and the last block merges them (argmax.cuh, as lm_head.cu).
struct kog_argmax_args {
  float* part_val;  // [N, gridDim.x]
  int* part_idx;
  int* counter;  // zero between launches
  int* ids_out;  // [N]
  int *state, *next_ids, *history;  // nullable: the decode step's bookkeeping (one row)
  int history_len;
};

// A barrier for the two warps 2i and 2i + 1 of a block (named barriers 1.., barrier 0 is the block's).
__device__ __forceinline__ void warp_pair_sync(int warp) {
#if defined(__CUDA_ARCH__) && !defined(__HIP_PLATFORM_AMD__)
  asm volatile("bar.sync %0, 64;" ::"r"(1 + warp / 2) : "memory");
#else
  __syncthreads();  // never reached: the host launches the RoPE kernels on NVIDIA GPUs only (fuses_rope)
#endif
}

// PRE: x is the image kog_silu_image wrote (the staged activations of stage_quant_activations, in
// global memory), copied in with one cp.async per 16 bytes instead of staged.
// LATE: x was final before the previous kernel finished (it is another GEMV over the same x, which
// releases this one only after its own wait), so this one stages x at once and waits on the previous
// kernel at its end: the two run side by side, and whatever waits on this one sees both outputs.
// EARLY: the next kernel may launch as this one starts, not once it has staged its activations (where
// the others release it). Never before a LATE kernel: that one stages x at once, trusting that x was
// final when it was released, so the stack before it releases it only after its own wait (a first stack
// released early let the second read x while the previous layer's down projection still wrote it:
// garbage from the 1.5B's real weights, whose v rows are another format in half the layers). The o
// projection (f32 without a norm), the RoPE'd q/k/v stacks (a single or a late one) and the down
// projections over a SiLU image (the q/k/v stacks follow them) do so:
// their short work left the next kernel (the gate/up GEMV, attention) no time to start its blocks and
// weight copies before they ended. Measured with bench/timeline.py, the gate/up GEMV's first block had
// reached its wait 0.03 us before it returned, and 2.8 us with EARLY; 1.5B / 0.5B one-row decode over
// stored blocks 998 / 1,675 -> 1,030 / 1,815 tok/s (H100, bench/NOTES.md).
// ROPE (one weight row a warp, an even number of warps a block): the rows of a q/k/v stack, RoPE and
// the cache write fused (rope; y unused). Warps 2i and 2i + 1 take the two rows of a rotation pair
// (group g is pair g / 2's row g % 2), swap their sums through shared memory, and each stores its
// rotated half: no separate RoPE kernel, and still one row a warp.
// S (sub-groups): a warp's group is S x R rows, 32 / S lanes a sub-group of R rows, so that rows of few
// units keep every lane busy (the 1.5B's 1,536 columns are 24 units of 64: 8 lanes of 3 units, not 24
// lanes of one and 8 idle); the sub-group's lanes meet in a shorter reduction.
// FB (with ROPE): the stack's rows from rope->rows1 on are another matrix in format FB (one unit size
// with F's, so both read the same staged activations): a layer whose v is stored in another format
// than q and k takes one launch instead of two overlapped stacks (the second cost ~2.5 us a layer).
template <class F, int R, typename XT, bool NORM, bool PRE = false, bool LATE = false, bool ROPE = false,
          bool EARLY = false, bool ARGMAX = false, int S = 1, class FB = F>
__device__ __forceinline__ void quant_gemv_body(const unsigned char* __restrict__ W, int bpr, int rows, int k,
                                                const XT* x, const kog_bf16* __restrict__ norm, float eps,
                                                const kog_bf16* __restrict__ bias, const float* residual, float* y,
                                                int stage_bytes, const kog_rope_args* rope = nullptr,
                                                const kog_argmax_args* pick = nullptr) {
  constexpr int N = KOG_ROWS;
  static_assert(!ROPE || R == 1, "RoPE pairs are two warps of one row each");
  static_assert(!ROPE || S == 1, "RoPE pairs are two warps of one row each");
  static_assert(KOG_WARP % S == 0, "sub-groups split a warp evenly");
  constexpr int L = KOG_WARP / S, RG = R * S;  // lanes a sub-group, weight rows a warp's group
  constexpr bool MIXED = !kog_same_type<F, FB>::value;
  static_assert(!MIXED || (ROPE && FB::UNIT == F::UNIT), "a two-format stack is a RoPE'd one of one unit size");
  if (EARLY) kog_allow_next_grid();
  __shared__ float red[KOG_QUANT_MAX_THREADS / KOG_WARP][N];
  const int lane = threadIdx.x % KOG_WARP, warp = threadIdx.x / KOG_WARP, warps = blockDim.x / KOG_WARP;
  const int sub = lane / L, sl = lane % L;
  unsigned char* smem = reinterpret_cast<unsigned char*>(kog_gemv_smem);
  kog_qx qx;
  qx.row_bytes = kog_qx_row_bytes<F::UNIT>(k);
  qx.blocks32 = k / 32;
  qx.groups16 = k / 16;
  qx.bytes = smem;
  float* scale = reinterpret_cast<float*>(smem + N * qx.row_bytes);
  float* sum16 = scale + N * qx.blocks32;
  qx.scale = scale;
  qx.sum16 = sum16;
  unsigned char* bufs = smem + ((N * (qx.row_bytes + 4 * (qx.blocks32 + qx.groups16)) + 15) & ~15) +
                        (size_t)warp * KOG_QSTAGES * stage_bytes;
  const int groups = (rows + RG - 1) / RG, stride = gridDim.x * warps;
  const int first = blockIdx.x * warps + warp;
  // The weight row group g streams: g itself, or with ROPE the row of pair g / 2 that g % 2 names.
  const int half = ROPE ? rope->head_dim / 2 : 0;
  const auto row_group = [&](int g) {
    if constexpr (ROPE) {
      const int p = g >> 1;
      return p / half * 2 * half + p % half + (g & 1) * half;
    } else {
      return g;
    }
  };
  // Starts the copies of group g's rows (from the tail matrix where a two-format stack's rows are there).
  const auto issue = [&](int g, unsigned char* dst) {
    const int row = row_group(g);
    if constexpr (MIXED) {
      if (row >= rope->rows1) {
        issue_row_group<RG>(rope->W2, rope->bpr2, rows - rope->rows1, row - rope->rows1, dst, lane, KOG_WARP);
        return;
      }
    }
    issue_row_group<RG>(W, bpr, rows, row, dst, lane, KOG_WARP);
  };
#pragma unroll
  for (int s = 0; s < KOG_QSTAGES; ++s) {
    if (first + s * stride < groups) issue(first + s * stride, bufs + s * stage_bytes);
    copy_async_commit();
  }
  const int pos0 = ROPE ? load_cg(rope->state) : 0;  // written only between passes
  // The norm weight into L2 (read from DRAM after the wait, its round trip outlasted the activations').
  if (NORM && !PRE) prefetch_norm_l2(norm, k);
  // NOTE: only weights were touched above; the activations are the previous kernel's output.
  if (!LATE) kog_wait_prior_grid();
  if constexpr (PRE) {
    copy_image_in(smem, x, (size_t)N * (qx.row_bytes + 4 * (qx.blocks32 + qx.groups16)));
  } else {
    stage_quant_activations<N, F::UNIT, NORM, XT>(x, k, norm, smem, scale, sum16, red);
  }
  if (!EARLY) kog_allow_next_grid();  // only now (common.cuh): 0.5B one-row decode 1,290 -> 1,478 tok/s on an H100
  float rms[N];
#pragma unroll
  for (int n = 0; n < N; ++n) {
    float t = 0.f;
    if (NORM)
      for (int w = 0; w < warps; ++w) t += red[w][n];
    rms[n] = NORM ? rsqrtf(t / (float)k + eps) : 1.f;
  }
  const int units = k / F::UNIT;
  int slot = 0, parity = 0;
  float best_v[N];  // ARGMAX: lane 0's best of its rows, per activation row
  int best_i[N];
#pragma unroll
  for (int n = 0; n < N; ++n) best_v[n] = -INFINITY, best_i[n] = 0x7fffffff;
  for (int g = first; g < groups; g += stride) {
    // With ROPE, what the outputs need besides the sums, found while the dot products run.
    const int row = row_group(g);
    const bool tail = MIXED && row >= rope->rows1;  // the same for the whole warp
    const int mrow = tail ? row - rope->rows1 : row, mbpr = tail ? rope->bpr2 : bpr;
    QkvPair pair;
    float2 rot[N];
    float rope_bias = 0.f;
    if (ROPE) {
      pair = qkv_pair(rope->pair_base + (g >> 1), rope->n_heads, rope->n_kv, rope->head_dim);
#pragma unroll
      for (int n = 0; n < N; ++n) rot[n] = rope_rotation(pair, pos0 + n, rope->inv_freq, rope->head_dim);
      const kog_bf16* b = tail ? rope->bias2 : bias;
      rope_bias = b ? bf16_to_float(b[mrow]) : 0.f;
    }
    copy_async_wait_pending<KOG_QSTAGES - 1>();
    __syncwarp();  // every lane's copies of this group have landed
    unsigned char* buf = bufs + slot * stage_bytes;
    const long long start = (long long)mrow * RG * mbpr;
    const int live = min(RG, rows - g * RG);
    const unsigned char* rowp[R];
#pragma unroll
    for (int j = 0; j < R; ++j) rowp[j] = buf + (start & 15) + (size_t)min(sub * R + j, live - 1) * mbpr;  // extra rows dropped
    float part[R][N];
#pragma unroll
    for (int j = 0; j < R; ++j)
#pragma unroll
      for (int n = 0; n < N; ++n) part[j][n] = 0.f;
    if (MIXED && tail) {
      for (int u = sl; u < units; u += L) FB::template dot<R, N>(rowp, u, qx, part);
    } else {
      for (int u = sl; u < units; u += L) F::template dot<R, N>(rowp, u, qx, part);
    }
    __syncwarp();  // the buffer is free again
    if (g + KOG_QSTAGES * stride < groups) issue(g + KOG_QSTAGES * stride, buf);
    copy_async_commit();
    slot = slot + 1 == KOG_QSTAGES ? 0 : slot + 1;
#pragma unroll
    for (int j = 0; j < R; ++j)
#pragma unroll
      for (int n = 0; n < N; ++n) part[j][n] = lanes_sum<L>(part[j][n]);
    if constexpr (ROPE) {
      // Two slots a warp, alternating: the pair's next swap cannot overwrite what the partner still reads.
      __shared__ float swap[2][KOG_QUANT_MAX_THREADS / KOG_WARP][N];
      float mine[N];
#pragma unroll
      for (int n = 0; n < N; ++n) mine[n] = part[0][n] * rms[n] + rope_bias;
      if (lane == 0)
#pragma unroll
        for (int n = 0; n < N; ++n) swap[parity][warp][n] = mine[n];
      warp_pair_sync(warp);
      if (lane == 0) {
        const int second = g & 1, hd = rope->head_dim, d = pair.row0 - pair.head * hd + second * half;
#pragma unroll
        for (int n = 0; n < N; ++n) {
          const float other = swap[parity][warp ^ 1][n];
          const float a = second ? other : mine[n], b = second ? mine[n] : other;
          const float v = pair.kind == 2 ? mine[n] : second ? b * rot[n].y + a * rot[n].x : a * rot[n].y - b * rot[n].x;
          if (pair.kind == 0) {
            rope->q_out[(size_t)n * rope->n_heads * hd + pair.head * hd + d] = v;
          } else {
            kog_bf16* cache = pair.kind == 1 ? rope->k_cache : rope->v_cache;
            cache[((size_t)pair.head * rope->max_seq + pos0 + n) * hd + d] = float_to_bf16(v);
          }
        }
      }
      parity ^= 1;
      continue;
    }
    if (sl == 0) {
#pragma unroll
      for (int j = 0; j < R; ++j) {
        if (sub * R + j >= live) break;
        const int row = g * RG + sub * R + j;
        const float b = bias ? bf16_to_float(bias[row]) : 0.f;
#pragma unroll
        for (int n = 0; n < N; ++n) {
          const size_t at = (size_t)n * rows + row;
          float v = part[j][n] * rms[n] + b;
          if (residual) v += load_cg(residual + at);  // NOTE: residual may alias y; same element, same lane
          y[at] = v;
          if (ARGMAX && argmax_better(v, row, best_v[n], best_i[n])) best_v[n] = v, best_i[n] = row;
        }
      }
    }
  }
  if (LATE) kog_wait_prior_grid();
  copy_async_wait_pending<0>();
  if constexpr (ARGMAX) {
    __shared__ float s_v[KOG_WARP];
    __shared__ int s_i[KOG_WARP];
    __shared__ bool s_last;
#pragma unroll
    for (int n = 0; n < N; ++n) {
      float v = sl == 0 ? best_v[n] : -INFINITY;  // each sub-group's first lane holds its best
      int i = sl == 0 ? best_i[n] : 0x7fffffff;
      block_argmax(v, i, s_v, s_i);
      if (threadIdx.x == 0) pick->part_val[n * gridDim.x + blockIdx.x] = v, pick->part_idx[n * gridDim.x + blockIdx.x] = i;
    }
    if (!argmax_last_block(pick->counter, &s_last)) return;
    argmax_merge_rows(pick->part_val, pick->part_idx, N, pick->ids_out, pick->counter, s_v, s_i, pick->state,
                      pick->next_ids, pick->history, pick->history_len);
  }
}

// out[r, :] = deq(W)[ids ? ids[r] : r, :] for r < n, fp32 or bf16 (row stride out_stride elements).
template <class F, typename OT>
__device__ __forceinline__ void quant_rows_body(const unsigned char* __restrict__ W, int bpr, int k, const int* ids,
                                                int n, OT* out, int out_stride) {
  kog_wait_prior_grid();  // ids may be the previous kernel's output
  kog_allow_next_grid();  // only now: the embedding lookup is a pass's first kernel (common.cuh)
  const int units = k / F::UNIT;
  const long long total = (long long)n * units;
  for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total; i += (long long)gridDim.x * blockDim.x) {
    const int r = (int)(i / units), u = (int)(i % units);
    const long long src = ids ? (long long)load_cg(ids + r) : r;
    OT* o = out + (size_t)r * out_stride;
    F::values(W + src * bpr, u, [&](int c, float v) {
      if constexpr (sizeof(OT) == 2) {
        o[c] = float_to_bf16(v);
      } else {
        o[c] = v;
      }
    });
  }
}

// The down projection's input, silu(gate) * up of [gate | up] fp32 rows, staged once for every block
// of the GEMV that follows: the shared-memory image of stage_quant_activations written to global
// memory, a thread per 8 columns: rows of kog_qx bytes (FRAG: the tensor-core kernels' fragment
// order, 2k bytes a row), then scales [n][k/32], then 16-column sums [n][k/16]. Staged in each block
// instead (up to 264 blocks reading 2 x 8,960 floats each), the 1.5B's down projections took three to
// four times their weights' time at one row, and longer than the weights at 8 rows.
template <int Unit, bool FRAG>
__device__ __forceinline__ void kog_silu_image(const float* x, int k, unsigned char* image) {
  constexpr int N = KOG_ROWS;
  kog_allow_next_grid();
  kog_wait_prior_grid();
  const int per_row = k / 8, j = blockIdx.x * blockDim.x + threadIdx.x;
  const int row_bytes = FRAG ? 2 * k : kog_qx_row_bytes<Unit>(k);
  const bool live = j < N * per_row;  // NOTE: dead threads still take part in the shuffles
  const int n = N == 1 || !live ? 0 : j / per_row, c = !live ? 0 : N == 1 ? 8 * j : (j % per_row) * 8;
  float v[8] = {0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f};
  if (live) {
    kog_raw8<kog_silu_pair> raw;
    load_raw8<kog_silu_pair>(reinterpret_cast<const kog_silu_pair*>(x), n, k, c, raw);
    activate8<kog_silu_pair>(raw, v);
  }
  float* scale = reinterpret_cast<float*>(image + (size_t)N * row_bytes);
  kog_qx_store8<N, Unit, FRAG>(v, live, n, c, j, k, image, row_bytes, scale, scale + N * (k / 32));
}

#define KOG_QGEMV_ARGS                                                                                     \
  const unsigned char *__restrict__ W, int bpr, int rows, int k, const void *x, const kog_bf16 *__restrict__ norm, \
      float eps, const kog_bf16 *__restrict__ bias, const float *residual, float *y, int stage_bytes
#define KOG_QGEMV_PASS(XT) W, bpr, rows, k, reinterpret_cast<const XT*>(x), norm, eps, bias, residual, y, stage_bytes
#define KOG_QROWS_ARGS \
  const unsigned char *__restrict__ W, int bpr, int k, const int *ids, int n, void *out, int out_stride

#define KOG_QUANT_GEMV(PREFIX, FMT, R)                                                                    \
  extern "C" __global__ void __launch_bounds__(KOG_QUANT_MAX_THREADS) PREFIX##_gemv_bf16_r##R(KOG_QGEMV_ARGS) {    \
    quant_gemv_body<FMT, R, kog_bf16, false>(KOG_QGEMV_PASS(kog_bf16));                                   \
  }                                                                                                       \
  extern "C" __global__ void __launch_bounds__(KOG_QUANT_MAX_THREADS) PREFIX##_gemv_f32_r##R(KOG_QGEMV_ARGS) {     \
    quant_gemv_body<FMT, R, float, false, false, false, false, true>(KOG_QGEMV_PASS(float));              \
  }                                                                                                       \
  extern "C" __global__ void __launch_bounds__(KOG_QUANT_MAX_THREADS) PREFIX##_gemv_f32_norm_r##R(KOG_QGEMV_ARGS) { \
    quant_gemv_body<FMT, R, float, true>(KOG_QGEMV_PASS(float));                                          \
  }                                                                                                       \
  extern "C" __global__ void __launch_bounds__(KOG_QUANT_MAX_THREADS) PREFIX##_gemv_image_r##R(KOG_QGEMV_ARGS) {   \
    quant_gemv_body<FMT, R, unsigned char, false, true, false, false, true>(KOG_QGEMV_PASS(unsigned char)); \
  }                                                                                                       \
  extern "C" __global__ void __launch_bounds__(KOG_QUANT_MAX_THREADS) PREFIX##_gemv_f32_norm_late_r##R(KOG_QGEMV_ARGS) { \
    quant_gemv_body<FMT, R, float, true, false, true>(KOG_QGEMV_PASS(float));                             \
  }

// A q/k/v stack's GEMV with RoPE and the cache write fused (ROPE above), one weight row a warp; LATE as
// the overlapped stack. Three resident blocks of 256 threads are asked for: left to itself, ptxas
// squeezed the Q5_0 stacks into 64 registers with a spill (tests/kernels/test_compile.py).
#define KOG_QROPE_ARGS                                                                                     \
  KOG_QGEMV_ARGS, const float *__restrict__ inv_freq, const int *state, float *__restrict__ q_out,          \
      kog_bf16 *__restrict__ k_cache, kog_bf16 *__restrict__ v_cache, int n_heads, int n_kv, int head_dim, \
      int max_seq, int pair_base
#define KOG_QUANT_GEMV_ROPE(PREFIX, FMT, SUFFIX, LATE, EARLY)                                             \
  extern "C" __global__ void __launch_bounds__(KOG_QUANT_MAX_THREADS, 3)                                  \
      PREFIX##_gemv_f32_norm##SUFFIX##_rope_r1(KOG_QROPE_ARGS) {                                          \
    const kog_rope_args rope{inv_freq, state, q_out, k_cache, v_cache, n_heads, n_kv, head_dim, max_seq, pair_base}; \
    quant_gemv_body<FMT, 1, float, true, false, LATE, true, EARLY>(KOG_QGEMV_PASS(float), &rope);         \
  }

// An LM head's GEMV (RMSNorm fused) with the greedy pick (ARGMAX above).
#define KOG_QARGMAX_ARGS                                                                                     \
  KOG_QGEMV_ARGS, float *part_val, int *part_idx, int *counter, int *ids_out, int *state, int *next_ids, \
      int *history, int history_len
#define KOG_QUANT_GEMV_ARGMAX(PREFIX, FMT, R, S, SUFFIX)                                                  \
  extern "C" __global__ void __launch_bounds__(KOG_QUANT_MAX_THREADS)                                     \
      PREFIX##_gemv_f32_norm_argmax_##SUFFIX(KOG_QARGMAX_ARGS) {                                          \
    const kog_argmax_args pick{part_val, part_idx, counter, ids_out, state, next_ids, history, history_len}; \
    quant_gemv_body<FMT, R, float, true, false, false, false, false, true, S>(KOG_QGEMV_PASS(float), nullptr, \
                                                                              &pick);                     \
  }

// A normed GEMV of S sub-groups a warp (quant_gemv_body's S: large matrices of short rows).
#define KOG_QUANT_GEMV_SUB(PREFIX, FMT, R, S)                                                             \
  extern "C" __global__ void __launch_bounds__(KOG_QUANT_MAX_THREADS) PREFIX##_gemv_f32_norm_r##R##s##S(KOG_QGEMV_ARGS) { \
    quant_gemv_body<FMT, R, float, true, false, false, false, false, false, S>(KOG_QGEMV_PASS(float));    \
  }

// The one q/k/v stack of a layer whose rows continue in a matrix of another format of the same unit
// size (FB above; named after both formats), released early as a single stack is.
#define KOG_QUANT_GEMV_ROPE_TAIL(PREFIX, FMT, PREFIX2, FMT2)                                              \
  extern "C" __global__ void __launch_bounds__(KOG_QUANT_MAX_THREADS, 3)                                  \
      PREFIX##_gemv_f32_norm_early_rope_##PREFIX2##_r1(KOG_QROPE_ARGS, const unsigned char* __restrict__ W2, \
                                                       int bpr2, int rows1, const kog_bf16* __restrict__ bias2) { \
    const kog_rope_args rope{inv_freq, state, q_out,   k_cache, v_cache, n_heads, n_kv, head_dim, max_seq, \
                             pair_base, W2,    bpr2,  rows1,   bias2};                                    \
    quant_gemv_body<FMT, 1, float, true, false, false, true, true, false, 1, FMT2>(KOG_QGEMV_PASS(float), &rope); \
  }

#if KOG_ROWS <= 2  // one- and two-row passes; the tensor-core kernels take more rows
#define KOG_QUANT_GEMV_FEW_ROWS(PREFIX, FMT)            \
  KOG_QUANT_GEMV_ROPE(PREFIX, FMT, , false, false)      \
  KOG_QUANT_GEMV_ROPE(PREFIX, FMT, _early, false, true) \
  KOG_QUANT_GEMV_ROPE(PREFIX, FMT, _late, true, true)   \
  KOG_QUANT_GEMV_ARGMAX(PREFIX, FMT, 1, 1, r1)          \
  KOG_QUANT_GEMV_ARGMAX(PREFIX, FMT, 2, 1, r2)          \
  KOG_QUANT_GEMV_ARGMAX(PREFIX, FMT, 1, 4, r1s4)        \
  KOG_QUANT_GEMV_ARGMAX(PREFIX, FMT, 2, 4, r2s4)        \
  KOG_QUANT_GEMV_SUB(PREFIX, FMT, 1, 4)                 \
  KOG_QUANT_GEMV_SUB(PREFIX, FMT, 2, 4)
#define KOG_QUANT_GEMV_TAIL(PREFIX, FMT, PREFIX2, FMT2) KOG_QUANT_GEMV_ROPE_TAIL(PREFIX, FMT, PREFIX2, FMT2)
#else
#define KOG_QUANT_GEMV_FEW_ROWS(PREFIX, FMT)
#define KOG_QUANT_GEMV_TAIL(PREFIX, FMT, PREFIX2, FMT2)
#endif

// Rows per warp times activation rows is kept at most 4 (registers), so a module built for more
// activation rows carries only the narrower variants.
#if KOG_ROWS <= 2
#define KOG_QUANT_GEMV_R2(PREFIX, FMT) KOG_QUANT_GEMV(PREFIX, FMT, 2)
#else
#define KOG_QUANT_GEMV_R2(PREFIX, FMT)
#endif
#if KOG_ROWS == 1
#define KOG_QUANT_GEMV_R4(PREFIX, FMT) KOG_QUANT_GEMV(PREFIX, FMT, 4)
#else
#define KOG_QUANT_GEMV_R4(PREFIX, FMT)
#endif

// Every kernel of one format: GEMVs for 1, 2 and 4 weight rows per warp, the SiLU image the "image"
// GEMVs copy in, and row dequantization.
#define KOG_QUANT_KERNELS(PREFIX, FMT)                                                        \
  KOG_QUANT_GEMV(PREFIX, FMT, 1)                                                              \
  KOG_QUANT_GEMV_FEW_ROWS(PREFIX, FMT)                                                        \
  KOG_QUANT_GEMV_R2(PREFIX, FMT)                                                              \
  KOG_QUANT_GEMV_R4(PREFIX, FMT)                                                              \
  extern "C" __global__ void __launch_bounds__(256) PREFIX##_gemv_silu_image(const float* x, int k, void* image) { \
    kog_silu_image<FMT::UNIT, false>(x, k, reinterpret_cast<unsigned char*>(image));          \
  }                                                                                           \
  extern "C" __global__ void __launch_bounds__(256) PREFIX##_rows_f32(KOG_QROWS_ARGS) {       \
    quant_rows_body<FMT, float>(W, bpr, k, ids, n, reinterpret_cast<float*>(out), out_stride); \
  }                                                                                           \
  extern "C" __global__ void __launch_bounds__(256) PREFIX##_rows_bf16(KOG_QROWS_ARGS) {      \
    quant_rows_body<FMT, kog_bf16>(W, bpr, k, ids, n, reinterpret_cast<kog_bf16*>(out), out_stride); \
  }
