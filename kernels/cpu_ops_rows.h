/* cpu_ops.c's row steps for one activation type, included once per type with
 *   ACT       the activations' and caches' element type (uint16_t for bf16 bits, float),
 *   SUFFIX    the functions' name suffix (_bf16, _f32),
 *   LOAD(v)   an ACT value widened to fp32, STORE(f) an fp32 value rounded to ACT,
 * and qk##SUFFIX defined before (q . k of a cached key). The macros are undefined at the end. */
#define KOG_CAT2(a, b) a##b
#define KOG_CAT(a, b) KOG_CAT2(a, b)
#define FN(name) KOG_CAT(name, SUFFIX)

/* y[i] = ACT(x[i] * rsqrt(mean(x[i]^2) + eps) * w) for n rows of d (w in fp32). */
int FN(kog_rmsnorm)(const ACT *x, const float *w, float eps, ACT *y, int64_t n, int64_t d) {
    if (n < 1 || d < 1) return -1;
    float *xf = (float *)malloc((size_t)d * sizeof(float));
    if (!xf) return -1;
    for (int64_t i = 0; i < n; i++) {
        for (int64_t c = 0; c < d; c++) xf[c] = LOAD(x[i * d + c]);
        const float r = 1.0f / sqrtf(dot16(xf, xf, d) / (float)d + eps);
        for (int64_t c = 0; c < d; c++) y[i * d + c] = STORE((xf[c] * r) * w[c]);
    }
    free(xf);
    return 0;
}

/* y[i, c] = ACT(ACT(silu(gate)) * up) for rows gu[i] = [gate (f) | up (f)] (row stride ld). */
int FN(kog_silu_mul)(const ACT *gu, int64_t ld, ACT *y, int64_t n, int64_t f) {
    if (n < 1 || f < 1) return -1;
    for (int64_t i = 0; i < n; i++)
        for (int64_t c = 0; c < f; c++) {
            const float g = LOAD(gu[i * ld + c]);
            y[i * f + c] = STORE(LOAD(STORE(g / (1.0f + exp_fast(-g)))) * LOAD(gu[i * ld + f + c]));
        }
    return 0;
}

/* Rotate-half RoPE of one head vector at one position, rounded to ACT (the reference's
 * (x * cos + rotate_half(x) * sin) in fp32). */
static void FN(rope)(const ACT *x, const float *cos, const float *sin, int64_t hd, ACT *out) {
    const int64_t half = hd / 2;
    for (int64_t c = 0; c < hd; c++) {
        const float r = c < half ? -LOAD(x[c + half]) : LOAD(x[c - half]);
        out[c] = STORE(LOAD(x[c]) * cos[c] + r * sin[c]);
    }
}

/* The attention of n new rows at positions start.. of one layer, after the q/k/v projection:
 * qkv row j = [q (heads x hd) | k (kv_heads x hd) | v (kv_heads x hd)] (row stride ld_qkv).
 * Rotates q and k (cos/sin: fp32 [positions, hd] tables), writes k and v into the layer's caches
 * ([kv_heads, max_seq, hd]), and writes softmax(q k^T / sqrt(hd)) v over positions 0..start+j
 * (causal) to out row j (heads x hd). Query head h reads KV head h / (heads / kv_heads).
 * Returns 0, or -1 for a bad shape or no memory. */
int FN(kog_attention_rows)(const ACT *qkv, int64_t ld_qkv, const float *cos, const float *sin, ACT *kc, ACT *vc,
                           int64_t max_seq, int64_t start, int64_t n, int64_t heads, int64_t kv_heads, int64_t hd,
                           ACT *out) {
    if (n < 1 || start < 0 || start + n > max_seq || kv_heads < 1 || heads % kv_heads || hd % 2 || hd > 256)
        return -1;
    const int64_t qs = heads * hd, kvs = kv_heads * hd, len = start + n, group = heads / kv_heads;
    for (int64_t j = 0; j < n; j++) {
        const ACT *row = qkv + j * ld_qkv;
        const float *cj = cos + (start + j) * hd, *sj = sin + (start + j) * hd;
        for (int64_t g = 0; g < kv_heads; g++) {
            ACT *kd = kc + (g * max_seq + start + j) * hd, *vd = vc + (g * max_seq + start + j) * hd;
            FN(rope)(row + qs + g * hd, cj, sj, hd, kd);
            for (int64_t c = 0; c < hd; c++) vd[c] = row[qs + kvs + g * hd + c];
        }
    }
    float *scores = (float *)malloc((size_t)(heads * n * len) * sizeof(float));
    if (!scores) return -1;
    const float scale = 1.0f / sqrtf((float)hd);
#pragma omp parallel for schedule(static)
    for (int64_t task = 0; task < heads * n; task++) {
        const int64_t h = task / n, j = task % n, g = h / group, seen = start + j + 1;
        ACT qb[256];
        float q[256], kf[256], acc[256];
        FN(rope)(qkv + j * ld_qkv + h * hd, cos + (start + j) * hd, sin + (start + j) * hd, hd, qb);
        for (int64_t c = 0; c < hd; c++) q[c] = LOAD(qb[c]), acc[c] = 0.0f;
        float *s = scores + task * len, top = -INFINITY;
        const ACT *k = kc + g * max_seq * hd, *v = vc + g * max_seq * hd;
        for (int64_t t = 0; t < seen; t++) {
            s[t] = FN(qk)(q, qb, k + t * hd, hd, kf) * scale;
            top = s[t] > top ? s[t] : top;
        }
        for (int64_t t = 0; t < seen; t++) s[t] = exp_fast(s[t] - top);
        const float sum = sum16(s, seen);
        for (int64_t t = 0; t < seen; t++)
            for (int64_t c = 0; c < hd; c++) acc[c] += s[t] * LOAD(v[t * hd + c]);
        for (int64_t c = 0; c < hd; c++) out[j * qs + h * hd + c] = STORE(acc[c] / sum);
    }
    free(scores);
    return 0;
}

#undef FN
#undef KOG_CAT
#undef KOG_CAT2
#undef ACT
#undef SUFFIX
#undef LOAD
#undef STORE
