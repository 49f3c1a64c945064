/* The matrix-state recurrences of models/linear_rnn.py, compiled (internal; optional).
 *
 * The gated delta rule (DeltaNet, Gated DeltaNet, DeltaProduct expanded to
 * n_h L steps) and Mamba-2's scalar-decay recurrence (SSD) are one recurrence
 * per head, step by step (see _crec_impl.h):
 *
 *     h_t = d_t h_{t-1} + k_t e_t^T,  e_t = beta_t (v_t - d_t h_{t-1}^T k_t)  (erase)  or  beta_t v_t,
 *     o_t = h_t^T q_t,
 *
 * forward and backward. At the sizes these models train at on a CPU (heads of
 * 16 x 16 to 16 x 32 states), a step is a few hundred multiply-adds: too
 * little for a batched matrix product to pay its overhead, so the whole
 * recurrence runs here with the state in L1 cache, rows (batch x head)
 * split over threads.
 *
 * Arguments are C-contiguous buffers (torch tensors through numpy, made
 * contiguous by the caller, automata_probe/models/compiled.py), all float32
 * or all float64, sizes checked here; None for an absent beta / decay (ones),
 * h0 / dhlast (zeros), dbeta / ddecay (not wanted).
 *
 * CPython C API and POSIX threads only; built by setup.py as an optional
 * extension: without a compiler the package runs the chunked PyTorch path.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>
#include <stdlib.h>
#include <math.h>
#ifndef _WIN32
#include <pthread.h>
#define HAVE_THREADS 1
#endif

#define MAX_THREADS 64

/* Padding between the states of a work buffer: states of 16 x 16 floats 1 KiB apart would alias in the
 * store-to-load forwarding of x86 CPUs (addresses 4 KiB apart), which measured up to 2x slower. */
#define PAD_BYTES 64

#if defined(__GNUC__) || defined(__clang__)
#define INLINE static inline __attribute__((always_inline))
#else
#define INLINE static inline
#endif

#define REAL float
#define SUFFIX _f
#define SQRT sqrtf
#include "_crec_impl.h"
#undef SQRT
#undef REAL
#undef SUFFIX

#define REAL double
#define SUFFIX _d
#define SQRT sqrt
#include "_crec_impl.h"
#undef SQRT
#undef REAL
#undef SUFFIX

/* x86-64 with GCC: float32 kernels in AVX2 + FMA, taken when the CPU has them (checked once, at import) */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define HAVE_AVX2 1
#include "_crec_avx2.h"
#endif
static int use_avx2 = 0;

/* --------------------------------------------------------------------- arguments */
typedef struct {
    Py_buffer view;
    int held;
} Arg;

/* Take `obj` as a C-contiguous buffer of `count` items of format `fmt` ('f' / 'd'); None allowed when `optional`. */
static int take(PyObject *obj, Arg *arg, const char *name, Py_ssize_t count, char fmt, int writable, int optional) {
    arg->held = 0;
    if (obj == Py_None) {
        if (optional) return 0;
        PyErr_Format(PyExc_TypeError, "%s: a buffer is required", name);
        return -1;
    }
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, &arg->view, flags) < 0) return -1;
    arg->held = 1;
    const char *f = arg->view.format ? arg->view.format : "B";
    if (f[0] == '<' || f[0] == '=' || f[0] == '@') f++;
    if (f[0] != fmt || f[1] != '\0') {
        PyErr_Format(PyExc_TypeError, "%s: format %s, expected %c", name, arg->view.format, fmt);
        return -1;
    }
    if (arg->view.len != count * arg->view.itemsize) {
        PyErr_Format(PyExc_ValueError, "%s: %zd items, expected %zd", name, arg->view.len / arg->view.itemsize, count);
        return -1;
    }
    return 0;
}

static void release(Arg *args, int n) {
    for (int i = 0; i < n; i++)
        if (args[i].held) PyBuffer_Release(&args[i].view);
}

/* take() each of the n objects (optional NULL: none optional); on a failure, release what was taken. */
static int take_all(PyObject **objs, Arg *args, int n, const char *const *names, const Py_ssize_t *counts, char fmt,
                    const int *writable, const int *optional) {
    for (int i = 0; i < n; i++)
        if (take(objs[i], &args[i], names[i], counts[i], fmt, writable[i], optional ? optional[i] : 0) < 0) {
            release(args, i + 1);
            return -1;
        }
    return 0;
}

static void *ptr(Arg *a) { return a->held ? a->view.buf : NULL; }

/* --------------------------------------------------------------------- threads */
/* A kernel over rows [b0, b1) as job `job` of a split, with `scratch` its own zeroed bytes (work buffers, or
 * partial sums the caller adds up in job order: the same result for the same thread count). */
typedef void (*RowsFn)(void *ctx, Py_ssize_t b0, Py_ssize_t b1, int job, char *scratch);

typedef struct {
    RowsFn fn;
    void *ctx;
    Py_ssize_t b0, b1;
    int job;
    char *scratch;
} Slice;

#ifdef HAVE_THREADS
static void *slice_main(void *arg) {
    Slice *s = arg;
    s->fn(s->ctx, s->b0, s->b1, s->job, s->scratch);
    return NULL;
}
#endif

/* How many jobs split `rows` rows for `threads` threads. */
static int job_count(Py_ssize_t rows, int threads) {
    if (threads < 1) threads = 1;
    if (threads > MAX_THREADS) threads = MAX_THREADS;
    if (threads > rows) threads = (int)(rows > 0 ? rows : 1);
#ifndef HAVE_THREADS
    threads = 1;
#endif
    return threads;
}

/* Run fn over `rows` rows in `jobs` slices, one thread each, without the GIL; `scratch` holds jobs x
 * scratch_bytes zeroed bytes (NULL: none). */
static void run_rows(RowsFn fn, void *ctx, Py_ssize_t rows, int jobs, char *scratch, size_t scratch_bytes) {
    Slice slices[MAX_THREADS];
    for (int i = 0; i < jobs; i++)
        slices[i] = (Slice){fn, ctx, rows * i / jobs, rows * (i + 1) / jobs, i,
                            scratch ? scratch + (size_t)i * scratch_bytes : NULL};
    Py_BEGIN_ALLOW_THREADS
#ifdef HAVE_THREADS
    pthread_t tids[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    for (int i = 1; i < jobs; i++) started[i] = pthread_create(&tids[i], NULL, slice_main, &slices[i]) == 0;
    fn(ctx, slices[0].b0, slices[0].b1, 0, slices[0].scratch);
    for (int i = 1; i < jobs; i++) {
        if (started[i]) pthread_join(tids[i], NULL);
        else fn(ctx, slices[i].b0, slices[i].b1, i, slices[i].scratch);  /* no thread: run it here */
    }
#else
    for (int i = 0; i < jobs; i++) fn(ctx, slices[i].b0, slices[i].b1, i, slices[i].scratch);
#endif
    Py_END_ALLOW_THREADS
}

/* Zeroed scratch for `jobs` jobs of `items` items each (padded apart by PAD_BYTES), or NULL with MemoryError. */
static char *scratch_for(int jobs, size_t items, size_t item, size_t *bytes) {
    *bytes = items * item + PAD_BYTES;
    char *p = calloc((size_t)jobs, *bytes);
    if (!p) PyErr_NoMemory();
    return p;
}

/* dst[e] = sum over jobs of the job's partial e (float or double), for e < n, from scratch laid out per job. */
static void sum_partials(void *dst, const char *scratch, size_t bytes, int jobs, Py_ssize_t offset, Py_ssize_t n,
                         int dbl) {
    for (Py_ssize_t e = 0; e < n; e++) {
        double acc = 0;
        for (int i = 0; i < jobs; i++) {
            const char *part = scratch + (size_t)i * bytes;
            acc += dbl ? ((const double *)part)[offset + e] : (double)((const float *)part)[offset + e];
        }
        if (dbl) ((double *)dst)[e] = acc;
        else ((float *)dst)[e] = (float)acc;
    }
}

/* --------------------------------------------------------------------- the recurrence's jobs */
typedef struct {
    int backward, dbl, erase;
    Py_ssize_t L, K, V, CK;
    void *p[14];
} Rec;

static void rec_rows(void *ctx, Py_ssize_t b0, Py_ssize_t b1, int job, char *scratch) {
    Rec *j = ctx;
    void **p = j->p;
    void *work = scratch;
    if (!j->backward) {
        if (j->dbl)
            forward_d(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], j->erase, b0, b1, j->L, j->K, j->V,
                      j->CK, work);
#ifdef HAVE_AVX2
        else if (use_avx2 && avx2_fits(j->K, j->V))
            forward_avx2(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], j->erase, b0, b1, j->L, j->K, j->V,
                         j->CK, work);
#endif
        else
            forward_f(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], j->erase, b0, b1, j->L, j->K, j->V,
                      j->CK, work);
    } else {
        if (j->dbl)
            backward_d(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13],
                       j->erase, b0, b1, j->L, j->K, j->V, j->CK, work);
#ifdef HAVE_AVX2
        else if (use_avx2 && avx2_fits(j->K, j->V))
            backward_avx2(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13],
                          j->erase, b0, b1, j->L, j->K, j->V, j->CK, work);
#endif
        else
            backward_f(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13],
                       j->erase, b0, b1, j->L, j->K, j->V, j->CK, work);
    }
}

/* Split rows [0, BH) of the recurrence over threads, each with `work_items` items of work buffer. */
static int run_split(Rec *rec, Py_ssize_t BH, int threads, size_t work_items) {
    int jobs = job_count(BH, threads);
    size_t bytes;
    char *scratch = scratch_for(jobs, work_items, rec->dbl ? sizeof(double) : sizeof(float), &bytes);
    if (!scratch) return -1;
    run_rows(rec_rows, rec, BH, jobs, scratch, bytes);
    free(scratch);
    return 0;
}

static int format_of(PyObject *obj, char *fmt) {
    Py_buffer view;
    if (PyObject_GetBuffer(obj, &view, PyBUF_FORMAT | PyBUF_C_CONTIGUOUS) < 0) return -1;
    const char *f = view.format ? view.format : "B";
    if (f[0] == '<' || f[0] == '=' || f[0] == '@') f++;
    *fmt = f[0];
    PyBuffer_Release(&view);
    if (*fmt != 'f' && *fmt != 'd') {
        PyErr_SetString(PyExc_TypeError, "q: float32 or float64 buffers expected");
        return -1;
    }
    return 0;
}

static int check_sizes(Py_ssize_t BH, Py_ssize_t L, Py_ssize_t K, Py_ssize_t V, Py_ssize_t CK) {
    if (BH < 0 || L < 0 || K < 1 || V < 1 || CK < 1) {
        PyErr_SetString(PyExc_ValueError, "sizes: BH, L >= 0 and K, V, CK >= 1 expected");
        return -1;
    }
    return 0;
}

/* --------------------------------------------------------------------- forward */
static PyObject *rec_forward(PyObject *self, PyObject *args) {
    PyObject *o[9];
    int erase, threads;
    Py_ssize_t BH, L, K, V, CK;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOpnnnnni:forward", &o[0], &o[1], &o[2], &o[3], &o[4], &o[5], &o[6], &o[7],
                          &o[8], &erase, &BH, &L, &K, &V, &CK, &threads))
        return NULL;
    if (check_sizes(BH, L, K, V, CK) < 0) return NULL;
    char fmt;
    if (format_of(o[0], &fmt) < 0) return NULL;
    const Py_ssize_t nck = (L + CK - 1) / CK;
    static const char *names[9] = {"q", "k", "v", "beta", "decay", "h0", "o", "hlast", "ckpt"};
    const Py_ssize_t counts[9] = {BH * L * K, BH * L * K, BH * L * V, BH * L, BH * L, BH * K * V, BH * L * V,
                                  BH * K * V, BH * nck * K * V};
    const int writable[9] = {0, 0, 0, 0, 0, 0, 1, 1, 1}, optional[9] = {0, 0, 0, 1, 1, 1, 0, 0, 0};
    Arg a[9];
    if (take_all(o, a, 9, names, counts, fmt, writable, optional) < 0) return NULL;
    Rec job = {.backward = 0, .dbl = fmt == 'd', .erase = erase, .L = L, .K = K, .V = V, .CK = CK};
    for (int i = 0; i < 9; i++) job.p[i] = ptr(&a[i]);
    const Py_ssize_t P = K * V + PAD_BYTES / (fmt == 'd' ? 8 : 4);
    int rc = run_split(&job, BH, threads, (size_t)(3 * P));
    release(a, 9);
    if (rc < 0) return NULL;
    Py_RETURN_NONE;
}

/* --------------------------------------------------------------------- backward */
static PyObject *rec_backward(PyObject *self, PyObject *args) {
    PyObject *o[14];
    int erase, threads;
    Py_ssize_t BH, L, K, V, CK;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOOOOOOpnnnnni:backward", &o[0], &o[1], &o[2], &o[3], &o[4], &o[5], &o[6],
                          &o[7], &o[8], &o[9], &o[10], &o[11], &o[12], &o[13], &erase, &BH, &L, &K, &V, &CK, &threads))
        return NULL;
    if (check_sizes(BH, L, K, V, CK) < 0) return NULL;
    char fmt;
    if (format_of(o[0], &fmt) < 0) return NULL;
    const Py_ssize_t nck = (L + CK - 1) / CK;
    static const char *names[14] = {"q", "k", "v", "beta", "decay", "ckpt", "dout", "dhlast", "dq", "dk", "dv",
                                    "dbeta", "ddecay", "dh0"};
    const Py_ssize_t counts[14] = {BH * L * K, BH * L * K, BH * L * V, BH * L, BH * L, BH * nck * K * V, BH * L * V,
                                   BH * K * V, BH * L * K, BH * L * K, BH * L * V, BH * L, BH * L, BH * K * V};
    const int writable[14] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1};
    const int optional[14] = {0, 0, 0, 1, 1, 0, 0, 1, 0, 0, 0, 1, 1, 0};
    Arg a[14];
    if (take_all(o, a, 14, names, counts, fmt, writable, optional) < 0) return NULL;
    if ((a[11].held && !a[3].held) || (a[12].held && !a[4].held)) {
        release(a, 14);
        PyErr_SetString(PyExc_ValueError, "dbeta / ddecay need beta / decay");
        return NULL;
    }
    Rec job = {.backward = 1, .dbl = fmt == 'd', .erase = erase, .L = L, .K = K, .V = V, .CK = CK};
    for (int i = 0; i < 14; i++) job.p[i] = ptr(&a[i]);
    const Py_ssize_t P = K * V + PAD_BYTES / (fmt == 'd' ? 8 : 4);
    int rc = run_split(&job, BH, threads, (size_t)((CK + 2) * P + (2 * CK + 3) * V));
    release(a, 14);
    if (rc < 0) return NULL;
    Py_RETURN_NONE;
}

/* --------------------------------------------------------------------- the short convolution */
typedef struct {
    int backward, dbl, accumulate;
    Py_ssize_t L, C, W;
    void *p[8];
} Conv;

static void conv_rows(void *ctx, Py_ssize_t b0, Py_ssize_t b1, int job, char *scratch) {
    Conv *j = ctx;
    void **p = j->p;
    if (!j->backward) {  /* x wt bias hist out */
        if (j->dbl) conv_forward_d(p[0], p[1], p[2], p[3], p[4], b0, b1, j->L, j->C, j->W);
        else conv_forward_f(p[0], p[1], p[2], p[3], p[4], b0, b1, j->L, j->C, j->W);
        return;
    }
    /* dy x wt hist dx dwt dbias dhist; scratch: this job's partial dwt (W C), then dbias (C) */
    size_t item = j->dbl ? sizeof(double) : sizeof(float), wc = (size_t)(j->W * j->C);
    char *dbias = p[6] ? scratch + wc * item : NULL;
    if (j->dbl)
        conv_backward_d(p[0], p[1], p[2], p[3], p[4], (double *)scratch, (double *)dbias, p[7], j->accumulate, b0, b1,
                        j->L, j->C, j->W);
    else
        conv_backward_f(p[0], p[1], p[2], p[3], p[4], (float *)scratch, (float *)dbias, p[7], j->accumulate, b0, b1,
                        j->L, j->C, j->W);
}

static int run_conv_split(Conv *conv, Py_ssize_t rows, int threads) {
    int jobs = job_count(rows, threads);
    if (!conv->backward) {
        run_rows(conv_rows, conv, rows, jobs, NULL, 0);
        return 0;
    }
    size_t bytes, wc = (size_t)(conv->W * conv->C);
    char *scratch = scratch_for(jobs, wc + (size_t)conv->C, conv->dbl ? sizeof(double) : sizeof(float), &bytes);
    if (!scratch) return -1;
    run_rows(conv_rows, conv, rows, jobs, scratch, bytes);
    sum_partials(conv->p[5], scratch, bytes, jobs, 0, (Py_ssize_t)wc, conv->dbl);
    if (conv->p[6]) sum_partials(conv->p[6], scratch, bytes, jobs, (Py_ssize_t)wc, conv->C, conv->dbl);
    free(scratch);
    return 0;
}

static PyObject *rec_conv_forward(PyObject *self, PyObject *args) {
    PyObject *o[5];
    Py_ssize_t R, L, C, W;
    int threads;
    if (!PyArg_ParseTuple(args, "OOOOOnnnni:conv_forward", &o[0], &o[1], &o[2], &o[3], &o[4], &R, &L, &C, &W,
                          &threads))
        return NULL;
    if (R < 0 || L < 0 || C < 1 || W < 1) {
        PyErr_SetString(PyExc_ValueError, "sizes: rows, L >= 0 and C, W >= 1 expected");
        return NULL;
    }
    char fmt;
    if (format_of(o[0], &fmt) < 0) return NULL;
    static const char *names[5] = {"x", "wt", "bias", "hist", "out"};
    const Py_ssize_t counts[5] = {R * L * C, W * C, C, R * (W - 1) * C, R * L * C};
    const int writable[5] = {0, 0, 0, 0, 1}, optional[5] = {0, 0, 1, 1, 0};
    Arg a[5];
    if (take_all(o, a, 5, names, counts, fmt, writable, optional) < 0) return NULL;
    Conv job = {.backward = 0, .dbl = fmt == 'd', .L = L, .C = C, .W = W};
    for (int i = 0; i < 5; i++) job.p[i] = ptr(&a[i]);
    int rc = run_conv_split(&job, R, threads);
    release(a, 5);
    if (rc < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *rec_conv_backward(PyObject *self, PyObject *args) {
    PyObject *o[8];
    Py_ssize_t R, L, C, W;
    int accumulate, threads;
    if (!PyArg_ParseTuple(args, "OOOOOOOOpnnnni:conv_backward", &o[0], &o[1], &o[2], &o[3], &o[4], &o[5], &o[6],
                          &o[7], &accumulate, &R, &L, &C, &W, &threads))
        return NULL;
    if (R < 0 || L < 0 || C < 1 || W < 1) {
        PyErr_SetString(PyExc_ValueError, "sizes: rows, L >= 0 and C, W >= 1 expected");
        return NULL;
    }
    char fmt;
    if (format_of(o[0], &fmt) < 0) return NULL;
    static const char *names[8] = {"dy", "x", "wt", "hist", "dx", "dwt", "dbias", "dhist"};
    const Py_ssize_t counts[8] = {R * L * C, R * L * C, W * C, R * (W - 1) * C, R * L * C, W * C, C,
                                  R * (W - 1) * C};
    const int writable[8] = {0, 0, 0, 0, 1, 1, 1, 1}, optional[8] = {0, 0, 0, 1, 0, 0, 1, 1};
    Arg a[8];
    if (take_all(o, a, 8, names, counts, fmt, writable, optional) < 0) return NULL;
    if (a[7].held && !a[3].held) {
        release(a, 8);
        PyErr_SetString(PyExc_ValueError, "dhist needs hist");
        return NULL;
    }
    Conv job = {.backward = 1, .dbl = fmt == 'd', .accumulate = accumulate, .L = L, .C = C, .W = W};
    for (int i = 0; i < 8; i++) job.p[i] = ptr(&a[i]);
    int rc = run_conv_split(&job, R, threads);
    release(a, 8);
    if (rc < 0) return NULL;
    Py_RETURN_NONE;
}

/* --------------------------------------------------------------------- Mamba-2's output side */
typedef struct {
    int backward, dbl;
    Py_ssize_t L, H, P, ldx;
    double eps;
    void *p[13];
} SSDOut;

static void ssd_out_rows(void *ctx, Py_ssize_t r0, Py_ssize_t r1, int job, char *scratch) {
    SSDOut *j = ctx;
    void **p = j->p;
    if (!j->backward) {  /* o x z sz D w out rs */
        if (j->dbl)
            ssd_out_forward_d(p[0], p[1], p[2], p[3], p[4], p[5], j->eps, p[6], p[7], r0, r1, j->L, j->H, j->P, j->ldx);
        else
            ssd_out_forward_f(p[0], p[1], p[2], p[3], p[4], p[5], (float)j->eps, p[6], p[7], r0, r1, j->L, j->H, j->P,
                              j->ldx);
        return;
    }
    /* dn o x z sz D w rs dO dx dz; scratch: this job's dw (E), dD (H), then 2 E of work */
    const Py_ssize_t E = j->H * j->P;
    size_t item = j->dbl ? sizeof(double) : sizeof(float);
    char *dD = scratch + (size_t)E * item, *row = dD + (size_t)j->H * item;
    if (j->dbl)
        ssd_out_backward_d(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], (double *)scratch,
                           (double *)dD, r0, r1, j->L, j->H, j->P, j->ldx, (double *)row);
    else
        ssd_out_backward_f(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], (float *)scratch,
                           (float *)dD, r0, r1, j->L, j->H, j->P, j->ldx, (float *)row);
}

/* The sizes of an output side: B, L >= 0, H heads of P >= 1, rows ld apart read from column col, every step-th
 * position of o. */
static int side_sizes(Py_ssize_t B, Py_ssize_t L, Py_ssize_t H, Py_ssize_t P, Py_ssize_t ld, Py_ssize_t col,
                      Py_ssize_t step) {
    if (B < 0 || L < 0 || H < 1 || P < 1 || col < 0 || ld < col + H * P || step < 1) {
        PyErr_SetString(PyExc_ValueError, "sizes: B, L >= 0, H, P, step >= 1 and row stride >= column + H P expected");
        return -1;
    }
    return 0;
}

/* ssd_out_forward(o, x, z, sz, D, w, eps, out, rs, B, L, H, P, ldx, xcol, threads): x's rows ldx apart in its
 * buffer, from column xcol; sz = sigmoid(z) */
static PyObject *rec_ssd_out_forward(PyObject *self, PyObject *args) {
    PyObject *o[8];
    double eps;
    Py_ssize_t B, L, H, P, ldx, xcol;
    int threads;
    if (!PyArg_ParseTuple(args, "OOOOOOdOOnnnnnni:ssd_out_forward", &o[0], &o[1], &o[2], &o[3], &o[4], &o[5], &eps,
                          &o[6], &o[7], &B, &L, &H, &P, &ldx, &xcol, &threads))
        return NULL;
    if (side_sizes(B, L, H, P, ldx, xcol, 1) < 0) return NULL;
    char fmt;
    if (format_of(o[0], &fmt) < 0) return NULL;
    const Py_ssize_t E = H * P, R = B * L;
    static const char *names[8] = {"o", "x", "z", "sz", "D", "w", "out", "rs"};
    const Py_ssize_t counts[8] = {R * E, R * ldx, R * E, R * E, H, E, R * E, R};
    const int writable[8] = {0, 0, 0, 0, 0, 0, 1, 1};
    Arg a[8];
    if (take_all(o, a, 8, names, counts, fmt, writable, NULL) < 0) return NULL;
    SSDOut job = {.backward = 0, .dbl = fmt == 'd', .L = L, .H = H, .P = P, .ldx = ldx, .eps = eps};
    for (int i = 0; i < 8; i++) job.p[i] = ptr(&a[i]);
    job.p[1] = (char *)job.p[1] + xcol * a[1].view.itemsize;
    run_rows(ssd_out_rows, &job, R, job_count(R, threads), NULL, 0);
    release(a, 8);
    Py_RETURN_NONE;
}

/* ssd_out_backward(dn, o, x, z, sz, D, w, rs, dO, dx, dz, dw, dD, B, L, H, P, ldx, xcol, threads) */
static PyObject *rec_ssd_out_backward(PyObject *self, PyObject *args) {
    PyObject *o[13];
    Py_ssize_t B, L, H, P, ldx, xcol;
    int threads;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOOOOOnnnnnni:ssd_out_backward", &o[0], &o[1], &o[2], &o[3], &o[4], &o[5],
                          &o[6], &o[7], &o[8], &o[9], &o[10], &o[11], &o[12], &B, &L, &H, &P, &ldx, &xcol, &threads))
        return NULL;
    if (side_sizes(B, L, H, P, ldx, xcol, 1) < 0) return NULL;
    char fmt;
    if (format_of(o[0], &fmt) < 0) return NULL;
    const Py_ssize_t E = H * P, R = B * L;
    static const char *names[13] = {"dn", "o", "x", "z", "sz", "D", "w", "rs", "dO", "dx", "dz", "dw", "dD"};
    const Py_ssize_t counts[13] = {R * E, R * E, R * ldx, R * E, R * E, H, E, R, R * E, R * E, R * E, E, H};
    const int writable[13] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1};
    Arg a[13];
    if (take_all(o, a, 13, names, counts, fmt, writable, NULL) < 0) return NULL;
    SSDOut job = {.backward = 1, .dbl = fmt == 'd', .L = L, .H = H, .P = P, .ldx = ldx};
    for (int i = 0; i < 11; i++) job.p[i] = ptr(&a[i]);
    job.p[2] = (char *)job.p[2] + xcol * a[2].view.itemsize;
    int jobs = job_count(R, threads);
    size_t bytes;
    char *scratch = scratch_for(jobs, (size_t)(3 * E + H), fmt == 'd' ? sizeof(double) : sizeof(float), &bytes);
    if (!scratch) {
        release(a, 13);
        return NULL;
    }
    run_rows(ssd_out_rows, &job, R, jobs, scratch, bytes);
    sum_partials(ptr(&a[11]), scratch, bytes, jobs, 0, E, job.dbl);
    sum_partials(ptr(&a[12]), scratch, bytes, jobs, E, H, job.dbl);
    free(scratch);
    release(a, 13);
    Py_RETURN_NONE;
}

/* --------------------------------------------------------------------- the DeltaNet family's output side */
typedef struct {
    int backward, dbl;
    Py_ssize_t L, H, V, ldg, step;
    double eps;
    void *p[8];
} DeltaOut;

static void delta_out_rows(void *ctx, Py_ssize_t r0, Py_ssize_t r1, int job, char *scratch) {
    DeltaOut *j = ctx;
    void **p = j->p;
    if (!j->backward) {  /* o gate sg w out rs */
        if (j->dbl)
            delta_out_forward_d(p[0], p[1], p[2], p[3], j->eps, p[4], p[5], r0, r1, j->L, j->H, j->V, j->ldg, j->step);
        else
            delta_out_forward_f(p[0], p[1], p[2], p[3], (float)j->eps, p[4], p[5], r0, r1, j->L, j->H, j->V, j->ldg,
                                j->step);
        return;
    }
    /* dn o gate sg w rs dO dgate; scratch: this job's dw (V), then 2 V of work */
    size_t item = j->dbl ? sizeof(double) : sizeof(float);
    char *g = scratch + (size_t)j->V * item;
    if (j->dbl)
        delta_out_backward_d(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], (double *)scratch, r0, r1, j->L, j->H,
                             j->V, j->ldg, j->step, (double *)g);
    else
        delta_out_backward_f(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], (float *)scratch, r0, r1, j->L, j->H,
                             j->V, j->ldg, j->step, (float *)g);
}

/* delta_out_forward(o, gate, sg, w, eps, out, rs, B, L, H, V, ldg, gcol, step, threads): the gate's rows ldg
 * apart in its buffer, from column gcol; sg = sigmoid(gate), (B, L, H V) */
static PyObject *rec_delta_out_forward(PyObject *self, PyObject *args) {
    PyObject *o[6];
    double eps;
    Py_ssize_t B, L, H, V, ldg, gcol, step;
    int threads;
    if (!PyArg_ParseTuple(args, "OOOOdOOnnnnnnni:delta_out_forward", &o[0], &o[1], &o[2], &o[3], &eps, &o[4], &o[5],
                          &B, &L, &H, &V, &ldg, &gcol, &step, &threads))
        return NULL;
    if (side_sizes(B, L, H, V, ldg, gcol, step) < 0) return NULL;
    char fmt;
    if (format_of(o[0], &fmt) < 0) return NULL;
    const Py_ssize_t R = B * L, E = H * V;
    static const char *names[6] = {"o", "gate", "sg", "w", "out", "rs"};
    const Py_ssize_t counts[6] = {R * E * step, R * ldg, R * E, V, R * E, R * H};
    const int writable[6] = {0, 0, 0, 0, 1, 1}, optional[6] = {0, 1, 1, 0, 0, 0};
    Arg a[6];
    if (take_all(o, a, 6, names, counts, fmt, writable, optional) < 0) return NULL;
    DeltaOut job = {.backward = 0, .dbl = fmt == 'd', .L = L, .H = H, .V = V, .ldg = ldg, .step = step, .eps = eps};
    if (a[1].held != a[2].held) {
        release(a, 6);
        PyErr_SetString(PyExc_ValueError, "sg goes with gate");
        return NULL;
    }
    for (int i = 0; i < 6; i++) job.p[i] = ptr(&a[i]);
    if (job.p[1]) job.p[1] = (char *)job.p[1] + gcol * a[1].view.itemsize;
    run_rows(delta_out_rows, &job, R, job_count(R, threads), NULL, 0);
    release(a, 6);
    Py_RETURN_NONE;
}

/* delta_out_backward(dn, o, gate, sg, w, rs, dO, dgate, dw, B, L, H, V, ldg, gcol, step, threads) */
static PyObject *rec_delta_out_backward(PyObject *self, PyObject *args) {
    PyObject *o[9];
    Py_ssize_t B, L, H, V, ldg, gcol, step;
    int threads;
    if (!PyArg_ParseTuple(args, "OOOOOOOOOnnnnnnni:delta_out_backward", &o[0], &o[1], &o[2], &o[3], &o[4], &o[5],
                          &o[6], &o[7], &o[8], &B, &L, &H, &V, &ldg, &gcol, &step, &threads))
        return NULL;
    if (side_sizes(B, L, H, V, ldg, gcol, step) < 0) return NULL;
    char fmt;
    if (format_of(o[0], &fmt) < 0) return NULL;
    const Py_ssize_t R = B * L, E = H * V;
    static const char *names[9] = {"dn", "o", "gate", "sg", "w", "rs", "dO", "dgate", "dw"};
    const Py_ssize_t counts[9] = {R * E, R * E * step, R * ldg, R * E, V, R * H, R * E, R * E, V};
    const int writable[9] = {0, 0, 0, 0, 0, 0, 1, 1, 1}, optional[9] = {0, 0, 1, 1, 0, 0, 0, 1, 0};
    Arg a[9];
    if (take_all(o, a, 9, names, counts, fmt, writable, optional) < 0) return NULL;
    if (a[2].held != a[7].held || a[2].held != a[3].held) {
        release(a, 9);
        PyErr_SetString(PyExc_ValueError, "sg and dgate go with gate");
        return NULL;
    }
    DeltaOut job = {.backward = 1, .dbl = fmt == 'd', .L = L, .H = H, .V = V, .ldg = ldg, .step = step};
    for (int i = 0; i < 8; i++) job.p[i] = ptr(&a[i]);
    if (job.p[2]) job.p[2] = (char *)job.p[2] + gcol * a[2].view.itemsize;
    int jobs = job_count(R, threads);
    size_t bytes;
    char *scratch = scratch_for(jobs, (size_t)(3 * V), fmt == 'd' ? sizeof(double) : sizeof(float), &bytes);
    if (!scratch) {
        release(a, 9);
        return NULL;
    }
    run_rows(delta_out_rows, &job, R, jobs, scratch, bytes);
    sum_partials(ptr(&a[8]), scratch, bytes, jobs, 0, V, job.dbl);
    free(scratch);
    release(a, 9);
    Py_RETURN_NONE;
}

static int avx2_supported(void) {
#ifdef HAVE_AVX2
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

static PyObject *rec_set_avx2(PyObject *self, PyObject *arg) {
    int want = PyObject_IsTrue(arg);
    if (want < 0) return NULL;
    int before = use_avx2;
    use_avx2 = want && avx2_supported();
    return PyBool_FromLong(before);
}

static PyObject *rec_avx2(PyObject *self, PyObject *noargs) { return PyBool_FromLong(use_avx2); }

static PyMethodDef methods[] = {
    {"conv_forward", rec_conv_forward, METH_VARARGS, "conv_forward(x, wt, bias, hist, out, rows, L, C, W, threads)"},
    {"conv_backward", rec_conv_backward, METH_VARARGS,
     "conv_backward(dy, x, wt, hist, dx, dwt, dbias, dhist, accumulate, rows, L, C, W, threads): dwt, dbias "
     "written (summed over rows), dhist written"},
    {"ssd_out_forward", rec_ssd_out_forward, METH_VARARGS,
     "ssd_out_forward(o, x, z, sz, D, w, eps, out, rs, B, L, H, P, ldx, xcol, threads): Mamba-2's output side"},
    {"ssd_out_backward", rec_ssd_out_backward, METH_VARARGS,
     "ssd_out_backward(dn, o, x, z, sz, D, w, rs, dO, dx, dz, dw, dD, B, L, H, P, ldx, xcol, threads)"},
    {"delta_out_forward", rec_delta_out_forward, METH_VARARGS,
     "delta_out_forward(o, gate, sg, w, eps, out, rs, B, L, H, V, ldg, gcol, step, threads): the DeltaNet family's "
     "output side"},
    {"delta_out_backward", rec_delta_out_backward, METH_VARARGS,
     "delta_out_backward(dn, o, gate, sg, w, rs, dO, dgate, dw, B, L, H, V, ldg, gcol, step, threads)"},
    {"avx2", rec_avx2, METH_NOARGS, "avx2() -> whether float32 runs the AVX2 + FMA kernels"},
    {"set_avx2", rec_set_avx2, METH_O,
     "set_avx2(flag) -> the previous setting; the AVX2 kernels run only where the CPU has AVX2 and FMA"},
    {"forward", rec_forward, METH_VARARGS,
     "forward(q, k, v, beta, decay, h0, o, hlast, ckpt, erase, BH, L, K, V, CK, threads)"},
    {"backward", rec_backward, METH_VARARGS,
     "backward(q, k, v, beta, decay, ckpt, dout, dhlast, dq, dk, dv, dbeta, ddecay, dh0, erase, BH, L, K, V, CK, "
     "threads)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_crec",
    .m_doc = "The matrix-state recurrences (delta rule, SSD), forward and backward, compiled.",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__crec(void) {
    use_avx2 = avx2_supported();
    return PyModule_Create(&module);
}
