/* The small steps of a CPU decode step around the matrix products, for a few bf16 activation rows:
 * RMSNorm, rotate-half RoPE with the KV-cache write and attention over the cache, SiLU(gate) * up.
 * Each is one call where the plain-torch decoder (engine/models/decoder.py, the reference these are
 * tested against) runs five to twenty small torch operations, a few microseconds each.
 *
 * Rounding follows the reference: values are widened to fp32, computed in fp32, and rounded to bf16
 * where the reference holds a bf16 tensor (the normed rows, the rotated q and k, SiLU(gate), the
 * attention output). Built into the same library as cpu_matvec.c. */
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

/* y[i] = bf16(x[i] * rsqrt(mean(x[i]^2) + eps) * w) for n rows of d (w in fp32). */
int kog_rmsnorm(const uint16_t *x, const float *w, float eps, uint16_t *y, int64_t n, int64_t d) {
    if (n < 1 || d < 1) return -1;
    float *xf = (float *)malloc((size_t)d * sizeof(float));
    if (!xf) return -1;
    for (int64_t i = 0; i < n; i++) {
        widen(x + i * d, xf, d);
        const float r = 1.0f / sqrtf(dot16(xf, xf, d) / (float)d + eps);
        for (int64_t c = 0; c < d; c++) y[i * d + c] = f32_to_bf16((xf[c] * r) * w[c]);
    }
    free(xf);
    return 0;
}

/* y[i, c] = bf16(bf16(silu(gate)) * up) for rows gu[i] = [gate (f) | up (f)] (row stride ld). */
int kog_silu_mul(const uint16_t *gu, int64_t ld, uint16_t *y, int64_t n, int64_t f) {
    if (n < 1 || f < 1) return -1;
    for (int64_t i = 0; i < n; i++)
        for (int64_t c = 0; c < f; c++) {
            const float g = bf16_to_f32(gu[i * ld + c]);
            y[i * f + c] = f32_to_bf16(bf16_to_f32(f32_to_bf16(g / (1.0f + exp_fast(-g)))) * bf16_to_f32(gu[i * ld + f + c]));
        }
    return 0;
}

/* q . k for q (fp32 q, and its bf16 bits qb) and bf16 k (kf: scratch) */
static inline float qk(const float *q, const uint16_t *qb, const uint16_t *k, int64_t hd, float *kf) {
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

/* Rotate-half RoPE of one head vector at one position, rounded to bf16 (the reference's
 * (x * cos + rotate_half(x) * sin) in fp32). */
static void rope(const uint16_t *x, const float *cos, const float *sin, int64_t hd, uint16_t *out) {
    const int64_t half = hd / 2;
    for (int64_t c = 0; c < hd; c++) {
        const float r = c < half ? -bf16_to_f32(x[c + half]) : bf16_to_f32(x[c - half]);
        out[c] = f32_to_bf16(bf16_to_f32(x[c]) * cos[c] + r * sin[c]);
    }
}

/* The attention of n new rows at positions start.. of one layer, after the q/k/v projection:
 * qkv row j = [q (heads x hd) | k (kv_heads x hd) | v (kv_heads x hd)] (bf16, row stride ld_qkv).
 * Rotates q and k (cos/sin: fp32 [positions, hd] tables), writes k and v into the layer's caches
 * (bf16 [kv_heads, max_seq, hd]), and writes softmax(q k^T / sqrt(hd)) v over positions 0..start+j
 * (causal) to out row j (bf16, heads x hd). Query head h reads KV head h / (heads / kv_heads).
 * Returns 0, or -1 for a bad shape or no memory. */
int kog_attention_rows(const uint16_t *qkv, int64_t ld_qkv, const float *cos, const float *sin, uint16_t *kc,
                       uint16_t *vc, int64_t max_seq, int64_t start, int64_t n, int64_t heads, int64_t kv_heads,
                       int64_t hd, uint16_t *out) {
    if (n < 1 || start < 0 || start + n > max_seq || kv_heads < 1 || heads % kv_heads || hd % 2 || hd > 256)
        return -1;
    const int64_t qs = heads * hd, kvs = kv_heads * hd, len = start + n, group = heads / kv_heads;
    for (int64_t j = 0; j < n; j++) {
        const uint16_t *row = qkv + j * ld_qkv;
        const float *cj = cos + (start + j) * hd, *sj = sin + (start + j) * hd;
        for (int64_t g = 0; g < kv_heads; g++) {
            uint16_t *kd = kc + (g * max_seq + start + j) * hd, *vd = vc + (g * max_seq + start + j) * hd;
            rope(row + qs + g * hd, cj, sj, hd, kd);
            for (int64_t c = 0; c < hd; c++) vd[c] = row[qs + kvs + g * hd + c];
        }
    }
    float *scores = (float *)malloc((size_t)(heads * n * len) * sizeof(float));
    if (!scores) return -1;
    const float scale = 1.0f / sqrtf((float)hd);
#pragma omp parallel for schedule(static)
    for (int64_t task = 0; task < heads * n; task++) {
        const int64_t h = task / n, j = task % n, g = h / group, seen = start + j + 1;
        uint16_t qb[256];
        float q[256], kf[256], acc[256];
        rope(qkv + j * ld_qkv + h * hd, cos + (start + j) * hd, sin + (start + j) * hd, hd, qb);
        for (int64_t c = 0; c < hd; c++) q[c] = bf16_to_f32(qb[c]), acc[c] = 0.0f;
        float *s = scores + task * len, top = -INFINITY;
        const uint16_t *k = kc + g * max_seq * hd, *v = vc + g * max_seq * hd;
        for (int64_t t = 0; t < seen; t++) {
            s[t] = qk(q, qb, k + t * hd, hd, kf) * scale;
            top = s[t] > top ? s[t] : top;
        }
        for (int64_t t = 0; t < seen; t++) s[t] = exp_fast(s[t] - top);
        const float sum = sum16(s, seen);
        for (int64_t t = 0; t < seen; t++)
            for (int64_t c = 0; c < hd; c++) acc[c] += s[t] * bf16_to_f32(v[t * hd + c]);
        for (int64_t c = 0; c < hd; c++) out[j * qs + h * hd + c] = f32_to_bf16(acc[c] / sum);
    }
    free(scores);
    return 0;
}
