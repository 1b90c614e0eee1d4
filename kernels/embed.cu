// x[r, :] = embed[ids[r], :] as fp32: the residual stream's start.
#include "common.cuh"

extern "C" __global__ void __launch_bounds__(256)
    embed_rows(const kog_bf16* __restrict__ embed, const int* __restrict__ ids, float* __restrict__ x, int hidden) {
  kog_allow_next_grid();
  kog_wait_prior_grid();
  const int r = blockIdx.y;
  const kog_bf16* row = embed + (size_t)load_cg(ids + r) * hidden;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < hidden; i += gridDim.x * blockDim.x)
    x[(size_t)r * hidden + i] = bf16_to_float(row[i]);
}
