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
  // Lane 0 writes the group's outputs; its biases and residuals are loaded as the group starts.
  float pre_b[R], pre_res[N][R];
  const auto preload = [&](int grp) {
    if (threadIdx.x % KOG_WARP != 0) return;
#pragma unroll
    for (int j = 0; j < R; ++j) {
      const int row = min(grp * R + j, rows - 1);
      pre_b[j] = bias ? bf16_to_float(bias[row]) : 0.f;
#pragma unroll
      for (int r = 0; r < N; ++r)  // NOTE: residual may alias y; same element, same lane, read first
        pre_res[r][j] = residual ? load_cg(residual + (size_t)r * rows + row) : 0.f;
    }
  };
  const auto emit = [&](int grp, float (&acc)[N][R]) {
    if (threadIdx.x % KOG_WARP != 0) return;
#pragma unroll
    for (int j = 0; j < R; ++j) {
      const int row = grp * R + j;
      if (row >= rows) continue;
#pragma unroll
      for (int r = 0; r < N; ++r) y[(size_t)r * rows + row] = acc[r][j] + pre_b[j] + pre_res[r][j];
    }
  };
  gemv_blocks<N, R, NORM>((rows + R - 1) / R, k, x, norm, eps, x_shared != 0, rows_of, emit, preload);
}

#define KOG_GEMV_ARGS                                                                                         \
  const kog_bf16 *__restrict__ W, const float *x, const kog_bf16 *__restrict__ norm, float eps,              \
      const kog_bf16 *__restrict__ bias, const float *residual, float *y, int rows, int k, int x_shared
#define KOG_GEMV_PASS W, x, norm, eps, bias, residual, y, rows, k, x_shared

extern "C" __global__ void __launch_bounds__(KOG_GEMV_MAX_THREADS) gemv_r1(KOG_GEMV_ARGS) { gemv_body<1, false>(KOG_GEMV_PASS); }
extern "C" __global__ void __launch_bounds__(KOG_GEMV_MAX_THREADS) gemv_r2(KOG_GEMV_ARGS) { gemv_body<2, false>(KOG_GEMV_PASS); }
extern "C" __global__ void __launch_bounds__(KOG_GEMV_MAX_THREADS) gemv_norm_r1(KOG_GEMV_ARGS) { gemv_body<1, true>(KOG_GEMV_PASS); }
extern "C" __global__ void __launch_bounds__(KOG_GEMV_MAX_THREADS) gemv_norm_r2(KOG_GEMV_ARGS) { gemv_body<2, true>(KOG_GEMV_PASS); }
