/* The breadth-first closure of transformations as rows, compiled (internal; optional).
 *
 * The enumeration of automata_probe/algebra/_bytelayers.py (ByteLayers) in C:
 * an element of the transition monoid of a DFA of n states is a row of n
 * states (state q goes to row[q]), one byte each for n <= 256, two (native
 * uint16) for n <= 65536; element 0 is the identity, and one call of
 * Layers.step(limit) applies every letter to every element of the last layer,
 * in BFS order (element, then letter), numbering each product on its first
 * occurrence. So the ids, the shortest words (parent and last letter of each
 * element) and the right Cayley graph (flat, position i * k + a) are those of
 * the Python and numpy layers.
 *
 * Memory: the rows, parents, letters and Cayley ids live in four bytearrays
 * that grow by doubling (never past the cap) and are handed to the caller by
 * finish(), trimmed, without a copy (numpy wraps them with frombuffer); an
 * open-addressing hash table of 8-byte slots (a 32-bit hash tag and the id
 * plus one), at most half full, finds the id of a row; every match is
 * verified with memcmp, so the result never depends on the hash.
 *
 * CPython C API only; built by setup.py as an optional extension: without a
 * compiler the package falls back to the Python and numpy layers.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <stdint.h>
#include <string.h>

#define TABLE 256             /* entries of a letter table of byte rows (bytes.translate's) */
#define MAX_STATES 65536      /* the most states of two-byte rows */
#define MIN_BITS 10           /* the smallest hash table: 1,024 slots */
#define SIGNAL_EVERY 65536    /* products between checks for Ctrl-C */
#define BATCH 32              /* products looked up together (see step_batch) */

#if defined(__GNUC__) || defined(__clang__)
#define PREFETCH(p) __builtin_prefetch(p)
#else
#define PREFETCH(p) ((void)0)
#endif

typedef struct {
    PyObject_HEAD
    Py_ssize_t n, k;
    Py_ssize_t size;          /* bytes per state: 1 (n <= 256) or 2 */
    Py_ssize_t width;         /* bytes per row: n * size */
    Py_ssize_t tsize;         /* entries per letter table: TABLE for bytes, else n */
    uint8_t *tables;          /* k tables: letter a's image of q at entry a * tsize + q */
    PyObject *rows;           /* bytearray: cap rows of width bytes */
    PyObject *parents;        /* bytearray: cap int32 */
    PyObject *letters;        /* bytearray: cap int32 */
    PyObject *cayley;         /* bytearray: cayley_cap int32 */
    Py_ssize_t cap, cayley_cap;
    uint64_t *slots;          /* tag << 32 | (id + 1); 0 is empty */
    int bits;
    uint8_t *scratch;         /* BATCH candidate rows */
    Py_ssize_t total;         /* elements found */
    Py_ssize_t next;          /* the next id while a layer is stepped */
    Py_ssize_t start;         /* the first id of the frontier (the last layer) */
    Py_ssize_t depth;         /* the length of the longest shortest word */
    int finished;
} Layers;

static inline uint64_t mix_word(uint64_t h, uint64_t w) {
    h = (h ^ w) * 0xC2B2AE3D27D4EB4FULL;
    return h ^ (h >> 29);
}

static inline uint64_t mix_final(uint64_t h) { /* murmur3's finalizer */
    h ^= h >> 33;
    h *= 0xFF51AFD7ED558CCDULL;
    h ^= h >> 33;
    h *= 0xC4CEB9FE1A85EC53ULL;
    return h ^ (h >> 33);
}

/* The state at q of row r. */
static inline uint64_t state(const uint8_t *r, Py_ssize_t size, Py_ssize_t q) {
    return size == 1 ? r[q] : ((const uint16_t *)r)[q];
}

/* 64 bits of a row: one multiply-xorshift per 64-bit word of states (8 bytes or 4
 * uint16, the first in the low bits; the last word zero-padded), then murmur3's
 * finalizer. apply8 and apply16 compute the same as they go. */
static uint64_t row_hash(const uint8_t *r, Py_ssize_t n, Py_ssize_t size) {
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ (uint64_t)n;
    Py_ssize_t per = 8 / size;
    for (Py_ssize_t q = 0; q < n; q += per) {
        uint64_t w = 0;
        for (Py_ssize_t j = 0; j < per && q + j < n; j++)
            w |= state(r, size, q + j) << (8 * size * j);
        h = mix_word(h, w);
    }
    return mix_final(h);
}

/* Letter table t applied to row u, into v (one byte a state): whether the row moved
 * (u a != u), and in *hash the row_hash of v, from the states in registers (reading v
 * back as words right after writing it bytewise would stall on store forwarding). */
static inline int apply8(const uint8_t *u, const uint8_t *t, uint8_t *v, Py_ssize_t n, uint64_t *hash) {
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ (uint64_t)n;
    uint8_t moved = 0;
    for (Py_ssize_t q = 0; q < n; q += 8) {
        uint64_t w = 0;
        if (q + 8 <= n) { /* a whole word: unrolled */
            for (int j = 0; j < 8; j++) {
                uint8_t x = t[u[q + j]];
                v[q + j] = x;
                moved |= (uint8_t)(x ^ u[q + j]);
                w |= (uint64_t)x << (8 * j);
            }
        } else {
            for (int j = 0; q + j < n; j++) {
                uint8_t x = t[u[q + j]];
                v[q + j] = x;
                moved |= (uint8_t)(x ^ u[q + j]);
                w |= (uint64_t)x << (8 * j);
            }
        }
        h = mix_word(h, w);
    }
    *hash = mix_final(h);
    return moved != 0;
}

/* apply8 for rows of two-byte states. */
static inline int apply16(const uint16_t *u, const uint16_t *t, uint16_t *v, Py_ssize_t n, uint64_t *hash) {
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ (uint64_t)n;
    uint16_t moved = 0;
    for (Py_ssize_t q = 0; q < n; q += 4) {
        uint64_t w = 0;
        if (q + 4 <= n) {
            for (int j = 0; j < 4; j++) {
                uint16_t x = t[u[q + j]];
                v[q + j] = x;
                moved |= (uint16_t)(x ^ u[q + j]);
                w |= (uint64_t)x << (16 * j);
            }
        } else {
            for (int j = 0; q + j < n; j++) {
                uint16_t x = t[u[q + j]];
                v[q + j] = x;
                moved |= (uint16_t)(x ^ u[q + j]);
                w |= (uint64_t)x << (16 * j);
            }
        }
        h = mix_word(h, w);
    }
    *hash = mix_final(h);
    return moved != 0;
}

/* The home slot of a tag: its top bits (so the table can grow without the rows). */
static inline size_t home(uint32_t tag, int bits) {
    return (size_t)(tag >> (32 - bits));
}

static void insert_slot(uint64_t *slots, int bits, uint32_t tag, Py_ssize_t id) {
    size_t mask = ((size_t)1 << bits) - 1, s = home(tag, bits);
    while (slots[s])
        s = (s + 1) & mask;
    slots[s] = ((uint64_t)tag << 32) | (uint64_t)(id + 1);
}

/* Double the table (at most half full): the tags give the new homes. */
static int grow_table(Layers *self) {
    int bits = self->bits + 1;
    uint64_t *slots = PyMem_Calloc((size_t)1 << bits, sizeof(uint64_t));
    if (slots == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    size_t size = (size_t)1 << self->bits;
    for (size_t s = 0; s < size; s++) {
        uint64_t e = self->slots[s];
        if (e)
            insert_slot(slots, bits, (uint32_t)(e >> 32), (Py_ssize_t)(e & 0xFFFFFFFFu) - 1);
    }
    PyMem_Free(self->slots);
    self->slots = slots;
    self->bits = bits;
    return 0;
}

/* The table holding exactly the first `total` rows (after an abandoned layer). */
static void rebuild_table(Layers *self) {
    const uint8_t *rows = (const uint8_t *)PyByteArray_AS_STRING(self->rows);
    memset(self->slots, 0, ((size_t)1 << self->bits) * sizeof(uint64_t));
    for (Py_ssize_t i = 0; i < self->total; i++)
        insert_slot(self->slots, self->bits, (uint32_t)(row_hash(rows + i * self->width, self->n, self->size) >> 32), i);
}

/* Room for `need` rows, parents and letters: doubling, at most max(need, most). */
static int grow_elements(Layers *self, Py_ssize_t need, Py_ssize_t most) {
    Py_ssize_t cap = self->cap * 2;
    if (cap > most)
        cap = most;
    if (cap < need)
        cap = need;
    if (cap > PY_SSIZE_T_MAX / (2 * MAX_STATES)) {
        PyErr_NoMemory();
        return -1;
    }
    if (PyByteArray_Resize(self->rows, cap * self->width) < 0 ||
        PyByteArray_Resize(self->parents, cap * 4) < 0 || PyByteArray_Resize(self->letters, cap * 4) < 0)
        return -1;
    self->cap = cap;
    return 0;
}

static int grow_cayley(Layers *self, Py_ssize_t need) {
    if (need <= self->cayley_cap)
        return 0;
    Py_ssize_t cap = self->cayley_cap * 2 > need ? self->cayley_cap * 2 : need;
    if (PyByteArray_Resize(self->cayley, cap * 4) < 0)
        return -1;
    self->cayley_cap = cap;
    return 0;
}

/* Whether every entry of the letter tables is a state (two-byte rows index them unchecked). */
static int tables_in_range(const Layers *self) {
    if (self->size == 1)
        return 1; /* a byte indexes a TABLE-entry table */
    const uint16_t *t = (const uint16_t *)self->tables;
    for (Py_ssize_t e = 0; e < self->k * self->tsize; e++)
        if (t[e] >= self->n)
            return 0;
    return 1;
}

static int Layers_init(Layers *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"tables", "n", NULL};
    Py_buffer buf;
    Py_ssize_t n;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "y*n", kwlist, &buf, &n))
        return -1;
    if (self->tables != NULL) {
        PyBuffer_Release(&buf);
        PyErr_SetString(PyExc_RuntimeError, "Layers is initialised once");
        return -1;
    }
    Py_ssize_t size = n <= TABLE ? 1 : 2, tsize = size == 1 ? TABLE : n;
    Py_ssize_t k = n >= 1 ? buf.len / (tsize * size) : 0;
    if (n < 1 || n > MAX_STATES || k < 1 || buf.len != k * tsize * size) {
        PyBuffer_Release(&buf);
        PyErr_SetString(PyExc_ValueError,
                        "expected 1 to 65536 states and k letter tables: 256 bytes each for up to 256 states, "
                        "else n native uint16");
        return -1;
    }
    self->n = n;
    self->k = k;
    self->size = size;
    self->width = n * size;
    self->tsize = tsize;
    self->tables = PyMem_Malloc((size_t)buf.len);
    self->slots = PyMem_Calloc((size_t)1 << MIN_BITS, sizeof(uint64_t));
    self->scratch = PyMem_Malloc((size_t)(BATCH * self->width));
    if (self->tables == NULL || self->slots == NULL || self->scratch == NULL) {
        PyBuffer_Release(&buf);
        PyErr_NoMemory();
        return -1;
    }
    memcpy(self->tables, buf.buf, (size_t)buf.len);
    PyBuffer_Release(&buf);
    if (!tables_in_range(self)) {
        PyErr_SetString(PyExc_ValueError, "a letter table maps a state outside 0..n-1");
        return -1;
    }
    self->bits = MIN_BITS;
    self->rows = PyByteArray_FromStringAndSize(NULL, 0);
    self->parents = PyByteArray_FromStringAndSize(NULL, 0);
    self->letters = PyByteArray_FromStringAndSize(NULL, 0);
    self->cayley = PyByteArray_FromStringAndSize(NULL, 0);
    if (!self->rows || !self->parents || !self->letters || !self->cayley || grow_elements(self, 16, 16) < 0)
        return -1;
    uint8_t *identity = (uint8_t *)PyByteArray_AS_STRING(self->rows);
    for (Py_ssize_t q = 0; q < n; q++) {
        if (size == 1)
            identity[q] = (uint8_t)q;
        else
            ((uint16_t *)identity)[q] = (uint16_t)q;
    }
    ((int32_t *)PyByteArray_AS_STRING(self->parents))[0] = -1;
    ((int32_t *)PyByteArray_AS_STRING(self->letters))[0] = -1;
    insert_slot(self->slots, self->bits, (uint32_t)(row_hash(identity, n, size) >> 32), 0);
    self->total = 1;
    return 0;
}

static void Layers_dealloc(Layers *self) {
    PyMem_Free(self->tables);
    PyMem_Free(self->slots);
    PyMem_Free(self->scratch);
    Py_XDECREF(self->rows);
    Py_XDECREF(self->parents);
    Py_XDECREF(self->letters);
    Py_XDECREF(self->cayley);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int check_open(Layers *self) {
    if (self->tables == NULL || self->finished) {
        PyErr_SetString(PyExc_RuntimeError, self->finished ? "the enumeration was finished" : "Layers is not initialised");
        return -1;
    }
    return 0;
}

/* The id of row v (at position `next`, not yet stored), or -1 when new; *slot: where it goes. */
static inline Py_ssize_t find(const Layers *self, const uint8_t *rows, const uint8_t *v, uint32_t tag, size_t *slot) {
    Py_ssize_t width = self->width;
    size_t mask = ((size_t)1 << self->bits) - 1, s = home(tag, self->bits);
    for (;;) {
        uint64_t e = self->slots[s];
        if (!e) {
            *slot = s;
            return -1;
        }
        if ((uint32_t)(e >> 32) == tag) {
            Py_ssize_t id = (Py_ssize_t)(e & 0xFFFFFFFFu) - 1;
            if (memcmp(rows + id * width, v, (size_t)width) == 0)
                return id;
        }
        s = (s + 1) & mask;
    }
}

/* Abandon the layer in progress: the state before step() (total is only set at its
 * end), with the table rebuilt; None, or NULL with the error (a signal handler's
 * exception, MemoryError) when one is set. */
static PyObject *abandon(Layers *self) {
    rebuild_table(self);
    if (PyErr_Occurred())
        return NULL;
    Py_RETURN_NONE;
}

/* One batch of products p0 .. p0 + b - 1 (product p = i * k + a: element i, letter a),
 * in three passes: compute the rows and their tags and prefetch their home slots;
 * prefetch the rows that the home slots name; then look up and number them in order.
 * The first two passes only warm the caches (a table of a million elements misses them
 * on every lookup); the third is the plain sequential algorithm. Returns 1 when a new
 * element would pass the cap, -1 with an exception set. */
static int step_batch(Layers *self, Py_ssize_t p0, Py_ssize_t b, Py_ssize_t limit) {
    const Py_ssize_t n = self->n, k = self->k, w = self->width, i0 = p0 / k, a0 = p0 % k;
    uint8_t *scratch = self->scratch;
    uint32_t tags[BATCH];
    uint8_t moved[BATCH];
    const uint8_t *rows = (const uint8_t *)PyByteArray_AS_STRING(self->rows);
    for (Py_ssize_t j = 0, i = i0, a = a0; j < b; j++) {
        uint64_t h;
        if (self->size == 1)
            moved[j] = (uint8_t)apply8(rows + i * w, self->tables + a * TABLE, scratch + j * w, n, &h);
        else
            moved[j] = (uint8_t)apply16((const uint16_t *)(rows + i * w), (const uint16_t *)self->tables + a * n,
                                        (uint16_t *)(scratch + j * w), n, &h);
        tags[j] = (uint32_t)(h >> 32);
        if (moved[j])
            PREFETCH(self->slots + home(tags[j], self->bits));
        if (++a == k)
            a = 0, i++;
    }
    for (Py_ssize_t j = 0; j < b; j++) {
        if (!moved[j])
            continue;
        uint64_t e = self->slots[home(tags[j], self->bits)];
        if (e && (uint32_t)(e >> 32) == tags[j])
            PREFETCH(rows + ((Py_ssize_t)(e & 0xFFFFFFFFu) - 1) * w);
    }
    int32_t *cayley = (int32_t *)PyByteArray_AS_STRING(self->cayley) + p0;
    for (Py_ssize_t j = 0, i = i0, a = a0; j < b; j++) {
        Py_ssize_t id = i; /* unmoved: u a == u */
        if (moved[j]) {
            size_t slot = 0;
            id = find(self, (const uint8_t *)PyByteArray_AS_STRING(self->rows), scratch + j * w, tags[j], &slot);
            if (id < 0) {
                id = self->next;
                if (id >= limit) /* one more would pass the cap */
                    return 1;
                if (id >= self->cap && grow_elements(self, id + 1, limit) < 0)
                    return -1;
                memcpy(PyByteArray_AS_STRING(self->rows) + id * w, scratch + j * w, (size_t)w);
                ((int32_t *)PyByteArray_AS_STRING(self->parents))[id] = (int32_t)i;
                ((int32_t *)PyByteArray_AS_STRING(self->letters))[id] = (int32_t)a;
                self->slots[slot] = ((uint64_t)tags[j] << 32) | (uint64_t)(id + 1);
                self->next = id + 1;
                if (self->next * 2 > ((Py_ssize_t)1 << self->bits) && grow_table(self) < 0)
                    return -1;
            }
        }
        cayley[j] = (int32_t)id;
        if (++a == k)
            a = 0, i++;
    }
    return 0;
}

static PyObject *Layers_step(Layers *self, PyObject *arg) {
    Py_ssize_t limit = PyLong_AsSsize_t(arg);
    if (limit == -1 && PyErr_Occurred())
        return NULL;
    if (check_open(self) < 0)
        return NULL;
    if (limit > INT32_MAX)
        limit = INT32_MAX; /* ids are int32 */
    const Py_ssize_t k = self->k, start = self->start, stop = self->total;
    if (grow_cayley(self, stop * k) < 0)
        return NULL;
    self->next = stop;
    Py_ssize_t since_check = 0;
    for (Py_ssize_t p = start * k; p < stop * k; p += BATCH) {
        Py_ssize_t b = stop * k - p < BATCH ? stop * k - p : BATCH;
        if (step_batch(self, p, b, limit) != 0)
            return abandon(self); /* past the cap (None), or out of memory */
        since_check += b;
        if (since_check >= SIGNAL_EVERY) {
            since_check = 0;
            if (PyErr_CheckSignals() < 0)
                return abandon(self);
        }
    }
    self->start = stop;
    self->total = self->next;
    self->depth += self->total > stop;
    return PyLong_FromSsize_t(self->total - stop);
}

static PyObject *Layers_frontier_rows(Layers *self, PyObject *Py_UNUSED(ignored)) {
    if (check_open(self) < 0)
        return NULL;
    const char *rows = PyByteArray_AS_STRING(self->rows);
    return PyBytes_FromStringAndSize(rows + self->start * self->width, (self->total - self->start) * self->width);
}

/* The four bytearrays, trimmed: rows (total * width), parents and letters (total
 * int32), the Cayley ids of the stepped elements (start * k int32). The
 * enumeration ends here; the hash table is freed at once. */
static PyObject *Layers_finish(Layers *self, PyObject *Py_UNUSED(ignored)) {
    if (check_open(self) < 0)
        return NULL;
    if (PyByteArray_Resize(self->rows, self->total * self->width) < 0 ||
        PyByteArray_Resize(self->parents, self->total * 4) < 0 ||
        PyByteArray_Resize(self->letters, self->total * 4) < 0 ||
        PyByteArray_Resize(self->cayley, self->start * self->k * 4) < 0)
        return NULL;
    PyObject *out = PyTuple_Pack(4, self->rows, self->parents, self->letters, self->cayley);
    if (out == NULL)
        return NULL;
    self->finished = 1;
    PyMem_Free(self->slots);
    PyMem_Free(self->scratch);
    self->slots = NULL;
    self->scratch = NULL;
    Py_CLEAR(self->rows);
    Py_CLEAR(self->parents);
    Py_CLEAR(self->letters);
    Py_CLEAR(self->cayley);
    return out;
}

static PyObject *Layers_frontier_size(Layers *self, void *Py_UNUSED(closure)) {
    return PyLong_FromSsize_t(self->total - self->start);
}

static PyMethodDef Layers_methods[] = {
    {"step", (PyCFunction)Layers_step, METH_O,
     "step(limit) -> int | None\n\nStep the frontier: the number of new elements (0: the monoid is complete), "
     "or None, with nothing recorded, when they would take the total past limit."},
    {"frontier_rows", (PyCFunction)Layers_frontier_rows, METH_NOARGS,
     "The rows of the last layer, concatenated (a copy)."},
    {"finish", (PyCFunction)Layers_finish, METH_NOARGS,
     "finish() -> (rows, parents, letters, cayley)\n\nThe results as bytearrays (int32 for the last three), "
     "without a copy; the enumeration ends."},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef Layers_members[] = {
    {"total", T_PYSSIZET, offsetof(Layers, total), READONLY, "Elements found so far."},
    {"depth", T_PYSSIZET, offsetof(Layers, depth), READONLY, "The length of the longest word so far."},
    {"n", T_PYSSIZET, offsetof(Layers, n), READONLY, "States (entries per row)."},
    {"itemsize", T_PYSSIZET, offsetof(Layers, size), READONLY, "Bytes per state: 1 or 2 (native uint16)."},
    {"k", T_PYSSIZET, offsetof(Layers, k), READONLY, "Letters."},
    {NULL, 0, 0, 0, NULL},
};

static PyGetSetDef Layers_getset[] = {
    {"frontier_size", (getter)Layers_frontier_size, NULL, "Elements in the last layer (not yet stepped).", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject LayersType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "automata_probe.algebra._clayers.Layers",
    .tp_basicsize = sizeof(Layers),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Layers(tables, n): the breadth-first closure of rows of n states (see the module's source).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Layers_init,
    .tp_dealloc = (destructor)Layers_dealloc,
    .tp_methods = Layers_methods,
    .tp_members = Layers_members,
    .tp_getset = Layers_getset,
};

static struct PyModuleDef clayers_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_clayers",
    .m_doc = "The breadth-first closure of transformations as rows, compiled (internal).",
    .m_size = -1,
};

PyMODINIT_FUNC PyInit__clayers(void) {
    if (PyType_Ready(&LayersType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&clayers_module);
    if (m == NULL)
        return NULL;
    Py_INCREF(&LayersType);
    if (PyModule_AddObject(m, "Layers", (PyObject *)&LayersType) < 0) {
        Py_DECREF(&LayersType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
