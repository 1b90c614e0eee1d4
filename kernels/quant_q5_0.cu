// Fused dequantize-and-multiply GEMVs and row dequantization for GGUF Q5_0 (22-byte blocks of 32 5-bit weights).
#include "quant_gemv.cuh"
#include "quant_blocks.cuh"
#include "quant_mma.cuh"

KOG_QUANT_KERNELS(q5_0, QuantQ5_0)
KOG_QUANT_GEMV_TAIL(q5_0, QuantQ5_0, q8_0, QuantQ8_0)
KOG_QUANT_GEMV_TAIL(q5_0, QuantQ5_0, q4_1, QuantQ4_1)
KOG_QUANT_MMA_KERNELS(q5_0, QuantQ5_0, MmaQ5_0)
