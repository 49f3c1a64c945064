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
#include "_crec_impl.h"
#undef REAL
#undef SUFFIX

#define REAL double
#define SUFFIX _d
#include "_crec_impl.h"
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

static void *ptr(Arg *a) { return a->held ? a->view.buf : NULL; }

/* --------------------------------------------------------------------- threads */
typedef struct {
    int backward, dbl, erase;
    Py_ssize_t b0, b1, L, K, V, CK;
    void *p[14];
    void *work;
} Job;

static void run_job(Job *j) {
    void **p = j->p;
    if (!j->backward) {
        if (j->dbl)
            forward_d(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], j->erase, j->b0, j->b1, j->L, j->K,
                      j->V, j->CK, j->work);
#ifdef HAVE_AVX2
        else if (use_avx2 && avx2_fits(j->K, j->V))
            forward_avx2(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], j->erase, j->b0, j->b1, j->L, j->K,
                         j->V, j->CK, j->work);
#endif
        else
            forward_f(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], j->erase, j->b0, j->b1, j->L, j->K,
                      j->V, j->CK, j->work);
    } else {
        if (j->dbl)
            backward_d(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13],
                       j->erase, j->b0, j->b1, j->L, j->K, j->V, j->CK, j->work);
#ifdef HAVE_AVX2
        else if (use_avx2 && avx2_fits(j->K, j->V))
            backward_avx2(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13],
                          j->erase, j->b0, j->b1, j->L, j->K, j->V, j->CK, j->work);
#endif
        else
            backward_f(p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11], p[12], p[13],
                       j->erase, j->b0, j->b1, j->L, j->K, j->V, j->CK, j->work);
    }
}

#ifdef HAVE_THREADS
static void *thread_main(void *arg) {
    run_job((Job *)arg);
    return NULL;
}
#endif

/* Split rows [0, BH) over `threads` jobs like `proto` and run them without the GIL. */
static int run_split(Job *proto, Py_ssize_t BH, int threads, size_t work_items) {
    if (threads < 1) threads = 1;
    if (threads > MAX_THREADS) threads = MAX_THREADS;
    if (threads > BH) threads = (int)(BH > 0 ? BH : 1);
#ifndef HAVE_THREADS
    threads = 1;
#endif
    size_t item = proto->dbl ? sizeof(double) : sizeof(float);
    work_items += PAD_BYTES / item;  /* threads' buffers apart too */
    char *work = malloc((size_t)threads * work_items * item + 64);
    if (!work) {
        PyErr_NoMemory();
        return -1;
    }
    Job jobs[MAX_THREADS];
    Py_BEGIN_ALLOW_THREADS
    for (int i = 0; i < threads; i++) {
        jobs[i] = *proto;
        jobs[i].b0 = BH * i / threads;
        jobs[i].b1 = BH * (i + 1) / threads;
        jobs[i].work = work + (size_t)i * work_items * item;
    }
#ifdef HAVE_THREADS
    pthread_t tids[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    for (int i = 1; i < threads; i++) started[i] = pthread_create(&tids[i], NULL, thread_main, &jobs[i]) == 0;
    run_job(&jobs[0]);
    for (int i = 1; i < threads; i++) {
        if (started[i]) pthread_join(tids[i], NULL);
        else run_job(&jobs[i]);  /* no thread: run it here */
    }
#else
    run_job(&jobs[0]);
#endif
    Py_END_ALLOW_THREADS
    free(work);
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
    int n = 0;
    for (; n < 9; n++)
        if (take(o[n], &a[n], names[n], counts[n], fmt, writable[n], optional[n]) < 0) {
            release(a, n + 1);
            return NULL;
        }
    Job job = {.backward = 0, .dbl = fmt == 'd', .erase = erase, .L = L, .K = K, .V = V, .CK = CK};
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
    int n = 0;
    for (; n < 14; n++)
        if (take(o[n], &a[n], names[n], counts[n], fmt, writable[n], optional[n]) < 0) {
            release(a, n + 1);
            return NULL;
        }
    if ((a[11].held && !a[3].held) || (a[12].held && !a[4].held)) {
        release(a, 14);
        PyErr_SetString(PyExc_ValueError, "dbeta / ddecay need beta / decay");
        return NULL;
    }
    Job job = {.backward = 1, .dbl = fmt == 'd', .erase = erase, .L = L, .K = K, .V = V, .CK = CK};
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
    Py_ssize_t b0, b1, L, C, W;
    void *p[9];
    void *partial;  /* backward: this job's dwt (W C) then dbias (C), summed by the caller */
} ConvJob;

static void run_conv_job(ConvJob *j) {
    void **p = j->p;
    if (!j->backward) {
        if (j->dbl) conv_forward_d(p[0], p[1], p[2], p[3], p[4], j->b0, j->b1, j->L, j->C, j->W);
        else conv_forward_f(p[0], p[1], p[2], p[3], p[4], j->b0, j->b1, j->L, j->C, j->W);
        return;
    }
    size_t item = j->dbl ? sizeof(double) : sizeof(float);
    char *dwt = j->partial, *dbias = p[6] ? dwt + (size_t)(j->W * j->C) * item : NULL;
    if (j->dbl)
        conv_backward_d(p[0], p[1], p[2], p[3], p[4], (double *)dwt, (double *)dbias, p[7], j->accumulate, j->b0,
                        j->b1, j->L, j->C, j->W);
    else
        conv_backward_f(p[0], p[1], p[2], p[3], p[4], (float *)dwt, (float *)dbias, p[7], j->accumulate, j->b0,
                        j->b1, j->L, j->C, j->W);
}

#ifdef HAVE_THREADS
static void *conv_thread_main(void *arg) {
    run_conv_job((ConvJob *)arg);
    return NULL;
}
#endif

/* Split rows over threads; each backward job sums its taps' and bias's gradients into its own zeroed partial,
 * added into dwt / dbias (p[5], p[6]) here in job order: the same result for the same thread count (other
 * counts may differ in the last bits of these two sums). */
static int run_conv_split(ConvJob *proto, Py_ssize_t rows, int threads) {
    if (threads < 1) threads = 1;
    if (threads > MAX_THREADS) threads = MAX_THREADS;
    if (threads > rows) threads = (int)(rows > 0 ? rows : 1);
#ifndef HAVE_THREADS
    threads = 1;
#endif
    size_t item = proto->dbl ? sizeof(double) : sizeof(float);
    size_t per = proto->backward ? (size_t)(proto->W * proto->C + proto->C) : 0;
    char *partials = NULL;
    if (per) {
        partials = calloc((size_t)threads * per, item);
        if (!partials) {
            PyErr_NoMemory();
            return -1;
        }
    }
    ConvJob jobs[MAX_THREADS];
    Py_BEGIN_ALLOW_THREADS
    for (int i = 0; i < threads; i++) {
        jobs[i] = *proto;
        jobs[i].b0 = rows * i / threads;
        jobs[i].b1 = rows * (i + 1) / threads;
        jobs[i].partial = partials ? partials + (size_t)i * per * item : NULL;
    }
#ifdef HAVE_THREADS
    pthread_t tids[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    for (int i = 1; i < threads; i++) started[i] = pthread_create(&tids[i], NULL, conv_thread_main, &jobs[i]) == 0;
    run_conv_job(&jobs[0]);
    for (int i = 1; i < threads; i++) {
        if (started[i]) pthread_join(tids[i], NULL);
        else run_conv_job(&jobs[i]);
    }
#else
    run_conv_job(&jobs[0]);
#endif
    if (per) {  /* dwt and dbias = the jobs' partials, summed */
        Py_ssize_t n = proto->W * proto->C + (proto->p[6] ? proto->C : 0);
        for (int i = 0; i < threads; i++) {
            char *part = partials + (size_t)i * per * item;
            for (Py_ssize_t e = 0; e < n; e++) {
                Py_ssize_t wc = proto->W * proto->C;
                if (proto->dbl) {
                    double *dst = e < wc ? (double *)proto->p[5] + e : (double *)proto->p[6] + (e - wc);
                    *dst = (i ? *dst : 0) + ((double *)part)[e];
                } else {
                    float *dst = e < wc ? (float *)proto->p[5] + e : (float *)proto->p[6] + (e - wc);
                    *dst = (i ? *dst : 0) + ((float *)part)[e];
                }
            }
        }
    }
    Py_END_ALLOW_THREADS
    free(partials);
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
    for (int n = 0; n < 5; n++)
        if (take(o[n], &a[n], names[n], counts[n], fmt, writable[n], optional[n]) < 0) {
            release(a, n + 1);
            return NULL;
        }
    ConvJob job = {.backward = 0, .dbl = fmt == 'd', .L = L, .C = C, .W = W};
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
    for (int n = 0; n < 8; n++)
        if (take(o[n], &a[n], names[n], counts[n], fmt, writable[n], optional[n]) < 0) {
            release(a, n + 1);
            return NULL;
        }
    if (a[7].held && !a[3].held) {
        release(a, 8);
        PyErr_SetString(PyExc_ValueError, "dhist needs hist");
        return NULL;
    }
    ConvJob job = {.backward = 1, .dbl = fmt == 'd', .accumulate = accumulate, .L = L, .C = C, .W = W};
    for (int i = 0; i < 8; i++) job.p[i] = ptr(&a[i]);
    int rc = run_conv_split(&job, R, threads);
    release(a, 8);
    if (rc < 0) return NULL;
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
