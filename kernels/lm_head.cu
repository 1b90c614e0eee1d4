// logits[r, v] = embed_or_head[v] . RMSNorm(x[r]) for the whole vocabulary, with the greedy argmax of
// every row fused in: each block reduces its rows, and the last block to finish reduces the blocks'
// partials, so the token id is ready on the device when the launch ends.
#include "argmax.cuh"
#include "gemv_core.cuh"

extern "C" __global__ void __launch_bounds__(KOG_GEMV_THREADS)
    lm_head_argmax(const kog_bf16* __restrict__ W, const float* x, const kog_bf16* __restrict__ norm, float eps,
                   float* __restrict__ logits,  // [N, vocab]
                   int vocab, int k,
                   float* part_val, int* part_idx,  // [N, gridDim.x] block partials
                   int* counter,                    // one int, zero between launches
                   int* ids_out,                    // [N] argmax of each row
                   int* state, int* next_ids, int* history, int history_len) {  // nullable: decode bookkeeping
  constexpr int N = KOG_ROWS;
  constexpr int R = 2;
  float best_v[N];
  int best_i[N];
#pragma unroll
  for (int r = 0; r < N; ++r) best_v[r] = -INFINITY, best_i[r] = 0x7fffffff;
  const auto rows_of = [&](int grp, const uint4* (&w)[R]) {
#pragma unroll
    for (int j = 0; j < R; ++j) w[j] = reinterpret_cast<const uint4*>(W + (size_t)min(grp * R + j, vocab - 1) * k);
  };
  const auto emit = [&](int grp, float (&acc)[N][R]) {
#pragma unroll
    for (int j = 0; j < R; ++j) {
      const int row = grp * R + j;
      if (row >= vocab) continue;
#pragma unroll
      for (int r = 0; r < N; ++r) {
        const float v = acc[r][j];
        if (threadIdx.x % KOG_WARP == 0) logits[(size_t)r * vocab + row] = v;
        if (argmax_better(v, row, best_v[r], best_i[r])) best_v[r] = v, best_i[r] = row;
      }
    }
  };
  gemv_blocks<N, R, true>((vocab + R - 1) / R, k, x, norm, eps, true, rows_of, emit);

  __shared__ float s_v[KOG_WARP];
  __shared__ int s_i[KOG_WARP];
  __shared__ bool s_last;
#pragma unroll
  for (int r = 0; r < N; ++r) {
    float v = best_v[r];
    int i = best_i[r];
    block_argmax(v, i, s_v, s_i);
    if (threadIdx.x == 0) part_val[r * gridDim.x + blockIdx.x] = v, part_idx[r * gridDim.x + blockIdx.x] = i;
  }
  if (!argmax_last_block(counter, &s_last)) return;
  argmax_merge_rows(part_val, part_idx, N, ids_out, counter, s_v, s_i, state, next_ids, history, history_len);
}
