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
from ._hashing import ElementIndex, HashTable, Packed, Rows
from ._transforms import chunks, periodic_mask, stable_indices

__all__ = ["Enumeration", "check_max_monoid", "enumerate_monoid", "minimal_dfa", "too_large_message"]

log = logging.getLogger(__name__)

#: Progress is logged at INFO each time the enumeration passes a multiple of this.
_LOG_EVERY = 100_000


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
    index: ElementIndex | None

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
    salt: int = 0,
) -> Enumeration:
    """Breadth-first closure of the letter transformations of ``dfa``.

    ``check`` is ``"none"``, ``"index"`` (the stable index of every new
    element, until the first element with a non-trivial cycle appears) or
    ``"periodic"`` (only look for that element, by squaring: faster);
    ``stop_at_periodic`` returns (incomplete) when it appears. Past
    ``max_monoid`` elements it returns incomplete.
    """
    table = np.asarray(dfa.table)
    n, k = table.shape
    packed = n <= 16
    try:
        return _closure(dfa, table, n, k, packed, max_monoid, check, stop_at_periodic, salt)
    except _HashCollision:
        log.debug("hash collision in the monoid of %s; retrying with salt %d", dfa.name, salt + 1)
        return enumerate_monoid(dfa, max_monoid=max_monoid, check=check, stop_at_periodic=stop_at_periodic, salt=salt + 1)


def _closure(
    dfa: DFA,
    table: np.ndarray,
    n: int,
    k: int,
    packed: bool,
    max_monoid: int,
    check: str,
    stop_at_periodic: bool,
    salt: int,
) -> Enumeration:
    name = dfa.name or f"a {n}-state DFA"
    enc: Packed | Rows = Packed(table) if packed else Rows(table, salt)
    identity = np.arange(n)[None, :]
    hashes = HashTable()
    parents = _Buffer((), np.int32)
    letters = _Buffer((), np.int32)
    parents.extend(np.array([-1], dtype=np.int32))
    letters.extend(np.array([-1], dtype=np.int32))
    stable = _Buffer((), np.int32) if check == "index" else None
    look = check != "none"
    cayley_parts: list[np.ndarray] = []
    if packed:
        assert isinstance(enc, Packed)
        layer = enc.keys_of(identity.astype(np.uint8))  # (m,) uint64 keys
        store = _Buffer((), np.uint64)
        store.extend(layer)
    else:
        assert isinstance(enc, Rows)
        layer = enc.pad(identity)  # (m, width) rows
        store = _Buffer((enc.width,), enc.dtype)
        store.extend(layer)
    hashes.insert(layer if packed else enc.keys_of(layer), np.zeros(1, dtype=np.int32))
    total, depth = 1, 0
    first_periodic: int | None = None
    if stable is not None:
        stable.extend(np.zeros(1, dtype=np.int32))  # the identity: k = 0
    next_log = _LOG_EVERY

    def finish(complete: bool) -> Enumeration:
        elements = enc.rows_of(store.view()) if packed else store.view()[:, :n]  # type: ignore[union-attr]
        cay = np.concatenate(cayley_parts).reshape(total, k) if complete else None
        index = ElementIndex(hashes, enc, None if packed else store.view()) if complete else None
        return Enumeration(
            elements=elements,
            parents=parents.view(),
            letters=letters.view(),
            cayley=cay,
            complete=complete,
            first_periodic=first_periodic,
            stable_index=stable.view() if stable is not None else None,
            index=index,
        )

    while True:
        m = layer.shape[0]
        base = total - m  # id of the layer's first element
        if packed:
            cand = enc.step(layer)  # (m, k) uint64
            flat = cand.reshape(m * k)
            res = np.empty((m, k), dtype=np.int32)
            res[...] = np.arange(base, total, dtype=np.int32)[:, None]
            # w a == w is common (letters that fix the element): skip the table
            moved = np.flatnonzero(flat != np.repeat(layer, k))
            ids, new_pos = hashes.lookup_insert(flat[moved], total)
            res.reshape(-1)[moved] = ids
            new_pos = moved[new_pos]
            new_layer = flat[new_pos]
        else:
            # letter-major rows (a * m + i); BFS order is i * k + a
            cand_rows = enc.step(layer).reshape(k * m, enc.width)  # type: ignore[union-attr]
            keys = enc.keys_of(cand_rows).reshape(k, m).T.reshape(m * k)
            ids, new_pos = hashes.lookup_insert(keys, total)
            res = ids.reshape(m, k)
            new_layer = cand_rows[(new_pos % k) * m + new_pos // k]
        if total + new_pos.size > max_monoid:
            log.info("the monoid of %s passed the cap of %d elements at word length %d", name, max_monoid, depth + 1)
            return finish(False)
        cayley_parts.append(res.reshape(-1))
        store.extend(new_layer)
        if not packed:
            # verify every key match against the stored rows (keys are hashes)
            if not enc.verify(store.view(), res.T.reshape(-1), cand_rows):  # type: ignore[union-attr]
                raise _HashCollision
        if not new_pos.size:
            return finish(True)
        depth += 1
        parents.extend((new_pos // k + base).astype(np.int32))
        letters.extend((new_pos % k).astype(np.int32))
        start = total
        total += new_pos.size
        layer = new_layer
        if total >= next_log:
            log.info("monoid of %s: %d elements so far (word length %d)", name, total, depth)
            next_log = (total // _LOG_EVERY + 1) * _LOG_EVERY
        if look:
            rows = enc.rows_of(layer) if packed else layer[:, :n]  # type: ignore[union-attr]
            if stable is not None:
                idx = np.concatenate([stable_indices(c) for _, c in chunks(rows)])
                stable.extend(idx)
                periodic = np.flatnonzero(idx < 0)
            elif n <= 64:  # log2(n) squarings beat n - 1 steps
                periodic = np.flatnonzero(periodic_mask(rows))
            else:  # elements of big DFAs usually stabilize long before n steps
                periodic = np.flatnonzero(np.concatenate([stable_indices(c) for _, c in chunks(rows)]) < 0)
            if periodic.size:
                first_periodic = start + int(periodic[0])
                look, stable = False, None  # indices only matter while the monoid may be aperiodic
                if stop_at_periodic:
                    return finish(False)


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
