"""Hashing transformations (internal): the batch hash table and the element encodings.

Deduplication uses an open-addressing hash table operated in batches with
numpy (:class:`HashTable`), with no sorting. A transformation of ``n <= 16``
states is packed into one ``uint64`` (four bits per state, :class:`Packed`),
so applying a letter to a whole layer is a byte-wise table lookup: the key is
the element itself. For larger ``n`` a row of states is hashed to 64 bits
(:class:`Rows`, a multilinear hash over 16-bit pieces of the row: two
different rows collide with probability at most ``2**-48`` over the random
coefficients, Dietzfelbinger et al. 1997) and every hash hit is verified
against the stored row; a collision restarts the enumeration with new
coefficients, a bounded number of times, then :class:`RowDict` (a dictionary
of row bytes, exact and slower) takes over.
"""

from __future__ import annotations

import numpy as np

from ._transforms import small_dtype

__all__ = ["DictIndex", "ElementIndex", "HashTable", "Packed", "RowDict", "Rows"]

#: Odd 64-bit multipliers for multiplicative (Fibonacci) hashing.
_MULTS = tuple(
    np.uint64(v)
    for v in (
        0x9E3779B97F4A7C15,
        0xC2B2AE3D27D4EB4F,
        0x165667B19E3779F9,
        0xD6E8FEB86659FD93,
        0xFF51AFD7ED558CCD,
        0xC4CEB9FE1A85EC53,
        0x94D049BB133111EB,
        0xBF58476D1CE4E5B9,
    )
)


class HashTable:
    """Open addressing with linear probing over ``uint64`` keys, operated on
    whole batches with numpy (no per-element Python)."""

    def __init__(self, bits: int = 10) -> None:
        self.count = 0
        self._alloc(bits)

    def _alloc(self, bits: int) -> None:
        self.bits = bits
        self.mask = (1 << bits) - 1
        self.shift = np.uint64(64 - bits)
        self.keys = np.zeros(1 << bits, dtype=np.uint64)
        self.ids = np.full(1 << bits, -1, dtype=np.int32)

    def home(self, keys: np.ndarray, salt: int = 0) -> np.ndarray:
        return ((keys * _MULTS[salt]) >> self.shift).astype(np.intp)

    def lookup(self, keys: np.ndarray) -> np.ndarray:
        """Ids of ``keys`` (int32), -1 where absent."""
        h = self.home(keys)
        res = self.ids[h]
        todo = np.flatnonzero((res != -1) & (self.keys[h] != keys))
        res[todo] = -1
        hh = h[todo]
        while todo.size:
            hh = (hh + 1) & self.mask
            s = self.ids[hh]
            occupied = s != -1
            found = occupied & (self.keys[hh] == keys[todo])
            res[todo[found]] = s[found]
            more = occupied & ~found
            todo, hh = todo[more], hh[more]
        return res

    def lookup_insert(self, keys: np.ndarray, first_id: int) -> tuple[np.ndarray, np.ndarray]:
        """Ids of ``keys``; absent keys are inserted with ids ``first_id, ...``
        in order of first occurrence. Returns ``(ids, new_positions)`` where
        ``new_positions`` (ascending) are the first occurrences of new keys."""
        res = self.lookup(keys)
        absent = np.flatnonzero(res == -1)
        if not absent.size:
            return res, absent
        akeys = keys[absent]
        rep = self._first_occurrence(akeys)
        is_rep = rep == np.arange(rep.size)
        rank = np.cumsum(is_rep, dtype=np.int64)
        rank += first_id - 1
        res[absent] = rank[rep]
        new_positions = absent[is_rep]
        self.insert(akeys[is_rep], res[new_positions])
        return res, new_positions

    @staticmethod
    def _first_occurrence(keys: np.ndarray) -> np.ndarray:
        """``rep[i]`` = the smallest ``j`` with ``keys[j] == keys[i]``.

        Every index claims its key's home slot in a scratch table sized to the
        batch, the smallest index last. A key that meets a different key in
        its home slot is settled in the next round with another multiplier
        (the first occurrence of such a key clashed too, so each round only
        needs the clashing indices); after the last multiplier, a sort.
        """
        rep = np.arange(keys.size, dtype=np.intp)
        todo = rep.copy()  # indices still unsettled
        for mult in _MULTS:
            sub = keys[todo]
            local = HashTable._claim_slots(sub, mult)
            rep[todo] = todo[local]
            clash = np.flatnonzero(sub[local] != sub)
            if not clash.size:
                return rep
            todo = todo[clash]
        # eight clashes in a row (different keys sharing a slot under every multiplier)
        _, first, inverse = np.unique(keys[todo], return_index=True, return_inverse=True)
        rep[todo] = todo[first[inverse.reshape(-1)]]
        return rep

    @staticmethod
    def _claim_slots(keys: np.ndarray, mult: np.uint64) -> np.ndarray:
        """Per index, the smallest index whose key has the same home slot."""
        n = keys.size
        bits = max(4, int(2 * n - 1).bit_length())
        h = ((keys * mult) >> np.uint64(64 - bits)).astype(np.intp)
        scratch = np.empty(1 << bits, dtype=np.intp)
        positions = np.arange(n, dtype=np.intp)
        scratch[h[::-1]] = positions[::-1]
        rep = scratch[h]
        if (rep > positions).any():
            # the smallest writer did not land last: use the defined (slower) reduction
            scratch[h] = n
            np.minimum.at(scratch, h, positions)
            rep = scratch[h]
        return rep

    def insert(self, keys: np.ndarray, ids: np.ndarray) -> None:
        """Insert distinct keys known to be absent."""
        if (self.count + keys.size) * 2 > self.keys.size:
            self._grow(self.count + keys.size)
        self._place(keys, ids.astype(np.int32, copy=False))
        self.count += keys.size

    def _grow(self, needed: int) -> None:
        # at most half full, at least a quarter empty after growing: a small
        # table stays in cache, and few rebuilds reinsert everything
        bits = self.bits + 1
        while needed * 4 > (1 << bits):
            bits += 1
        occupied = self.ids != -1
        old_keys, old_ids = self.keys[occupied], self.ids[occupied]
        self._alloc(bits)
        self._place(old_keys, old_ids)

    def _place(self, keys: np.ndarray, ids: np.ndarray) -> None:
        h = self.home(keys)
        todo = np.arange(keys.size)
        while todo.size:
            free = np.flatnonzero(self.ids[h] == -1)
            slots = h[free]
            self.ids[slots] = ids[todo[free]]  # racing writers: one of them wins
            won = free[self.ids[slots] == ids[todo[free]]]
            self.keys[h[won]] = keys[todo[won]]
            keep = np.ones(todo.size, dtype=bool)
            keep[won] = False
            todo, h = todo[keep], (h[keep] + 1) & self.mask


class Packed:
    """Transformations of ``n <= 16`` states packed four bits per state into
    one uint64 (state ``q`` in byte ``q // 2``, low nibble for even ``q``).
    Applying a letter to packed elements is a byte-wise (or 16-bit) lookup.
    Padding nibbles (``q >= n``) start at 0 and follow state 0, so they are a
    function of the element and keep keys injective."""

    def __init__(self, table: np.ndarray) -> None:
        self.n, self.k = table.shape
        v = np.arange(256)
        lo, hi = np.minimum(v & 15, self.n - 1), np.minimum(v >> 4, self.n - 1)
        self.lut8 = [(table[lo, a] | (table[hi, a] << 4)).astype(np.uint8) for a in range(self.k)]
        self.lut16: list[np.ndarray] | None = None

    def _build_lut16(self) -> list[np.ndarray]:
        v = np.arange(1 << 16)
        return [(lut[v & 255].astype(np.uint16) | (lut[v >> 8].astype(np.uint16) << 8)) for lut in self.lut8]

    def keys_of(self, rows: np.ndarray) -> np.ndarray:
        m = rows.shape[0]
        full = np.zeros((m, 16), dtype=np.uint8)
        full[:, : self.n] = rows
        full[:, self.n :] = rows[:, :1]  # padding follows state 0
        packed = full[:, 0::2] | (full[:, 1::2] << 4)
        return np.ascontiguousarray(packed).view(np.uint64).reshape(m)

    #: byte -> its two nibbles as two bytes (little-endian uint16)
    _UNPACK = (np.arange(256) & 15 | (np.arange(256) >> 4) << 8).astype("<u2")

    def rows_of(self, keys: np.ndarray) -> np.ndarray:
        """``(m,)`` keys -> ``(m, n)`` uint8 rows (a view of a ``(m, 16)`` array)."""
        m = keys.size
        b = np.ascontiguousarray(keys).view(np.uint8).reshape(m, 8)
        return self._UNPACK[b].view(np.uint8).reshape(m, 16)[:, : self.n]

    def step(self, keys: np.ndarray) -> np.ndarray:
        """``(m,)`` keys -> ``(m, k)`` keys of ``element then letter``."""
        m = keys.size
        out = np.empty((m, self.k), dtype=np.uint64)
        if m >= 4096 and self.lut16 is None:
            self.lut16 = self._build_lut16()
        if self.lut16 is not None:
            parts = keys.view(np.uint16).reshape(m, 4).astype(np.intp)
            for a, lut in enumerate(self.lut16):
                out[:, a] = lut[parts].view(np.uint64).reshape(m)
        else:
            parts = keys.view(np.uint8).reshape(m, 8).astype(np.intp)
            for a, lut in enumerate(self.lut8):
                out[:, a] = lut[parts].view(np.uint64).reshape(m)
        return out


class Rows:
    """Transformations of any number of states as rows of small unsigned ints,
    hashed to 64 bits. Keys are not injective: the caller verifies rows on
    every key match.

    The hash of a row is ``sum_j c_j x_j mod 2**64`` over the row's 16-bit
    pieces ``x_j`` (the padded row viewed as ``uint16``), with random 64-bit
    coefficients ``c_j`` drawn from ``salt``. For two different rows some
    piece differs by ``d`` with ``0 < |d| < 2**16``, so ``c_j d`` is uniform
    over the multiples of ``2**t`` (``t < 16``, the 2-adic valuation of ``d``)
    and the two keys are equal with probability at most ``2**(t - 64) <=
    2**-48`` (multilinear hashing; Dietzfelbinger, Hagerup, Katajainen &
    Penttonen 1997). A linear form over whole 64-bit words, by contrast, sees
    a difference in a word's top byte only through 8 bits of its coefficient:
    that is what made structured monoids (Dyck, D_n) collide on every salt.
    """

    def __init__(self, table: np.ndarray, salt: int = 0) -> None:
        self.n, self.k = table.shape
        self.dtype = small_dtype(self.n)
        self.width = -(-self.n * self.dtype.itemsize // 8) * 8 // self.dtype.itemsize  # padded
        self.tab = [table[:, a].astype(self.dtype) for a in range(self.k)]
        rng = np.random.default_rng([0x5EED, salt])
        pieces = self.width * self.dtype.itemsize // 2
        self.coef = rng.integers(0, 2**64, size=pieces, dtype=np.uint64, endpoint=False)

    def pad(self, rows: np.ndarray) -> np.ndarray:
        out = np.zeros((rows.shape[0], self.width), dtype=self.dtype)
        out[:, : self.n] = rows
        return out

    def keys_of(self, padded: np.ndarray) -> np.ndarray:
        """``(m, width)`` padded rows -> ``(m,)`` uint64 keys."""
        pieces = np.ascontiguousarray(padded).view(np.uint16)
        # einsum casts the pieces to uint64 in small buffers; the sum wraps modulo 2^64
        return np.einsum("ij,j->i", pieces, self.coef, dtype=np.uint64, casting="unsafe")

    def step(self, padded: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """``(m, width)`` rows -> ``(k, m, width)`` rows of ``element then
        letter``, letter-major (each letter's block is written contiguously).
        ``out``: where to write them (its padding columns zero), so that a
        scratch buffer can be reused: a fresh one of tens of MB is mapped and
        faulted in page by page at every block.

        ``np.take(..., mode="clip")``: the states are in range anyway, and
        numpy's default mode (checked indices) took 1.3 to 2 times as long
        on 4096-state rows; blocks of 32 KB of rows keep the ``intp``
        indices (four times as large) in the L2 cache.
        """
        m = padded.shape[0]
        if out is None:
            out = np.zeros((self.k, m, self.width), dtype=self.dtype)
        step = max(1, (1 << 15) // self.n)
        for lo in range(0, m, step):
            idx = padded[lo : lo + step, : self.n].astype(np.intp)
            for a, t in enumerate(self.tab):
                block = out[a, lo : lo + step]
                np.take(t, idx, out=block[:, : self.n] if self.width != self.n else block, mode="clip")
        return out

    def verify(self, store: np.ndarray, ids: np.ndarray, rows: np.ndarray, which: np.ndarray | None = None) -> bool:
        """Whether ``store[ids] == rows`` (compared as 64-bit words, in row
        blocks that stay in cache), or only at the positions ``which``."""
        step = max(1, (1 << 18) // self.width)
        size = ids.size if which is None else which.size
        for lo in range(0, size, step):
            if which is None:
                a = store[ids[lo : lo + step]].view(np.uint64)
                b = rows[lo : lo + step].view(np.uint64)
            else:
                at = which[lo : lo + step]
                a = store[ids[at]].view(np.uint64)
                b = rows[at].view(np.uint64)
            if not np.array_equal(a, b):
                return False
        return True


class RowDict:
    """Exact deduplication of padded rows: a dictionary from row bytes to ids.

    The same interface as :class:`HashTable` but keyed by the rows
    themselves, so nothing needs verifying. Per-row Python: several times
    slower than hashing, so it only takes over when hashing keeps colliding.
    """

    def __init__(self) -> None:
        self.map: dict[bytes, int] = {}

    def insert(self, rows: np.ndarray, ids: np.ndarray) -> None:
        """Insert distinct rows known to be absent."""
        for row, i in zip(rows, ids.tolist()):
            self.map[row.tobytes()] = i

    def lookup_insert(self, rows: np.ndarray, first_id: int) -> tuple[np.ndarray, np.ndarray]:
        """As :meth:`HashTable.lookup_insert`, for ``(M, width)`` rows."""
        rows = np.ascontiguousarray(rows)
        size = rows.shape[1] * rows.dtype.itemsize
        data = rows.tobytes()
        ids = np.empty(rows.shape[0], dtype=np.int32)
        new: list[int] = []
        table, next_id = self.map, first_id
        for i in range(rows.shape[0]):
            key = data[i * size : (i + 1) * size]
            j = table.get(key)
            if j is None:
                j = table[key] = next_id
                next_id += 1
                new.append(i)
            ids[i] = j
        return ids, np.asarray(new, dtype=np.intp)


class ElementIndex:
    """Find the ids of transformations (given as rows) in an enumerated monoid."""

    def __init__(self, table: HashTable, encoder: Packed | Rows, rows: np.ndarray | None) -> None:
        self.table, self.encoder, self.rows = table, encoder, rows

    @classmethod
    def build(cls, elements: np.ndarray) -> ElementIndex:
        m, n = elements.shape
        if n <= 16:
            enc: Packed | Rows = Packed(np.zeros((n, 1), dtype=np.int64))
            keys = enc.keys_of(elements.astype(np.uint8))
            rows = None
        else:
            enc = Rows(np.zeros((n, 1), dtype=np.int64))
            rows = enc.pad(elements)
            keys = enc.keys_of(rows)
        table = HashTable()
        ids, new = table.lookup_insert(keys, 0)
        if new.size != m:
            # equal hashes of different rows: fall back to exact dictionary lookups
            return DictIndex(elements)  # type: ignore[return-value]
        return cls(table, enc, rows)

    def find(self, rows: np.ndarray) -> np.ndarray:
        if isinstance(self.encoder, Packed):
            return self.table.lookup(self.encoder.keys_of(rows.astype(np.uint8)))
        padded = self.encoder.pad(rows)
        ids = self.table.lookup(self.encoder.keys_of(padded))
        hit = np.flatnonzero(ids >= 0)
        wrong = hit[~(self.rows[ids[hit]] == padded[hit]).all(axis=1)]
        ids[wrong] = -1
        return ids


class DictIndex:
    """Exact fallback index: a dict of row bytes."""

    def __init__(self, elements: np.ndarray) -> None:
        self.dtype = small_dtype(elements.shape[1])
        self.map = {r.tobytes(): i for i, r in enumerate(elements.astype(self.dtype))}

    def find(self, rows: np.ndarray) -> np.ndarray:
        rows = rows.astype(self.dtype)
        return np.array([self.map.get(r.tobytes(), -1) for r in rows], dtype=np.int32)
