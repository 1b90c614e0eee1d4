/* bf16 (or int8 with a scale a row) matrix times a few activation rows on the CPU:
 * y[i, r] = sum_c W[r, c] * x[i, c] (+ bias[r]).
 *
 * Decode streams every weight once per token, so this is a memory stream. Two things make it one:
 * each thread walks a contiguous run of weight rows (one sequential stream a core), and a software
 * prefetch runs PREFETCH_BYTES ahead of the loads (the hardware prefetcher alone leaves a core near
 * 10 GB/s on small matrices). Weights are widened to fp32 by a 16-bit shift; accumulation is fp32;
 * outputs are rounded to bf16 once, after the bias.
 *
 * Threads come from OpenMP. Loaded into a process that has imported torch, `libgomp.so.1` is the one
 * torch already loaded, so these loops share torch's thread pool instead of competing with it.
 */
#define _GNU_SOURCE  /* syscall() */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>
#include "cpu_common.h"
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif
#if defined(__F16C__)
#include <immintrin.h>
#endif

#if defined(__AVX512F__)
#include <immintrin.h>
#define KOG_VEC 16
#elif defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define KOG_VEC 8
#else
#define KOG_VEC 0
#endif

#define MAX_ROWS 8
#define PREFETCH_BYTES 2048


#if KOG_VEC == 16
typedef __m512 vec;
static inline vec vload_w(const uint16_t *p) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)p)), 16));
}
static inline vec vload_q(const int8_t *p) {
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)p)));
}
#define vload_x(p) _mm512_loadu_ps(p)
#define vzero() _mm512_setzero_ps()
#define vfma(a, b, c) _mm512_fmadd_ps(a, b, c)
#define vadd(a, b) _mm512_add_ps(a, b)
static inline float vsum(vec v) { return _mm512_reduce_add_ps(v); }
#elif KOG_VEC == 8
typedef __m256 vec;
static inline vec vload_w(const uint16_t *p) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p)), 16));
}
static inline vec vload_q(const int8_t *p) {
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p)));
}
#define vload_x(p) _mm256_loadu_ps(p)
#define vzero() _mm256_setzero_ps()
#define vfma(a, b, c) _mm256_fmadd_ps(a, b, c)
#define vadd(a, b) _mm256_add_ps(a, b)
static inline float vsum(vec v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
#endif

enum { W_BF16, W_INT8 };  /* weight element types */

#if KOG_VEC
static inline __attribute__((always_inline)) vec vload(const void *w, int kind, int64_t c) {
    return kind == W_BF16 ? vload_w((const uint16_t *)w + c) : vload_q((const int8_t *)w + c);
}
#endif

static inline __attribute__((always_inline)) float sload(const void *w, int kind, int64_t c) {
    return kind == W_BF16 ? bf16_to_f32(((const uint16_t *)w)[c]) : (float)((const int8_t *)w)[c];
}

/* One weight row (`kind` elements) against n activation rows (xf: n rows of cols fp32). Always inlined
 * into a loop per constant (kind, n), so the branches fold and the accumulators stay in registers. */
static inline __attribute__((always_inline)) void row_dots(const void *w, const int kind, const float *xf,
                                                           const int n, int64_t cols, float *acc) {
    int64_t c = 0;
#if KOG_VEC
    const int64_t bytes = kind == W_BF16 ? 2 : 1;
    const int64_t main = cols - cols % (2 * KOG_VEC);
    vec a[MAX_ROWS], b[MAX_ROWS];
    for (int i = 0; i < n; i++) a[i] = b[i] = vzero();
    for (; c < main; c += 2 * KOG_VEC) {
        __builtin_prefetch((const char *)w + c * bytes + PREFETCH_BYTES);
        vec w0 = vload(w, kind, c), w1 = vload(w, kind, c + KOG_VEC);
        for (int i = 0; i < n; i++) {
            a[i] = vfma(w0, vload_x(xf + i * cols + c), a[i]);
            b[i] = vfma(w1, vload_x(xf + i * cols + c + KOG_VEC), b[i]);
        }
    }
    for (int i = 0; i < n; i++) acc[i] = vsum(vadd(a[i], b[i]));
#else
    for (int i = 0; i < n; i++) acc[i] = 0.0f;
#endif
    for (; c < cols; c++) {
        float wc = sload(w, kind, c);
        for (int i = 0; i < n; i++) acc[i] += wc * xf[i * cols + c];
    }
}

/* y[i, r] = bf16(dot_r,i * scale[r] + bias[r]); scale and bias may be NULL. */
static inline __attribute__((always_inline)) void matvec_rows(const void *w, const int kind, const uint16_t *scale,
                                                              const float *xf, const uint16_t *bias, uint16_t *y,
                                                              const int n, int64_t rows, int64_t cols) {
    const int64_t bytes = kind == W_BF16 ? 2 : 1;
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < rows; r++) {
        float acc[MAX_ROWS];
        row_dots((const char *)w + r * cols * bytes, kind, xf, n, cols, acc);
        float s = scale ? bf16_to_f32(scale[r]) : 1.0f, b = bias ? bf16_to_f32(bias[r]) : 0.0f;
        for (int i = 0; i < n; i++) y[i * rows + r] = f32_to_bf16(acc[i] * s + b);
    }
}

/* The activations as fp32 (malloc'd; NULL when memory runs out). */
static float *widen(const uint16_t *x, int64_t count) {
    float *xf = (float *)malloc((size_t)count * sizeof(float));
    if (xf)
        for (int64_t i = 0; i < count; i++) xf[i] = bf16_to_f32(x[i]);
    return xf;
}

/* The entry both weight types share: fp32 activations, then a loop specialised per (type, rows). */
static int matvec(const void *w, int kind, const uint16_t *scale, const uint16_t *x, const uint16_t *bias,
                  uint16_t *y, int64_t n, int64_t rows, int64_t cols) {
    if (n < 1 || n > MAX_ROWS) return -1;
    float *xf = widen(x, n * cols);
    if (!xf) return -1;
#define KOG_CASES(KIND)                                                  \
    switch (n) {                                                         \
        case 1: matvec_rows(w, KIND, scale, xf, bias, y, 1, rows, cols); break; \
        case 2: matvec_rows(w, KIND, scale, xf, bias, y, 2, rows, cols); break; \
        case 3: matvec_rows(w, KIND, scale, xf, bias, y, 3, rows, cols); break; \
        case 4: matvec_rows(w, KIND, scale, xf, bias, y, 4, rows, cols); break; \
        case 5: matvec_rows(w, KIND, scale, xf, bias, y, 5, rows, cols); break; \
        case 6: matvec_rows(w, KIND, scale, xf, bias, y, 6, rows, cols); break; \
        case 7: matvec_rows(w, KIND, scale, xf, bias, y, 7, rows, cols); break; \
        default: matvec_rows(w, KIND, scale, xf, bias, y, 8, rows, cols); break; \
    }
    if (kind == W_BF16) {
        KOG_CASES(W_BF16)
    } else {
        KOG_CASES(W_INT8)
    }
#undef KOG_CASES
    free(xf);
    return 0;
}

/* y[n, rows] (bf16) = x[n, cols] (bf16) @ W[rows, cols]^T (bf16) + bias[rows] (bf16, may be NULL).
 * Returns 0, or -1 when n is out of range or memory runs out (y untouched). */
int kog_matvec_bf16(const uint16_t *w, const uint16_t *x, const uint16_t *bias, uint16_t *y, int64_t n,
                    int64_t rows, int64_t cols) {
    return matvec(w, W_BF16, NULL, x, bias, y, n, rows, cols);
}

/* The same for int8 weights with one bf16 scale a row (the engine's int8 CPU format):
 * y = x @ (Q * scale[:, None])^T + bias. */
int kog_matvec_q8(const int8_t *w, const uint16_t *scale, const uint16_t *x, const uint16_t *bias, uint16_t *y,
                  int64_t n, int64_t rows, int64_t cols) {
    return matvec(w, W_INT8, scale, x, bias, y, n, rows, cols);
}

/* The vector width this build uses (16 AVX-512, 8 AVX2, 0 scalar), for reports. */
int kog_matvec_width(void) { return KOG_VEC; }

/* ---- GGUF blocks as stored (Q8_0, Q5_0, Q4_1, Q4_K, Q6_K) ----------------------------------------
 * The same streaming loop over a matrix of GGUF blocks (a quarter to a half of bf16's bytes a weight,
 * exactly the file's values), each block decoded in registers where it meets the activation rows.
 * Four ways, by what the CPU has: integer dot products over 16-bit activation integers (AVX512-VNNI,
 * one or two activation rows; AVX2 without AVX512-VNNI, any number), bf16 dot products of the codes as
 * they are (AVX512-BF16, more rows), or each block decoded to fp32 with gguf's own arithmetic
 * (ggml-common.h) and an FMA loop. */

enum { G_Q8_0, G_Q5_0, G_Q4_1, G_Q4_K, G_Q6_K };

static const int g_block_weights[] = {32, 32, 32, 256, 256};
static const int g_block_bytes[] = {34, 22, 20, 144, 210};

static inline float half_to_f32(const uint8_t *p) {  /* IEEE half, subnormals included */
#if defined(__F16C__)
    return _cvtsh_ss((unsigned short)(p[0] | (p[1] << 8)));
#else
    const uint32_t h = (uint32_t)p[0] | ((uint32_t)p[1] << 8), m = h & 0x3ffu, e = (h >> 10) & 0x1fu;
    union { uint32_t u; float f; } c;
    float v;
    if (e == 0) {
        v = (float)m * 5.9604644775390625e-08f;  /* m * 2^-24 */
    } else if (e == 31) {
        c.u = 0x7f800000u | (m << 13);
        v = c.f;
    } else {
        c.u = ((e + 112) << 23) | (m << 13);
        v = c.f;
    }
    return (h & 0x8000u) ? -v : v;
#endif
}

/* Q4_K's 6-bit scale and min of sub-block j (ggml's get_scale_min_k4). */
static inline void scale_min_k4(int j, const uint8_t *q, int *sc, int *m) {
    if (j < 4) {
        *sc = q[j] & 63;
        *m = q[j + 4] & 63;
    } else {
        *sc = (q[j + 4] & 0xf) | ((q[j - 4] >> 6) << 4);
        *m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
    }
}

/* One block's weights as fp32, in column order. */
static inline __attribute__((always_inline)) void decode_block(const int fmt, const uint8_t *b, float *out) {
    if (fmt == G_Q8_0) {
        const float d = half_to_f32(b);
        for (int j = 0; j < 32; j++) out[j] = d * (float)(int8_t)b[2 + j];
    } else if (fmt == G_Q5_0) {
        const float d = half_to_f32(b);
        const uint32_t qh = (uint32_t)b[2] | ((uint32_t)b[3] << 8) | ((uint32_t)b[4] << 16) | ((uint32_t)b[5] << 24);
        for (int j = 0; j < 16; j++) {
            out[j] = d * (float)((int)((b[6 + j] & 15) | (((qh >> j) & 1) << 4)) - 16);
            out[j + 16] = d * (float)((int)((b[6 + j] >> 4) | (((qh >> (j + 16)) & 1) << 4)) - 16);
        }
    } else if (fmt == G_Q4_1) {
        const float d = half_to_f32(b), m = half_to_f32(b + 2);
        for (int j = 0; j < 16; j++) {
            out[j] = d * (float)(b[4 + j] & 15) + m;
            out[j + 16] = d * (float)(b[4 + j] >> 4) + m;
        }
    } else if (fmt == G_Q4_K) {
        const float d = half_to_f32(b), dmin = half_to_f32(b + 2);
        const uint8_t *scales = b + 4, *qs = b + 16;
        for (int c = 0; c < 4; c++) {
            int sc, m;
            scale_min_k4(2 * c, scales, &sc, &m);
            const float d1 = d * (float)sc, m1 = dmin * (float)m;
            scale_min_k4(2 * c + 1, scales, &sc, &m);
            const float d2 = d * (float)sc, m2 = dmin * (float)m;
            for (int l = 0; l < 32; l++) {
                out[64 * c + l] = d1 * (float)(qs[32 * c + l] & 15) - m1;
                out[64 * c + 32 + l] = d2 * (float)(qs[32 * c + l] >> 4) - m2;
            }
        }
    } else {  /* G_Q6_K: ql[128] qh[64] scales[16] d */
        const float d = half_to_f32(b + 208);
        for (int h = 0; h < 2; h++) {
            const uint8_t *ql = b + 64 * h, *qh = b + 128 + 32 * h;
            const int8_t *sc = (const int8_t *)(b + 192 + 8 * h);
            for (int t = 0; t < 4; t++) {
                const float d0 = d * (float)sc[2 * t], d1 = d * (float)sc[2 * t + 1];
                for (int l = 0; l < 32; l++) {
                    const int q = ((ql[l + 32 * (t & 1)] >> (4 * (t >> 1))) & 15) | (((qh[l] >> (2 * t)) & 3) << 4);
                    out[128 * h + 32 * t + l] = (l < 16 ? d0 : d1) * (float)(q - 32);
                }
            }
        }
    }
}

#if defined(__AVX512BF16__) && defined(__AVX512BW__) && defined(__AVX512VL__)
#define KOG_GGUF_BF16 1
/* With AVX512-BF16 the codes meet the bf16 activations as they are, in vdpbf16ps (exact products,
 * fp32 sums of column pairs). A code q < 128 is the bf16 number 128 + q with the bits 0x4300 | q, so a
 * group of weights (q - bias) * scale + offset adds scale * dot(128 + q - 128 - bias, x) + offset *
 * sum(x). The product starts from kb * (x[2l] + x[2l + 1]) in each lane l (kb = -(128 + bias), the
 * call's `xk`), so one vdpbf16ps and one FMA take a 32-column group to the accumulators; formats with
 * a min a group (Q4_1, Q4_K, kb = -128) add offset * sum(x) as (offset / -128) * xk in a second one.
 * Each format's decoder hands 32-column groups to group32, which either multiplies them into the
 * accumulators (DOT) or writes the weights as bf16 (DEQ, gguf's own arithmetic, then rounded). */
enum { DOT, DEQ, CODES };

struct gguf_ctx {  /* what group32 needs: activations and accumulators (DOT), or the output row (DEQ) */
    const uint16_t *x;  /* n rows of cols bf16 */
    const float *xk;    /* n rows of cols / 2: kb * (x[2l] + x[2l + 1]) */
    int64_t cols;
    __m512 *a, *b;      /* this weight row's accumulators: the products, the mins */
    uint16_t *out;      /* DEQ: the row's bf16 weights; CODES: its codes as bf16 numbers */
    float *sc, *of;     /* CODES: each 16 columns' scale and offset against those numbers */
};

/* 16 weights (q - bias) * scale + offset from 16 codes (32-bit lanes), rounded to bf16 and stored. */
static inline __attribute__((always_inline)) void deq16(__m512i q, const int bias, const float scale, const float offset,
                                                        uint16_t *out) {
    if (bias) q = _mm512_sub_epi32(q, _mm512_set1_epi32(bias));
    __m512 w = _mm512_mul_ps(_mm512_cvtepi32_ps(q), _mm512_set1_ps(scale));
    if (offset != 0.0f) w = _mm512_add_ps(w, _mm512_set1_ps(offset));
    _mm256_storeu_si256((__m256i *)out, (__m256i)_mm512_cvtneps_pbh(w));
}

/* One 32-column group at column c: codes q16 (32 x 16-bit; signed for Q8_0, else below 128), columns
 * c..c+15 with scale s0 and offset o0, c+16.. with s1 and o1 (DOT: the offset is the format's bias,
 * in xk, plus o0 == o1 for formats with a min). */
static inline __attribute__((always_inline)) void group32(const int mode, __m512i q16, const int is_signed,
                                                          const int bias, const float s0, const float s1,
                                                          const float o0, const float o1, int64_t c, const int n,
                                                          const struct gguf_ctx *ctx) {
    const __m256i lo = _mm512_castsi512_si256(q16), hi = _mm512_extracti64x4_epi64(q16, 1);
    if (mode == DEQ) {
        deq16(is_signed ? _mm512_cvtepi16_epi32(lo) : _mm512_cvtepu16_epi32(lo), bias, s0, o0, ctx->out + c);
        deq16(is_signed ? _mm512_cvtepi16_epi32(hi) : _mm512_cvtepu16_epi32(hi), bias, s1, o1, ctx->out + c + 16);
        return;
    }
    const __m512i w = is_signed  /* |q| <= 128 is exact in bf16 */
        ? (__m512i)_mm512_cvtne2ps_pbh(_mm512_cvtepi32_ps(_mm512_cvtepi16_epi32(hi)),
                                       _mm512_cvtepi32_ps(_mm512_cvtepi16_epi32(lo)))
        : _mm512_or_si512(q16, _mm512_set1_epi16(0x4300));
    if (mode == CODES) {  /* weight = scale * number + offset, number = q (signed) or 128 + q */
        const float k = is_signed ? (float)bias : 128.0f + (float)bias;
        _mm512_storeu_si512(ctx->out + c, w);
        ctx->sc[c / 16] = s0, ctx->sc[c / 16 + 1] = s1;
        ctx->of[c / 16] = o0 - k * s0, ctx->of[c / 16 + 1] = o1 - k * s1;
        return;
    }
    const __m512 sv = s0 == s1 ? _mm512_set1_ps(s0) : _mm512_mask_blend_ps(0xff00, _mm512_set1_ps(s0), _mm512_set1_ps(s1));
    const int64_t half = ctx->cols / 2;
    for (int i = 0; i < n; i++) {
        const __m512bh xv = (__m512bh)_mm512_loadu_si512((const void *)(ctx->x + i * ctx->cols + c));
        const __m512 k = is_signed ? _mm512_setzero_ps() : _mm512_loadu_ps(ctx->xk + i * half + c / 2);
        ctx->a[i] = _mm512_fmadd_ps(_mm512_dpbf16_ps(k, (__m512bh)w, xv), sv, ctx->a[i]);
        if (!is_signed && bias == 0)  /* a min a group: Q4_1, Q4_K (o0 == o1) */
            ctx->b[i] = _mm512_fmadd_ps(_mm512_set1_ps(o0 * (-1.0f / 128.0f)), k, ctx->b[i]);
    }
}

static inline __m256i load32(const uint8_t *p) { return _mm256_loadu_si256((const __m256i *)p); }
static inline __m512i widen32(__m256i v) { return _mm512_cvtepu8_epi16(v); }

/* One block (columns c..), per format, through group32. */
static inline __attribute__((always_inline)) void block_groups(const int mode, const int fmt, const uint8_t *b,
                                                               int64_t c, const int n, const struct gguf_ctx *ctx) {
    const __m256i nib = _mm256_set1_epi8(15);
    if (fmt == G_Q8_0) {
        const float d = half_to_f32(b);
        group32(mode, _mm512_cvtepi8_epi16(load32(b + 2)), 1, 0, d, d, 0.0f, 0.0f, c, n, ctx);
    } else if (fmt == G_Q5_0) {  /* low nibbles: columns 0..15, high: 16..31; fifth bits from qh */
        const float d = half_to_f32(b);
        uint32_t qh;
        memcpy(&qh, b + 2, 4);
        const __m256i w = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(b + 6)));
        const __m256i lo = _mm256_and_si256(w, _mm256_set1_epi16(15)), hi = _mm256_srli_epi16(w, 4);
        __m512i q = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
        q = _mm512_mask_add_epi16(q, (__mmask32)qh, q, _mm512_set1_epi16(16));  /* the fifth bits */
        group32(mode, q, 0, 16, d, d, 0.0f, 0.0f, c, n, ctx);
    } else if (fmt == G_Q4_1) {
        const float d = half_to_f32(b), m = half_to_f32(b + 2);
        const __m128i qs = _mm_loadu_si128((const __m128i *)(b + 4)), n4 = _mm_set1_epi8(15);
        const __m256i q = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_and_si128(qs, n4)),
                                                  _mm_and_si128(_mm_srli_epi16(qs, 4), n4), 1);
        group32(mode, widen32(q), 0, 0, d, d, m, m, c, n, ctx);
    } else if (fmt == G_Q4_K) {
        const float d = half_to_f32(b), dmin = half_to_f32(b + 2);
#pragma GCC unroll 4
        for (int k = 0; k < 4; k++) {
            const __m256i q = load32(b + 16 + 32 * k);
            int sc, m;
            scale_min_k4(2 * k, b + 4, &sc, &m);
            float s = d * (float)sc, o = -(dmin * (float)m);
            group32(mode, widen32(_mm256_and_si256(q, nib)), 0, 0, s, s, o, o, c + 64 * k, n, ctx);
            scale_min_k4(2 * k + 1, b + 4, &sc, &m);
            s = d * (float)sc, o = -(dmin * (float)m);
            group32(mode, widen32(_mm256_and_si256(_mm256_srli_epi16(q, 4), nib)), 0, 0, s, s, o, o, c + 64 * k + 32,
                    n, ctx);
        }
    } else {  /* G_Q6_K: scales a 16 columns */
        const float d = half_to_f32(b + 208);
        const __m256i three = _mm256_set1_epi8(3);
#pragma GCC unroll 2
        for (int h = 0; h < 2; h++) {
            const __m256i qh = load32(b + 128 + 32 * h);
            const int8_t *sc = (const int8_t *)(b + 192 + 8 * h);
#pragma GCC unroll 4
            for (int t = 0; t < 4; t++) {
                __m256i ql = load32(b + 64 * h + 32 * (t & 1));
                if (t >> 1) ql = _mm256_srli_epi16(ql, 4);
                const __m256i high = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * t), three), 4);
                const __m256i q = _mm256_or_si256(_mm256_and_si256(ql, nib), high);
                const float s0 = d * (float)sc[2 * t], s1 = d * (float)sc[2 * t + 1];
                group32(mode, widen32(q), 0, 32, s0, s1, 0.0f, 0.0f, c + 128 * h + 32 * t, n, ctx);
            }
        }
    }
}
#endif

#if defined(KOG_GGUF_BF16)
/* The bias each format's codes carry (Q8_0's are signed): kb = -(128 + bias) scales the call's xk. */
static const int g_code_bias[] = {0, 16, 0, 0, 32};

/* R adjacent weight rows of blocks (R * n independent accumulator chains) against n activation rows:
 * acc[r * n + i]. */
static inline __attribute__((always_inline)) void rows_dots_gguf(const uint8_t *w, int64_t bpr, const int fmt,
                                                                 const uint16_t *x, const float *xk, const int R,
                                                                 const int n, int64_t cols, float *acc) {
    const int bw = g_block_weights[fmt], bb = g_block_bytes[fmt];
    __m512 a[4][MAX_ROWS], b[4][MAX_ROWS];
    struct gguf_ctx ctx[4];
    for (int r = 0; r < R; r++) {
        for (int i = 0; i < n; i++) a[r][i] = b[r][i] = _mm512_setzero_ps();
        ctx[r] = (struct gguf_ctx){x, xk, cols, a[r], b[r], NULL, NULL, NULL};
    }
    for (int64_t c = 0, off = 0; c < cols; c += bw, off += bb)
        for (int r = 0; r < R; r++) {
            __builtin_prefetch(w + r * bpr + off + PREFETCH_BYTES);
            block_groups(DOT, fmt, w + r * bpr + off, c, n, &ctx[r]);
        }
    for (int r = 0; r < R; r++)
        for (int i = 0; i < n; i++) acc[r * n + i] = _mm512_reduce_add_ps(_mm512_add_ps(a[r][i], b[r][i]));
}

/* Weight rows processed together for n activation rows: enough independent chains to hide the FMA's
 * latency when n is small. */
#define KOG_ROWS_AT_ONCE(N) ((N) == 1 ? 4 : (N) == 2 ? 2 : 1)
#else
/* One row of blocks against n activation rows (xf: n rows of cols fp32). */
static inline __attribute__((always_inline)) void row_dots_gguf(const uint8_t *w, const int fmt, const float *xf,
                                                                const int n, int64_t cols, float *acc) {
    const int bw = g_block_weights[fmt], bb = g_block_bytes[fmt];
    float buf[256] __attribute__((aligned(64)));
#if KOG_VEC
    vec a[MAX_ROWS];
    for (int i = 0; i < n; i++) a[i] = vzero();
    for (int64_t c = 0; c < cols; c += bw, w += bb) {
        __builtin_prefetch(w + PREFETCH_BYTES);
        decode_block(fmt, w, buf);
        for (int l = 0; l < bw; l += KOG_VEC) {
            const vec wv = vload_x(buf + l);
            for (int i = 0; i < n; i++) a[i] = vfma(wv, vload_x(xf + i * cols + c + l), a[i]);
        }
    }
    for (int i = 0; i < n; i++) acc[i] = vsum(a[i]);
#else
    for (int i = 0; i < n; i++) acc[i] = 0.0f;
    for (int64_t c = 0; c < cols; c += bw, w += bb) {
        decode_block(fmt, w, buf);
        for (int i = 0; i < n; i++)
            for (int l = 0; l < bw; l++) acc[i] += buf[l] * xf[i * cols + c + l];
    }
#endif
}
#endif

/* Rows r0..r1 of one (format, activation rows) pair: a function each, so both are constants inside
 * (an OpenMP region outlines its body once, with them as run-time values and the accumulators in
 * memory: four times slower). `xa` is the call's prepared activations: xk (AVX512-BF16) or fp32 x. */
typedef void (*gguf_rows_fn)(const uint8_t *, int64_t, const uint16_t *, const float *, uint16_t *, int64_t, int64_t,
                             int64_t, int64_t);
#if defined(KOG_GGUF_BF16)
#define KOG_GROWS(FMT, N)                                                                                   \
    static void gguf_rows_##FMT##_##N(const uint8_t *w, int64_t bpr, const uint16_t *x, const float *xa,       \
                                      uint16_t *y, int64_t ldy, int64_t r0, int64_t r1, int64_t cols) {     \
        enum { R = KOG_ROWS_AT_ONCE(N) };                                                                   \
        float acc[R * MAX_ROWS];                                                                            \
        int64_t r = r0;                                                                                     \
        for (; r + R <= r1; r += R) {                                                                       \
            rows_dots_gguf(w + r * bpr, bpr, FMT, x, xa, R, N, cols, acc);                                  \
            for (int k = 0; k < R; k++)                                                                     \
                for (int i = 0; i < N; i++) y[i * ldy + r + k] = f32_to_bf16(acc[k * N + i]);               \
        }                                                                                                   \
        for (; r < r1; r++) {                                                                               \
            rows_dots_gguf(w + r * bpr, bpr, FMT, x, xa, 1, N, cols, acc);                                  \
            for (int i = 0; i < N; i++) y[i * ldy + r] = f32_to_bf16(acc[i]);                               \
        }                                                                                                   \
    }
#else
#define KOG_GROWS(FMT, N)                                                                                   \
    static void gguf_rows_##FMT##_##N(const uint8_t *w, int64_t bpr, const uint16_t *x, const float *xa,       \
                                      uint16_t *y, int64_t ldy, int64_t r0, int64_t r1, int64_t cols) {     \
        (void)x;                                                                                            \
        for (int64_t r = r0; r < r1; r++) {                                                                 \
            float acc[MAX_ROWS];                                                                            \
            row_dots_gguf(w + r * bpr, FMT, xa, N, cols, acc);                                              \
            for (int i = 0; i < N; i++) y[i * ldy + r] = f32_to_bf16(acc[i]);                               \
        }                                                                                                   \
    }
#endif
/* A function NAME_FMT_N for each format and row count 1..8 (M(FMT, N) defines it), and their table
 * [format][rows - 1]. */
#define KOG_EACH_ROWS(M, FMT) M(FMT, 1) M(FMT, 2) M(FMT, 3) M(FMT, 4) M(FMT, 5) M(FMT, 6) M(FMT, 7) M(FMT, 8)
#define KOG_EACH_FORMAT(M) \
    KOG_EACH_ROWS(M, G_Q8_0) KOG_EACH_ROWS(M, G_Q5_0) KOG_EACH_ROWS(M, G_Q4_1) KOG_EACH_ROWS(M, G_Q4_K) \
    KOG_EACH_ROWS(M, G_Q6_K)
#define KOG_ROWS_OF(NAME, FMT) \
    {NAME##_##FMT##_1, NAME##_##FMT##_2, NAME##_##FMT##_3, NAME##_##FMT##_4, \
     NAME##_##FMT##_5, NAME##_##FMT##_6, NAME##_##FMT##_7, NAME##_##FMT##_8}
#define KOG_TABLE(NAME) \
    {KOG_ROWS_OF(NAME, G_Q8_0), KOG_ROWS_OF(NAME, G_Q5_0), KOG_ROWS_OF(NAME, G_Q4_1), KOG_ROWS_OF(NAME, G_Q4_K), \
     KOG_ROWS_OF(NAME, G_Q6_K)}
KOG_EACH_FORMAT(KOG_GROWS)
static const gguf_rows_fn gguf_rows[5][MAX_ROWS] = KOG_TABLE(gguf_rows);
/* NAME_FMT_N: rows r0..r1 of a matrix through ROW (one weight row against N rows of activations
 * prepared as PREP), each result rounded to bf16 once. */
#define KOG_ROWS_FN(NAME, ROW, PREP, FMT, N)                                                                \
    static void NAME##_##FMT##_##N(const uint8_t *w, int64_t bpr, const PREP *p, uint16_t *y, int64_t ldy,   \
                                   int64_t r0, int64_t r1, int64_t cols) {                                  \
        for (int64_t r = r0; r < r1; r++) {                                                                 \
            float acc[MAX_ROWS];                                                                            \
            ROW(w + r * bpr, FMT, p, N, cols, acc);                                                         \
            for (int i = 0; i < N; i++) y[i * ldy + r] = f32_to_bf16(acc[i]);                               \
        }                                                                                                   \
    }

#if defined(__AVX512VNNI__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512DQ__)
#define KOG_GGUF_VNNI 1
/* Integer dot products (AVX512-VNNI) for a few activation rows. Each 32-column group of an activation
 * row becomes 16-bit integers v = x / dx (|v| <= 32512, dx = max|x| / 32512: exact for the bf16 values
 * within 2^8 of the group's largest, otherwise off by under 2^-15 of it), split into a signed high and
 * low byte, v = 256 * hi + lo. The codes are unsigned bytes (Q8_0's flipped to q + 128), so vpdpbusd
 * takes 64 of them against 64 activation bytes: two instructions (hi, lo) a 64 columns, against two
 * vdpbf16ps a 64 columns of the bf16 path plus the widening of every code to 16 bits. Each 32-bit lane
 * sums 4 columns; the lane's sum (256 * dot(hi) + dot(lo) - bias * sum(v), exact in int32) is scaled by
 * its group's weight scale times dx in fp32, and a min a group adds min * dx * sum(v). */
struct vnni_x {   /* n activation rows prepared for one call; cols rounded up to 64 (zeros) */
    int8_t *hi, *lo;  /* [n][cols64] */
    int32_t *k;       /* [n][cols64 / 4]: -bias * (sum of the lane's 4 integers) */
    float *dx, *xs;   /* [n][cols64 / 4]: the lane's group scale dx; dx * the lane's sum (mins) */
    int64_t cols64;
};

static int vnni_prepare(struct vnni_x *p, const uint16_t *x, int64_t n, int64_t cols, int bias) {
    const int64_t c64 = (cols + 63) / 64 * 64, lanes = c64 / 4;
    char *mem = (char *)malloc((size_t)(n * (2 * c64 + lanes * 3 * 4)) + 64);
    if (!mem) return -1;
    p->cols64 = c64;
    p->hi = (int8_t *)mem;
    p->lo = p->hi + n * c64;
    p->k = (int32_t *)(p->lo + n * c64);
    p->dx = (float *)(p->k + n * lanes);
    p->xs = p->dx + n * lanes;
    const __m512i ones = _mm512_set1_epi8(1);
    for (int64_t i = 0; i < n; i++)
        for (int64_t c = 0; c < c64; c += 32) {
            int8_t *hi = p->hi + i * c64 + c, *lo = p->lo + i * c64 + c;
            const int64_t lane = i * lanes + c / 4;
            if (c >= cols) {  /* padding: no weights meet it */
                memset(hi, 0, 32), memset(lo, 0, 32);
                for (int l = 0; l < 8; l++) p->k[lane + l] = 0, p->dx[lane + l] = p->xs[lane + l] = 0.0f;
                continue;
            }
            const uint16_t *xc = x + i * cols + c;
            const __m512 x0 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)xc)), 16));
            const __m512 x1 = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(xc + 16))), 16));
            const float m = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(x0), _mm512_abs_ps(x1)));
            const float dx = m > 0.0f ? m / 32512.0f : 0.0f, inv = m > 0.0f ? 32512.0f / m : 0.0f;
            __m512i v[2] = {_mm512_cvtps_epi32(_mm512_mul_ps(x0, _mm512_set1_ps(inv))),
                            _mm512_cvtps_epi32(_mm512_mul_ps(x1, _mm512_set1_ps(inv)))};
            for (int h = 0; h < 2; h++) {
                /* clamp: a rounding of exactly 32512.5 cannot happen, but keep the bytes in range */
                v[h] = _mm512_max_epi32(_mm512_min_epi32(v[h], _mm512_set1_epi32(32512)), _mm512_set1_epi32(-32512));
                const __m512i vh = _mm512_srai_epi32(_mm512_add_epi32(v[h], _mm512_set1_epi32(128)), 8);
                const __m512i vl = _mm512_sub_epi32(v[h], _mm512_slli_epi32(vh, 8));
                _mm_storeu_si128((__m128i *)(hi + 16 * h), _mm512_cvtepi32_epi8(vh));
                _mm_storeu_si128((__m128i *)(lo + 16 * h), _mm512_cvtepi32_epi8(vl));
            }
            /* each lane's sum of 4 integers: 256 * sum(hi) + sum(lo) */
            const __m256i hs = _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm512_castsi512_si256(ones),
                                                   _mm256_loadu_si256((const __m256i *)hi));
            const __m256i ls = _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm512_castsi512_si256(ones),
                                                   _mm256_loadu_si256((const __m256i *)lo));
            const __m256i s4 = _mm256_add_epi32(_mm256_slli_epi32(hs, 8), ls);
            _mm256_storeu_si256((__m256i *)(p->k + lane), _mm256_mullo_epi32(s4, _mm256_set1_epi32(-bias)));
            _mm256_storeu_ps(p->dx + lane, _mm256_set1_ps(dx));
            _mm256_storeu_ps(p->xs + lane, _mm256_mul_ps(_mm256_cvtepi32_ps(s4), _mm256_set1_ps(dx)));
        }
    return 0;
}

/* Scale (and min) vectors of a 256-column block, one lane a 16 (Q6_K) or 32 (Q4_K) columns. */
static inline __m512 q6k_scales(const uint8_t *b) {
    return _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(b + 192)))),
                         _mm512_set1_ps(half_to_f32(b + 208)));
}

static inline void q4k_scales(const uint8_t *b, __m512 *s, __m512 *m) {
    uint32_t u[3];
    memcpy(u, b + 4, 12);
    const uint64_t sc = (uint64_t)(u[0] & 0x3f3f3f3fu) |
                        (uint64_t)((u[2] & 0x0f0f0f0fu) | (((u[0] >> 6) & 0x03030303u) << 4)) << 32;
    const uint64_t mn = (uint64_t)(u[1] & 0x3f3f3f3fu) |
                        (uint64_t)(((u[2] >> 4) & 0x0f0f0f0fu) | (((u[1] >> 6) & 0x03030303u) << 4)) << 32;
    *s = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_cvtsi64_si128((long long)sc))),
                       _mm512_set1_ps(half_to_f32(b)));
    *m = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_cvtsi64_si128((long long)mn))),
                       _mm512_set1_ps(-half_to_f32(b + 2)));
}

/* Two 32-column blocks (b0, and b1 unless NULL: the row's odd last block) of a 32-column format as 64
 * codes in column order, with their scales (and mins) a lane. */
static inline __attribute__((always_inline)) __m512i pair_codes(const int fmt, const uint8_t *b0, const uint8_t *b1,
                                                                __m512 *sw, __m512 *mv) {
    const int bb = g_block_bytes[fmt];
    const float d0 = half_to_f32(b0), d1 = b1 ? half_to_f32(b1) : 0.0f;
    *sw = _mm512_insertf32x8(_mm512_set1_ps(d0), _mm256_set1_ps(d1), 1);
    if (fmt == G_Q8_0) {
        const __m256i q0 = _mm256_loadu_si256((const __m256i *)(b0 + 2));
        const __m256i q1 = b1 ? _mm256_loadu_si256((const __m256i *)(b1 + 2)) : _mm256_set1_epi8((char)0x80);
        return _mm512_xor_si512(_mm512_inserti64x4(_mm512_castsi256_si512(q0), q1, 1), _mm512_set1_epi8((char)0x80));
    }
    /* 16 bytes of nibbles a block: low nibbles columns 0..15, high 16..31 */
    const int at = fmt == G_Q5_0 ? 6 : 4;
    const __m128i n0 = _mm_loadu_si128((const __m128i *)(b0 + at));
    const __m128i n1 = b1 ? _mm_loadu_si128((const __m128i *)(b1 + at)) : _mm_setzero_si128();
    __m512i z = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_broadcastsi128_si256(n0)), _mm256_broadcastsi128_si256(n1), 1);
    z = _mm512_and_si512(_mm512_srlv_epi16(z, _mm512_set_epi64(0x0004000400040004LL, 0x0004000400040004LL, 0, 0, 0x0004000400040004LL, 0x0004000400040004LL, 0, 0)), _mm512_set1_epi8(15));
    if (fmt == G_Q5_0) {
        uint32_t h0, h1 = 0;
        memcpy(&h0, b0 + 2, 4);
        if (b1) memcpy(&h1, b1 + 2, 4);
        z = _mm512_mask_add_epi8(z, (__mmask64)h0 | (__mmask64)h1 << 32, z, _mm512_set1_epi8(16));
    } else {  /* Q4_1: m */
        *mv = _mm512_insertf32x8(_mm512_set1_ps(half_to_f32(b0 + 2)), _mm256_set1_ps(b1 ? half_to_f32(b1 + 2) : 0.0f), 1);
    }
    (void)bb;
    return z;
}

/* Rows of the chunk's codes against n prepared activation rows, at lane l (= column / 4). */
static inline __attribute__((always_inline)) void vnni_rows(const __m512i codes, const __m512 sw, const __m512 mv,
                                                            const int has_min, const struct vnni_x *p, int64_t l,
                                                            const int n, __m512 *a, __m512 *b) {
    const int64_t c64 = p->cols64, lanes = c64 / 4;
    for (int i = 0; i < n; i++) {
        const __m512i lo = _mm512_dpbusd_epi32(_mm512_loadu_si512(p->k + i * lanes + l), codes,
                                               _mm512_loadu_si512(p->lo + i * c64 + 4 * l));
        const __m512i hi = _mm512_dpbusd_epi32(_mm512_setzero_si512(), codes, _mm512_loadu_si512(p->hi + i * c64 + 4 * l));
        const __m512 t = _mm512_cvtepi32_ps(_mm512_add_epi32(_mm512_slli_epi32(hi, 8), lo));
        a[i] = _mm512_fmadd_ps(t, _mm512_mul_ps(sw, _mm512_loadu_ps(p->dx + i * lanes + l)), a[i]);
        if (has_min) b[i] = _mm512_fmadd_ps(mv, _mm512_loadu_ps(p->xs + i * lanes + l), b[i]);
    }
}

/* One weight row of blocks against n prepared activation rows. */
static inline __attribute__((always_inline)) void vnni_row(const uint8_t *w, const int fmt, const struct vnni_x *p,
                                                           const int n, int64_t cols, float *acc) {
    __m512 a[MAX_ROWS], b[MAX_ROWS];
    for (int i = 0; i < n; i++) a[i] = b[i] = _mm512_setzero_ps();
    const __m512 none = _mm512_setzero_ps();
    if (fmt == G_Q8_0 || fmt == G_Q5_0 || fmt == G_Q4_1) {
        const int bb = g_block_bytes[fmt], has_min = fmt == G_Q4_1;
        const int64_t blocks = cols / 32;
        int64_t j = 0;
        for (; j + 2 <= blocks; j += 2) {
            __builtin_prefetch(w + j * bb + PREFETCH_BYTES);
            __m512 sw, mv = none;
            const __m512i q = pair_codes(fmt, w + j * bb, w + (j + 1) * bb, &sw, &mv);
            vnni_rows(q, sw, mv, has_min, p, j * 8, n, a, b);
        }
        if (j < blocks) {
            __m512 sw, mv = none;
            const __m512i q = pair_codes(fmt, w + j * bb, NULL, &sw, &mv);
            vnni_rows(q, sw, mv, has_min, p, j * 8, n, a, b);
        }
    } else if (fmt == G_Q4_K) {
        for (int64_t c = 0; c < cols; c += 256, w += 144) {
            __builtin_prefetch(w + PREFETCH_BYTES);
            __builtin_prefetch(w + PREFETCH_BYTES + 64);
            __m512 s, m;
            q4k_scales(w, &s, &m);
#pragma GCC unroll 4
            for (int k = 0; k < 4; k++) {  /* 32 bytes: low nibbles columns 64k.., high 64k + 32.. */
                __m512i z = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(w + 16 + 32 * k)));
                z = _mm512_and_si512(_mm512_srlv_epi16(z, _mm512_set_epi64(0x0004000400040004LL, 0x0004000400040004LL, 0x0004000400040004LL, 0x0004000400040004LL, 0, 0, 0, 0)), _mm512_set1_epi8(15));
                const __m512i idx = _mm512_set_epi32(2 * k + 1, 2 * k + 1, 2 * k + 1, 2 * k + 1, 2 * k + 1, 2 * k + 1,
                                                     2 * k + 1, 2 * k + 1, 2 * k, 2 * k, 2 * k, 2 * k, 2 * k, 2 * k,
                                                     2 * k, 2 * k);
                vnni_rows(z, _mm512_permutexvar_ps(idx, s), _mm512_permutexvar_ps(idx, m), 1, p, c / 4 + 16 * k, n, a,
                          b);
            }
        }
    } else {  /* Q6_K */
        for (int64_t c = 0; c < cols; c += 256, w += 210) {
            __builtin_prefetch(w + PREFETCH_BYTES);
            __builtin_prefetch(w + PREFETCH_BYTES + 64);
            __builtin_prefetch(w + PREFETCH_BYTES + 128);
            const __m512 s = q6k_scales(w);
#pragma GCC unroll 2
            for (int h = 0; h < 2; h++) {
                const __m512i ql = _mm512_loadu_si512(w + 64 * h);
                const __m512i qh = _mm512_broadcast_i64x4(_mm256_loadu_si256((const __m256i *)(w + 128 + 32 * h)));
                const __m512i zs = _mm512_srlv_epi16(qh, _mm512_set_epi64(0x0002000200020002LL, 0x0002000200020002LL, 0x0002000200020002LL, 0x0002000200020002LL, 0, 0, 0, 0));
                const __m512i h0 = _mm512_and_si512(_mm512_slli_epi16(zs, 4), _mm512_set1_epi8(0x30));
                const __m512i h1 = _mm512_and_si512(zs, _mm512_set1_epi8(0x30));
                const __m512i q0 = _mm512_or_si512(_mm512_and_si512(ql, _mm512_set1_epi8(15)), h0);
                const __m512i q1 = _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(ql, 4), _mm512_set1_epi8(15)), h1);
                /* lane l of chunk t (columns 128h + 64t + 4l) takes scale 8h + 4t + l / 4 */
                const __m512i i0 = _mm512_add_epi32(_mm512_srli_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0), 2),
                                                    _mm512_set1_epi32(8 * h));
                vnni_rows(q0, _mm512_permutexvar_ps(i0, s), none, 0, p, c / 4 + 32 * h, n, a, b);
                vnni_rows(q1, _mm512_permutexvar_ps(_mm512_add_epi32(i0, _mm512_set1_epi32(4)), s), none, 0, p,
                          c / 4 + 32 * h + 16, n, a, b);
            }
        }
    }
    for (int i = 0; i < n; i++) acc[i] = _mm512_reduce_add_ps(_mm512_add_ps(a[i], b[i]));
}

typedef void (*vnni_rows_fn)(const uint8_t *, int64_t, const struct vnni_x *, uint16_t *, int64_t, int64_t, int64_t,
                             int64_t);
#define KOG_VROWS(FMT, N) KOG_ROWS_FN(vnni_rows, vnni_row, struct vnni_x, FMT, N)
#define KOG_VROWS_ALL(FMT) KOG_VROWS(FMT, 1) KOG_VROWS(FMT, 2)
KOG_VROWS_ALL(G_Q8_0)
KOG_VROWS_ALL(G_Q5_0)
KOG_VROWS_ALL(G_Q4_1)
KOG_VROWS_ALL(G_Q4_K)
KOG_VROWS_ALL(G_Q6_K)
/* Activation rows up to which the integer path runs: each row costs it two vpdpbusd, a conversion and
 * two FMAs a 64 columns, so from three rows on the bf16 path (one vdpbf16ps and one FMA a 32 columns
 * and row, the codes decoded once) is as fast or faster. */
#define VNNI_ROWS 2
#define KOG_VROWS_ROW(FMT) {vnni_rows_##FMT##_1, vnni_rows_##FMT##_2}
static const vnni_rows_fn vnni_fns[5][VNNI_ROWS] = {KOG_VROWS_ROW(G_Q8_0), KOG_VROWS_ROW(G_Q5_0),
                                                        KOG_VROWS_ROW(G_Q4_1), KOG_VROWS_ROW(G_Q4_K),
                                                        KOG_VROWS_ROW(G_Q6_K)};
static const int g_vnni_bias[] = {128, 16, 0, 0, 32};
#endif

#if !defined(KOG_GGUF_VNNI) && defined(__AVX2__) && defined(__FMA__)
#define KOG_GGUF_I16 1
/* Integer dot products on AVX2, for any number of activation rows. Each 32-column group of an activation
 * row becomes 16-bit integers v = x / dx (|v| <= 32512, dx = max|x| / 32512), as for the AVX512-VNNI path.
 * A block's codes, their bias taken off and widened to 16 bits, meet them in vpmaddwd: 16 products an
 * instruction, summed in pairs in int32. A lane's sum of 4 products stays under 2^24 (|code| <= 128), so
 * it converts to fp32 exactly; it is scaled by the group's weight scale times dx, and a min a group adds
 * min * dx * sum(v). Against the plain path, which decodes every block to fp32 and runs one FMA a
 * weight and row, this takes one vpmaddwd a 16 weights and row and reads the codes as stored. */
struct i16_x {  /* n activation rows prepared for one call */
    int16_t *v;          /* [n][cols] */
    float *dx, *xs;      /* [n][cols / 32]: the group's dx; dx * the group's sum of v (mins) */
    int64_t cols, groups;
};

static struct i16_x *i16_prepare(const uint16_t *x, int64_t n, int64_t cols) {
    const int64_t groups = cols / 32;
    struct i16_x *p = (struct i16_x *)malloc(sizeof *p + (size_t)(n * cols) * 2 + (size_t)(2 * n * groups) * 4);
    if (!p) return NULL;
    p->v = (int16_t *)(p + 1);
    p->dx = (float *)(p->v + n * cols);
    p->xs = p->dx + n * groups;
    p->cols = cols, p->groups = groups;
    for (int64_t i = 0; i < n; i++)
        for (int64_t g = 0; g < groups; g++) {
            const uint16_t *xc = x + i * cols + 32 * g;
            float xf[32], m = 0.0f;
            for (int l = 0; l < 32; l++) {
                xf[l] = bf16_to_f32(xc[l]);
                const float a = xf[l] < 0.0f ? -xf[l] : xf[l];
                m = a > m ? a : m;
            }
            const float dx = m > 0.0f ? m / 32512.0f : 0.0f, inv = m > 0.0f ? 32512.0f / m : 0.0f;
            int16_t *v = p->v + i * cols + 32 * g;
            int32_t sum = 0;
            for (int l = 0; l < 32; l += 8) {  /* round to nearest even, as vcvtps2dq does */
                __m256i q = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(xf + l), _mm256_set1_ps(inv)));
                q = _mm256_max_epi32(_mm256_min_epi32(q, _mm256_set1_epi32(32512)), _mm256_set1_epi32(-32512));
                int32_t lanes[8];
                _mm256_storeu_si256((__m256i *)lanes, q);
                for (int k = 0; k < 8; k++) v[l + k] = (int16_t)lanes[k], sum += lanes[k];
            }
            p->dx[i * groups + g] = dx;
            p->xs[i * groups + g] = dx * (float)sum;
        }
    return p;
}

/* 32 columns of codes (c0: the group's columns 0..15, c1: 16..31) against group g of n activation rows,
 * both halves at scale d: a[i] += d * dx * (c0 . v + c1 . v), by lanes. */
static inline __attribute__((always_inline)) void i16_group(const __m256i c0, const __m256i c1, const float d,
                                                            const struct i16_x *p, int64_t g, const int n, __m256 *a) {
    for (int i = 0; i < n; i++) {
        const int16_t *v = p->v + i * p->cols + 32 * g;
        const __m256i s = _mm256_add_epi32(_mm256_madd_epi16(c0, _mm256_loadu_si256((const __m256i *)v)),
                                           _mm256_madd_epi16(c1, _mm256_loadu_si256((const __m256i *)(v + 16))));
        a[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), _mm256_set1_ps(d * p->dx[i * p->groups + g]), a[i]);
    }
}

/* The same with a scale a half (Q6_K's 16-column sub-blocks): d0 into a, d1 into b. */
static inline __attribute__((always_inline)) void i16_halves(const __m256i c0, const __m256i c1, const float d0,
                                                             const float d1, const struct i16_x *p, int64_t g,
                                                             const int n, __m256 *a, __m256 *b) {
    for (int i = 0; i < n; i++) {
        const int16_t *v = p->v + i * p->cols + 32 * g;
        const float dx = p->dx[i * p->groups + g];
        const __m256i s0 = _mm256_madd_epi16(c0, _mm256_loadu_si256((const __m256i *)v));
        const __m256i s1 = _mm256_madd_epi16(c1, _mm256_loadu_si256((const __m256i *)(v + 16)));
        a[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s0), _mm256_set1_ps(d0 * dx), a[i]);
        b[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s1), _mm256_set1_ps(d1 * dx), b[i]);
    }
}

/* Byte j = 16 where bit j of the 32 bits is set (Q5_0's fifth bits, column j). */
static inline __m256i fifth_bits(uint32_t bits) {
    const __m256i sel = _mm256_set1_epi64x(0x8040201008040201LL);
    /* byte j takes byte j / 8 of the bits; the shuffle stays within each 128-bit lane */
    const __m256i rep = _mm256_shuffle_epi8(_mm256_set1_epi32((int)bits),
                                            _mm256_setr_epi64x(0, 0x0101010101010101LL, 0x0202020202020202LL,
                                                               0x0303030303030303LL));
    return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(rep, sel), sel), _mm256_set1_epi8(16));
}

/* The 16-bit codes of 32 bytes (signed), as two halves. */
static inline void widen_signed(const __m256i q, __m256i *c0, __m256i *c1) {
    *c0 = _mm256_cvtepi8_epi16(_mm256_castsi256_si128(q));
    *c1 = _mm256_cvtepi8_epi16(_mm256_extracti128_si256(q, 1));
}

/* One weight row of blocks against n prepared activation rows. */
static inline __attribute__((always_inline)) void i16_row(const uint8_t *w, const int fmt, const struct i16_x *p,
                                                          const int n, int64_t cols, float *acc) {
    __m256 a[MAX_ROWS], b[MAX_ROWS];
    float mins[MAX_ROWS];
    for (int i = 0; i < n; i++) a[i] = b[i] = _mm256_setzero_ps(), mins[i] = 0.0f;
    if (fmt == G_Q8_0 || fmt == G_Q5_0 || fmt == G_Q4_1) {
        const int bb = g_block_bytes[fmt];
        for (int64_t g = 0; g < cols / 32; g++, w += bb) {
            __builtin_prefetch(w + PREFETCH_BYTES);
            const float d = half_to_f32(w);
            __m256i c0, c1;
            if (fmt == G_Q8_0) {
                c0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + 2)));
                c1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(w + 18)));
            } else if (fmt == G_Q5_0) {  /* 16 bytes of nibbles (low: columns 0..15, high: 16..31), 32 bits */
                const __m128i qs = _mm_loadu_si128((const __m128i *)(w + 6));
                __m256i z = _mm256_and_si256(_mm256_inserti128_si256(_mm256_castsi128_si256(qs), _mm_srli_epi16(qs, 4), 1),
                                             _mm256_set1_epi8(15));
                uint32_t h;
                memcpy(&h, w + 2, 4);
                z = _mm256_sub_epi8(_mm256_or_si256(z, fifth_bits(h)), _mm256_set1_epi8(16));
                widen_signed(z, &c0, &c1);
            } else {  /* Q4_1, d * q + m: 16 bytes of nibbles */
                const __m128i qs = _mm_loadu_si128((const __m128i *)(w + 4)), low4 = _mm_set1_epi8(15);
                c0 = _mm256_cvtepu8_epi16(_mm_and_si128(qs, low4));
                c1 = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(qs, 4), low4));
                const float m = half_to_f32(w + 2);
                for (int i = 0; i < n; i++) mins[i] += m * p->xs[i * p->groups + g];
            }
            i16_group(c0, c1, d, p, g, n, (g & 1) ? b : a);
        }
    } else if (fmt == G_Q4_K) {
        for (int64_t c = 0; c < cols; c += 256, w += 144) {
            __builtin_prefetch(w + PREFETCH_BYTES);
            __builtin_prefetch(w + PREFETCH_BYTES + 64);
            const float d = half_to_f32(w), dmin = half_to_f32(w + 2);
            for (int k = 0; k < 4; k++) {  /* 32 bytes: low nibbles sub-block 2k, high nibbles 2k + 1 */
                const __m256i q = _mm256_loadu_si256((const __m256i *)(w + 16 + 32 * k));
                const __m256i lo = _mm256_and_si256(q, _mm256_set1_epi8(15));
                const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), _mm256_set1_epi8(15));
                for (int h = 0; h < 2; h++) {
                    const __m256i z = h ? hi : lo;
                    const int j = 2 * k + h;
                    const int64_t g = c / 32 + j;
                    int sc, mn;
                    scale_min_k4(j, w + 4, &sc, &mn);
                    i16_group(_mm256_cvtepu8_epi16(_mm256_castsi256_si128(z)),
                              _mm256_cvtepu8_epi16(_mm256_extracti128_si256(z, 1)), d * (float)sc, p, g, n, h ? b : a);
                    const float m = dmin * (float)mn;
                    for (int i = 0; i < n; i++) mins[i] -= m * p->xs[i * p->groups + g];
                }
            }
        }
    } else {  /* Q6_K: 128 bytes ql, 64 qh, 16 int8 scales, d */
        for (int64_t c = 0; c < cols; c += 256, w += 210) {
            __builtin_prefetch(w + PREFETCH_BYTES);
            __builtin_prefetch(w + PREFETCH_BYTES + 64);
            __builtin_prefetch(w + PREFETCH_BYTES + 128);
            const float d = half_to_f32(w + 208);
            const int8_t *sc = (const int8_t *)(w + 192);
            for (int h = 0; h < 2; h++) {  /* 128 columns: ql[64h..], qh[32h..], scales[8h..] */
                const __m256i l0 = _mm256_loadu_si256((const __m256i *)(w + 64 * h));
                const __m256i l1 = _mm256_loadu_si256((const __m256i *)(w + 64 * h + 32));
                const __m256i qh = _mm256_loadu_si256((const __m256i *)(w + 128 + 32 * h));
                const __m256i m4 = _mm256_set1_epi8(15), m2 = _mm256_set1_epi8(0x30), bias = _mm256_set1_epi8(32);
                __m256i q[4];  /* columns 32t..32t + 31 of the half: a low or high nibble and two bits of qh */
                q[0] = _mm256_or_si256(_mm256_and_si256(l0, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 4), m2));
                q[1] = _mm256_or_si256(_mm256_and_si256(l1, m4), _mm256_and_si256(_mm256_slli_epi16(qh, 2), m2));
                q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l0, 4), m4), _mm256_and_si256(qh, m2));
                q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(l1, 4), m4),
                                       _mm256_and_si256(_mm256_srli_epi16(qh, 2), m2));
                for (int t = 0; t < 4; t++) {
                    __m256i c0, c1;
                    widen_signed(_mm256_sub_epi8(q[t], bias), &c0, &c1);
                    i16_halves(c0, c1, d * (float)sc[8 * h + 2 * t], d * (float)sc[8 * h + 2 * t + 1], p,
                               (c + 128 * h) / 32 + t, n, a, b);
                }
            }
        }
    }
    for (int i = 0; i < n; i++) {  /* (vsum is 512 bits wide in an AVX-512 build without VNNI) */
        const __m256 t = _mm256_add_ps(a[i], b[i]);
        __m128 h = _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
        h = _mm_add_ps(h, _mm_movehl_ps(h, h));
        acc[i] = _mm_cvtss_f32(_mm_add_ss(h, _mm_movehdup_ps(h))) + mins[i];
    }
}

typedef void (*i16_rows_fn)(const uint8_t *, int64_t, const struct i16_x *, uint16_t *, int64_t, int64_t, int64_t,
                            int64_t);
#define KOG_IROWS(FMT, N) KOG_ROWS_FN(i16_rows, i16_row, struct i16_x, FMT, N)
KOG_EACH_FORMAT(KOG_IROWS)
static const i16_rows_fn i16_fns[5][MAX_ROWS] = KOG_TABLE(i16_rows);
#endif

static int gguf_shape_ok(int fmt, int64_t bpr, int64_t cols) {
    return fmt >= G_Q8_0 && fmt <= G_Q6_K && cols > 0 && cols % g_block_weights[fmt] == 0 &&
           bpr == cols / g_block_weights[fmt] * g_block_bytes[fmt];
}

#if defined(KOG_GGUF_BF16) && defined(__AMX_TILE__) && defined(__AMX_BF16__) && defined(__linux__)
#define KOG_GGUF_AMX 1
/* Passes of 3..8 activation rows on AMX tiles. For 16 weight rows at a time, each block's codes are
 * written as the bf16 numbers the other paths use (q, or 128 + q: exact) with each 16 columns' scale
 * and offset; tdpbf16ps multiplies a group's numbers (32 columns, 16 for Q6_K's scales) by the
 * activation rows (exact products, fp32 sums), and the group's 16 x n sums are scaled into fp32
 * accumulators, the offsets meeting the activations' group sums. The codes are decoded once for all
 * rows, so a pass of 8 rows costs little more than one of 3. */
struct amx_tiles {  /* the LDTILECFG layout (palette 1) */
    uint8_t palette, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
};

/* Whether this process may use the AMX tile registers (Linux grants them on request, once). */
static int amx_ready(void) {
    static int state = 0;  /* 0 not asked, 1 granted, -1 refused */
    if (state == 0) state = syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 18 /* XTILEDATA */) == 0 ? 1 : -1;
    return state == 1;
}

struct amx_x {      /* n activation rows prepared for one call */
    uint16_t *b;    /* the B operand: for each column pair, the n rows' pairs (bf16) */
    float *xs;      /* [cols / 16][n]: each 16 columns' sum (fp32) */
};

static struct amx_x *amx_prepare(const uint16_t *x, int64_t n, int64_t cols) {
    struct amx_x *p = (struct amx_x *)malloc(sizeof *p + (size_t)(n * cols) * 2 + (size_t)(n * cols / 16) * 4);
    if (!p) return NULL;
    p->xs = (float *)(p + 1);
    p->b = (uint16_t *)(p->xs + n * cols / 16);
    for (int64_t c = 0; c < cols; c += 2)
        for (int64_t i = 0; i < n; i++) {
            p->b[c * n + 2 * i] = x[i * cols + c];
            p->b[c * n + 2 * i + 1] = x[i * cols + c + 1];
        }
    for (int64_t g = 0; g < cols / 16; g++)
        for (int64_t i = 0; i < n; i++) {
            float t = 0.0f;
            for (int l = 0; l < 16; l++) t += bf16_to_f32(x[i * cols + 16 * g + l]);
            p->xs[g * n + i] = t;
        }
    return p;
}

#define AMX_ROWS 16
/* From this many activation rows on the tiles beat the bf16 path (which takes a vdpbf16ps and an FMA a
 * 32 columns and row, against the tiles' fixed cost a group: their epilogue over 16 weight rows). */
#define AMX_MIN_ROWS 5
/* Weight rows r0..r1 of format fmt against the n prepared activation rows. */
static void amx_rows(const int fmt, const uint8_t *w, int64_t bpr, const struct amx_x *x, uint16_t *y, int64_t ldy,
                     int64_t n, int64_t r0, int64_t r1, int64_t cols) {
    const int bw = g_block_weights[fmt], bb = g_block_bytes[fmt], gw = fmt == G_Q6_K ? 16 : 32;
    uint16_t a[AMX_ROWS * 256] __attribute__((aligned(64)));  /* 16 rows of one block's numbers */
    float sc[AMX_ROWS * 16], of[AMX_ROWS * 16];
    float sums[AMX_ROWS * 8] __attribute__((aligned(64)));  /* a group's products, 8 floats a weight row */
    struct amx_tiles cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.palette = 1;
    cfg.rows[0] = AMX_ROWS, cfg.colsb[0] = (uint16_t)(4 * n);   /* C: weight rows x activation rows */
    cfg.rows[1] = AMX_ROWS, cfg.colsb[1] = (uint16_t)(2 * gw);  /* A: weight rows x a group's numbers */
    cfg.rows[2] = (uint8_t)(gw / 2), cfg.colsb[2] = (uint16_t)(4 * n);  /* B: column pairs x rows */
    _tile_loadconfig(&cfg);
    memset(sums, 0, sizeof sums);
    for (int64_t r = r0; r < r1; r += AMX_ROWS) {
        const int64_t m = r1 - r < AMX_ROWS ? r1 - r : AMX_ROWS;
        if (m < AMX_ROWS) {  /* missing rows: zero numbers, scales and offsets */
            memset(a, 0, sizeof a), memset(sc, 0, sizeof sc), memset(of, 0, sizeof of);
        }
        __m256 acc[AMX_ROWS];
        for (int k = 0; k < AMX_ROWS; k++) acc[k] = _mm256_setzero_ps();
        for (int64_t c0 = 0; c0 < cols; c0 += bw) {
            for (int64_t k = 0; k < m; k++) {
                const uint8_t *blk = w + (r + k) * bpr + c0 / bw * bb;
                __builtin_prefetch(blk + PREFETCH_BYTES);
                const struct gguf_ctx ctx = {NULL, NULL, cols, NULL, NULL, a + k * bw, sc + k * 16, of + k * 16};
                block_groups(CODES, fmt, blk, 0, 0, &ctx);
            }
            for (int g = 0; g < bw; g += gw) {
                _tile_zero(0);
                _tile_loadd(1, a + g, bw * 2);
                _tile_loadd(2, x->b + (c0 + g) * n, 4 * n);
                _tile_dpbf16ps(0, 1, 2);
                _tile_stored(0, sums, 32);
                const float *xs = x->xs + (c0 + g) / 16 * n;
                __m256 s16 = _mm256_loadu_ps(xs);  /* lanes past n: unused */
                if (gw == 32) s16 = _mm256_add_ps(s16, _mm256_loadu_ps(xs + n));
#pragma GCC unroll 16
                for (int k = 0; k < AMX_ROWS; k++) {
                    acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(sc[k * 16 + g / 16]), _mm256_load_ps(sums + 8 * k), acc[k]);
                    acc[k] = _mm256_fmadd_ps(_mm256_set1_ps(of[k * 16 + g / 16]), s16, acc[k]);
                }
            }
        }
        float out[AMX_ROWS * 8];
        for (int k = 0; k < AMX_ROWS; k++) _mm256_storeu_ps(out + 8 * k, acc[k]);
        for (int64_t k = 0; k < m; k++)
            for (int64_t i = 0; i < n; i++) y[i * ldy + r + k] = f32_to_bf16(out[8 * k + i]);
    }
    _tile_release();
}
#endif

/* How a call's products run: integer dot products (one or two rows), AMX tiles (more rows), or the
 * bf16 / plain path. `kog_gguf_allow` can take the first two away (tests run every path). */
enum { M_PLAIN, M_VNNI, M_AMX, M_I16 };
static int g_allow_vnni = 1, g_allow_amx = 1;

void kog_gguf_allow(int vnni, int amx) { g_allow_vnni = vnni, g_allow_amx = amx; }

/* The block paths this build has: 1 integer dot products (AVX512-VNNI, or AVX2: then 8 as well), 2 bf16 dot
 * products, 4 AMX tiles. */
int kog_gguf_paths(void) {
    int paths = 0;
#if defined(KOG_GGUF_VNNI)
    paths |= 1;
#endif
#if defined(KOG_GGUF_BF16)
    paths |= 2;
#endif
#if defined(KOG_GGUF_AMX)
    paths |= 4;
#endif
#if defined(KOG_GGUF_I16)
    paths |= 1 | 8;
#endif
    return paths;
}

static int gguf_mode(int64_t n) {
#if defined(KOG_GGUF_VNNI)
    if (n <= VNNI_ROWS && g_allow_vnni) return M_VNNI;
#endif
#if defined(KOG_GGUF_I16)
    if (g_allow_vnni) return M_I16;
#endif
#if defined(KOG_GGUF_AMX)
    if (n >= AMX_MIN_ROWS && g_allow_amx && amx_ready()) return M_AMX;
#endif
    (void)n;
    return M_PLAIN;
}

/* A call's activations, prepared for the parts whose codes carry one bias: the integer path's bytes
 * and lane sums (struct vnni_x), the AMX path's B operand, the bf16 path's xk, or fp32 x (the other
 * builds). NULL: out of memory. */
static void *gguf_prepare(int fmt, int mode, const uint16_t *x, int64_t n, int64_t cols) {
#if defined(KOG_GGUF_VNNI)
    if (mode == M_VNNI) {
        struct vnni_x *p = (struct vnni_x *)malloc(sizeof *p);
        if (p && vnni_prepare(p, x, n, cols, g_vnni_bias[fmt]) != 0) free(p), p = NULL;
        return p;
    }
#endif
#if defined(KOG_GGUF_AMX)
    if (mode == M_AMX) return amx_prepare(x, n, cols);
#endif
#if defined(KOG_GGUF_I16)
    if (mode == M_I16) return i16_prepare(x, n, cols);
#endif
    (void)mode;
#if defined(KOG_GGUF_BF16)
    /* xk: kb * (x[2l] + x[2l + 1]), the format's bias against each lane's pair of columns */
    float *xa = (float *)malloc((size_t)(n * cols / 2) * sizeof(float));
    const float kb = -(128.0f + (float)g_code_bias[fmt]);
    if (xa)
        for (int64_t l = 0; l < n * cols / 2; l++) xa[l] = kb * (bf16_to_f32(x[2 * l]) + bf16_to_f32(x[2 * l + 1]));
    return xa;
#else
    (void)fmt;
    return widen(x, n * cols);
#endif
}

static void gguf_release(void *prep, int mode) {
#if defined(KOG_GGUF_VNNI)
    if (mode == M_VNNI && prep) free(((struct vnni_x *)prep)->hi);
#endif
    (void)mode;
    free(prep);
}

/* Which prepared activations a format's part reads (its code bias; one set for AMX and plain builds). */
static int gguf_slot(int fmt, int mode) {
    if (mode == M_AMX || mode == M_I16) return 0;
#if defined(KOG_GGUF_VNNI)
    if (mode == M_VNNI) return fmt == G_Q8_0 ? 3 : fmt == G_Q5_0 ? 1 : fmt == G_Q6_K ? 2 : 0;
#endif
#if defined(KOG_GGUF_BF16)
    return fmt == G_Q5_0 ? 1 : fmt == G_Q6_K ? 2 : 0;
#else
    (void)fmt;
    return 0;
#endif
}

/* y[i, r] (bf16, row stride ldy) = x[i, :] (bf16) . row r of the matrix made of `parts` matrices of
 * GGUF blocks stacked by rows (part p: format fmt[p] (0 Q8_0, 1 Q5_0, 2 Q4_1, 3 Q4_K, 4 Q6_K), rows[p]
 * rows of bpr[p] bytes at w[p]; every part cols wide), for n <= 8 rows of x. The threads split the
 * stacked rows, so q/k/v or gate/up take one pass. Returns 0, or -1 for a bad format / shape / row
 * count or no memory (y untouched). */
int kog_matvec_gguf_parts(int64_t parts, const int *fmt, const uint8_t *const *w, const int64_t *bpr,
                          const int64_t *rows, const uint16_t *x, uint16_t *y, int64_t ldy, int64_t n, int64_t cols) {
    if (n < 1 || n > MAX_ROWS || parts < 1) return -1;
    int64_t total = 0;
    for (int64_t p = 0; p < parts; p++) {
        if (!gguf_shape_ok(fmt[p], bpr[p], cols) || rows[p] < 0) return -1;
        total += rows[p];
    }
    const int mode = gguf_mode(n);
    void *prep[4] = {NULL, NULL, NULL, NULL};
    int status = 0;
    for (int64_t p = 0; p < parts && status == 0; p++) {
        const int slot = gguf_slot(fmt[p], mode);
        if (!prep[slot] && !(prep[slot] = gguf_prepare(fmt[p], mode, x, n, cols))) status = -1;
    }
    if (status == 0) {
#pragma omp parallel
        {  /* a contiguous run of the stacked rows a thread: one sequential stream a core */
            const int64_t threads = omp_get_num_threads(), t = omp_get_thread_num();
            const int64_t lo = total * t / threads, hi = total * (t + 1) / threads;
            int64_t base = 0;
            for (int64_t p = 0; p < parts; base += rows[p], p++) {
                const int64_t r0 = lo > base ? lo - base : 0, r1 = hi - base < rows[p] ? hi - base : rows[p];
                if (r0 >= r1) continue;
                const void *a = prep[gguf_slot(fmt[p], mode)];
#if defined(KOG_GGUF_VNNI)
                if (mode == M_VNNI) {
                    vnni_fns[fmt[p]][n - 1](w[p], bpr[p], (const struct vnni_x *)a, y + base, ldy, r0, r1, cols);
                    continue;
                }
#endif
#if defined(KOG_GGUF_I16)
                if (mode == M_I16) {
                    i16_fns[fmt[p]][n - 1](w[p], bpr[p], (const struct i16_x *)a, y + base, ldy, r0, r1, cols);
                    continue;
                }
#endif
#if defined(KOG_GGUF_AMX)
                if (mode == M_AMX) {
                    amx_rows(fmt[p], w[p], bpr[p], (const struct amx_x *)a, y + base, ldy, n, r0, r1, cols);
                    continue;
                }
#endif
                gguf_rows[fmt[p]][n - 1](w[p], bpr[p], x, (const float *)a, y + base, ldy, r0, r1, cols);
            }
        }
    }
    for (int k = 0; k < 4; k++) gguf_release(prep[k], mode);
    return status;
}

/* The same for one matrix. */
int kog_matvec_gguf(int fmt, const uint8_t *w, int64_t bpr, const uint16_t *x, uint16_t *y, int64_t ldy, int64_t n,
                    int64_t rows, int64_t cols) {
    return kog_matvec_gguf_parts(1, &fmt, &w, &bpr, &rows, x, y, ldy, n, cols);
}

/* out[r, :] (bf16, row stride ldo) = row ids[r] (or r, ids NULL) of the matrix dequantized, r < n
 * (prefill chunks and embedding rows). Returns 0, or -1 for a bad format / shape. */
int kog_dequant_gguf(int fmt, const uint8_t *w, int64_t bpr, const int64_t *ids, int64_t n, int64_t cols,
                     uint16_t *out, int64_t ldo) {
    if (n < 0 || !gguf_shape_ok(fmt, bpr, cols)) return -1;
    const int bw = g_block_weights[fmt], bb = g_block_bytes[fmt];
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < n; r++) {
        const uint8_t *row = w + (ids ? ids[r] : r) * bpr;
#if defined(KOG_GGUF_BF16)
        const struct gguf_ctx ctx = {NULL, NULL, cols, NULL, NULL, out + r * ldo, NULL, NULL};
        switch (fmt) {  /* constant formats, so each loop decodes one way */
            case G_Q8_0: for (int64_t c = 0; c < cols; c += 32) block_groups(DEQ, G_Q8_0, row + c / 32 * 34, c, 0, &ctx); break;
            case G_Q5_0: for (int64_t c = 0; c < cols; c += 32) block_groups(DEQ, G_Q5_0, row + c / 32 * 22, c, 0, &ctx); break;
            case G_Q4_1: for (int64_t c = 0; c < cols; c += 32) block_groups(DEQ, G_Q4_1, row + c / 32 * 20, c, 0, &ctx); break;
            case G_Q4_K: for (int64_t c = 0; c < cols; c += 256) block_groups(DEQ, G_Q4_K, row + c / 256 * 144, c, 0, &ctx); break;
            default: for (int64_t c = 0; c < cols; c += 256) block_groups(DEQ, G_Q6_K, row + c / 256 * 210, c, 0, &ctx); break;
        }
        (void)bw, (void)bb;
#else
        float buf[256];
        for (int64_t c = 0; c < cols; c += bw) {
            decode_block(fmt, row + c / bw * bb, buf);
            for (int l = 0; l < bw; l++) out[r * ldo + c + l] = f32_to_bf16(buf[l]);
        }
#endif
    }
    return 0;
}
