/* The float32 recurrence of _crec_impl.h in AVX2 + FMA intrinsics (internal; included by _crec.c on x86-64
 * with GCC, used when the CPU has AVX2 and FMA and K, V are multiples of 8 with V <= 64).
 *
 * A state row of V floats is NV = V / 8 registers. The forward is two passes over the state per step (u = hb^T k,
 * then h = d hb + k e^T with o = h^T q read on the way), in place. The backward recomputes a block of CK steps
 * from its checkpoint (keeping the state before each step, e and u), then two passes per step:
 *
 *     pass 1, row i:  dh_i += q_i do;  de += k_i dh_i;  P1_i = hb_i . do;  P2_i = dh_i . e
 *     pass 2, row i:  dh_i += k_i du;  P3_i = hb_i . du;  ddecay += dh_i . hb_i;  dh_i *= d
 *
 * with dq_i = d P1_i + k_i (e . do), dk_i = P2_i + d P3_i; the row sums P are reduced eight rows at a time
 * (one transpose-and-add of eight registers) instead of one horizontal sum per row.
 */
#include <immintrin.h>

#pragma GCC push_options
#pragma GCC target("avx2,fma")

#define AVX_INLINE static inline __attribute__((always_inline))

/* The sums of each of r[0..7], as one register (lane i = sum of r[i]). */
AVX_INLINE __m256 avx_sum8(const __m256 *r) {
    __m256 t0 = _mm256_hadd_ps(r[0], r[1]), t1 = _mm256_hadd_ps(r[2], r[3]);
    __m256 t2 = _mm256_hadd_ps(r[4], r[5]), t3 = _mm256_hadd_ps(r[6], r[7]);
    t0 = _mm256_hadd_ps(t0, t1);  /* r0 r1 r2 r3 (low halves) | r0 r1 r2 r3 (high halves) */
    t2 = _mm256_hadd_ps(t2, t3);
    return _mm256_add_ps(_mm256_permute2f128_ps(t0, t2, 0x20), _mm256_permute2f128_ps(t0, t2, 0x31));
}

AVX_INLINE float avx_sum(__m256 x) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* One step from hb: e (and u = hb^T k when erasing) written; h = d hb + k e^T written to h (may be hb);
 * o = h^T q written when o is given. */
AVX_INLINE void avx_step(const float *hb, float *h, float *e, float *u, const float *k, const float *v,
                         const float *q, float *o, float d, float beta, int erase, Py_ssize_t K, const int NV) {
    const Py_ssize_t V = NV * 8;
    __m256 ev[8], ov[8];
    const __m256 dv = _mm256_set1_ps(d), bv = _mm256_set1_ps(beta);
    if (erase) {
        __m256 a0[8], a1[8];  /* two chains of sums for more multiply-adds in flight */
        for (int c = 0; c < NV; c++) a0[c] = a1[c] = _mm256_setzero_ps();
        Py_ssize_t i = 0;
        for (; i + 2 <= K; i += 2) {
            const __m256 k0 = _mm256_set1_ps(k[i]), k1 = _mm256_set1_ps(k[i + 1]);
            for (int c = 0; c < NV; c++) {
                a0[c] = _mm256_fmadd_ps(_mm256_loadu_ps(hb + i * V + c * 8), k0, a0[c]);
                a1[c] = _mm256_fmadd_ps(_mm256_loadu_ps(hb + (i + 1) * V + c * 8), k1, a1[c]);
            }
        }
        for (; i < K; i++)
            for (int c = 0; c < NV; c++)
                a0[c] = _mm256_fmadd_ps(_mm256_loadu_ps(hb + i * V + c * 8), _mm256_set1_ps(k[i]), a0[c]);
        for (int c = 0; c < NV; c++) {
            const __m256 uc = _mm256_add_ps(a0[c], a1[c]);
            if (u) _mm256_storeu_ps(u + c * 8, uc);
            ev[c] = _mm256_mul_ps(bv, _mm256_fnmadd_ps(dv, uc, _mm256_loadu_ps(v + c * 8)));  /* beta (v - d u) */
        }
    } else {
        for (int c = 0; c < NV; c++) ev[c] = _mm256_mul_ps(bv, _mm256_loadu_ps(v + c * 8));
    }
    for (int c = 0; c < NV; c++) {
        _mm256_storeu_ps(e + c * 8, ev[c]);
        ov[c] = _mm256_setzero_ps();
    }
    for (Py_ssize_t i = 0; i < K; i++) {
        const __m256 ki = _mm256_set1_ps(k[i]);
        const __m256 qi = _mm256_set1_ps(o ? q[i] : 0.0f);
        for (int c = 0; c < NV; c++) {
            const __m256 x = _mm256_fmadd_ps(ki, ev[c], _mm256_mul_ps(dv, _mm256_loadu_ps(hb + i * V + c * 8)));
            _mm256_storeu_ps(h + i * V + c * 8, x);
            if (o) ov[c] = _mm256_fmadd_ps(x, qi, ov[c]);
        }
    }
    if (o)
        for (int c = 0; c < NV; c++) _mm256_storeu_ps(o + c * 8, ov[c]);
}

AVX_INLINE void avx_forward_body(const float *q, const float *k, const float *v, const float *beta, const float *decay,
                                 const float *h0, float *o, float *hlast, float *ckpt, int erase, Py_ssize_t b0,
                                 Py_ssize_t b1, Py_ssize_t L, Py_ssize_t K, Py_ssize_t CK, float *work, const int NV) {
    const Py_ssize_t V = NV * 8, S = K * V, nck = (L + CK - 1) / CK, P = S + PAD_BYTES / 4;
    float *h = work, *e = work + P;
    for (Py_ssize_t b = b0; b < b1; b++) {
        if (h0) memcpy(h, h0 + b * S, S * sizeof(float));
        else memset(h, 0, S * sizeof(float));
        for (Py_ssize_t t = 0; t < L; t++) {
            const Py_ssize_t bt = b * L + t;
            if (t % CK == 0) memcpy(ckpt + (b * nck + t / CK) * S, h, S * sizeof(float));
            avx_step(h, h, e, NULL, k + bt * K, v + bt * V, q + bt * K, o + bt * V, decay ? decay[bt] : 1.0f,
                     beta ? beta[bt] : 1.0f, erase, K, NV);
        }
        memcpy(hlast + b * S, h, S * sizeof(float));
    }
}

AVX_INLINE void avx_backward_body(const float *q, const float *k, const float *v, const float *beta,
                                  const float *decay, const float *ckpt, const float *dout, const float *dhlast,
                                  float *dq, float *dk, float *dv, float *dbeta, float *ddecay, float *dh0, int erase,
                                  Py_ssize_t b0, Py_ssize_t b1, Py_ssize_t L, Py_ssize_t K, Py_ssize_t CK, float *work,
                                  const int NV) {
    const Py_ssize_t V = NV * 8, S = K * V, nck = (L + CK - 1) / CK, P = S + PAD_BYTES / 4;
    float *dh = work, *hbs = work + P, *es = hbs + CK * P, *us = es + CK * V;
    __m256 P1[8], P2[8], P3[8];  /* eight rows' partial sums at a time */
    for (Py_ssize_t b = b0; b < b1; b++) {
        if (dhlast) memcpy(dh, dhlast + b * S, S * sizeof(float));
        else memset(dh, 0, S * sizeof(float));
        for (Py_ssize_t c0 = nck - 1; c0 >= 0; c0--) {
            const Py_ssize_t t0 = c0 * CK, n = (L - t0 < CK) ? L - t0 : CK;
            memcpy(hbs, ckpt + (b * nck + c0) * S, S * sizeof(float));
            for (Py_ssize_t j = 0; j < n; j++) {  /* recompute; the state after the block's last step is not kept */
                const Py_ssize_t bt = b * L + t0 + j;
                float *next = (j + 1 < n) ? hbs + (j + 1) * P : work + (CK + 1) * P + 2 * CK * V;  /* scratch */
                avx_step(hbs + j * P, next, es + j * V, erase ? us + j * V : NULL, k + bt * K, v + bt * V, NULL, NULL,
                         decay ? decay[bt] : 1.0f, beta ? beta[bt] : 1.0f, erase, K, NV);
            }
            for (Py_ssize_t j = n - 1; j >= 0; j--) {
                const Py_ssize_t bt = b * L + t0 + j;
                const float d = decay ? decay[bt] : 1.0f, bb = beta ? beta[bt] : 1.0f;
                const __m256 dvec = _mm256_set1_ps(d);
                const float *hb = hbs + j * P, *kt = k + bt * K, *qt = q + bt * K;
                /* ddecay sums in one chain per vector: a single chain of multiply-adds over the whole state
                 * waits four cycles per row and vector */
                __m256 dov[8], ev[8], de[8], du[8], dec[8], acc = _mm256_setzero_ps();
                for (int c = 0; c < NV; c++) {
                    dov[c] = _mm256_loadu_ps(dout + bt * V + c * 8);
                    ev[c] = _mm256_loadu_ps(es + j * V + c * 8);
                    de[c] = dec[c] = _mm256_setzero_ps();
                    acc = _mm256_fmadd_ps(ev[c], dov[c], acc);
                }
                const __m256 edo = _mm256_set1_ps(avx_sum(acc));
                for (Py_ssize_t i0 = 0; i0 < K; i0 += 8) {  /* pass 1, eight rows at a time */
                    for (int r = 0; r < 8; r++) {
                        const Py_ssize_t i = i0 + r;
                        const __m256 qi = _mm256_set1_ps(qt[i]), ki = _mm256_set1_ps(kt[i]);
                        __m256 p1 = _mm256_setzero_ps(), p2 = _mm256_setzero_ps();
                        for (int c = 0; c < NV; c++) {
                            const __m256 hv = _mm256_loadu_ps(hb + i * V + c * 8);
                            const __m256 x = _mm256_fmadd_ps(qi, dov[c], _mm256_loadu_ps(dh + i * V + c * 8));
                            _mm256_storeu_ps(dh + i * V + c * 8, x);
                            p1 = _mm256_fmadd_ps(hv, dov[c], p1);
                            p2 = _mm256_fmadd_ps(x, ev[c], p2);
                            de[c] = _mm256_fmadd_ps(x, ki, de[c]);
                        }
                        P1[r] = p1;
                        P2[r] = p2;
                    }
                    const __m256 kv = _mm256_loadu_ps(kt + i0);
                    _mm256_storeu_ps(dq + bt * K + i0, _mm256_fmadd_ps(dvec, avx_sum8(P1), _mm256_mul_ps(kv, edo)));
                    _mm256_storeu_ps(dk + bt * K + i0, avx_sum8(P2));
                }
                const __m256 bvec = _mm256_set1_ps(bb);
                acc = _mm256_setzero_ps();
                for (int c = 0; c < NV; c++) {
                    _mm256_storeu_ps(dv + bt * V + c * 8, _mm256_mul_ps(bvec, de[c]));
                    if (erase) {  /* e = beta (v - d u): dbeta = de . (v - d u), du = -beta de */
                        const __m256 w = _mm256_fnmadd_ps(dvec, _mm256_loadu_ps(us + j * V + c * 8),
                                                          _mm256_loadu_ps(v + bt * V + c * 8));
                        acc = _mm256_fmadd_ps(de[c], w, acc);
                        du[c] = _mm256_mul_ps(_mm256_set1_ps(-bb), de[c]);
                    } else {
                        acc = _mm256_fmadd_ps(de[c], _mm256_loadu_ps(v + bt * V + c * 8), acc);
                    }
                }
                if (dbeta) dbeta[bt] = avx_sum(acc);
                for (Py_ssize_t i0 = 0; i0 < K; i0 += 8) {  /* pass 2 */
                    for (int r = 0; r < 8; r++) {
                        const Py_ssize_t i = i0 + r;
                        const __m256 ki = _mm256_set1_ps(kt[i]);
                        __m256 p3 = _mm256_setzero_ps();
                        for (int c = 0; c < NV; c++) {
                            const __m256 hv = _mm256_loadu_ps(hb + i * V + c * 8);
                            __m256 x = _mm256_loadu_ps(dh + i * V + c * 8);
                            if (erase) {
                                x = _mm256_fmadd_ps(ki, du[c], x);
                                p3 = _mm256_fmadd_ps(hv, du[c], p3);
                            }
                            dec[c] = _mm256_fmadd_ps(x, hv, dec[c]);
                            _mm256_storeu_ps(dh + i * V + c * 8, _mm256_mul_ps(dvec, x));
                        }
                        P3[r] = p3;
                    }
                    if (erase) {
                        float *dki = dk + bt * K + i0;
                        _mm256_storeu_ps(dki, _mm256_fmadd_ps(dvec, avx_sum8(P3), _mm256_loadu_ps(dki)));
                    }
                }
                if (ddecay) {
                    for (int c = 1; c < NV; c++) dec[0] = _mm256_add_ps(dec[0], dec[c]);
                    ddecay[bt] = avx_sum(dec[0]);
                }
            }
        }
        memcpy(dh0 + b * S, dh, S * sizeof(float));
    }
}

/* The backward without the erase term (SSD: h = d hb + k e^T, e = beta v) in one pass per step: nothing needs the
 * rows' sums before the state's gradient is final, so the decay's scaling of dh is deferred to the next (earlier)
 * step's pass, where dh is loaded anyway (dh_{t-1} = d_t dh'_t, applied as dscale), and ddecay is summed on the way. */
AVX_INLINE void avx_backward_ssd_body(const float *q, const float *k, const float *v, const float *beta,
                                      const float *decay, const float *ckpt, const float *dout, const float *dhlast,
                                      float *dq, float *dk, float *dv, float *dbeta, float *ddecay, float *dh0,
                                      Py_ssize_t b0, Py_ssize_t b1, Py_ssize_t L, Py_ssize_t K, Py_ssize_t CK,
                                      float *work, const int NV) {
    const Py_ssize_t V = NV * 8, S = K * V, nck = (L + CK - 1) / CK, P = S + PAD_BYTES / 4;
    float *dh = work, *hbs = work + P, *es = hbs + CK * P;
    __m256 P1[8], P2[8];
    for (Py_ssize_t b = b0; b < b1; b++) {
        if (dhlast) memcpy(dh, dhlast + b * S, S * sizeof(float));
        else memset(dh, 0, S * sizeof(float));
        float dscale = 1.0f;  /* the decay of the step after the current one, not yet applied to dh */
        for (Py_ssize_t c0 = nck - 1; c0 >= 0; c0--) {
            const Py_ssize_t t0 = c0 * CK, n = (L - t0 < CK) ? L - t0 : CK;
            memcpy(hbs, ckpt + (b * nck + c0) * S, S * sizeof(float));
            for (Py_ssize_t j = 0; j + 1 < n; j++) {  /* the states before each step; e is beta v, not stored */
                const Py_ssize_t bt = b * L + t0 + j;
                avx_step(hbs + j * P, hbs + (j + 1) * P, es, NULL, k + bt * K, v + bt * V, NULL, NULL,
                         decay ? decay[bt] : 1.0f, beta ? beta[bt] : 1.0f, 0, K, NV);
            }
            for (Py_ssize_t j = n - 1; j >= 0; j--) {
                const Py_ssize_t bt = b * L + t0 + j;
                const float d = decay ? decay[bt] : 1.0f, bb = beta ? beta[bt] : 1.0f;
                const __m256 dvec = _mm256_set1_ps(d), svec = _mm256_set1_ps(dscale), bvec = _mm256_set1_ps(bb);
                const float *hb = hbs + j * P, *kt = k + bt * K, *qt = q + bt * K;
                __m256 dov[8], ev[8], de[8], dec[8], acc = _mm256_setzero_ps();
                for (int c = 0; c < NV; c++) {
                    dov[c] = _mm256_loadu_ps(dout + bt * V + c * 8);
                    ev[c] = _mm256_mul_ps(bvec, _mm256_loadu_ps(v + bt * V + c * 8));
                    de[c] = dec[c] = _mm256_setzero_ps();
                    acc = _mm256_fmadd_ps(ev[c], dov[c], acc);
                }
                const __m256 edo = _mm256_set1_ps(avx_sum(acc));
                for (Py_ssize_t i0 = 0; i0 < K; i0 += 8) {
                    for (int r = 0; r < 8; r++) {
                        const Py_ssize_t i = i0 + r;
                        const __m256 qi = _mm256_set1_ps(qt[i]), ki = _mm256_set1_ps(kt[i]);
                        __m256 p1 = _mm256_setzero_ps(), p2 = _mm256_setzero_ps();
                        for (int c = 0; c < NV; c++) {
                            const __m256 hv = _mm256_loadu_ps(hb + i * V + c * 8);
                            const __m256 x = _mm256_fmadd_ps(qi, dov[c],
                                                             _mm256_mul_ps(svec, _mm256_loadu_ps(dh + i * V + c * 8)));
                            _mm256_storeu_ps(dh + i * V + c * 8, x);
                            p1 = _mm256_fmadd_ps(hv, dov[c], p1);
                            p2 = _mm256_fmadd_ps(x, ev[c], p2);
                            de[c] = _mm256_fmadd_ps(x, ki, de[c]);
                            dec[c] = _mm256_fmadd_ps(x, hv, dec[c]);
                        }
                        P1[r] = p1;
                        P2[r] = p2;
                    }
                    const __m256 kv = _mm256_loadu_ps(kt + i0);
                    _mm256_storeu_ps(dq + bt * K + i0, _mm256_fmadd_ps(dvec, avx_sum8(P1), _mm256_mul_ps(kv, edo)));
                    _mm256_storeu_ps(dk + bt * K + i0, avx_sum8(P2));
                }
                acc = _mm256_setzero_ps();
                for (int c = 0; c < NV; c++) {
                    _mm256_storeu_ps(dv + bt * V + c * 8, _mm256_mul_ps(bvec, de[c]));
                    acc = _mm256_fmadd_ps(de[c], _mm256_loadu_ps(v + bt * V + c * 8), acc);
                }
                if (dbeta) dbeta[bt] = avx_sum(acc);
                if (ddecay) {
                    for (int c = 1; c < NV; c++) dec[0] = _mm256_add_ps(dec[0], dec[c]);
                    ddecay[bt] = avx_sum(dec[0]);
                }
                dscale = d;
            }
        }
        for (Py_ssize_t i = 0; i < S; i++) dh0[b * S + i] = dscale * dh[i];
    }
}

#define AVX_SIZES(call, ...) \
    switch (V / 8) { \
    case 1: call(__VA_ARGS__, 1); break; \
    case 2: call(__VA_ARGS__, 2); break; \
    case 4: call(__VA_ARGS__, 4); break; \
    default: call(__VA_ARGS__, 8); break; \
    }

static void forward_avx2(const float *q, const float *k, const float *v, const float *beta, const float *decay,
                         const float *h0, float *o, float *hlast, float *ckpt, int erase, Py_ssize_t b0, Py_ssize_t b1,
                         Py_ssize_t L, Py_ssize_t K, Py_ssize_t V, Py_ssize_t CK, float *work) {
    AVX_SIZES(avx_forward_body, q, k, v, beta, decay, h0, o, hlast, ckpt, erase, b0, b1, L, K, CK, work)
}

static void backward_avx2(const float *q, const float *k, const float *v, const float *beta, const float *decay,
                          const float *ckpt, const float *dout, const float *dhlast, float *dq, float *dk, float *dv,
                          float *dbeta, float *ddecay, float *dh0, int erase, Py_ssize_t b0, Py_ssize_t b1,
                          Py_ssize_t L, Py_ssize_t K, Py_ssize_t V, Py_ssize_t CK, float *work) {
    if (erase) {
        AVX_SIZES(avx_backward_body, q, k, v, beta, decay, ckpt, dout, dhlast, dq, dk, dv, dbeta, ddecay, dh0, erase,
                  b0, b1, L, K, CK, work)
    } else {
        AVX_SIZES(avx_backward_ssd_body, q, k, v, beta, decay, ckpt, dout, dhlast, dq, dk, dv, dbeta, ddecay, dh0, b0,
                  b1, L, K, CK, work)
    }
}

#undef AVX_SIZES
#undef AVX_INLINE
#pragma GCC pop_options

/* AVX2 takes V = 8, 16, 32 or 64 and K a multiple of 8. */
static int avx2_fits(Py_ssize_t K, Py_ssize_t V) {
    return K % 8 == 0 && (V == 8 || V == 16 || V == 32 || V == 64);
}
