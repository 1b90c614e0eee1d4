// h[r, j] = silu(gate_j . n(x_r)) * (up_j . n(x_r)), n = RMSNorm: the MLP's first half in one pass.
// One warp streams gate row j and up row j together, so the product never leaves registers.
#include "gemv_core.cuh"

extern "C" __global__ void __launch_bounds__(128)
    gate_up_silu_norm(const kog_bf16* __restrict__ w_gate, const kog_bf16* __restrict__ w_up,
                      const float* __restrict__ x, const kog_bf16* __restrict__ norm, float eps,
                      float* __restrict__ h, int inter, int k) {
  constexpr int N = KOG_ROWS;
  kog_allow_next_grid();
  const int lane = threadIdx.x % KOG_WARP;
  const int warps = blockDim.x / KOG_WARP;
  const int stride = gridDim.x * warps;
  int j = blockIdx.x * warps + threadIdx.x / KOG_WARP;
  const kog_bf16* next[2];
  if (j < inter) next[0] = w_gate + (size_t)j * k, next[1] = w_up + (size_t)j * k, warp_prefetch_rows(next, k, lane);
  for (; j < inter; j += stride) {
    const uint4* w[2] = {reinterpret_cast<const uint4*>(next[0]), reinterpret_cast<const uint4*>(next[1])};
    if (j + stride < inter) {
      next[0] = w_gate + (size_t)(j + stride) * k, next[1] = w_up + (size_t)(j + stride) * k;
      warp_prefetch_rows(next, k, lane);
    }
    float acc[N][2];
    zero_rows(acc);
    warp_rows_dot<N, 2, 8, true>(w, x, k, reinterpret_cast<const uint4*>(norm), k / 8, lane, acc);
    warp_reduce_rows(acc);
    float scale[N];
    warp_rms_scales<N>(x, k, k, eps, lane, scale);
    if (lane == 0) {
#pragma unroll
      for (int r = 0; r < N; ++r) {
        const float g = acc[r][0] * scale[r];
        const float u = acc[r][1] * scale[r];
        h[(size_t)r * inter + j] = g / (1.f + expf(-g)) * u;
      }
    }
  }
  kog_wait_prior_grid();
}
