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
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>
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

static inline float bf16_to_f32(uint16_t v) {
    union { uint32_t u; float f; } c;
    c.u = (uint32_t)v << 16;
    return c.f;
}

static inline uint16_t f32_to_bf16(float f) {  /* round to nearest even, NaN kept quiet */
    union { uint32_t u; float f; } c;
    c.f = f;
    if ((c.u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((c.u >> 16) | 0x40);
    c.u += 0x7fffu + ((c.u >> 16) & 1u);
    return (uint16_t)(c.u >> 16);
}

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
 * The same streaming loop over a matrix of GGUF blocks: each block is decoded into fp32 with gguf's
 * own arithmetic (ggml-common.h), in L1, and meets the activation rows there. A quarter to a half of
 * bf16's bytes a weight, and exactly the file's values. */

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
 * group of weights (q - bias) * scale + offset adds scale * dot(128 + q, x) + (offset - (128 + bias) *
 * scale) * sum(x): one dot product and one FMA a 32 columns, the group sums of x computed once a call.
 * Each format's decoder hands 32-column groups to group32, which either multiplies them into the
 * accumulators (DOT) or writes the weights as bf16 (DEQ, gguf's own arithmetic, then rounded). */
enum { DOT, DEQ };

struct gguf_ctx {  /* what group32 needs: the activations and accumulators (DOT), or the output row (DEQ) */
    const uint16_t *x;
    int64_t cols;
    __m512 *a;
    float *og;
    uint16_t *out;
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
 * c..c+15 with scale s0 and offset o0, c+16.. with s1 and o1. */
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
    __m512i w;
    float g0 = o0, g1 = o1;
    if (is_signed) {  /* |q| <= 128 is exact in bf16 */
        w = (__m512i)_mm512_cvtne2ps_pbh(_mm512_cvtepi32_ps(_mm512_cvtepi16_epi32(hi)),
                                         _mm512_cvtepi32_ps(_mm512_cvtepi16_epi32(lo)));
        g0 -= (float)bias * s0, g1 -= (float)bias * s1;
    } else {
        w = _mm512_or_si512(q16, _mm512_set1_epi16(0x4300));
        g0 -= (128.0f + (float)bias) * s0, g1 -= (128.0f + (float)bias) * s1;
    }
    const __m512 sv = s0 == s1 ? _mm512_set1_ps(s0) : _mm512_mask_blend_ps(0xff00, _mm512_set1_ps(s0), _mm512_set1_ps(s1));
    for (int i = 0; i < n; i++) {
        const __m512bh xv = (__m512bh)_mm512_loadu_si512((const void *)(ctx->x + i * ctx->cols + c));
        ctx->a[i] = _mm512_fmadd_ps(_mm512_dpbf16_ps(_mm512_setzero_ps(), (__m512bh)w, xv), sv, ctx->a[i]);
    }
    ctx->og[c / 16] = g0;  /* each 16-column group's offset, met with the sums of x once the row is done */
    ctx->og[c / 16 + 1] = g1;
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

/* One row of blocks against n activation rows (xf: n rows of cols fp32). */
static inline __attribute__((always_inline)) void row_dots_gguf(const uint8_t *w, const int fmt, const uint16_t *x,
                                                                const float *xf, const float *xs, const int n,
                                                                int64_t cols, float *acc) {
    const int bw = g_block_weights[fmt], bb = g_block_bytes[fmt];
    float buf[256] __attribute__((aligned(64)));
#if defined(KOG_GGUF_BF16)
    (void)buf;
    (void)xf;
    __m512 a[MAX_ROWS];
    float og[cols / 16 + 16];
    for (int i = 0; i < n; i++) a[i] = _mm512_setzero_ps();
    const struct gguf_ctx ctx = {x, cols, a, og, NULL};
    for (int64_t c = 0; c < cols; c += bw, w += bb) {
        __builtin_prefetch(w + PREFETCH_BYTES);
        block_groups(DOT, fmt, w, c, n, &ctx);
    }
    const int64_t groups = cols / 16;
    for (int i = 0; i < n; i++) {  /* the offsets against the 16-column sums of x */
        __m512 o = _mm512_setzero_ps();
        int64_t g = 0;
        for (; g + 16 <= groups; g += 16)
            o = _mm512_fmadd_ps(_mm512_loadu_ps(og + g), _mm512_loadu_ps(xs + i * groups + g), o);
        float t = _mm512_reduce_add_ps(_mm512_add_ps(a[i], o));
        for (; g < groups; g++) t += og[g] * xs[i * groups + g];
        acc[i] = t;
    }
#elif KOG_VEC
    (void)x;
    (void)xs;
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
    (void)x;
    (void)xs;
    for (int i = 0; i < n; i++) acc[i] = 0.0f;
    for (int64_t c = 0; c < cols; c += bw, w += bb) {
        decode_block(fmt, w, buf);
        for (int i = 0; i < n; i++)
            for (int l = 0; l < bw; l++) acc[i] += buf[l] * xf[i * cols + c + l];
    }
#endif
}

/* Rows r0..r1 of one (format, activation rows) pair: a function each, so both are constants inside
 * (an OpenMP region outlines its body once, with them as run-time values and the accumulators in
 * memory: four times slower). */
typedef void (*gguf_rows_fn)(const uint8_t *, int64_t, const uint16_t *, const float *, const float *, uint16_t *,
                             int64_t, int64_t, int64_t, int64_t);
#define KOG_GROWS(FMT, N)                                                                                   \
    static void gguf_rows_##FMT##_##N(const uint8_t *w, int64_t bpr, const uint16_t *x, const float *xf,       \
                                      const float *xs, uint16_t *y, int64_t ldy, int64_t r0, int64_t r1,     \
                                      int64_t cols) {                                                       \
        for (int64_t r = r0; r < r1; r++) {                                                                 \
            float acc[MAX_ROWS];                                                                            \
            row_dots_gguf(w + r * bpr, FMT, x, xf, xs, N, cols, acc);                                          \
            for (int i = 0; i < N; i++) y[i * ldy + r] = f32_to_bf16(acc[i]);                               \
        }                                                                                                   \
    }
#define KOG_GROWS_ALL(FMT) \
    KOG_GROWS(FMT, 1) KOG_GROWS(FMT, 2) KOG_GROWS(FMT, 3) KOG_GROWS(FMT, 4) \
    KOG_GROWS(FMT, 5) KOG_GROWS(FMT, 6) KOG_GROWS(FMT, 7) KOG_GROWS(FMT, 8)
KOG_GROWS_ALL(G_Q8_0)
KOG_GROWS_ALL(G_Q5_0)
KOG_GROWS_ALL(G_Q4_1)
KOG_GROWS_ALL(G_Q4_K)
KOG_GROWS_ALL(G_Q6_K)
#define KOG_GROWS_ROW(FMT) \
    {gguf_rows_##FMT##_1, gguf_rows_##FMT##_2, gguf_rows_##FMT##_3, gguf_rows_##FMT##_4, \
     gguf_rows_##FMT##_5, gguf_rows_##FMT##_6, gguf_rows_##FMT##_7, gguf_rows_##FMT##_8}
static const gguf_rows_fn gguf_rows[5][MAX_ROWS] = {KOG_GROWS_ROW(G_Q8_0), KOG_GROWS_ROW(G_Q5_0),
                                                    KOG_GROWS_ROW(G_Q4_1), KOG_GROWS_ROW(G_Q4_K),
                                                    KOG_GROWS_ROW(G_Q6_K)};

static int gguf_shape_ok(int fmt, int64_t bpr, int64_t cols) {
    return fmt >= G_Q8_0 && fmt <= G_Q6_K && cols > 0 && cols % g_block_weights[fmt] == 0 &&
           bpr == cols / g_block_weights[fmt] * g_block_bytes[fmt];
}

/* y[i, r] (bf16, row stride ldy) = x[i, :] (bf16) . row r of a rows x cols matrix of GGUF blocks of
 * format fmt (0 Q8_0, 1 Q5_0, 2 Q4_1, 3 Q4_K, 4 Q6_K; bpr bytes a row), for n <= 8 rows of x.
 * Returns 0, or -1 for a bad format / shape / row count or no memory (y untouched). */
int kog_matvec_gguf(int fmt, const uint8_t *w, int64_t bpr, const uint16_t *x, uint16_t *y, int64_t ldy, int64_t n,
                    int64_t rows, int64_t cols) {
    if (n < 1 || n > MAX_ROWS || !gguf_shape_ok(fmt, bpr, cols)) return -1;
    float *xf = (float *)malloc((size_t)(n * cols + n * cols / 16) * sizeof(float));
    if (!xf) return -1;
    float *xs = xf + n * cols;  /* sums of every 16 columns of every row */
    for (int64_t i = 0; i < n * cols; i++) xf[i] = bf16_to_f32(x[i]);
    for (int64_t g = 0; g < n * cols / 16; g++) {
        float t = 0.0f;
        for (int l = 0; l < 16; l++) t += xf[16 * g + l];
        xs[g] = t;
    }
    const gguf_rows_fn fn = gguf_rows[fmt][n - 1];
#pragma omp parallel
    {  /* a contiguous run of rows a thread: one sequential stream a core */
        const int64_t threads = omp_get_num_threads(), t = omp_get_thread_num();
        fn(w, bpr, x, xf, xs, y, ldy, rows * t / threads, rows * (t + 1) / threads, cols);
    }
    free(xf);
    return 0;
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
        const struct gguf_ctx ctx = {NULL, cols, NULL, NULL, out + r * ldo};
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
