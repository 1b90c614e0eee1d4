/* The small steps of a CPU decode step around the matrix products, for a few activation rows in bf16
 * or fp32: RMSNorm, rotate-half RoPE with the KV-cache write and attention over the cache, SiLU(gate)
 * * up. Each is one call where the plain-torch decoder (engine/models/decoder.py, the reference these
 * are tested against) runs five to twenty small torch operations, a few microseconds each.
 *
 * Rounding follows the reference: values are widened to fp32, computed in fp32, and rounded to the
 * activations' type where the reference holds a tensor of it (the normed rows, the rotated q and k,
 * SiLU(gate), the attention output). The steps are written once, in cpu_ops_rows.h, and included
 * here for each type. Built into the same library as cpu_matvec.c. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <omp.h>
#include "cpu_common.h"
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

/* e^x in fp32 without a library call, so loops of it vectorize: x = n ln2 + r, |r| <= ln2 / 2, e^r by
 * Cephes' polynomial (within 2 ulp over the range), 2^n through the exponent bits. x is clamped to
 * [-87, 88] (e^-87 is 1.6e-38; softmax and SiLU need nothing smaller). */
static inline float exp_fast(float x) {
    x = x < -87.0f ? -87.0f : x > 88.0f ? 88.0f : x;
    const float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;  /* round to nearest */
    const float r = (x - n * 0.693359375f) - n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = (p * (r * r) + r) + 1.0f;
    union { uint32_t u; float f; } e;
    e.u = (uint32_t)((int32_t)n + 127) << 23;
    return p * e.f;
}

/* sum of a[c] over 16 running partial sums (vectorized without reordering any one of them) */
static inline float sum16(const float *a, int64_t m) {
    float p[16] = {0};
    int64_t c = 0;
    for (; c + 16 <= m; c += 16)
        for (int l = 0; l < 16; l++) p[l] += a[c + l];
    float t = 0.0f;
    for (; c < m; c++) t += a[c];
    for (int l = 0; l < 16; l++) t += p[l];
    return t;
}

/* sum of a[c] * b[c] over 16 running partial sums (so the compiler vectorizes it without reordering
 * any one sum), then the 16 added. */
static inline float dot16(const float *a, const float *b, int64_t m) {
    float p[16] = {0};
    int64_t c = 0;
    for (; c + 16 <= m; c += 16)
        for (int l = 0; l < 16; l++) p[l] += a[c + l] * b[c + l];
    float t = 0.0f;
    for (; c < m; c++) t += a[c] * b[c];
    for (int l = 0; l < 16; l++) t += p[l];
    return t;
}

static inline void widen(const uint16_t *x, float *out, int64_t m) {
    for (int64_t c = 0; c < m; c++) out[c] = bf16_to_f32(x[c]);
}

/* q . k for q (fp32 q, and its bf16 bits qb) and bf16 k (kf: scratch) */
static inline float qk_bf16(const float *q, const uint16_t *qb, const uint16_t *k, int64_t hd, float *kf) {
#if defined(__AVX512BF16__) && defined(__AVX512BW__)
    if (hd % 32 == 0) {  /* exact products, fp32 sums of column pairs */
        __m512 a = _mm512_setzero_ps();
        for (int64_t c = 0; c < hd; c += 32)
            a = _mm512_dpbf16_ps(a, (__m512bh)_mm512_loadu_si512(qb + c), (__m512bh)_mm512_loadu_si512(k + c));
        return _mm512_reduce_add_ps(a);
    }
#endif
    (void)qb;
#if defined(__AVX512F__)
    if (hd % 16 == 0) {
        __m512 a = _mm512_setzero_ps();
        for (int64_t c = 0; c < hd; c += 16) {
            const __m512 kv = _mm512_castsi512_ps(
                _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(k + c))), 16));
            a = _mm512_add_ps(a, _mm512_mul_ps(_mm512_loadu_ps(q + c), kv));
        }
        return _mm512_reduce_add_ps(a);
    }
#endif
    widen(k, kf, hd);
    return dot16(q, kf, hd);
}

static inline float qk_f32(const float *q, const float *qb, const float *k, int64_t hd, float *kf) {
    (void)qb, (void)kf;
    return dot16(q, k, hd);
}

#define ACT uint16_t
#define SUFFIX _bf16
#define LOAD(v) bf16_to_f32(v)
#define STORE(f) f32_to_bf16(f)
#include "cpu_ops_rows.h"

#define ACT float
#define SUFFIX _f32
#define LOAD(v) (v)
#define STORE(f) (f)
#include "cpu_ops_rows.h"
