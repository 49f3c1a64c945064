"""The breadth-first enumeration of a transition monoid (internal).

Froidure & Pin 1997, without the rewriting: the identity (the empty word)
first, then every element ``w a`` for ``w`` in the previous layer and ``a`` in
the alphabet, so that each element is reached first by a shortest word (the
first such word in BFS order, letters in alphabet order). For a DFA of up to
65,536 states the compiled extension, when it is built, steps every layer in
C (rows of one or two bytes a state; see :mod:`._bytelayers`). Without it
the Python byte layers step the small layers of a DFA of up to 256 states,
and from the first layer of more than ``_BYTE_PRODUCTS`` products on (for
larger DFAs from the start) whole layers are stepped and deduplicated at once
with numpy (see :mod:`._hashing`). All give the same ids, words and Cayley
graph.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..automata.dfa import DFA
from ..errors import DFAError, ParameterError
from ._bytelayers import MAX_STATES, NATIVE_MAX_STATES, ByteLayers, NativeLayers, byte_layers, native_module
from ._hashing import DictIndex, ElementIndex, HashTable, Packed, RowDict, Rows
from ._transforms import chunks, nontrivial_group_mask, periodic_mask, small_dtype

__all__ = [
    "Enumeration",
    "check_max_monoid",
    "element_cap",
    "enumerate_monoid",
    "first_periodic",
    "minimal_dfa",
    "monoid_lower_bound",
    "monoid_lower_bound_reference",
    "too_large_message",
]

log = logging.getLogger(__name__)

#: Progress is logged at INFO each time the enumeration passes a multiple of this.
_LOG_EVERY = 100_000

#: Hashed enumerations (n > 16) tried, each with new coefficients, before the
#: exact row dictionary takes over. A collision has probability at most
#: 2**-48 per pair of rows, so a second attempt is already rare.
_HASH_ATTEMPTS = 3

#: Candidate rows (bytes) produced at once when a layer of wide rows is
#: stepped: a layer is processed in blocks, so that the memory it takes
#: beyond the stored elements stays small and the cap can stop it midway.
_BLOCK_BYTES = 32 << 20

#: ``max_monoid`` counts elements whose rows take up to this many bytes (DFAs
#: of up to 256 states); a larger element counts as ``row bytes / 256``
#: elements, so that the cap bounds the memory of the enumeration as well:
#: the default 2,000,000 allows about 512 MB of rows whatever the DFA.
_ELEMENT_BYTES = 256

#: Layers whose products (elements x letters) number at most this are stepped
#: as ``bytes`` (DFAs of up to 256 states): numpy's fixed cost per call
#: exceeds the work there (about 0.1 µs a product as bytes, against a fixed
#: cost of some 100 µs a layer with numpy). The first larger layer hands the
#: enumeration over to numpy for good. Measured under load on 2 cores, on
#: monoids of 429 to 58,786 elements: 1,024 to 8,192 are within noise of
#: each other; 4,096 was best or near it on the random 10-state DFA (9,593
#: elements) and Catalan(11).
_BYTE_PRODUCTS = 4096


#: The same threshold for the compiled byte layers: none, they run whole
#: enumerations. A product costs about 40 ns there on D12, 60 ns on
#: Catalan(13) and 140 ns on the random 16-state DFA (1.2 million elements:
#: the hash table misses the caches), against 80 and 260 ns for the numpy
#: layers on the last two; the peak memory of those two fell from 171 and
#: 246 MB to 110 and 134 MB (see _bytelayers).
_NATIVE_PRODUCTS = 1 << 62


class _HashCollision(Exception):
    """Two different rows hashed to one key (internal: restart with a new hash)."""


@dataclass
class Enumeration:
    """What the enumeration produced."""

    elements: np.ndarray  # (m, n) small unsigned ints
    parents: np.ndarray
    letters: np.ndarray
    cayley: np.ndarray | None  # None when incomplete
    complete: bool
    first_periodic: int | None  # id of the first element the check found (see enumerate_monoid)
    index: ElementIndex | DictIndex | None

    def word_indices(self, i: int) -> tuple[int, ...]:
        """The letter indices of the shortest word of element ``i``."""
        out = []
        while i > 0:
            out.append(int(self.letters[i]))
            i = int(self.parents[i])
        return tuple(reversed(out))


class _Buffer:
    """A growable array along axis 0 (never past ``limit`` rows, when given)."""

    def __init__(
        self, shape_tail: tuple[int, ...], dtype: Any, limit: int | None = None, reserve: int = 1024
    ) -> None:
        capacity = reserve if limit is None else max(1, min(reserve, limit))
        self.data = np.empty((capacity, *shape_tail), dtype=dtype)
        self.size = 0
        self.limit = limit

    def extend(self, values: np.ndarray) -> None:
        need = self.size + values.shape[0]
        if need > self.data.shape[0]:
            cap = max(need, 2 * self.data.shape[0])
            if self.limit is not None:
                cap = max(need, min(cap, self.limit))
            new = np.empty((cap, *self.data.shape[1:]), dtype=self.data.dtype)
            new[: self.size] = self.data[: self.size]
            self.data = new
        self.data[self.size : need] = values
        self.size = need

    def extend_take(self, source: np.ndarray, index: np.ndarray) -> None:
        """``extend(source[index])`` without the intermediate copy."""
        need = self.size + index.size
        if need > self.data.shape[0]:
            self.extend(source[index])
            return
        np.take(source, index, axis=0, out=self.data[self.size : need])
        self.size = need

    def view(self) -> np.ndarray:
        return self.data[: self.size]


def enumerate_monoid(
    dfa: DFA,
    *,
    max_monoid: int,
    check: str,
    stop_at_periodic: bool,
) -> Enumeration:
    """Breadth-first closure of the letter transformations of ``dfa``.

    ``check`` looks at every new element until one is found: ``"none"``,
    ``"periodic"`` (the first element with a non-trivial cycle, in BFS
    order) or ``"group"`` (the first element of a non-trivial group: ``y``
    permutes its image, ``rank(y y) = rank(y)``, and ``y y != y``; such an
    element is periodic, and the monoid holds one iff it is not aperiodic,
    so this decides aperiodicity in ``O(n)`` per element where ``"periodic"``
    takes ``O(n log n)``, though maybe at a later element).
    ``stop_at_periodic`` returns (incomplete) when the check finds one. Past
    ``element_cap(n, max_monoid)`` elements (``max_monoid`` for DFAs of up to
    256 states) it returns incomplete.

    For ``n > 16`` states rows are hashed; a hash collision (caught by
    verifying every match) restarts with new coefficients, at most
    ``_HASH_ATTEMPTS`` times, after which an exact row dictionary is used:
    the result never depends on the hash.
    """
    options = {"max_monoid": max_monoid, "check": check, "stop_at_periodic": stop_at_periodic}
    for salt in range(_HASH_ATTEMPTS):
        try:
            return _Closure(dfa, salt=salt, exact=False, **options).run()  # type: ignore[arg-type]
        except _HashCollision:
            log.info("hash collision in the monoid of %s (attempt %d); new coefficients", dfa.name, salt + 1)
    log.warning(
        "%d hash collisions in the monoid of %s: enumerating with an exact row dictionary (slower)",
        _HASH_ATTEMPTS,
        dfa.name or f"a {dfa.n_states}-state DFA",
    )
    return _Closure(dfa, salt=0, exact=True, **options).run()  # type: ignore[arg-type]


class _Closure:
    """One breadth-first enumeration in progress, one method per step.

    A layer holds the elements first reached by the words of one length: as
    ``uint64`` keys for ``n <= 16`` states (packed), else as padded rows.
    """

    def __init__(
        self,
        dfa: DFA,
        *,
        max_monoid: int,
        check: str,
        stop_at_periodic: bool,
        salt: int,
        exact: bool,
        byte_products: int | None = None,
        native: bool | None = None,
    ) -> None:
        self.transitions = dfa.transitions
        self.n, self.k = dfa.n_states, dfa.n_letters
        self.packed = self.n <= 16
        self.exact = exact and not self.packed  # packed keys are exact already
        self.name = dfa.name or f"a {self.n}-state DFA"
        self.max_monoid, self.stop_at_periodic = element_cap(self.n, max_monoid), stop_at_periodic
        self.salt = salt
        if check not in ("none", "periodic", "group"):  # pragma: no cover - internal
            raise ValueError(f"unknown check {check!r}")
        self.check = check
        self.look = check != "none"
        self.total, self.depth = 1, 0
        self.first_periodic: int | None = None
        self.next_log = _LOG_EVERY
        self.cayley_parts: list[np.ndarray] = []
        self._scratch_buf: np.ndarray | None = None
        # the compiled layers (when built) run whole enumerations of up to
        # 65,536 states; the Python ones only the first small layers of up to 256
        wanted = native_module() is not None if native is None else native
        self.native = wanted and self.n <= NATIVE_MAX_STATES
        if byte_products is None:
            byte_products = _NATIVE_PRODUCTS if self.native else _BYTE_PRODUCTS
        self.byte_products = byte_products if self.native or self.n <= MAX_STATES else -1

    def run(self) -> Enumeration:
        if self.byte_products >= self.k:
            small = byte_layers(self.transitions, self.native)
            done = self._run_small(small)
            if done is not None:
                return done
            layer = self._adopt(small)
        else:
            layer = self._identity_layer()
        while True:
            base = self.total - layer.shape[0]  # id of the layer's first element
            stepped = self._step_packed(layer, base) if self.packed else self._step_rows(layer)
            if stepped is None:
                self._log_cap()
                return self._finish(False)
            res, new_pos = stepped
            self.cayley_parts.append(res.reshape(-1))
            if not new_pos.size:
                return self._finish(True)
            start = self._add_layer(new_pos, base)
            layer = self.store.view()[start:]  # the new layer, as stored
            if self.look and self._found_periodic(layer, start) and self.stop_at_periodic:
                return self._finish(False)

    def _setup_numpy(self) -> None:
        """The encoder, store, hash table and word buffers of the numpy layers
        (not built when the bytes layers finish the enumeration)."""
        table = np.asarray(self.transitions, dtype=np.int64).reshape(self.n, self.k)  # (n, k)
        self.enc: Packed | Rows = Packed(table) if self.packed else Rows(table, self.salt)
        if self.packed:  # the elements: uint64 keys, or padded rows
            self.store = _Buffer((), np.uint64, self.max_monoid)
        else:
            # wide rows: reserve up to 1 GiB at once (pages are only touched as
            # rows arrive), so that growing never holds two copies of the store
            row = self.enc.width * self.enc.dtype.itemsize  # type: ignore[union-attr]
            reserve = max(1024, (1 << 30) // row) if row > _ELEMENT_BYTES else 1024
            self.store = _Buffer((self.enc.width,), self.enc.dtype, self.max_monoid, reserve)  # type: ignore[union-attr]
        self.hashes: HashTable | RowDict = RowDict() if self.exact else HashTable()
        self.parents = _Buffer((), np.int32)
        self.letters = _Buffer((), np.int32)
        self.parents.extend(np.array([-1], dtype=np.int32))
        self.letters.extend(np.array([-1], dtype=np.int32))

    def _log_cap(self) -> None:
        log.info(
            "the monoid of %s passed the cap of %d elements at word length %d",
            self.name,
            self.max_monoid,
            self.depth + 1,
        )

    def _run_small(self, small: ByteLayers | NativeLayers) -> Enumeration | None:
        """Step layers as byte rows while they are small (all of them with the
        compiled layers): the result when that finishes the enumeration, else
        None (numpy takes over)."""
        while small.frontier_size * self.k <= self.byte_products:
            start = small.total
            fresh = small.step(self.max_monoid)
            if fresh is None:
                self.depth = small.depth
                self._log_cap()
                return self._finish_small(small, False)
            if not fresh:
                return self._finish_small(small, True)
            if small.total >= self.next_log:
                self.total, self.depth = small.total, small.depth
                self._log_progress()
            if self.look and self._found_in_rows(small.frontier_array(), start):
                if self.stop_at_periodic:
                    return self._finish_small(small, False)
        return None

    def _finish_small(self, small: ByteLayers | NativeLayers, complete: bool) -> Enumeration:
        out = small.arrays()
        return Enumeration(
            elements=out.elements,
            parents=out.parents,
            letters=out.letters,
            cayley=out.cayley.reshape(-1, self.k) if complete else None,
            complete=complete,
            first_periodic=self.first_periodic,
            index=None,  # built on demand by the Monoid
        )

    def _adopt(self, small: ByteLayers | NativeLayers) -> np.ndarray:
        """Take over the layers ``small`` enumerated (store, hash table,
        words, Cayley ids); returns its frontier as a numpy layer."""
        self._setup_numpy()
        m, frontier, depth = small.total, small.frontier_size, small.depth
        out = small.arrays()
        stored = self.enc.keys_of(out.elements) if self.packed else self.enc.pad(out.elements)  # type: ignore[union-attr]
        self.store.extend(stored)
        if self.packed or self.exact:  # exact keys
            self.hashes.insert(stored, np.arange(m, dtype=np.int32))
        else:
            _, new = self.hashes.lookup_insert(self.enc.keys_of(stored), 0)  # type: ignore[arg-type]
            if new.size != m:
                raise _HashCollision
        self.cayley_parts = [out.cayley]
        self.parents.extend(out.parents[1:])
        self.letters.extend(out.letters[1:])
        self.total, self.depth = m, depth
        return self.store.view()[m - frontier :]

    def _identity_layer(self) -> np.ndarray:
        """The layer of the empty word, stored and hashed as element 0."""
        self._setup_numpy()
        identity = np.arange(self.n)[None, :]
        if self.packed:
            layer = self.enc.keys_of(identity.astype(np.uint8))  # (1,) uint64 keys
        else:
            layer = self.enc.pad(identity)  # type: ignore[union-attr]  # (1, width) rows
        self.store.extend(layer)
        keys = layer if self.packed or self.exact else self.enc.keys_of(layer)
        self.hashes.insert(keys, np.zeros(1, dtype=np.int32))
        return layer

    def _step_packed(self, layer: np.ndarray, base: int) -> tuple[np.ndarray, np.ndarray] | None:
        """Apply every letter to a layer of packed keys and store the new
        elements: the ``(m, k)`` Cayley ids and the positions ``i * k + a``
        of the new elements; None when they would pass the cap."""
        m, k = layer.shape[0], self.k
        flat = self.enc.step(layer).reshape(m * k)  # (m * k,) uint64
        res = np.empty((m, k), dtype=np.int32)
        res[...] = np.arange(base, self.total, dtype=np.int32)[:, None]
        # w a == w is common (letters that fix the element): skip the table
        moved = np.flatnonzero(flat != np.repeat(layer, k))
        ids, new_pos = self.hashes.lookup_insert(flat[moved], self.total)
        if self.total + new_pos.size > self.max_monoid:
            return None
        res.reshape(-1)[moved] = ids
        new_pos = moved[new_pos]
        self.store.extend(flat[new_pos])
        return res, new_pos

    def _step_rows(self, layer: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """As :meth:`_step_packed`, for a layer of padded rows, in blocks of
        about ``_BLOCK_BYTES`` of candidates; every hash hit is verified
        against the stored rows (a collision raises ``_HashCollision``)."""
        m, k, width = layer.shape[0], self.k, self.enc.width  # type: ignore[union-attr]
        block = max(1, _BLOCK_BYTES // (k * layer.strides[0]))
        res = np.empty((m, k), dtype=np.int32)
        new_parts = []
        next_id = self.total
        for lo in range(0, m, block):
            b = min(block, m - lo)
            # letter-major rows (a * b + i) of the block; BFS order is i * k + a
            out = self._scratch(k * b * width).reshape(k, b, width)
            candidates = self.enc.step(layer[lo : lo + b], out).reshape(k * b, width)  # type: ignore[union-attr]
            if self.exact:  # the rows themselves are the keys: nothing to verify
                bfs = candidates.reshape(k, b, width).transpose(1, 0, 2).reshape(b * k, width)
                ids, new = self.hashes.lookup_insert(bfs, next_id)  # type: ignore[arg-type]
                source, at = bfs, new
            else:
                keys = self.enc.keys_of(candidates).reshape(k, b).T.reshape(b * k)
                ids, new = self.hashes.lookup_insert(keys, next_id)  # type: ignore[arg-type]
                source, at = candidates, (new % k) * b + new // k  # letter-major positions
            next_id += new.size
            if next_id > self.max_monoid:
                self.store.size = self.total  # drop the unfinished layer
                return None
            self.store.extend_take(source, at)
            if not self.exact:
                # a new row was just stored from its candidate: verify the others
                old = np.ones(b * k, dtype=bool)
                old[at] = False
                if not self.enc.verify(  # type: ignore[union-attr]
                    self.store.view(), ids.reshape(b, k).T.reshape(-1), candidates, np.flatnonzero(old)
                ):
                    raise _HashCollision
            res[lo : lo + b] = ids.reshape(b, k)
            new_parts.append(new + lo * k)
        return res, np.concatenate(new_parts)

    def _scratch(self, size: int) -> np.ndarray:
        """A reused flat buffer of at least ``size`` row entries, zeroed once
        (the padding columns of the candidates are never written)."""
        buf = self._scratch_buf
        if buf is None or buf.size < size:
            buf = self._scratch_buf = np.zeros(size, dtype=self.enc.dtype)  # type: ignore[union-attr]
        return buf[:size]

    def _add_layer(self, new_pos: np.ndarray, base: int) -> int:
        """Record the parents and last letters of a new layer; its first id."""
        self.depth += 1
        self.parents.extend((new_pos // self.k + base).astype(np.int32))
        self.letters.extend((new_pos % self.k).astype(np.int32))
        start = self.total
        self.total += new_pos.size
        if self.total >= self.next_log:
            self._log_progress()
        return start

    def _log_progress(self) -> None:
        log.info("monoid of %s: %d elements so far (word length %d)", self.name, self.total, self.depth)
        self.next_log = (self.total // _LOG_EVERY + 1) * _LOG_EVERY

    def _found_periodic(self, layer: np.ndarray, start: int) -> bool:
        """Whether the layer (first id ``start``) holds an element that the
        check looks for; records the first."""
        rows = self.enc.rows_of(layer) if self.packed else layer[:, : self.n]  # type: ignore[union-attr]
        return self._found_in_rows(rows, start)

    def _found_in_rows(self, rows: np.ndarray, start: int) -> bool:
        """As :meth:`_found_periodic`, for the layer as ``(m, n)`` rows."""
        mask = periodic_mask(rows) if self.check == "periodic" else nontrivial_group_mask(rows)
        found = np.flatnonzero(mask)
        if not found.size:
            return False
        self.first_periodic = start + int(found[0])
        self.look = False
        return True

    def _index(self, elements: np.ndarray, stored: np.ndarray) -> ElementIndex | DictIndex:
        if self.exact:
            return DictIndex(elements)
        return ElementIndex(self.hashes, self.enc, None if self.packed else stored)  # type: ignore[arg-type]

    def _finish(self, complete: bool) -> Enumeration:
        stored = self.store.view()
        elements = self.enc.rows_of(stored) if self.packed else stored[:, : self.n]  # type: ignore[union-attr]
        return Enumeration(
            elements=elements,
            parents=self.parents.view(),
            letters=self.letters.view(),
            cayley=np.concatenate(self.cayley_parts).reshape(self.total, self.k) if complete else None,
            complete=complete,
            first_periodic=self.first_periodic,
            index=self._index(elements, stored) if complete else None,
        )


def first_periodic(rows: np.ndarray) -> int | None:
    """The index of the first row with a non-trivial cycle (None if none),
    checked chunk by chunk so that an early one costs little."""
    for start, chunk in chunks(rows):
        found = np.flatnonzero(periodic_mask(chunk))
        if found.size:
            return start + int(found[0])
    return None


#: Pairs of states whose orbits :func:`monoid_lower_bound` explores.
_BOUND_PAIRS = 3


def monoid_lower_bound(dfa: DFA, limit: int) -> int:
    """A lower bound on the size of the transition monoid of ``dfa`` (a
    minimal DFA, every state reachable from the start), exact only in the
    sense of being one: it stops counting once it passes ``limit``.

    Two cheap facts, no element built. Every state is ``start . m`` for some
    ``m`` and different states need different ``m``: at least ``n`` elements.
    More generally ``m -> (p . m, q . m)`` maps the monoid onto the pairs
    reachable from ``(p, q)`` in the product automaton, so it has at least
    as many elements as there are such pairs (a breadth-first search over
    pairs packed as ``p * n + q``, layer by layer with numpy, for a few
    pairs ``(0, q)``). A DFA whose bound passes the cap cannot be enumerated
    completely, so :func:`~automata_probe.algebra.classify` does not try: a
    random 2,000-state DFA reaches 158,000 pairs (its cap) in milliseconds,
    where enumerating that far took 512 MB.
    """
    n, k = dfa.n_states, dfa.n_letters
    best = n
    if best > limit or n * n <= limit or n < 2:  # decided, or no pair count can pass the limit
        return best
    table = np.asarray(dfa.table, dtype=np.uint64)  # (n, k)
    for q in sorted({1, n // 2, n - 1})[:_BOUND_PAIRS]:
        best = max(best, _pairs_reached(table, q, limit))
        if best > limit:
            break
    return best


def _pairs_reached(table: np.ndarray, q: int, limit: int) -> int:
    """The number of pairs reachable from ``(0, q)``, counted until it passes
    ``limit``: breadth-first, a layer at a time, pairs packed as ``p * n + q``
    in a :class:`HashTable` (a path-like DFA has thousands of tiny layers,
    so the cost per layer must not grow with the pairs seen)."""
    n = np.uint64(table.shape[0])
    seen = HashTable()
    frontier = np.array([q], dtype=np.uint64)
    seen.insert(frontier, np.zeros(1, dtype=np.int32))
    count = 1
    while frontier.size and count <= limit:
        p_, q_ = (frontier // n).astype(np.intp), (frontier % n).astype(np.intp)
        step = (table[p_] * n + table[q_]).reshape(-1)  # (m * k,) packed (p.a, q.a)
        _, new = seen.lookup_insert(step, count)
        frontier = step[new]
        count += new.size
    return count


def monoid_lower_bound_reference(dfa: DFA, q: int) -> int:
    """The number of pairs reachable from ``(0, q)``, by a plain search (for tests)."""
    t = dfa.transitions
    seen = {(0, q)}
    todo = [(0, q)]
    while todo:
        a, b = todo.pop()
        for x in range(dfa.n_letters):
            pair = (t[a][x], t[b][x])
            if pair not in seen:
                seen.add(pair)
                todo.append(pair)
    return len(seen)


def check_max_monoid(max_monoid: int) -> None:
    """Raise :class:`~automata_probe.errors.ParameterError` for a cap below 1."""
    if max_monoid < 1:
        raise ParameterError(f"max_monoid must be at least 1, not {max_monoid}")


def minimal_dfa(dfa: DFA) -> DFA:
    """The minimal DFA of ``dfa`` (its transition monoid is the syntactic monoid)."""
    if not isinstance(dfa, DFA):
        raise DFAError(f"expected a DFA, got {type(dfa).__name__}")
    return dfa.minimize()


def row_bytes(n_states: int) -> int:
    """The bytes an element's row takes in the enumeration."""
    if n_states <= 16:
        return 8  # packed into one uint64
    itemsize = small_dtype(n_states).itemsize
    return -(-n_states * itemsize // 8) * 8


def element_cap(n_states: int, max_monoid: int) -> int:
    """The number of elements ``max_monoid`` allows for a DFA of ``n_states``
    states: ``max_monoid`` while a row takes at most 256 bytes, else
    proportionally fewer (the cap bounds the memory too; see ``_ELEMENT_BYTES``)."""
    size = row_bytes(n_states)
    if size <= _ELEMENT_BYTES:
        return max_monoid
    return max(1, max_monoid * _ELEMENT_BYTES // size)


def too_large_message(d: DFA, max_monoid: int, *, at_least: int | None = None) -> str:
    """The one-line error for a monoid past the cap: the limit and the flag
    that raises it (``at_least``: a lower bound on the size, when known)."""
    name = d.name or f"the {d.n_states}-state DFA"
    cap = element_cap(d.n_states, max_monoid)
    size = f"more than {cap:,} elements" if at_least is None else f"at least {at_least:,} elements, more than the cap of {cap:,}"
    message = f"the syntactic monoid of {name} has {size}; raise the cap (max_monoid / --max-monoid"
    if cap == max_monoid:
        return message + ") to enumerate it"
    size = row_bytes(d.n_states)
    return message + (
        f", now {max_monoid:,}) to enumerate it: an element of {d.n_states:,} states takes {size:,} bytes and "
        f"counts as {size / _ELEMENT_BYTES:,.1f} elements, so that the cap bounds the memory "
        f"(about {_megabytes(max_monoid * _ELEMENT_BYTES)} of rows)"
    )


def _megabytes(size: int) -> str:
    return f"{size / 1e9:,.1f} GB" if size >= 1e9 else f"{max(1, round(size / 1e6)):,} MB"
