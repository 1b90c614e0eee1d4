// x[r, :] = embed[ids[r], :] as fp32: the residual stream's start.
#include "common.cuh"

extern "C" __global__ void __launch_bounds__(256)
    embed_rows(const kog_bf16* __restrict__ embed, const int* __restrict__ ids, float* __restrict__ x, int hidden) {
  kog_wait_prior_grid();
  kog_allow_next_grid();  // only now: a pass's first kernel (common.cuh)
  const int r = blockIdx.y;
  const uint4* row = reinterpret_cast<const uint4*>(embed + (size_t)load_cg(ids + r) * hidden);
  float4* dst = reinterpret_cast<float4*>(x + (size_t)r * hidden);
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < hidden / 8; i += gridDim.x * blockDim.x) {
    float f[8];
    unpack8(row[i], f);  // hidden % 8 == 0: one 16-byte load per thread
    dst[2 * i] = make_float4(f[0], f[1], f[2], f[3]);
    dst[2 * i + 1] = make_float4(f[4], f[5], f[6], f[7]);
  }
}
