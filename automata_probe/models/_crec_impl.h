/* One precision of the compiled recurrence (internal): included twice by _crec.c,
 * with REAL = float, SUFFIX = f and REAL = double, SUFFIX = d.
 *
 * Per head (row b of BH = batch * heads), with h a K x V state (key-major),
 * d_t the decay (1 when none), beta_t the write strength (1 when none):
 *
 *     hp  = d_t h_{t-1}
 *     e_t = beta_t (v_t - hp^T k_t)      (erase; else e_t = beta_t v_t)
 *     h_t = hp + k_t e_t^T
 *     o_t = h_t^T q_t
 *
 * Forward keeps the state before every CK-th step (ckpt); backward recomputes
 * one block of CK steps from its checkpoint into a small buffer (the states
 * before each step and the new values e_t) and runs the adjoint recurrence
 * backward through it, so memory is BH L K V / CK, not BH L K V.
 */

#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define FN(name) CAT(name, SUFFIX)

/* sum_i a[i] b[i] with eight partial sums, one vector (the compiler may not reorder one sum) */
INLINE REAL FN(dot)(const REAL *restrict a, const REAL *restrict b, Py_ssize_t n) {
    REAL s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    Py_ssize_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) s[j] += a[i + j] * b[i + j];
    for (; i < n; i++) s[0] += a[i] * b[i];
    return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7]));
}

/* out[v] = sum_k h[k][v] x[k] (h is K x V, row-major) */
INLINE void FN(matvec_t)(const REAL *restrict h, const REAL *restrict x, REAL *restrict out,
                                Py_ssize_t K, Py_ssize_t V) {
    for (Py_ssize_t j = 0; j < V; j++) out[j] = 0;
    for (Py_ssize_t i = 0; i < K; i++) {
        const REAL xi = x[i];
        const REAL *restrict row = h + i * V;
        for (Py_ssize_t j = 0; j < V; j++) out[j] += row[j] * xi;
    }
}

/* One step forward from hb (the state before the step): hp = d hb; e; h = hp + k e^T. Writes e and h. */
INLINE void FN(step)(const REAL *restrict hb, REAL *restrict h, REAL *restrict e, const REAL *restrict k,
                            const REAL *restrict v, REAL d, REAL beta, int erase, Py_ssize_t K, Py_ssize_t V) {
    if (erase) {
        FN(matvec_t)(hb, k, e, K, V);  /* hb^T k */
        for (Py_ssize_t j = 0; j < V; j++) e[j] = beta * (v[j] - d * e[j]);
    } else {
        for (Py_ssize_t j = 0; j < V; j++) e[j] = beta * v[j];
    }
    for (Py_ssize_t i = 0; i < K; i++) {
        const REAL ki = k[i];
        const REAL *restrict src = hb + i * V;
        REAL *restrict dst = h + i * V;
        for (Py_ssize_t j = 0; j < V; j++) dst[j] = d * src[j] + ki * e[j];
    }
}

/* Forward over rows [b0, b1). h0 may be NULL (zeros); beta, decay may be NULL (ones). */
INLINE void FN(forward_body)(const REAL *q, const REAL *k, const REAL *v, const REAL *beta, const REAL *decay,
                        const REAL *h0, REAL *o, REAL *hlast, REAL *ckpt, int erase, Py_ssize_t b0, Py_ssize_t b1,
                        Py_ssize_t L, Py_ssize_t K, Py_ssize_t V, Py_ssize_t CK, REAL *work) {
    const Py_ssize_t S = K * V, nck = (L + CK - 1) / CK, P = S + PAD_BYTES / (Py_ssize_t)sizeof(REAL);
    REAL *h = work, *tmp = work + P, *e = work + 2 * P;
    for (Py_ssize_t b = b0; b < b1; b++) {
        if (h0) memcpy(h, h0 + b * S, S * sizeof(REAL));
        else memset(h, 0, S * sizeof(REAL));
        for (Py_ssize_t t = 0; t < L; t++) {
            const Py_ssize_t bt = b * L + t;
            if (t % CK == 0) memcpy(ckpt + (b * nck + t / CK) * S, h, S * sizeof(REAL));
            FN(step)(h, tmp, e, k + bt * K, v + bt * V, decay ? decay[bt] : 1, beta ? beta[bt] : 1, erase, K, V);
            REAL *swap = h; h = tmp; tmp = swap;
            FN(matvec_t)(h, q + bt * K, o + bt * V, K, V);
        }
        memcpy(hlast + b * S, h, S * sizeof(REAL));
        if (h != work) { REAL *swap = h; h = tmp; tmp = swap; }  /* h back at work for the next row */
    }
}

/* Backward over rows [b0, b1). dhlast may be NULL (zeros); dbeta / ddecay are written when beta / decay are given. */
INLINE void FN(backward_body)(const REAL *q, const REAL *k, const REAL *v, const REAL *beta, const REAL *decay,
                         const REAL *ckpt, const REAL *dout, const REAL *dhlast, REAL *dq, REAL *dk, REAL *dv,
                         REAL *dbeta, REAL *ddecay, REAL *dh0, int erase, Py_ssize_t b0, Py_ssize_t b1, Py_ssize_t L,
                         Py_ssize_t K, Py_ssize_t V, Py_ssize_t CK, REAL *work) {
    const Py_ssize_t S = K * V, nck = (L + CK - 1) / CK, P = S + PAD_BYTES / (Py_ssize_t)sizeof(REAL);
    REAL *dh = work;                    /* S: the gradient of the state after the current step */
    REAL *hbs = work + P;               /* CK states, P apart: the state before each step of the block */
    REAL *es = hbs + CK * P;            /* CK V: the new values of the block */
    REAL *de = es + CK * V, *du = de + V, *u = du + V;  /* V each */
    for (Py_ssize_t b = b0; b < b1; b++) {
        if (dhlast) memcpy(dh, dhlast + b * S, S * sizeof(REAL));
        else memset(dh, 0, S * sizeof(REAL));
        for (Py_ssize_t c = nck - 1; c >= 0; c--) {
            const Py_ssize_t t0 = c * CK, n = (L - t0 < CK) ? L - t0 : CK;
            memcpy(hbs, ckpt + (b * nck + c) * S, S * sizeof(REAL));
            for (Py_ssize_t j = 0; j < n; j++) {  /* recompute the block: hbs[j + 1] is the state after step j */
                const Py_ssize_t bt = b * L + t0 + j;
                const REAL d = decay ? decay[bt] : 1, bb = beta ? beta[bt] : 1;
                if (j + 1 < n) {
                    FN(step)(hbs + j * P, hbs + (j + 1) * P, es + j * V, k + bt * K, v + bt * V, d, bb, erase, K, V);
                } else {  /* the state after the block is not needed, only e */
                    REAL *ej = es + j * V;
                    if (erase) {
                        FN(matvec_t)(hbs + j * P, k + bt * K, ej, K, V);
                        for (Py_ssize_t i = 0; i < V; i++) ej[i] = bb * (v[bt * V + i] - d * ej[i]);
                    } else {
                        for (Py_ssize_t i = 0; i < V; i++) ej[i] = bb * v[bt * V + i];
                    }
                }
            }
            for (Py_ssize_t j = n - 1; j >= 0; j--) {
                const Py_ssize_t bt = b * L + t0 + j;
                const REAL d = decay ? decay[bt] : 1, bb = beta ? beta[bt] : 1;
                const REAL *hb = hbs + j * P, *ej = es + j * V;
                const REAL *kt = k + bt * K, *qt = q + bt * K, *vt = v + bt * V, *dot_ = dout + bt * V;
                REAL *dqt = dq + bt * K, *dkt = dk + bt * K, *dvt = dv + bt * V;
                /* o = h^T q with h = d hb + k e^T */
                const REAL edo = FN(dot)(ej, dot_, V);
                for (Py_ssize_t i = 0; i < K; i++) dqt[i] = d * FN(dot)(hb + i * V, dot_, V) + kt[i] * edo;
                for (Py_ssize_t i = 0; i < K; i++) {  /* dh += q do^T */
                    const REAL qi = qt[i];
                    REAL *restrict row = dh + i * V;
                    for (Py_ssize_t jj = 0; jj < V; jj++) row[jj] += qi * dot_[jj];
                }
                FN(matvec_t)(dh, kt, de, K, V);  /* de = dh^T k */
                for (Py_ssize_t i = 0; i < K; i++) dkt[i] = FN(dot)(dh + i * V, ej, V);  /* write: dh e */
                for (Py_ssize_t i = 0; i < V; i++) dvt[i] = bb * de[i];
                if (erase) {  /* e = beta (v - u), u = d hb^T k */
                    FN(matvec_t)(hb, kt, u, K, V);
                    REAL db = 0;
                    for (Py_ssize_t i = 0; i < V; i++) {
                        db += de[i] * (vt[i] - d * u[i]);
                        du[i] = -bb * de[i];
                    }
                    if (dbeta) dbeta[bt] = db;
                    for (Py_ssize_t i = 0; i < K; i++) {  /* dh' = dh + k du^T; dk += d hb du */
                        const REAL ki = kt[i];
                        REAL *restrict row = dh + i * V;
                        for (Py_ssize_t jj = 0; jj < V; jj++) row[jj] += ki * du[jj];
                        dkt[i] += d * FN(dot)(hb + i * V, du, V);
                    }
                } else if (dbeta) {
                    dbeta[bt] = FN(dot)(de, vt, V);
                }
                if (ddecay) ddecay[bt] = FN(dot)(dh, hb, S);  /* hp = d hb */
                if (d != 1)
                    for (Py_ssize_t i = 0; i < S; i++) dh[i] *= d;
            }
        }
        memcpy(dh0 + b * S, dh, S * sizeof(REAL));
    }
}



/* ------------------------------------------------------------------ the short causal depthwise convolution
 * x (rows, L, C), taps wt (W, C), out[t] = bias + sum_k wt[k] x[t - s_k] with s_k = W - 1 - k; times before 0
 * read hist (rows, W - 1, C) at W - 1 + t - s_k, or zero (hist NULL). Channels innermost. (The SiLU after it
 * stays in PyTorch: its vectorized exp beat a plain-C one GCC vectorizes by 2-4x here.) */
static void FN(conv_forward)(const REAL *x, const REAL *wt, const REAL *bias, const REAL *hist, REAL *out,
                             Py_ssize_t b0, Py_ssize_t b1, Py_ssize_t L, Py_ssize_t C, Py_ssize_t W) {
    for (Py_ssize_t b = b0; b < b1; b++) {
        for (Py_ssize_t t = 0; t < L; t++) {
            REAL *restrict o = out + (b * L + t) * C;
            if (bias) memcpy(o, bias, C * sizeof(REAL));
            else memset(o, 0, C * sizeof(REAL));
            for (Py_ssize_t k = 0; k < W; k++) {
                const Py_ssize_t tau = t - (W - 1 - k);
                const REAL *restrict src;
                if (tau >= 0) src = x + (b * L + tau) * C;
                else if (hist) src = hist + (b * (W - 1) + (W - 1) + tau) * C;
                else continue;
                const REAL *restrict w = wt + k * C;
                for (Py_ssize_t c = 0; c < C; c++) o[c] += w[c] * src[c];
            }
        }
    }
}

/* Its gradients from dy (rows, L, C): dx written (added to with accumulate), dhist written when given; the taps'
 * and the bias's gradients summed over the rows into dwt (W, C) and dbias (C), which the caller zeroed. */
static void FN(conv_backward)(const REAL *dy, const REAL *x, const REAL *wt, const REAL *hist, REAL *dx, REAL *dwt,
                              REAL *dbias, REAL *dhist, int accumulate, Py_ssize_t b0, Py_ssize_t b1, Py_ssize_t L,
                              Py_ssize_t C, Py_ssize_t W) {
    for (Py_ssize_t b = b0; b < b1; b++) {
        const REAL *g_all = dy + b * L * C;
        if (dhist) memset(dhist + b * (W - 1) * C, 0, (W - 1) * C * sizeof(REAL));
        for (Py_ssize_t tau = 0; tau < L; tau++) {  /* dx[tau] = sum_k wt[k] dy[tau + s_k] */
            REAL *restrict d = dx + (b * L + tau) * C;
            if (!accumulate) memset(d, 0, C * sizeof(REAL));
            for (Py_ssize_t k = 0; k < W; k++) {
                const Py_ssize_t t = tau + (W - 1 - k);
                if (t >= L) continue;
                const REAL *restrict g = g_all + t * C, *restrict w = wt + k * C;
                for (Py_ssize_t c = 0; c < C; c++) d[c] += w[c] * g[c];
            }
        }
        for (Py_ssize_t t = 0; t < L; t++) {  /* the taps: dwt[k] += dy[t] x[t - s_k]; the history; the bias */
            const REAL *restrict g = g_all + t * C;
            if (dbias)
                for (Py_ssize_t c = 0; c < C; c++) dbias[c] += g[c];
            for (Py_ssize_t k = 0; k < W; k++) {
                const Py_ssize_t tau = t - (W - 1 - k);
                const REAL *restrict src;
                if (tau >= 0) src = x + (b * L + tau) * C;
                else if (hist) {
                    src = hist + (b * (W - 1) + (W - 1) + tau) * C;
                    if (dhist) {
                        REAL *restrict dh = dhist + (b * (W - 1) + (W - 1) + tau) * C;
                        const REAL *restrict w = wt + k * C;
                        for (Py_ssize_t c = 0; c < C; c++) dh[c] += w[c] * g[c];
                    }
                } else continue;
                REAL *restrict dw = dwt + k * C;
                for (Py_ssize_t c = 0; c < C; c++) dw[c] += g[c] * src[c];
            }
        }
    }
}

/* ------------------------------------------------------------------ Mamba-2's output side
 * Per token (row = b L + l; E = H P channels): y = o + D x (o in (B, H, L, P), x rows ldx apart in (B, L, .),
 * its first E entries), u = y silu(z) (sz = sigmoid(z) given, from PyTorch's vectorized exp), out = u r w with
 * r = 1 / sqrt(mean(u^2) + eps), r kept for the backward,
 * which recomputes y and u from o, x, z and writes do in o's layout, dx (B, L, E), dz (B, L, E); the weight's and
 * D's gradients summed over the rows into dw (E) and dD (H). */
static void FN(ssd_out_forward)(const REAL *o, const REAL *x, const REAL *z, const REAL *sz, const REAL *D,
                                const REAL *w, REAL eps, REAL *out, REAL *rs, Py_ssize_t r0, Py_ssize_t r1, Py_ssize_t L, Py_ssize_t H,
                                Py_ssize_t P, Py_ssize_t ldx) {
    const Py_ssize_t E = H * P;
    for (Py_ssize_t row = r0; row < r1; row++) {
        const Py_ssize_t b = row / L, l = row % L;
        const REAL *restrict zr = z + row * E, *restrict sr = sz + row * E, *restrict xr = x + row * ldx;
        REAL *restrict outr = out + row * E;
        for (Py_ssize_t h = 0; h < H; h++) {  /* u = (o + D x) silu(z); every loop without a sum vectorizes */
            const REAL *restrict oh = o + ((b * H + h) * L + l) * P, *restrict xh = xr + h * P;
            const REAL *restrict zh = zr + h * P, *restrict sh = sr + h * P;
            REAL *restrict uh = outr + h * P;
            const REAL d = D[h];
            for (Py_ssize_t p = 0; p < P; p++) uh[p] = (oh[p] + d * xh[p]) * zh[p] * sh[p];
        }
        const REAL r = (REAL)1 / SQRT(FN(dot)(outr, outr, E) / (REAL)E + eps);
        rs[row] = r;
        for (Py_ssize_t e = 0; e < E; e++) outr[e] *= r * w[e];
    }
}

/* work: 2 E scratch (u^ and g = dn w of the row) */
static void FN(ssd_out_backward)(const REAL *dn, const REAL *o, const REAL *x, const REAL *z, const REAL *sz,
                                 const REAL *D, const REAL *w, const REAL *rs, REAL *dO, REAL *dx, REAL *dz, REAL *dw, REAL *dD,
                                 Py_ssize_t r0, Py_ssize_t r1, Py_ssize_t L, Py_ssize_t H, Py_ssize_t P,
                                 Py_ssize_t ldx, REAL *work) {
    const Py_ssize_t E = H * P;
    REAL *restrict u = work, *restrict g = work + E;
    for (Py_ssize_t row = r0; row < r1; row++) {
        const Py_ssize_t b = row / L, l = row % L;
        const REAL *restrict zr = z + row * E, *restrict sr = sz + row * E, *restrict xr = x + row * ldx;
        const REAL *restrict dnr = dn + row * E;
        const REAL r = rs[row];
        for (Py_ssize_t h = 0; h < H; h++) {  /* u^ = u r, g = dn w */
            const REAL *restrict oh = o + ((b * H + h) * L + l) * P, *restrict xh = xr + h * P;
            const REAL *restrict zh = zr + h * P, *restrict sh = sr + h * P;
            REAL *restrict uh = u + h * P;
            const REAL d = D[h];
            for (Py_ssize_t p = 0; p < P; p++) uh[p] = (oh[p] + d * xh[p]) * zh[p] * sh[p] * r;
        }
        for (Py_ssize_t e = 0; e < E; e++) {
            g[e] = dnr[e] * w[e];
            dw[e] += dnr[e] * u[e];
        }
        const REAL mean = FN(dot)(g, u, E) / (REAL)E;
        REAL *restrict dzr = dz + row * E, *restrict dxr = dx + row * E;
        for (Py_ssize_t h = 0; h < H; h++) {
            const REAL *restrict oh = o + ((b * H + h) * L + l) * P, *restrict xh = xr + h * P;
            const REAL *restrict zh = zr + h * P, *restrict sh = sr + h * P;
            const REAL *restrict uh = u + h * P, *restrict gh = g + h * P;
            REAL *restrict doh = dO + ((b * H + h) * L + l) * P, *restrict dzh = dzr + h * P, *restrict dxh = dxr + h * P;
            const REAL d = D[h];
            for (Py_ssize_t p = 0; p < P; p++) {
                const REAL zz = zh[p], sg = sh[p], y = oh[p] + d * xh[p];
                const REAL du = r * (gh[p] - uh[p] * mean);  /* r (g - u^ mean(g u^)) */
                const REAL dy = du * zz * sg;  /* u = y silu(z) */
                dzh[p] = du * y * sg * ((REAL)1 + zz * ((REAL)1 - sg));
                doh[p] = dy;
                dxh[p] = dy * d;
            }
            dD[h] += FN(dot)(doh, xh, P);
        }
    }
}

/* ------------------------------------------------------------------ the DeltaNet family's output side
 * Per token (row = b L + l) and head h of V: o^ = o r with r = 1 / sqrt(mean(o^2) + eps) (o in (B, H, L, V),
 * or every step-th of (B, H, L step, V) from the (step - 1)-th: DeltaProduct's last Householder step),
 * out = o^ w, times silu(gate) when a gate is given (rows ldg apart, its first H V entries; sg = sigmoid(gate)
 * given, (B, L, H V), from PyTorch's vectorized exp); r kept (B, H, L) for
 * the backward, which writes do in o's layout and dgate (B, L, H V), and sums the weight's gradient into dw. */
static void FN(delta_out_forward)(const REAL *o, const REAL *gate, const REAL *sg, const REAL *w, REAL eps,
                                  REAL *out, REAL *rs,
                                  Py_ssize_t r0, Py_ssize_t r1, Py_ssize_t L, Py_ssize_t H, Py_ssize_t V,
                                  Py_ssize_t ldg, Py_ssize_t step) {
    for (Py_ssize_t row = r0; row < r1; row++) {
        const Py_ssize_t b = row / L, l = row % L;
        for (Py_ssize_t h = 0; h < H; h++) {
            const REAL *restrict oh = o + (((b * H + h) * L + l) * step + step - 1) * V;
            REAL *restrict outh = out + (row * H + h) * V;
            const REAL r = (REAL)1 / SQRT(FN(dot)(oh, oh, V) / (REAL)V + eps);
            rs[(b * H + h) * L + l] = r;
            if (gate) {
                const REAL *restrict gh = gate + row * ldg + h * V, *restrict sgh = sg + (row * H + h) * V;
                for (Py_ssize_t v = 0; v < V; v++) outh[v] = oh[v] * r * w[v] * gh[v] * sgh[v];
            } else {
                for (Py_ssize_t v = 0; v < V; v++) outh[v] = oh[v] * r * w[v];
            }
        }
    }
}

/* work: 2 V scratch (the gradient of o^ w, and of the norm's output) */
static void FN(delta_out_backward)(const REAL *dn, const REAL *o, const REAL *gate, const REAL *sg, const REAL *w,
                                   const REAL *rs,
                                   REAL *dO, REAL *dgate, REAL *dw, Py_ssize_t r0, Py_ssize_t r1, Py_ssize_t L,
                                   Py_ssize_t H, Py_ssize_t V, Py_ssize_t ldg, Py_ssize_t step, REAL *work) {
    REAL *restrict g = work, *restrict dm = work + V;
    for (Py_ssize_t row = r0; row < r1; row++) {
        const Py_ssize_t b = row / L, l = row % L;
        for (Py_ssize_t h = 0; h < H; h++) {
            const Py_ssize_t at = (b * H + h) * L + l;
            const REAL *restrict oh = o + (at * step + step - 1) * V, *restrict dnh = dn + (row * H + h) * V;
            REAL *restrict doh = dO + at * V;
            const REAL r = rs[at];
            if (gate) {  /* out = o^ w silu(gate) */
                const REAL *restrict gh = gate + row * ldg + h * V, *restrict sgh = sg + (row * H + h) * V;
                REAL *restrict dgh = dgate + (row * H + h) * V;
                for (Py_ssize_t v = 0; v < V; v++) {
                    const REAL gt = gh[v], s = sgh[v];
                    dgh[v] = dnh[v] * oh[v] * r * w[v] * s * ((REAL)1 + gt * ((REAL)1 - s));
                    dm[v] = dnh[v] * gt * s;
                }
            } else {
                for (Py_ssize_t v = 0; v < V; v++) dm[v] = dnh[v];
            }
            for (Py_ssize_t v = 0; v < V; v++) {
                dw[v] += dm[v] * oh[v] * r;
                g[v] = dm[v] * w[v];
            }
            const REAL mean = FN(dot)(g, oh, V) * r / (REAL)V;  /* mean of g o^ */
            for (Py_ssize_t v = 0; v < V; v++) doh[v] = r * (g[v] - oh[v] * r * mean);
        }
    }
}

/* The entry points, generic in K and V (the compiler vectorizes the loops over V). */
#define SIZES(call, ...) call(__VA_ARGS__, K, V, CK, work);

static void FN(forward)(const REAL *q, const REAL *k, const REAL *v, const REAL *beta, const REAL *decay,
                               const REAL *h0, REAL *o, REAL *hlast, REAL *ckpt, int erase, Py_ssize_t b0,
                               Py_ssize_t b1, Py_ssize_t L, Py_ssize_t K, Py_ssize_t V, Py_ssize_t CK, REAL *work) {
    SIZES(FN(forward_body), q, k, v, beta, decay, h0, o, hlast, ckpt, erase, b0, b1, L)
}

static void FN(backward)(const REAL *q, const REAL *k, const REAL *v, const REAL *beta, const REAL *decay,
                                const REAL *ckpt, const REAL *dout, const REAL *dhlast, REAL *dq, REAL *dk, REAL *dv,
                                REAL *dbeta, REAL *ddecay, REAL *dh0, int erase, Py_ssize_t b0, Py_ssize_t b1,
                                Py_ssize_t L, Py_ssize_t K, Py_ssize_t V, Py_ssize_t CK, REAL *work) {
    SIZES(FN(backward_body), q, k, v, beta, decay, ckpt, dout, dhlast, dq, dk, dv, dbeta, ddecay, dh0, erase, b0, b1,
          L)
}

#undef SIZES
#undef FN
