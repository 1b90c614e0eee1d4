// y[r, o] = residual[r, o] + bias[o] + sum_c W[o, c] * norm(x[r])[c]: the bf16 matrix-vector product
// for 1..KOG_ROWS activation rows, with the RMSNorm of the input and the residual add fused.
#include "gemv_core.cuh"

template <int R, bool NORM>
__device__ __forceinline__ void gemv_body(const kog_bf16* __restrict__ W, const float* __restrict__ x,
                                          const kog_bf16* __restrict__ norm, float eps,
                                          const kog_bf16* __restrict__ bias, const float* residual, float* y,
                                          int rows, int k) {
  constexpr int N = KOG_ROWS;
  constexpr int U = 8;
  kog_allow_next_grid();
  const int lane = threadIdx.x % KOG_WARP;
  const int warps = blockDim.x / KOG_WARP;
  const int k8 = k / 8;
  const int groups = (rows + R - 1) / R;
  const int stride = gridDim.x * warps;
  const auto rows_of = [&](int grp, const kog_bf16* (&w)[R]) {
#pragma unroll
    for (int j = 0; j < R; ++j) w[j] = W + (size_t)min(grp * R + j, rows - 1) * k;  // clamped rows are dropped
  };
  int grp = blockIdx.x * warps + threadIdx.x / KOG_WARP;
  const kog_bf16* next[R];
  if (grp < groups) rows_of(grp, next), warp_prefetch_rows(next, k, lane);
  for (; grp < groups; grp += stride) {
    const uint4* w[R];
#pragma unroll
    for (int j = 0; j < R; ++j) w[j] = reinterpret_cast<const uint4*>(next[j]);
    if (grp + stride < groups) rows_of(grp + stride, next), warp_prefetch_rows(next, k, lane);
    float acc[N][R];
    zero_rows(acc);
    warp_rows_dot<N, R, U, NORM>(w, x, k, reinterpret_cast<const uint4*>(norm), k8, lane, acc);
    warp_reduce_rows(acc);
    float scale[N];
#pragma unroll
    for (int r = 0; r < N; ++r) scale[r] = 1.f;
    if (NORM) warp_rms_scales<N>(x, k, k, eps, lane, scale);
    if (lane == 0) {
#pragma unroll
      for (int j = 0; j < R; ++j) {
        const int row = grp * R + j;
        if (row >= rows) continue;
        const float b = bias ? bf16_to_float(bias[row]) : 0.f;
#pragma unroll
        for (int r = 0; r < N; ++r) {
          const size_t at = (size_t)r * rows + row;
          float v = acc[r][j] * scale[r] + b;
          if (residual) v += load_cg(residual + at);  // NOTE: residual may alias y; same element, same lane
          y[at] = v;
        }
      }
    }
  }
  kog_wait_prior_grid();
}

#define KOG_GEMV_ARGS                                                                              \
  const kog_bf16 *__restrict__ W, const float *__restrict__ x, const kog_bf16 *__restrict__ norm, \
      float eps, const kog_bf16 *__restrict__ bias, const float *residual, float *y, int rows, int k
#define KOG_GEMV_PASS W, x, norm, eps, bias, residual, y, rows, k

extern "C" __global__ void __launch_bounds__(128) gemv_r1(KOG_GEMV_ARGS) { gemv_body<1, false>(KOG_GEMV_PASS); }
extern "C" __global__ void __launch_bounds__(128) gemv_r2(KOG_GEMV_ARGS) { gemv_body<2, false>(KOG_GEMV_PASS); }
extern "C" __global__ void __launch_bounds__(128) gemv_norm_r1(KOG_GEMV_ARGS) { gemv_body<1, true>(KOG_GEMV_PASS); }
extern "C" __global__ void __launch_bounds__(128) gemv_norm_r2(KOG_GEMV_ARGS) { gemv_body<2, true>(KOG_GEMV_PASS); }
