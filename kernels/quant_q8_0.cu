// Fused dequantize-and-multiply GEMVs and row dequantization for GGUF Q8_0 (34-byte blocks of 32 int8 weights).
#include "quant_gemv.cuh"
#include "quant_blocks.cuh"
#include "quant_mma.cuh"

KOG_QUANT_KERNELS(q8_0, QuantQ8_0)
KOG_QUANT_GEMV_TAIL(q8_0, QuantQ8_0, q5_0, QuantQ5_0)
KOG_QUANT_GEMV_TAIL(q8_0, QuantQ8_0, q4_1, QuantQ4_1)
KOG_QUANT_MMA_KERNELS(q8_0, QuantQ8_0, MmaQ8_0)
