// Fused dequantize-and-multiply GEMVs and row dequantization for GGUF Q6_K (210-byte super-blocks of 256 6-bit weights).
#include "quant_gemv.cuh"
#include "quant_kblocks.cuh"
#include "quant_mma.cuh"

KOG_QUANT_KERNELS(q6_k, QuantQ6_K)
KOG_QUANT_GEMV_TAIL(q6_k, QuantQ6_K, q4_k, QuantQ4_K)
KOG_QUANT_MMA_KERNELS(q6_k, QuantQ6_K, MmaQ6_K)
