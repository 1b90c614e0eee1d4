// y[r, o] = residual[r, o] + bias[o] + sum_c W[o, c] * norm(x[r])[c]: the bf16 matrix-vector product
// for 1..KOG_ROWS activation rows, with the RMSNorm of the input and the residual add fused.
#include "gemv_core.cuh"

template <int R, bool NORM>
__device__ __forceinline__ void gemv_body(const kog_bf16* __restrict__ W, const float* x, const kog_bf16* __restrict__ norm,
                                          float eps, const kog_bf16* __restrict__ bias, const float* residual, float* y,
                                          int rows, int k, int x_shared) {
  constexpr int N = KOG_ROWS;
  const auto rows_of = [&](int grp, const uint4* (&w)[R]) {
#pragma unroll
    for (int j = 0; j < R; ++j)  // a clamped duplicate row is computed and dropped
      w[j] = reinterpret_cast<const uint4*>(W + (size_t)min(grp * R + j, rows - 1) * k);
  };
  const auto emit = [&](int grp, float (&acc)[N][R]) {
    if (threadIdx.x % KOG_WARP != 0) return;
#pragma unroll
    for (int j = 0; j < R; ++j) {
      const int row = grp * R + j;
      if (row >= rows) continue;
      const float b = bias ? bf16_to_float(bias[row]) : 0.f;
#pragma unroll
      for (int r = 0; r < N; ++r) {
        const size_t at = (size_t)r * rows + row;
        float v = acc[r][j] + b;
        if (residual) v += load_cg(residual + at);  // NOTE: residual may alias y; same element, same lane
        y[at] = v;
      }
    }
  };
  gemv_blocks<N, R, NORM>((rows + R - 1) / R, k, x, norm, eps, x_shared != 0, rows_of, emit);
}

#define KOG_GEMV_ARGS                                                                                         \
  const kog_bf16 *__restrict__ W, const float *x, const kog_bf16 *__restrict__ norm, float eps,              \
      const kog_bf16 *__restrict__ bias, const float *residual, float *y, int rows, int k, int x_shared
#define KOG_GEMV_PASS W, x, norm, eps, bias, residual, y, rows, k, x_shared

extern "C" __global__ void __launch_bounds__(KOG_GEMV_MAX_THREADS) gemv_r1(KOG_GEMV_ARGS) { gemv_body<1, false>(KOG_GEMV_PASS); }
extern "C" __global__ void __launch_bounds__(KOG_GEMV_MAX_THREADS) gemv_r2(KOG_GEMV_ARGS) { gemv_body<2, false>(KOG_GEMV_PASS); }
extern "C" __global__ void __launch_bounds__(KOG_GEMV_MAX_THREADS) gemv_norm_r1(KOG_GEMV_ARGS) { gemv_body<1, true>(KOG_GEMV_PASS); }
extern "C" __global__ void __launch_bounds__(KOG_GEMV_MAX_THREADS) gemv_norm_r2(KOG_GEMV_ARGS) { gemv_body<2, true>(KOG_GEMV_PASS); }
