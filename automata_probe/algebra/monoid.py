"""The transition monoid of a DFA: the :class:`Monoid` type and :func:`transition_monoid`.

The transition monoid of the minimal DFA is the syntactic monoid of its
language. It is enumerated breadth-first, so every element comes with a
shortest word (see :mod:`._enumeration`).

Glossary (code name -> textbook symbol)::

    elements[i]    the transformation q -> q . w_i of the DFA states (a row)
    words[i]       w_i, a shortest word with eta(w_i) = elements[i]
    cayley[i, a]   the id of eta(w_i a): the right Cayley graph
    u then v       the product eta(u) eta(v): row v[u[q]] (left to right)
    index k        least k with m^k = m^(k+1) (aperiodic monoids only)
    H_e            the maximal subgroup with identity the idempotent e
    s              the stability index: least s >= 1 with eta(A^s) = eta(A^2s)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Sequence

import numpy as np

from ..automata.dfa import DFA
from ..errors import DFAError, MonoidTooLargeError
from ._enumeration import (
    Enumeration,
    check_max_monoid,
    enumerate_monoid,
    minimal_dfa,
    too_large_message,
)
from ._hashing import ElementIndex
from ._transforms import chunks, compose, layer_bounds, small_dtype, stable_indices

__all__ = ["Monoid", "monoid_from_enumeration", "transition_monoid"]


@dataclass(frozen=True, kw_only=True, eq=False)
class Monoid:
    """The transition monoid of a DFA, enumerated breadth-first.

    Element ``i`` is the transformation of the DFA's states by the word
    ``words[i]``; element 0 is the identity (the empty word). Elements are in
    BFS order, so ``words[i]`` is a shortest word for element ``i``.

    Parameters
    ----------
    dfa
        The DFA whose transitions generate the monoid (the minimal DFA when
        built by :func:`transition_monoid`, so that this is the syntactic
        monoid of its language).
    transformations
        ``(m, n)`` unsigned ints (the smallest dtype that holds a state):
        ``transformations[i, q]`` is the state reached from ``q`` on
        ``words[i]``. :attr:`elements` is the same as int32.
    parents
        ``(m,)`` int32: ``words[i] = words[parents[i]] + (letter,)``; -1 for
        the identity.
    letters
        ``(m,)`` int32: index of the last letter of ``words[i]``; -1 for the
        identity.
    cayley
        ``(m, k)`` int32 right Cayley graph: ``cayley[i, a]`` is the id of
        ``words[i] + (alphabet[a],)``.

    Notes
    -----
    ``==`` is identity (the arrays make structural equality costly and
    ambiguous); compare ``dfa`` and ``size`` to compare two monoids.
    """

    dfa: DFA
    transformations: np.ndarray
    parents: np.ndarray
    letters: np.ndarray
    cayley: np.ndarray

    def __post_init__(self) -> None:
        n, k = self.dfa.n_states, self.dfa.n_letters
        el = np.asarray(self.transformations)
        if el.ndim != 2 or el.shape[1] != n or el.shape[0] < 1:
            raise DFAError(f"monoid transformations have shape {el.shape}, expected (m, {n}) with m >= 1")
        el = el.astype(small_dtype(n)) if el.dtype != small_dtype(n) else el.view()
        el.setflags(write=False)  # a view: the caller's array keeps its flags
        object.__setattr__(self, "transformations", el)
        m = el.shape[0]
        for name, arr, shape in (
            ("parents", self.parents, (m,)),
            ("letters", self.letters, (m,)),
            ("cayley", self.cayley, (m, k)),
        ):
            if np.asarray(arr).shape != shape:
                raise DFAError(f"monoid {name} has shape {np.asarray(arr).shape}, expected {shape}")
        if not np.array_equal(el[0], np.arange(n)):
            raise DFAError("monoid element 0 is not the identity transformation")
        for name in ("parents", "letters", "cayley"):
            arr = np.ascontiguousarray(getattr(self, name), dtype=np.int32).view()
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        if self.cayley.size and not (0 <= int(self.cayley.min()) and int(self.cayley.max()) < m):
            raise DFAError(f"monoid Cayley graph points outside the {m} elements")
        if self.parents[0] != -1 or (m > 1 and not (0 <= int(self.parents[1:].min()))):
            raise DFAError("monoid parents must be -1 for the identity and element ids otherwise")

    # ----------------------------------------------------------------- basics
    @property
    def size(self) -> int:
        """The number of elements."""
        return int(self.transformations.shape[0])

    def __len__(self) -> int:
        return self.size

    def __repr__(self) -> str:
        return f"Monoid(dfa={self.dfa.name or 'dfa'!r}, size={self.size}, states={self.dfa.n_states})"

    @cached_property
    def elements(self) -> np.ndarray:
        """``(m, n)`` int32: ``elements[i, q]`` is the state reached from ``q``
        on ``words[i]`` (built on first use from :attr:`transformations`)."""
        out = np.ascontiguousarray(self.transformations, dtype=np.int32)
        out.setflags(write=False)
        return out

    @cached_property
    def lengths(self) -> np.ndarray:
        """``(m,)`` int32: the length of each element's shortest word."""
        out = np.zeros(self.size, dtype=np.int32)
        parents = self.parents
        # BFS order: a parent always precedes its children
        for start, stop in layer_bounds(parents)[1:]:  # layer 0: the identity, length 0
            out[start:stop] = out[parents[start:stop]] + 1
        out.setflags(write=False)
        return out

    def word(self, i: int) -> tuple[str, ...]:
        """The shortest word of element ``i``."""
        if not 0 <= i < self.size:
            raise DFAError(f"monoid element {i} does not exist (the monoid has {self.size} elements)")
        letters = []
        alphabet = self.dfa.alphabet
        while i > 0:
            letters.append(alphabet[self.letters[i]])
            i = int(self.parents[i])
        return tuple(reversed(letters))

    @cached_property
    def words(self) -> tuple[tuple[str, ...], ...]:
        """The shortest word of every element (built on first use: it costs
        memory on big monoids; prefer :meth:`word`)."""
        alphabet = self.dfa.alphabet
        out: list[tuple[str, ...]] = [()]
        parents, letters = self.parents.tolist(), self.letters.tolist()
        for i in range(1, self.size):
            out.append(out[parents[i]] + (alphabet[letters[i]],))
        return tuple(out)

    def element_of(self, word: str | Sequence[str]) -> int:
        """The id of the element ``eta(word)``, following the Cayley graph:
        ``monoid.words[monoid.element_of(w)]`` is a shortest word equivalent to
        ``w``, and ``element_of(words[i]) == i``."""
        i = 0
        for a in self.dfa.encode(word):
            i = int(self.cayley[i, a])
        return i

    # ------------------------------------------------------------- lookups
    @cached_property
    def _index(self) -> ElementIndex:
        return ElementIndex.build(self.transformations)

    def ids_of(self, rows: np.ndarray) -> np.ndarray:
        """Ids of transformations given as ``(r, n)`` rows; -1 for rows that
        are not elements of the monoid."""
        rows = np.asarray(rows)
        n = self.dfa.n_states
        if rows.ndim != 2 or rows.shape[1] != n:
            raise DFAError(f"rows of shape {rows.shape} are not transformations of {n} states")
        if rows.size and not (0 <= int(rows.min()) and int(rows.max()) < n):
            raise DFAError(f"rows hold states outside 0..{n - 1}")
        return self._index.find(rows)

    # ------------------------------------------------------------ structure
    def idempotents(self) -> np.ndarray:
        """Ids of the idempotents ``e = e e``, ascending."""
        out = []
        for start, chunk in chunks(self.transformations):
            sq = compose(chunk, chunk)
            out.append(np.flatnonzero((sq == chunk).all(axis=1)) + start)
        return np.concatenate(out)

    def stable_indices(self) -> np.ndarray:
        """``(m,)`` int32: for each element the least ``k`` with
        ``m^k = m^(k+1)``, or -1 when the element has a non-trivial cycle
        (then no such ``k`` exists)."""
        return np.concatenate([stable_indices(chunk) for _, chunk in chunks(self.transformations)])

    def is_aperiodic(self) -> bool:
        """True when every element has ``m^k = m^(k+1)`` for some ``k``."""
        return bool((self.stable_indices() >= 0).all())


def transition_monoid(dfa: DFA, *, max_monoid: int = 2_000_000, minimize: bool = True) -> Monoid:
    """The transition monoid of ``dfa``, enumerated breadth-first.

    Parameters
    ----------
    dfa
        Any complete DFA.
    max_monoid
        Stop with :class:`~automata_probe.errors.MonoidTooLargeError` when the
        monoid has more elements than this (for DFAs of more than 256 states,
        proportionally fewer: the cap bounds the memory too, see
        :func:`~automata_probe.algebra.classify`).
    minimize
        Minimize first (the default), so that the result is the syntactic
        monoid of the language. With False the DFA is used as given.

    Returns
    -------
    Monoid
        Elements in BFS order with shortest words; element 0 is the identity.
    """
    check_max_monoid(max_monoid)
    d = minimal_dfa(dfa) if minimize else dfa
    raw = enumerate_monoid(d, max_monoid=max_monoid, check="none", stop_at_periodic=False)
    if not raw.complete:
        raise MonoidTooLargeError(too_large_message(d, max_monoid))
    return monoid_from_enumeration(d, raw)


def monoid_from_enumeration(d: DFA, raw: Enumeration) -> Monoid:
    """The :class:`Monoid` of a complete enumeration of ``d``, reusing its hash table as the element index.

    The enumeration is trusted: its arrays have the shapes and dtypes
    :class:`Monoid` checks for (``tests/algebra/test_monoid.py`` ties the two
    paths), so the checks of ``__post_init__`` are skipped; they cost some
    30 µs a monoid, a fifth of the time of a 60-element group. Only the
    arrays are made read-only (views: the enumeration's own stay writable).
    """
    assert raw.cayley is not None
    m = object.__new__(Monoid)
    for name, arr in (
        ("transformations", raw.elements),
        ("parents", raw.parents),
        ("letters", raw.letters),
        ("cayley", raw.cayley),
    ):
        view = arr.view()
        view.setflags(write=False)
        object.__setattr__(m, name, view)
    object.__setattr__(m, "dfa", d)
    if raw.index is not None:
        m.__dict__["_index"] = raw.index  # reuse the enumeration's hash table
    return m
