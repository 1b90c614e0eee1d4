// Fused dequantize-and-multiply GEMVs and row dequantization for GGUF Q4_1 (20-byte blocks of 32 4-bit weights with a min).
#include "quant_gemv.cuh"
#include "quant_blocks.cuh"
#include "quant_mma.cuh"

KOG_QUANT_KERNELS(q4_1, QuantQ4_1)
KOG_QUANT_GEMV_TAIL(q4_1, QuantQ4_1, q5_0, QuantQ5_0)
KOG_QUANT_GEMV_TAIL(q4_1, QuantQ4_1, q8_0, QuantQ8_0)
KOG_QUANT_MMA_KERNELS(q4_1, QuantQ4_1, MmaQ4_1)
