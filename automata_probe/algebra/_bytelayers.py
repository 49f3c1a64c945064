"""Breadth-first layers of small transformations as ``bytes`` (internal).

The first layers of an enumeration (see :mod:`._enumeration`) are small:
stepping them with numpy costs a fixed overhead per call that dwarfs the
work (a 120-element group took 1.2 ms, 0.1 ms in libsemigroups). For a DFA of
at most 256 states an element is a ``bytes`` row, and applying a letter is
``row.translate(table)`` (``table``: the letter's images padded to 256
bytes), a C loop; a layer is stepped, deduplicated and numbered in one
comprehension over an insertion-ordered dict (the first word in BFS order
wins), about 0.1 µs per product. The same order as the numpy layers, so the
ids, shortest words and Cayley graph are identical
(tests/algebra/test_bytelayers.py ties them on random DFAs, across the
switch to numpy at every layer).
"""

from __future__ import annotations

from itertools import islice
from typing import Sequence

import numpy as np

__all__ = ["MAX_STATES", "ByteLayers"]

#: The largest DFA whose elements fit a ``bytes.translate`` table.
MAX_STATES = 256


class ByteLayers:
    """A breadth-first enumeration in progress, one layer per :meth:`step`.

    ``index`` maps each element (its row as ``bytes``) to its id, its keys in
    id order: one ``setdefault`` per product both deduplicates and numbers it.
    ``cayley`` holds the ids of the products of the stepped layers (position
    ``i * k + a`` for element ``i`` and letter ``a``): the right Cayley graph
    in BFS order, flat; the first occurrence of each id in it says which
    product found the element (``parent, letter =
    divmod(position, k)``; see ``_enumeration.found_at``).
    ``frontier`` is the last layer, not yet stepped.
    """

    def __init__(self, transitions: Sequence[Sequence[int]]) -> None:
        n, self.k = len(transitions), len(transitions[0])
        if not 0 < n <= MAX_STATES:  # pragma: no cover - internal
            raise ValueError(f"{n} states do not fit a byte")
        self.tables = letter_tables(transitions)
        identity = bytes(range(n))
        self.index: dict[bytes, int] = {identity: 0}
        self.cayley: list[int] = []
        self.frontier: list[bytes] = [identity]
        self.total = 1
        self.depth = 0

    def step(self, limit: int) -> list[bytes] | None:
        """Step the frontier: record its Cayley ids and the new layer (also
        returned; empty when the monoid is complete). None, with nothing
        recorded, when the new layer would take the total past ``limit``.

        One comprehension: ``u.translate(t)`` is ``u`` then the letter, and
        ``setdefault(v, len(index))`` is the id of ``v``, a new one (the
        next id) on its first occurrence in BFS order.
        """
        index, tables, total = self.index, self.tables, self.total
        setdefault = index.setdefault
        ids = [setdefault(u.translate(t), len(index)) for u in self.frontier for t in tables]
        fresh = len(index) - total
        new = list(islice(reversed(index), fresh))  # the newest keys, last first
        if total + fresh > limit:
            for _ in new:
                index.popitem()  # drop the unfinished layer
            return None
        new.reverse()
        self.cayley += ids
        self.total += fresh
        self.depth += bool(fresh)
        self.frontier = new
        return new

    def cayley_ids(self) -> np.ndarray:
        """:attr:`cayley` as int32. Kept as a list while stepping: ``array.extend``
        parses every int with ``PyArg_Parse``, 15% of the instructions of a
        D12 enumeration (callgrind), where ``fromiter`` once costs a third of that."""
        return np.fromiter(self.cayley, dtype=np.int32, count=len(self.cayley))

    def elements(self) -> bytes:
        """Every element's row, concatenated in id order."""
        return b"".join(self.index)


def letter_tables(transitions: Sequence[Sequence[int]]) -> list[bytes]:
    """Each letter's images of the states, padded to a 256-byte ``translate``
    table; the columns come from ``zip``, one C call, where a comprehension
    per letter took 13 µs for S5's 120 states (loaded machine)."""
    pad = bytes(MAX_STATES - len(transitions))
    return [bytes(column) + pad for column in zip(*transitions)]
