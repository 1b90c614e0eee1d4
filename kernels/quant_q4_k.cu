// Fused dequantize-and-multiply GEMVs and row dequantization for GGUF Q4_K (144-byte super-blocks of 256 4-bit weights).
#include "quant_gemv.cuh"
#include "quant_kblocks.cuh"
#include "quant_mma.cuh"

KOG_QUANT_KERNELS(q4_k, QuantQ4_K)
KOG_QUANT_GEMV_TAIL(q4_k, QuantQ4_K, q6_k, QuantQ6_K)
KOG_QUANT_MMA_KERNELS(q4_k, QuantQ4_K, MmaQ4_K)
