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
