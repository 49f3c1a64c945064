"""The breadth-first enumeration of a transition monoid (internal).

Froidure & Pin 1997, without the rewriting: the identity (the empty word)
first, then every element ``w a`` for ``w`` in the previous layer and ``a`` in
the alphabet, so that each element is reached first by a shortest word (the
first such word in BFS order, letters in alphabet order). Whole layers are
stepped and deduplicated at once with numpy (see :mod:`._hashing`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..automata.dfa import DFA
from ..errors import DFAError, ParameterError
from ._hashing import DictIndex, ElementIndex, HashTable, Packed, RowDict, Rows
from ._transforms import chunks, periodic_mask, stable_indices

__all__ = ["Enumeration", "check_max_monoid", "enumerate_monoid", "minimal_dfa", "too_large_message"]

log = logging.getLogger(__name__)

#: Progress is logged at INFO each time the enumeration passes a multiple of this.
_LOG_EVERY = 100_000

#: Hashed enumerations (n > 16) tried, each with new coefficients, before the
#: exact row dictionary takes over. A collision has probability at most
#: 2**-48 per pair of rows, so a second attempt is already rare.
_HASH_ATTEMPTS = 3


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
    first_periodic: int | None  # id of the first element with a non-trivial cycle
    stable_index: np.ndarray | None  # per element, while checked
    index: ElementIndex | DictIndex | None

    def word_indices(self, i: int) -> tuple[int, ...]:
        """The letter indices of the shortest word of element ``i``."""
        out = []
        while i > 0:
            out.append(int(self.letters[i]))
            i = int(self.parents[i])
        return tuple(reversed(out))


class _Buffer:
    """A growable array along axis 0."""

    def __init__(self, shape_tail: tuple[int, ...], dtype: Any, capacity: int = 1024) -> None:
        self.data = np.empty((capacity, *shape_tail), dtype=dtype)
        self.size = 0

    def extend(self, values: np.ndarray) -> None:
        need = self.size + values.shape[0]
        if need > self.data.shape[0]:
            cap = max(need, 2 * self.data.shape[0])
            new = np.empty((cap, *self.data.shape[1:]), dtype=self.data.dtype)
            new[: self.size] = self.data[: self.size]
            self.data = new
        self.data[self.size : need] = values
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

    ``check`` is ``"none"``, ``"index"`` (the stable index of every new
    element, until the first element with a non-trivial cycle appears) or
    ``"periodic"`` (only look for that element, by squaring: faster);
    ``stop_at_periodic`` returns (incomplete) when it appears. Past
    ``max_monoid`` elements it returns incomplete.

    For ``n > 16`` states rows are hashed; a hash collision (caught by
    verifying every match) restarts with new coefficients, at most
    ``_HASH_ATTEMPTS`` times, after which an exact row dictionary is used:
    the result never depends on the hash.
    """
    options = dict(max_monoid=max_monoid, check=check, stop_at_periodic=stop_at_periodic)
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
        self, dfa: DFA, *, max_monoid: int, check: str, stop_at_periodic: bool, salt: int, exact: bool
    ) -> None:
        table = np.asarray(dfa.table)
        self.n, self.k = table.shape
        self.packed = self.n <= 16
        self.exact = exact and not self.packed  # packed keys are exact already
        self.name = dfa.name or f"a {self.n}-state DFA"
        self.max_monoid, self.stop_at_periodic = max_monoid, stop_at_periodic
        self.enc: Packed | Rows = Packed(table) if self.packed else Rows(table, salt)
        if self.packed:  # the elements: uint64 keys, or padded rows
            self.store = _Buffer((), np.uint64)
        else:
            self.store = _Buffer((self.enc.width,), self.enc.dtype)  # type: ignore[union-attr]
        self.hashes: HashTable | RowDict = RowDict() if self.exact else HashTable()
        self.parents = _Buffer((), np.int32)
        self.letters = _Buffer((), np.int32)
        self.parents.extend(np.array([-1], dtype=np.int32))
        self.letters.extend(np.array([-1], dtype=np.int32))
        self.stable = _Buffer((), np.int32) if check == "index" else None
        self.look = check != "none"
        self.cayley_parts: list[np.ndarray] = []
        self.total, self.depth = 1, 0
        self.first_periodic: int | None = None
        self.next_log = _LOG_EVERY

    def run(self) -> Enumeration:
        layer = self._identity_layer()
        while True:
            base = self.total - layer.shape[0]  # id of the layer's first element
            if self.packed:
                res, new_pos, new_layer = self._step_packed(layer, base)
                candidates = None
            else:
                res, new_pos, new_layer, candidates = self._step_rows(layer)
            if self.total + new_pos.size > self.max_monoid:
                log.info(
                    "the monoid of %s passed the cap of %d elements at word length %d",
                    self.name,
                    self.max_monoid,
                    self.depth + 1,
                )
                return self._finish(False)
            self.cayley_parts.append(res.reshape(-1))
            self.store.extend(new_layer)
            # verify every key match against the stored rows (keys are hashes)
            if candidates is not None and not self.enc.verify(  # type: ignore[union-attr]
                self.store.view(), res.T.reshape(-1), candidates
            ):
                raise _HashCollision
            if not new_pos.size:
                return self._finish(True)
            start = self._add_layer(new_pos, base)
            layer = new_layer
            if self.look and self._found_periodic(layer, start) and self.stop_at_periodic:
                return self._finish(False)

    def _identity_layer(self) -> np.ndarray:
        """The layer of the empty word, stored and hashed as element 0."""
        identity = np.arange(self.n)[None, :]
        if self.packed:
            layer = self.enc.keys_of(identity.astype(np.uint8))  # (1,) uint64 keys
        else:
            layer = self.enc.pad(identity)  # type: ignore[union-attr]  # (1, width) rows
        self.store.extend(layer)
        keys = layer if self.packed or self.exact else self.enc.keys_of(layer)
        self.hashes.insert(keys, np.zeros(1, dtype=np.int32))
        if self.stable is not None:
            self.stable.extend(np.zeros(1, dtype=np.int32))  # the identity: k = 0
        return layer

    def _step_packed(self, layer: np.ndarray, base: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Apply every letter to a layer of packed keys: the ``(m, k)`` Cayley
        ids, the positions ``i * k + a`` of new elements, and their keys."""
        m, k = layer.shape[0], self.k
        flat = self.enc.step(layer).reshape(m * k)  # (m * k,) uint64
        res = np.empty((m, k), dtype=np.int32)
        res[...] = np.arange(base, self.total, dtype=np.int32)[:, None]
        # w a == w is common (letters that fix the element): skip the table
        moved = np.flatnonzero(flat != np.repeat(layer, k))
        ids, new_pos = self.hashes.lookup_insert(flat[moved], self.total)
        res.reshape(-1)[moved] = ids
        new_pos = moved[new_pos]
        return res, new_pos, flat[new_pos]

    def _step_rows(self, layer: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
        """Apply every letter to a layer of padded rows: as :meth:`_step_packed`,
        plus all candidate rows (letter-major) for verifying the hash hits
        (None when the rows are deduplicated exactly)."""
        m, k = layer.shape[0], self.k
        # letter-major rows (a * m + i); BFS order is i * k + a
        candidates = self.enc.step(layer).reshape(k * m, self.enc.width)  # type: ignore[union-attr]
        if self.exact:  # the rows themselves are the keys: nothing to verify
            bfs = candidates.reshape(k, m, -1).transpose(1, 0, 2).reshape(m * k, -1)
            ids, new_pos = self.hashes.lookup_insert(bfs, self.total)
            return ids.reshape(m, k), new_pos, bfs[new_pos], None
        keys = self.enc.keys_of(candidates).reshape(k, m).T.reshape(m * k)
        ids, new_pos = self.hashes.lookup_insert(keys, self.total)
        return ids.reshape(m, k), new_pos, candidates[(new_pos % k) * m + new_pos // k], candidates

    def _add_layer(self, new_pos: np.ndarray, base: int) -> int:
        """Record the parents and last letters of a new layer; its first id."""
        self.depth += 1
        self.parents.extend((new_pos // self.k + base).astype(np.int32))
        self.letters.extend((new_pos % self.k).astype(np.int32))
        start = self.total
        self.total += new_pos.size
        if self.total >= self.next_log:
            log.info("monoid of %s: %d elements so far (word length %d)", self.name, self.total, self.depth)
            self.next_log = (self.total // _LOG_EVERY + 1) * _LOG_EVERY
        return start

    def _found_periodic(self, layer: np.ndarray, start: int) -> bool:
        """Whether the layer (first id ``start``) holds an element with a
        non-trivial cycle; records the stable indices while they are asked for."""
        n = self.n
        rows = self.enc.rows_of(layer) if self.packed else layer[:, :n]  # type: ignore[union-attr]
        if self.stable is not None:
            idx = np.concatenate([stable_indices(c) for _, c in chunks(rows)])
            self.stable.extend(idx)
            periodic = np.flatnonzero(idx < 0)
        elif n <= 64:  # log2(n) squarings beat n - 1 steps
            periodic = np.flatnonzero(periodic_mask(rows))
        else:  # elements of big DFAs usually stabilize long before n steps
            periodic = np.flatnonzero(np.concatenate([stable_indices(c) for _, c in chunks(rows)]) < 0)
        if not periodic.size:
            return False
        self.first_periodic = start + int(periodic[0])
        self.look, self.stable = False, None  # indices only matter while the monoid may be aperiodic
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
            stable_index=self.stable.view() if self.stable is not None else None,
            index=self._index(elements, stored) if complete else None,
        )


def check_max_monoid(max_monoid: int) -> None:
    """Raise :class:`~automata_probe.errors.ParameterError` for a cap below 1."""
    if max_monoid < 1:
        raise ParameterError(f"max_monoid must be at least 1, not {max_monoid}")


def minimal_dfa(dfa: DFA) -> DFA:
    """The minimal DFA of ``dfa`` (its transition monoid is the syntactic monoid)."""
    if not isinstance(dfa, DFA):
        raise DFAError(f"expected a DFA, got {type(dfa).__name__}")
    return dfa.minimize()


def too_large_message(d: DFA, max_monoid: int) -> str:
    name = d.name or f"the {d.n_states}-state DFA"
    return (
        f"the syntactic monoid of {name} has more than {max_monoid:,} elements; "
        "raise the cap (max_monoid / --max-monoid) to enumerate it"
    )
