// h[r, j] = silu(gate_j . n(x_r)) * (up_j . n(x_r)), n = RMSNorm: the MLP's first half in one pass.
// One warp streams gate row j and up row j together, so the product never leaves registers.
#include "gemv_core.cuh"

extern "C" __global__ void __launch_bounds__(KOG_GEMV_THREADS)
    gate_up_silu_norm(const kog_bf16* __restrict__ w_gate, const kog_bf16* __restrict__ w_up, const float* x,
                      const kog_bf16* __restrict__ norm, float eps, float* __restrict__ h, int inter, int k) {
  constexpr int N = KOG_ROWS;
  const auto rows_of = [&](int j, const uint4* (&w)[2]) {
    w[0] = reinterpret_cast<const uint4*>(w_gate + (size_t)j * k);
    w[1] = reinterpret_cast<const uint4*>(w_up + (size_t)j * k);
  };
  const auto emit = [&](int j, float (&acc)[N][2]) {
    if (threadIdx.x % KOG_WARP != 0) return;
#pragma unroll
    for (int r = 0; r < N; ++r) {
      const float g = acc[r][0], u = acc[r][1];
      h[(size_t)r * inter + j] = g / (1.f + expf(-g)) * u;
    }
  };
  gemv_blocks<N, 2, true>(inter, k, x, norm, eps, true, rows_of, emit);
}
