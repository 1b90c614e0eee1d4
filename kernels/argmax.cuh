// (value, index) argmax pieces shared by the LM head and the sampler. Ties go to the lower index,
// as torch.argmax does; NaN never wins.
#pragma once
#include "common.cuh"

__device__ __forceinline__ bool argmax_better(float v, int i, float best_v, int best_i) {
  return v > best_v || (v == best_v && i < best_i);
}

__device__ __forceinline__ void warp_argmax(float& v, int& i) {
#pragma unroll
  for (int m = KOG_WARP / 2; m > 0; m >>= 1) {
    const float ov = KOG_SHFL_XOR(v, m);
    const int oi = KOG_SHFL_XOR(i, m);
    if (argmax_better(ov, oi, v, i)) v = ov, i = oi;
  }
}

// Whole-block argmax; every thread gets the result. `scratch_v/i` hold one slot per warp (<= 32).
__device__ __forceinline__ void block_argmax(float& v, int& i, float* scratch_v, int* scratch_i) {
  const int lane = threadIdx.x % KOG_WARP, warp = threadIdx.x / KOG_WARP;
  const int warps = (blockDim.x + KOG_WARP - 1) / KOG_WARP;
  warp_argmax(v, i);
  __syncthreads();  // scratch may still be read from a previous call
  if (lane == 0) scratch_v[warp] = v, scratch_i[warp] = i;
  __syncthreads();
  v = lane < warps ? scratch_v[lane] : -INFINITY;
  i = lane < warps ? scratch_i[lane] : 0x7fffffff;
  warp_argmax(v, i);
}

// The decode loop's bookkeeping once a step's token is known: it becomes the next step's input, is
// appended to the on-device history, and the position and step counters move on. One thread.
__device__ __forceinline__ void advance_decode_state(int token, int* state, int* next_ids, int* history,
                                                     int history_len) {
  next_ids[0] = token;
  history[(unsigned int)atomicAdd(state + 1, 1) % history_len] = token;
  atomicAdd(state, 1);
}

// Greedy over many blocks. Each block has put its best (value, index) of row r at
// part_val/part_idx[r * gridDim.x + blockIdx.x]; the last block to get here (true in all its threads)
// then merges them with argmax_merge_rows. `counter` is zero between launches (the merge resets it).
__device__ __forceinline__ bool argmax_last_block(int* counter, bool* s_last) {
  __threadfence();
  __syncthreads();
  if (threadIdx.x == 0) *s_last = atomicAdd(counter, 1) == (int)gridDim.x - 1;
  __syncthreads();
  if (*s_last) __threadfence();
  return *s_last;
}

// ids_out[r] = the best of the blocks' partials of row r, for r < n (all-NaN rows give 0); resets the
// counter and, with state, advances the decode bookkeeping with the last row's token.
__device__ __forceinline__ void argmax_merge_rows(const float* part_val, const int* part_idx, int n, int* ids_out,
                                                  int* counter, float* s_v, int* s_i, int* state, int* next_ids,
                                                  int* history, int history_len) {
  for (int r = 0; r < n; ++r) {
    float v = -INFINITY;
    int i = 0x7fffffff;
    for (int b = threadIdx.x; b < (int)gridDim.x; b += blockDim.x) {
      const float bv = load_cg(part_val + r * gridDim.x + b);
      const int bi = load_cg(part_idx + r * gridDim.x + b);
      if (argmax_better(bv, bi, v, i)) v = bv, i = bi;
    }
    block_argmax(v, i, s_v, s_i);
    if (threadIdx.x == 0) ids_out[r] = i == 0x7fffffff ? 0 : i;
  }
  if (threadIdx.x == 0) {
    *counter = 0;
    if (state) advance_decode_state(ids_out[n - 1], state, next_ids, history, history_len);
  }
}
