"""Breadth-first layers of transformations as rows of bytes (internal).

An element is a row of states (state ``q`` goes to ``row[q]``), one byte
each for a DFA of at most 256 states. Two implementations step the layers,
with the same interface and exactly the same result (ids in BFS order, the
first word in BFS order wins, so the same shortest words and right Cayley
graph as the numpy layers of :mod:`._enumeration`):

- :class:`NativeLayers`, the compiled extension ``_clayers`` (C, built by
  ``setup.py`` when a compiler is there), for DFAs of up to 65,536 states
  (two bytes a state past 256): an open-addressing hash table on the rows,
  the products of a layer computed and looked up in batches with
  prefetching (a million-element table misses the caches on every lookup),
  results handed to numpy without a copy. It runs whole enumerations, not
  only their first layers: about 40 ns a product on D12 (1,640 products),
  60 and 140 ns on Catalan(13) and the random 16-state DFA of
  bench_algebra.py (9 and 2.5 million products), where the numpy layers
  take 80 and 260 ns (and a fixed 100 µs or so a layer); measured on the
  shared 2 cores at load 1.6.
- :class:`ByteLayers`, pure Python (the fallback): ``row.translate(table)``
  (``table``: the letter's images padded to 256 bytes) applies a letter, and
  a layer is stepped, deduplicated and numbered in one comprehension over an
  insertion-ordered dict, about 0.1 µs per product, so only the first small
  layers (numpy's fixed cost per call dwarfs their work), then numpy.

:func:`byte_layers` picks one: the compiled one unless it is not built or the
environment variable ``AUTOMATA_PROBE_PURE_PYTHON`` is set (to anything but
``0``). tests/algebra/test_bytelayers.py ties both to the numpy layers on
random DFAs, across the switch to numpy at every layer.
"""

from __future__ import annotations

import importlib
import logging
import os
from itertools import islice
from types import ModuleType
from typing import Iterator, Sequence

import numpy as np

__all__ = [
    "MAX_STATES",
    "NATIVE_MAX_STATES",
    "PURE_PYTHON_ENV",
    "ByteLayers",
    "LayerArrays",
    "NativeLayers",
    "byte_layers",
    "found_at",
    "native_module",
]

log = logging.getLogger(__name__)

#: The largest DFA whose elements fit a byte row (and a ``bytes.translate`` table).
MAX_STATES = 256

#: The largest DFA the compiled layers take (rows of two-byte states past 256).
NATIVE_MAX_STATES = 65536

#: Set (to anything but ``0``) to use the pure-Python layers even when the extension is built.
PURE_PYTHON_ENV = "AUTOMATA_PROBE_PURE_PYTHON"

_UNLOADED = object()
_native: object = _UNLOADED


def native_module() -> ModuleType | None:
    """The compiled extension ``_clayers``, or None when it is not built (a
    machine without a compiler) or ``AUTOMATA_PROBE_PURE_PYTHON`` asks for
    the Python layers. Imported on first use, once."""
    global _native
    if os.environ.get(PURE_PYTHON_ENV, "0") not in ("", "0"):
        return None
    if _native is _UNLOADED:
        try:
            _native = _import_native()
        except ImportError as e:  # not built: the Python layers
            log.debug("the compiled byte layers are not available (%s): pure Python", e)
            _native = None
    return _native  # type: ignore[return-value]


def _import_native() -> ModuleType:
    return importlib.import_module("._clayers", __package__)


class LayerArrays:
    """What the byte layers enumerated, as numpy arrays (a plain class: a
    ``NamedTuple`` took 0.3 ms of every is-star-free's startup to define)."""

    __slots__ = ("elements", "parents", "letters", "cayley")

    def __init__(self, elements: np.ndarray, parents: np.ndarray, letters: np.ndarray, cayley: np.ndarray) -> None:
        self.elements = elements  # (m, n) rows (uint8, or uint16 past 256 states), in id order
        self.parents = parents  # (m,) int32; -1 for the identity
        self.letters = letters  # (m,) int32; -1 for the identity
        self.cayley = cayley  # (stepped * k,) int32: the right Cayley graph of the stepped elements, flat

    def __iter__(self) -> Iterator[np.ndarray]:  # elements, parents, letters, cayley = arrays
        return iter((self.elements, self.parents, self.letters, self.cayley))


class ByteLayers:
    """A breadth-first enumeration in progress, one layer per :meth:`step` (pure Python).

    ``index`` maps each element (its row as ``bytes``) to its id, its keys in
    id order: one ``setdefault`` per product both deduplicates and numbers it.
    ``cayley`` holds the ids of the products of the stepped layers (position
    ``i * k + a`` for element ``i`` and letter ``a``): the right Cayley graph
    in BFS order, flat; the first occurrence of each id in it says which
    product found the element (``parent, letter = divmod(position, k)``; see
    :func:`found_at`). ``frontier`` is the last layer, not yet stepped.
    """

    def __init__(self, transitions: Sequence[Sequence[int]]) -> None:
        n, self.k = len(transitions), len(transitions[0])
        if not 0 < n <= MAX_STATES:  # pragma: no cover - internal
            raise ValueError(f"{n} states do not fit a byte")
        self.n = n
        self.tables = letter_tables(transitions)
        identity = bytes(range(n))
        self.index: dict[bytes, int] = {identity: 0}
        self.cayley: list[int] = []
        self.frontier: list[bytes] = [identity]
        self.total = 1
        self.depth = 0

    def step(self, limit: int) -> int | None:
        """Step the frontier: record its Cayley ids and the new layer (the
        new frontier); the number of new elements (0 when the monoid is
        complete). None, with nothing recorded, when the new layer would take
        the total past ``limit``.

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
        return fresh

    @property
    def frontier_size(self) -> int:
        """Elements in the last layer (not yet stepped)."""
        return len(self.frontier)

    def frontier_rows(self) -> bytes:
        """The rows of the last layer, concatenated."""
        return b"".join(self.frontier)

    def frontier_array(self) -> np.ndarray:
        """The last layer as ``(f, n)`` uint8 rows."""
        return np.frombuffer(self.frontier_rows(), dtype=np.uint8).reshape(-1, self.n)

    def arrays(self) -> LayerArrays:
        """The elements, words and Cayley ids so far. The Cayley ids are kept
        as a list while stepping: ``array.extend`` parses every int with
        ``PyArg_Parse``, 15% of the instructions of a D12 enumeration
        (callgrind), where ``fromiter`` once costs a third of that."""
        cayley = np.fromiter(self.cayley, dtype=np.int32, count=len(self.cayley))
        parents, letters = found_at(cayley, self.k, self.total)
        rows = np.frombuffer(b"".join(self.index), dtype=np.uint8).reshape(self.total, self.n)
        return LayerArrays(rows, parents, letters, cayley)


class NativeLayers:
    """:class:`ByteLayers`' interface over the compiled ``_clayers.Layers``
    (DFAs of up to 65,536 states): the same enumeration, stepped in C;
    :meth:`arrays` ends it (the extension's buffers become the arrays,
    without a copy)."""

    def __init__(self, transitions: Sequence[Sequence[int]], native: ModuleType) -> None:
        self.n, self.k = len(transitions), len(transitions[0])
        if self.n <= MAX_STATES:  # byte rows: bytes.translate's 256-byte tables
            self.dtype, tables = np.dtype(np.uint8), b"".join(letter_tables(transitions))
        else:  # two-byte rows: each letter's images of the n states
            self.dtype = np.dtype(np.uint16)
            tables = np.ascontiguousarray(np.asarray(transitions, dtype=np.uint16).T).tobytes()
        self._layers = native.Layers(tables, self.n)
        self.step = self._layers.step
        self.frontier_rows = self._layers.frontier_rows

    @property
    def total(self) -> int:
        return self._layers.total

    @property
    def depth(self) -> int:
        return self._layers.depth

    @property
    def frontier_size(self) -> int:
        return self._layers.frontier_size

    def frontier_array(self) -> np.ndarray:
        """The last layer as ``(f, n)`` rows (a copy)."""
        return np.frombuffer(self.frontier_rows(), dtype=self.dtype).reshape(-1, self.n)

    def arrays(self) -> LayerArrays:
        """The elements, words and Cayley ids; the enumeration ends here."""
        rows, parents, letters, cayley = self._layers.finish()
        return LayerArrays(
            np.frombuffer(rows, dtype=self.dtype).reshape(-1, self.n),
            np.frombuffer(parents, dtype=np.int32),
            np.frombuffer(letters, dtype=np.int32),
            np.frombuffer(cayley, dtype=np.int32),
        )


def byte_layers(transitions: Sequence[Sequence[int]], native: bool | None = None) -> ByteLayers | NativeLayers:
    """The byte layers of a DFA: compiled when ``native`` is True, or None
    (the default) and :func:`native_module` has the extension (up to 65,536
    states); else pure Python (up to 256 states). ``native=True`` without
    the extension raises ImportError."""
    module = native_module() if native is not False else None
    if module is None and native:
        raise ImportError("the compiled byte layers (automata_probe.algebra._clayers) are not built")
    if module is not None:
        log.debug("byte layers: compiled (%d states)", len(transitions))
        return NativeLayers(transitions, module)
    log.debug("byte layers: pure Python (%d states)", len(transitions))
    return ByteLayers(transitions)


def letter_tables(transitions: Sequence[Sequence[int]]) -> list[bytes]:
    """Each letter's images of the states, padded to a 256-byte ``translate``
    table; the columns come from ``zip``, one C call, where a comprehension
    per letter took 13 µs for S5's 120 states (loaded machine)."""
    pad = bytes(MAX_STATES - len(transitions))
    return [bytes(column) + pad for column in zip(*transitions)]


def found_at(cayley: np.ndarray, k: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """The parents and last letters of the ``m`` elements (-1 for the identity),
    from the flat right Cayley graph of the elements stepped so far, in BFS
    order: element ``j > 0`` was found by the product at the first position
    ``p`` holding ``j``, ``divmod(p, k)``. Ids are handed out in order of
    first occurrence, so the running maximum rises (by one) exactly there.
    Every element but the identity occurs (it was found by a product)."""
    # the running maximum first reaches j where j first occurs
    found = np.searchsorted(np.maximum.accumulate(cayley), np.arange(1, m))
    # both rows of one array, divided into place: six numpy calls instead of
    # ten, which is most of the cost of a 60-element group's words
    out = np.empty((2, m), dtype=np.int32)
    out[:, 0] = -1
    np.divmod(found, k, out=(out[0, 1:], out[1, 1:]), casting="unsafe")
    return out[0], out[1]
