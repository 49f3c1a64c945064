"""Breadth-first layers of small transformations as ``bytes`` (internal).

The first layers of an enumeration (see :mod:`._enumeration`) are small:
stepping them with numpy costs a fixed overhead per call that dwarfs the
work (a 120-element group took 1.2 ms, 0.1 ms in libsemigroups). For a DFA of
at most 256 states an element is a ``bytes`` row, and applying a letter is
``row.translate(table)`` (``table``: the letter's images padded to 256
bytes), a C loop; a layer is stepped, deduplicated (a dict, insertion-ordered
so the first word in BFS order wins) and mapped to ids by ``map`` over
C-level methods, with no Python loop per product. The same order as the
numpy layers, so the ids, shortest words and Cayley graph are identical
(tests/algebra/test_bytelayers.py ties them on random DFAs).
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from itertools import count, islice, repeat
from typing import Sequence

__all__ = ["MAX_STATES", "ByteLayers"]

#: The largest DFA whose elements fit a ``bytes.translate`` table.
MAX_STATES = 256

#: Layers of at most this many products are stepped by a plain loop, larger
#: ones by ``map`` over whole lists (fewer bytecodes per product, more calls
#: per layer).
_LOOP_PRODUCTS = 48


class ByteLayers:
    """A breadth-first enumeration in progress, one layer per :meth:`step`.

    ``index`` maps each element (its row as ``bytes``) to its id, its keys in
    id order; in a mapped layer a missing key gets the next id (a
    ``defaultdict`` over a counter), so one lookup per product both
    deduplicates and numbers it.
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
        pad = bytes(MAX_STATES - n)
        self.tables = [bytes([row[a] for row in transitions]) + pad for a in range(self.k)]
        identity = bytes(range(n))
        self.index: defaultdict[bytes, int] = defaultdict(None, {identity: 0})
        self.cayley = array("i")  # C ints: 32 bits wherever numpy runs
        self.frontier: list[bytes] = [identity]
        self.total = 1
        self.depth = 0

    def products(self) -> list[bytes]:
        """``u a`` for ``u`` in the frontier and every letter ``a``, in BFS order (``i * k + a``)."""
        tables = self.tables
        return [u.translate(t) for u in self.frontier for t in tables]

    def step(self, limit: int) -> list[bytes] | None:
        """Step the frontier: record its Cayley ids and the new layer (also
        returned; empty when the monoid is complete). None, with nothing
        recorded, when the new layer would take the total past ``limit``."""
        index, total = self.index, self.total
        if len(self.frontier) * self.k <= _LOOP_PRODUCTS:
            ids, new = self._loop()
        else:
            index.default_factory = count(total).__next__
            ids = list(map(index.__getitem__, self.products()))  # new products get the next ids
            new = list(islice(reversed(index), len(index) - total))
            new.reverse()
        if total + len(new) > limit:
            for _ in new:
                index.popitem()  # the newest keys: the unfinished layer
            return None
        self.cayley.extend(ids)
        self.total += len(new)
        self.depth += bool(new)
        self.frontier = new
        return new

    def _loop(self) -> tuple[list[int], list[bytes]]:
        """The Cayley ids of a small frontier and its new elements, by a plain
        loop (a mapped layer pays a fixed cost of several calls)."""
        ids: list[int] = []
        new: list[bytes] = []
        next_id, tables, setdefault = self.total, self.tables, self.index.setdefault
        for u in self.frontier:
            for t in tables:
                v = u.translate(t)
                j = setdefault(v, next_id)
                if j == next_id:
                    new.append(v)
                    next_id += 1
                ids.append(j)
        return ids, new

    def elements(self) -> bytes:
        """Every element's row, concatenated in id order."""
        return b"".join(self.index)

