"""The syntactic monoid of a regular language, star-freeness and the finer classes.

The transition monoid of the minimal DFA is the syntactic monoid of its
language. :func:`transition_monoid` enumerates it breadth-first (Froidure &
Pin 1997, without the rewriting): the identity (the empty word) first, then
every element ``w a`` for ``w`` in the previous layer and ``a`` in the
alphabet, so that each element is reached first by a shortest word (the first
such word in BFS order, letters in alphabet order).

A language is star-free iff its syntactic monoid is aperiodic, i.e. holds no
non-trivial group (Schützenberger 1965; McNaughton & Papert 1971).
:func:`classify` decides this with evidence either way:

- not star-free: words ``x, w, y`` and a period ``p > 1`` such that membership
  of ``x w^n y`` cycles with period exactly ``p``; :meth:`Certificate.check`
  re-verifies it by running any DFA for the language;
- star-free: the monoid size and its aperiodicity index ``k`` (the least ``k``
  with ``m^k = m^(k+1)`` for every element ``m``);

and then the finer classes, each with its theorem:

- quasi-aperiodic (the stable semigroup ``eta(A^s)`` holds no non-trivial
  group): the language is in AC0 (Barrington, Compton, Straubing & Thérien
  1992); star-free languages are the aperiodic special case (FO[<]);
- otherwise, every subgroup solvable: in ACC0 and not in AC0 (Barrington &
  Thérien 1988; Furst, Saxe & Sipser 1984);
- some subgroup not solvable: NC1-complete (Barrington 1989).

How the enumeration is fast: a transformation of ``n <= 16`` states is packed
into one ``uint64`` (four bits per state), so applying a letter to a whole
layer is a byte-wise table lookup; for larger ``n`` a row of states is hashed
to 64 bits and every hash hit is verified against the stored row (a collision
restarts with a new hash). Deduplication uses an open-addressing hash table
operated in batches with numpy (:class:`_HashTable`), with no sorting.
:func:`_naive_monoid` is the readable reference that the tests compare against.

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

import logging
import math
from collections import Counter, deque
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Iterator, Sequence

import numpy as np

from ..automata.dfa import DFA, format_word
from ..errors import DFAError, MonoidTooLargeError, ParameterError

__all__ = [
    "CITATIONS",
    "Certificate",
    "Classification",
    "GroupInfo",
    "Monoid",
    "Prediction",
    "classify",
    "is_star_free",
    "transition_monoid",
]

log = logging.getLogger(__name__)

#: Full references for the short citations used in evidence and predictions.
CITATIONS: dict[str, str] = {
    "Schützenberger 1965": "M. P. Schützenberger, On finite monoids having only trivial subgroups, "
    "Information and Control 8 (1965)",
    "McNaughton & Papert 1971": "R. McNaughton, S. Papert, Counter-Free Automata, MIT Press (1971)",
    "Froidure & Pin 1997": "V. Froidure, J.-E. Pin, Algorithms for computing finite semigroups, "
    "Foundations of Computational Mathematics (1997)",
    "Barrington 1989": "D. A. Barrington, Bounded-width polynomial-size branching programs recognize "
    "exactly those languages in NC1, JCSS 38 (1989)",
    "Barrington & Thérien 1988": "D. A. Barrington, D. Thérien, Finite monoids and the fine structure "
    "of NC1, JACM 35 (1988)",
    "Barrington, Compton, Straubing & Thérien 1992": "D. A. M. Barrington, K. Compton, H. Straubing, "
    "D. Thérien, Regular languages in NC1, JCSS 44 (1992)",
    "Furst, Saxe & Sipser 1984": "M. Furst, J. Saxe, M. Sipser, Parity, circuits, and the "
    "polynomial-time hierarchy, Math. Systems Theory 17 (1984)",
    "Sarrof, Veitsman & Hahn 2024": "Y. Sarrof, Y. Veitsman, M. Hahn, The Expressive Capacity of State "
    "Space Models: A Formal Language Perspective, NeurIPS 2024",
    "Merrill, Petty & Sabharwal 2024": "W. Merrill, J. Petty, A. Sabharwal, The Illusion of State in "
    "State-Space Models, ICML 2024",
    "Merrill & Sabharwal 2023": "W. Merrill, A. Sabharwal, The Parallelism Tradeoff: Limitations of "
    "Log-Precision Transformers, TACL 11 (2023)",
    "Grazzi et al. 2025": "R. Grazzi, J. Siems, A. Zela, J. Franke, F. Hutter, M. Pontil, Unlocking "
    "State-Tracking in Linear RNNs Through Negative Eigenvalues, ICLR 2025",
    "Yang, Chiang & Angluin 2024": "A. Yang, D. Chiang, D. Angluin, Masked Hard-Attention Transformers "
    "Recognize Exactly the Star-Free Languages, NeurIPS 2024",
    "Hahn 2020": "M. Hahn, Theoretical Limitations of Self-Attention in Neural Sequence Models, TACL 8 (2020)",
    "Minsky 1967": "M. Minsky, Computation: Finite and Infinite Machines, Prentice-Hall (1967)",
    "Merrill 2019": "W. Merrill, Sequential Neural Networks as Automata, Deep Learning and Formal "
    "Languages workshop, ACL 2019",
}

#: Complexity classes :func:`classify` reports.
COMPLEXITY_CLASSES = ("AC0", "ACC0", "NC1-complete", "undetermined")

#: Progress is logged at INFO each time the enumeration passes a multiple of this.
_LOG_EVERY = 100_000

#: Work budget (elements x states) of the pure-Python search for a short
#: periodic word that runs before the vectorized enumeration.
_QUICK_BUDGET = 20_000

#: Rows per chunk in vectorized per-element computations (keeps temporaries small).
_CHUNK_CELLS = 1 << 21

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


class _HashCollision(Exception):
    """Two different rows hashed to one key (internal: restart with a new hash)."""


# ============================================================== data classes
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
        el = el.astype(_small_dtype(n)) if el.dtype != _small_dtype(n) else el.view()
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
        for start, stop in _layer_bounds(parents)[1:]:  # layer 0: the identity, length 0
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
        """The id of the element ``eta(word)``, following the Cayley graph."""
        i = 0
        for a in self.dfa.encode(word):
            i = int(self.cayley[i, a])
        return i

    def index_of(self, word: str | Sequence[str]) -> int:
        """The position of ``word``'s element in :attr:`words` (the same id as
        :meth:`element_of`): ``monoid.words[monoid.index_of(w)]`` is a shortest
        word equivalent to ``w``, and ``index_of(words[i]) == i``."""
        return self.element_of(word)

    # ------------------------------------------------------------- lookups
    @cached_property
    def _index(self) -> "_ElementIndex":
        return _ElementIndex.build(self.transformations)

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
        for start, chunk in _chunks(self.transformations):
            sq = _compose(chunk, chunk)
            out.append(np.flatnonzero((sq == chunk).all(axis=1)) + start)
        return np.concatenate(out)

    def stable_indices(self) -> np.ndarray:
        """``(m,)`` int32: for each element the least ``k`` with
        ``m^k = m^(k+1)``, or -1 when the element has a non-trivial cycle
        (then no such ``k`` exists)."""
        return np.concatenate([_stable_indices(chunk) for _, chunk in _chunks(self.transformations)])

    def is_aperiodic(self) -> bool:
        """True when every element has ``m^k = m^(k+1)`` for some ``k``."""
        return bool((self.stable_indices() >= 0).all())


@dataclass(frozen=True, kw_only=True)
class Certificate:
    """Evidence that a language is not star-free.

    Membership of ``x w^n y`` in the language, as ``n = 0, 1, 2, ...``,
    cycles with minimal period ``period > 1``. In an aperiodic monoid
    ``w^k = w^(k+1)`` for large ``k``, so the membership would be constant
    from some ``n`` on: a cycle of period > 1 proves the syntactic monoid is
    not aperiodic, hence the language is not star-free.
    """

    x: tuple[str, ...]
    w: tuple[str, ...]
    y: tuple[str, ...]
    period: int

    def __post_init__(self) -> None:
        for name in ("x", "w", "y"):
            object.__setattr__(self, name, tuple(str(a) for a in getattr(self, name)))
        if not self.w:
            raise DFAError("certificate word w is empty; x w^n y would not depend on n")
        if not (isinstance(self.period, (int, np.integer)) and self.period > 1):
            raise DFAError(f"certificate period {self.period!r} is not an integer > 1")
        object.__setattr__(self, "period", int(self.period))

    def memberships(self, dfa: DFA, count: int) -> tuple[bool, ...]:
        """Membership of ``x w^n y`` for ``n = 0 .. count-1``."""
        q = dfa.delta_star(dfa.start, self.x)
        out = []
        for _ in range(count):
            out.append(dfa.delta_star(q, self.y) in dfa.accepting)
            q = dfa.delta_star(q, self.w)
        return tuple(out)

    def check(self, dfa: DFA) -> bool:
        """Verify on any DFA for the language that membership of ``x w^n y``
        has minimal period exactly :attr:`period` for all ``n >= 0``.

        Rigorous, not sampled: the states ``q_n = q0 . x w^n`` are eventually
        periodic with preperiod ``c`` and period ``pi`` (found by running the
        DFA at most ``n_states`` steps), so two shifts of the membership
        sequence agree for every ``n`` iff they agree for ``n < c + pi``.
        Letters outside ``dfa``'s alphabet raise
        :class:`~automata_probe.errors.AlphabetError`.
        """
        q = dfa.delta_star(dfa.start, self.x)
        seen: dict[int, int] = {}
        states: list[int] = []
        while q not in seen:
            seen[q] = len(states)
            states.append(q)
            q = dfa.delta_star(q, self.w)
        c, pi = seen[q], len(states) - seen[q]
        accept = {s: dfa.delta_star(s, self.y) in dfa.accepting for s in set(states)}

        def member(n: int) -> bool:
            return accept[states[n] if n < c else states[c + (n - c) % pi]]

        horizon = c + pi
        p = self.period

        def shift_agrees(d: int) -> bool:
            return all(member(n) == member(n + d) for n in range(horizon))

        return shift_agrees(p) and not any(shift_agrees(d) for d in range(1, p))

    def to_dict(self) -> dict[str, Any]:
        return {"x": list(self.x), "w": list(self.w), "y": list(self.y), "period": self.period}

    def __str__(self) -> str:
        return (
            f"x = {format_word(self.x)}, w = {format_word(self.w)}, y = {format_word(self.y)}, "
            f"period {self.period}"
        )


@dataclass(frozen=True, kw_only=True)
class GroupInfo:
    """A maximal subgroup ``H_e`` of the monoid, up to isomorphism.

    ``name`` is ``Z<n>`` (cyclic), ``V4`` (Klein four-group), ``Z<a>xZ<b>...``
    (other abelian groups, invariant factors), ``S3``, ``Dih<m>`` (dihedral of
    order ``2m``; ``Dih<m>`` avoids a clash with the Dyck languages ``D<n>``),
    ``Q8``, ``A4``, ``S4``, ``A5``, ``S5``, ``A5xZ2``, ``SL(2,5)``, ``GxZ<m>``
    (a direct product with a central cyclic factor of coprime order, e.g.
    ``A4xZ5``), or ``group of order <n>``.
    """

    order: int
    abelian: bool
    solvable: bool
    name: str
    count: int = 1
    identity_word: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.order < 1:
            raise DFAError(f"group order {self.order} is not positive")
        if self.count < 1:
            raise DFAError(f"group count {self.count} is not positive")
        object.__setattr__(self, "identity_word", tuple(self.identity_word))

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "order": self.order,
            "abelian": self.abelian,
            "solvable": self.solvable,
            "count": self.count,
            "identity_word": list(self.identity_word),
        }


@dataclass(frozen=True, kw_only=True)
class Prediction:
    """What a theorem says about one architecture on this language.

    ``expressible`` is True or False only when a published theorem decides it
    (possibly under a stated complexity conjecture, see ``reason``), and None
    when the theory does not decide. Never an empirical claim.
    """

    architecture: str
    expressible: bool | None
    citation: str
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "architecture": self.architecture,
            "expressible": self.expressible,
            "citation": self.citation,
            "reason": self.reason,
        }


@dataclass(frozen=True, kw_only=True)
class Classification:
    """The verdict on a regular language and its algebraic evidence.

    Attributes
    ----------
    star_free
        Whether the syntactic monoid is aperiodic.
    certificate
        For a non-star-free language, the cycling words (else None).
    monoid_size
        Size of the syntactic monoid; None when the monoid passed the cap
        after a certificate had already decided the verdict.
    aperiodicity_index
        For a star-free language, the least ``k`` with ``m^k = m^(k+1)`` for
        all ``m`` (else None).
    subgroups
        The non-trivial maximal subgroups, one entry per isomorphism type
        (``count`` says how many H-classes have it).
    complexity
        ``"AC0"``, ``"ACC0"``, ``"NC1-complete"`` or ``"undetermined"`` (the
        monoid passed the cap).
    predictions
        Theorem-based expressivity per architecture.
    quasi_aperiodic
        Whether the stable semigroup ``eta(A^s)`` holds no non-trivial group.
    stability_index
        ``s``: the least ``s >= 1`` with ``eta(A^s) = eta(A^2s)`` (computed
        for non-aperiodic monoids; an aperiodic monoid holds no group at all,
        so it is quasi-aperiodic whatever ``s`` is).
    stable_semigroup_size
        ``|eta(A^s)|`` (with ``stability_index``).
    idempotents
        The number of idempotents of the monoid.
    evidence
        One sentence per fact, each with its citation.
    """

    star_free: bool
    certificate: Certificate | None
    monoid_size: int | None
    aperiodicity_index: int | None
    subgroups: tuple[GroupInfo, ...]
    complexity: str
    predictions: tuple[Prediction, ...]
    quasi_aperiodic: bool | None = None
    stability_index: int | None = None
    stable_semigroup_size: int | None = None
    idempotents: int | None = None
    evidence: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.complexity not in COMPLEXITY_CLASSES:
            raise DFAError(f"complexity {self.complexity!r} is not one of {', '.join(COMPLEXITY_CLASSES)}")
        if self.star_free and self.certificate is not None:
            raise DFAError("a star-free language cannot have a non-star-freeness certificate")
        if not self.star_free and self.certificate is None:
            raise DFAError("a non-star-free verdict needs a certificate")
        object.__setattr__(self, "subgroups", tuple(self.subgroups))
        object.__setattr__(self, "predictions", tuple(self.predictions))
        object.__setattr__(self, "evidence", tuple(self.evidence))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serializable dict (used by ``is-star-free --json``)."""
        return {
            "star_free": self.star_free,
            "certificate": self.certificate.to_dict() if self.certificate is not None else None,
            "monoid_size": self.monoid_size,
            "aperiodicity_index": self.aperiodicity_index,
            "quasi_aperiodic": self.quasi_aperiodic,
            "stability_index": self.stability_index,
            "stable_semigroup_size": self.stable_semigroup_size,
            "idempotents": self.idempotents,
            "subgroups": [g.to_dict() for g in self.subgroups],
            "complexity": self.complexity,
            "predictions": [p.to_dict() for p in self.predictions],
            "evidence": list(self.evidence),
        }


# =========================================================== numpy helpers
def _chunks(rows: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """``(start, rows[start:stop])`` pieces of about ``_CHUNK_CELLS`` cells."""
    m, n = rows.shape
    step = max(1, _CHUNK_CELLS // max(n, 1))
    for start in range(0, m, step):
        yield start, rows[start : start + step]


def _layer_bounds(parents: np.ndarray) -> list[tuple[int, int]]:
    """BFS layers ``[start, stop)`` of ids (layer 0 is the identity alone)."""
    bounds = [(0, 1)]
    m = parents.shape[0]
    start = 1
    while start < m:
        # the next layer holds every id whose parent lies in the previous layer
        prev_stop = bounds[-1][1]
        stop = start + int(np.searchsorted(parents[start:], prev_stop, side="left"))
        if stop == start:  # pragma: no cover - internal invariant of BFS order
            raise DFAError("monoid parents are not in breadth-first order")
        bounds.append((start, stop))
        start = stop
    return bounds


def _compose(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Row-wise product ``u then v``: ``out[i, q] = v[i, u[i, q]]``."""
    m, n = u.shape
    offsets = (np.arange(m, dtype=np.intp) * n)[:, None]
    return v.ravel()[u.astype(np.intp) + offsets]


def _stable_indices(rows: np.ndarray) -> np.ndarray:
    """Least ``k`` with ``y^k = y^(k+1)`` per row, -1 for rows with a cycle of
    length > 1 (vectorized; rows leave the computation as they stabilize)."""
    m, n = rows.shape
    out = np.full(m, -1, dtype=np.int32)
    if m == 0:
        return out
    offsets = (np.arange(m, dtype=np.intp) * n)[:, None]
    flat = (rows.astype(np.intp) + offsets).ravel()  # y in offset form
    cur = np.arange(n, dtype=np.intp)[None, :] + offsets  # y^0 in offset form
    active = np.arange(m)
    # a transformation of n points stabilizes after at most n - 1 steps
    for j in range(n):
        nxt = flat[cur]
        stable = (nxt == cur).all(axis=1)
        out[active[stable]] = j
        keep = ~stable
        if not keep.any():
            break
        active, cur = active[keep], nxt[keep]
    return out


def _periodic_mask(rows: np.ndarray) -> np.ndarray:
    """True for rows with a cycle of length > 1: ``y^N != y^(N+1)`` for
    ``N >= n`` a power of two (log n squarings; no per-element index)."""
    m, n = rows.shape
    out = np.empty(m, dtype=bool)
    for start, y in _chunks(rows):
        z, power = y, 1
        while power < n:
            z = _compose(z, z)
            power *= 2
        out[start : start + y.shape[0]] = (_compose(z, y) != z).any(axis=1)
    return out


def _ranks(rows: np.ndarray) -> np.ndarray:
    """The number of distinct values (image size) of each row."""
    m, n = rows.shape
    seen = np.zeros((m, n), dtype=bool)
    seen[np.arange(m)[:, None], rows] = True
    return seen.sum(axis=1)


def _group_mask(rows: np.ndarray) -> np.ndarray:
    """True for rows that lie in a subgroup of the full transformation monoid:
    ``y`` permutes its image, i.e. ``rank(y y) == rank(y)``."""
    out = np.empty(rows.shape[0], dtype=bool)
    for start, chunk in _chunks(rows):
        out[start : start + chunk.shape[0]] = _ranks(_compose(chunk, chunk)) == _ranks(chunk)
    return out


def _idempotent_powers(rows: np.ndarray) -> np.ndarray:
    """``y^omega`` for rows that permute their image: ``e(q)`` is the point of
    ``im(y)`` that ``y`` maps where it maps ``q`` (so ``e`` fixes ``im(y)`` and
    has the kernel of ``y``)."""
    m, n = rows.shape
    out = np.empty_like(rows)
    for start, y in _chunks(rows):
        r = y.shape[0]
        in_image = np.zeros((r, n), dtype=bool)
        in_image[np.arange(r)[:, None], y] = True
        ri, p = np.nonzero(in_image)
        inverse = np.zeros((r, n), dtype=rows.dtype)
        inverse[ri, y[ri, p]] = p  # y restricted to its image is a bijection
        out[start : start + r] = inverse[np.arange(r)[:, None], y]
    return out


def _small_dtype(n: int) -> np.dtype:
    if n <= 1 << 8:
        return np.dtype(np.uint8)
    if n <= 1 << 16:
        return np.dtype(np.uint16)
    return np.dtype(np.uint32)


# ====================================================== the hash table
class _HashTable:
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
    def _first_occurrence(keys: np.ndarray, salt: int = 0) -> np.ndarray:
        """``rep[i]`` = the smallest ``j`` with ``keys[j] == keys[i]``.

        Every index claims its key's home slot in a scratch table sized to the
        batch, the smallest index last; keys that meet a different key in their
        home slot are settled recursively with another hash.
        """
        n = keys.size
        if salt >= len(_MULTS):  # pragma: no cover - needs eight hash collisions in a row
            _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
            return first[inverse.reshape(-1)]
        bits = max(4, int(2 * n - 1).bit_length())
        h = ((keys * _MULTS[salt]) >> np.uint64(64 - bits)).astype(np.intp)
        scratch = np.empty(1 << bits, dtype=np.intp)
        positions = np.arange(n, dtype=np.intp)
        scratch[h[::-1]] = positions[::-1]
        rep = scratch[h]
        if (rep > positions).any():
            # the smallest writer did not land last: use the defined (slower) reduction
            scratch[h] = n
            np.minimum.at(scratch, h, positions)
            rep = scratch[h]
        clash = np.flatnonzero(keys[rep] != keys)
        if clash.size:  # different keys sharing a home slot: settle them with another hash
            rep[clash] = clash[_HashTable._first_occurrence(keys[clash], salt + 1)]
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


# ==================================================== element encodings
class _Packed:
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


class _Rows:
    """Transformations of any number of states as rows of small unsigned ints,
    hashed to 64 bits (a random linear form over 64-bit words, then mixed).
    Keys are not injective: the caller verifies rows on every key match."""

    def __init__(self, table: np.ndarray, salt: int = 0) -> None:
        self.n, self.k = table.shape
        self.dtype = _small_dtype(self.n)
        self.width = -(-self.n * self.dtype.itemsize // 8) * 8 // self.dtype.itemsize  # padded
        self.tab = [table[:, a].astype(self.dtype) for a in range(self.k)]
        rng = np.random.default_rng(0x5EED + salt)
        words = self.width * self.dtype.itemsize // 8
        self.coef = rng.integers(1, 2**63, size=words, dtype=np.uint64) | np.uint64(1)

    def pad(self, rows: np.ndarray) -> np.ndarray:
        out = np.zeros((rows.shape[0], self.width), dtype=self.dtype)
        out[:, : self.n] = rows
        return out

    def keys_of(self, padded: np.ndarray) -> np.ndarray:
        words = np.ascontiguousarray(padded).view(np.uint64)
        h = words @ self.coef  # wraps modulo 2^64
        h ^= h >> np.uint64(31)
        h *= _MULTS[3]
        h ^= h >> np.uint64(29)
        return h

    def step(self, padded: np.ndarray) -> np.ndarray:
        """``(m, width)`` rows -> ``(k, m, width)`` rows of ``element then
        letter``, letter-major (each letter's block is written contiguously)."""
        m = padded.shape[0]
        if self.width == self.n:
            out = np.empty((self.k, m, self.width), dtype=self.dtype)
        else:
            out = np.zeros((self.k, m, self.width), dtype=self.dtype)
        step = max(1, (1 << 18) // self.n)  # row blocks: the intp indices stay in cache
        for lo in range(0, m, step):
            idx = padded[lo : lo + step, : self.n].astype(np.intp)
            for a, t in enumerate(self.tab):
                block = out[a, lo : lo + step]
                np.take(t, idx, out=block[:, : self.n] if self.width != self.n else block)
        return out

    def verify(self, store: np.ndarray, ids: np.ndarray, rows: np.ndarray) -> bool:
        """Whether ``store[ids] == rows`` (compared as 64-bit words, in row
        blocks that stay in cache)."""
        step = max(1, (1 << 18) // self.width)
        for lo in range(0, ids.size, step):
            a = store[ids[lo : lo + step]].view(np.uint64)
            b = rows[lo : lo + step].view(np.uint64)
            if not np.array_equal(a, b):
                return False
        return True


class _ElementIndex:
    """Find the ids of transformations (given as rows) in an enumerated monoid."""

    def __init__(self, table: _HashTable, encoder: _Packed | _Rows, rows: np.ndarray | None) -> None:
        self.table, self.encoder, self.rows = table, encoder, rows

    @classmethod
    def build(cls, elements: np.ndarray) -> "_ElementIndex":
        m, n = elements.shape
        if n <= 16:
            enc: _Packed | _Rows = _Packed(np.zeros((n, 1), dtype=np.int64))
            keys = enc.keys_of(elements.astype(np.uint8))
            rows = None
        else:
            enc = _Rows(np.zeros((n, 1), dtype=np.int64))
            rows = enc.pad(elements)
            keys = enc.keys_of(rows)
        table = _HashTable()
        ids, new = table.lookup_insert(keys, 0)
        if new.size != m:
            # equal hashes of different rows: fall back to exact dictionary lookups
            return _DictIndex(elements)  # type: ignore[return-value]
        return cls(table, enc, rows)

    def find(self, rows: np.ndarray) -> np.ndarray:
        if isinstance(self.encoder, _Packed):
            return self.table.lookup(self.encoder.keys_of(rows.astype(np.uint8)))
        padded = self.encoder.pad(rows)
        ids = self.table.lookup(self.encoder.keys_of(padded))
        hit = np.flatnonzero(ids >= 0)
        wrong = hit[~(self.rows[ids[hit]] == padded[hit]).all(axis=1)]
        ids[wrong] = -1
        return ids


class _DictIndex:
    """Exact fallback index: a dict of row bytes."""

    def __init__(self, elements: np.ndarray) -> None:
        self.dtype = _small_dtype(elements.shape[1])
        self.map = {r.tobytes(): i for i, r in enumerate(elements.astype(self.dtype))}

    def find(self, rows: np.ndarray) -> np.ndarray:
        rows = rows.astype(self.dtype)
        return np.array([self.map.get(r.tobytes(), -1) for r in rows], dtype=np.int32)


# ======================================================= the enumeration
@dataclass
class _Raw:
    """What the enumeration produced (internal)."""

    elements: np.ndarray  # (m, n) small unsigned ints
    parents: np.ndarray
    letters: np.ndarray
    cayley: np.ndarray | None  # None when incomplete
    complete: bool
    first_periodic: int | None  # id of the first element with a non-trivial cycle
    stable_index: np.ndarray | None  # per element, while checked
    index: _ElementIndex | None


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


def _enumerate(
    dfa: DFA,
    *,
    max_monoid: int,
    check: str,
    stop_at_periodic: bool,
    salt: int = 0,
) -> _Raw:
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
        return _enumerate(dfa, max_monoid=max_monoid, check=check, stop_at_periodic=stop_at_periodic, salt=salt + 1)


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
) -> _Raw:
    name = dfa.name or f"a {n}-state DFA"
    enc: _Packed | _Rows = _Packed(table) if packed else _Rows(table, salt)
    identity = np.arange(n)[None, :]
    hashes = _HashTable()
    parents = _Buffer((), np.int32)
    letters = _Buffer((), np.int32)
    parents.extend(np.array([-1], dtype=np.int32))
    letters.extend(np.array([-1], dtype=np.int32))
    stable = _Buffer((), np.int32) if check == "index" else None
    look = check != "none"
    cayley_parts: list[np.ndarray] = []
    if packed:
        assert isinstance(enc, _Packed)
        layer = enc.keys_of(identity.astype(np.uint8))  # (m,) uint64 keys
        store = _Buffer((), np.uint64)
        store.extend(layer)
    else:
        assert isinstance(enc, _Rows)
        layer = enc.pad(identity)  # (m, width) rows
        store = _Buffer((enc.width,), enc.dtype)
        store.extend(layer)
    hashes.insert(layer if packed else enc.keys_of(layer), np.zeros(1, dtype=np.int32))
    total, depth = 1, 0
    first_periodic: int | None = None
    if stable is not None:
        stable.extend(np.zeros(1, dtype=np.int32))  # the identity: k = 0
    next_log = _LOG_EVERY

    def finish(complete: bool) -> _Raw:
        elements = enc.rows_of(store.view()) if packed else store.view()[:, :n]  # type: ignore[union-attr]
        cay = np.concatenate(cayley_parts).reshape(total, k) if complete else None
        index = _ElementIndex(hashes, enc, None if packed else store.view()) if complete else None
        return _Raw(
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
                idx = np.concatenate([_stable_indices(c) for _, c in _chunks(rows)])
                stable.extend(idx)
                periodic = np.flatnonzero(idx < 0)
            elif n <= 64:  # log2(n) squarings beat n - 1 steps
                periodic = np.flatnonzero(_periodic_mask(rows))
            else:  # elements of big DFAs usually stabilize long before n steps
                periodic = np.flatnonzero(np.concatenate([_stable_indices(c) for _, c in _chunks(rows)]) < 0)
            if periodic.size:
                first_periodic = start + int(periodic[0])
                look, stable = False, None  # indices only matter while the monoid may be aperiodic
                if stop_at_periodic:
                    return finish(False)


def _naive_monoid(table: Sequence[Sequence[int]]) -> list[tuple[int, ...]]:
    """Reference: the transition monoid by BFS over tuples (same order as the
    fast path). ``table[q][a]`` is the state reached from ``q`` on letter ``a``."""
    n, k = len(table), len(table[0])
    gens = [tuple(table[q][a] for q in range(n)) for a in range(k)]
    identity = tuple(range(n))
    seen = {identity: 0}
    order = [identity]
    head = 0
    while head < len(order):
        u = order[head]
        head += 1
        for g in gens:
            v = tuple(g[u[q]] for q in range(n))
            if v not in seen:
                seen[v] = len(order)
                order.append(v)
    return order


# ============================================ fast early exit (pure Python)
def _cycle_point(y: Sequence[int]) -> int | None:
    """A state on a cycle of length > 1 of the map ``y``, or None."""
    return next((c[0] for c in _cycles(y) if len(c) > 1), None)


def _quick_search(
    transitions: Sequence[Sequence[int]], budget: int | None = None, max_monoid: int | None = None
) -> tuple[str, tuple[int, ...] | None, tuple[int, ...]]:
    """Breadth-first search (same order as :func:`_enumerate`) for the first
    element with a non-trivial cycle, within ``budget`` elements x states and
    at most ``max_monoid`` elements.

    ``transitions[q][a]`` is the table. Returns ``("periodic", element,
    word_indices)``, ``("aperiodic", None, ())`` when the whole monoid was
    seen, ``("too large", None, ())`` past ``max_monoid`` elements, or
    ``("unknown", None, ())`` when the budget ran out.
    """
    n, k = len(transitions), len(transitions[0])
    gens = [tuple(transitions[q][a] for q in range(n)) for a in range(k)]
    identity = tuple(range(n))
    words: dict[tuple[int, ...], tuple[int, ...]] = {identity: ()}
    queue = deque([identity])
    limit = max(2 * k, (_QUICK_BUDGET if budget is None else budget) // max(n, 1))
    while queue:
        u = queue.popleft()
        wu = words[u]
        for a, g in enumerate(gens):
            v = tuple([g[q] for q in u])
            if v in words:
                continue
            words[v] = wu + (a,)
            if _cycle_point(v) is not None:
                return "periodic", v, words[v]
            if max_monoid is not None and len(words) > max_monoid:
                return "too large", None, ()
            if len(words) >= limit:
                return "unknown", None, ()
            queue.append(v)
    return "aperiodic", None, ()


def _minimal_table(dfa: DFA) -> list[tuple[int, ...]]:
    """The transition table of the minimal DFA (states in any order), in pure
    Python: for small DFAs this is much cheaper than :meth:`DFA.minimize`,
    and :func:`is_star_free` needs only the table."""
    t, k = dfa.transitions, dfa.n_letters
    order = [dfa.start]
    seen = {dfa.start}
    for q in order:  # BFS: the list grows while we walk it
        for r in t[q]:
            if r not in seen:
                seen.add(r)
                order.append(r)
    accepting = dfa.accepting
    cls = {q: int(q in accepting) for q in order}
    count = len(set(cls.values()))
    while True:  # Moore's partition refinement
        ids: dict[tuple[int, ...], int] = {}
        new = {q: ids.setdefault((cls[q], *[cls[r] for r in t[q]]), len(ids)) for q in order}
        stable = len(ids) == count
        cls, count = new, len(ids)
        if stable:
            break
    rows: list[tuple[int, ...] | None] = [None] * count
    for q in order:
        if rows[cls[q]] is None:
            rows[cls[q]] = tuple(cls[t[q][a]] for a in range(k))
    return rows  # type: ignore[return-value]


# ================================================================ certificate
def _certificate(dfa: DFA, w: tuple[int, ...], y_map: Sequence[int]) -> Certificate:
    """Build ``x, w, y, p`` from a word ``w`` whose map ``y_map`` has a cycle
    of length > 1 on the minimal ``dfa`` (every state reachable, all states
    pairwise distinguishable)."""
    # states on non-trivial cycles of w
    on_cycle = {q for cycle in _cycles(y_map) if len(cycle) > 1 for q in cycle}
    if not on_cycle:  # pragma: no cover - caller guarantees a cycle
        raise DFAError("the word of a certificate must act with a non-trivial cycle")
    # shortest x from the start to a state on such a cycle (BFS, letters in order)
    parent: dict[int, tuple[int, int] | None] = {dfa.start: None}
    queue = deque([dfa.start])
    target = None
    while queue:
        q = queue.popleft()
        if q in on_cycle:
            target = q
            break
        for a in range(dfa.n_letters):
            r = dfa.transitions[q][a]
            if r not in parent:
                parent[r] = (q, a)
                queue.append(r)
    if target is None:  # pragma: no cover - a minimal DFA has every state reachable
        raise DFAError("no state on a cycle of the certificate word is reachable")
    x_idx: list[int] = []
    q = target
    while parent[q] is not None:
        pq, a = parent[q]  # type: ignore[misc]
        x_idx.append(a)
        q = pq
    x_idx.reverse()
    cycle = [target]
    while y_map[cycle[-1]] != target:
        cycle.append(y_map[cycle[-1]])
    # shortest y separating the states of the cycle (BFS over tuples of states)
    accept = dfa.accept_mask
    start = tuple(cycle)
    seen: dict[tuple[int, ...], tuple[tuple[int, ...], int] | None] = {start: None}
    queue2 = deque([start])
    found = None
    while queue2:
        t = queue2.popleft()
        values = {bool(accept[s]) for s in t}
        if len(values) > 1:
            found = t
            break
        for a in range(dfa.n_letters):
            u = tuple(dfa.transitions[s][a] for s in t)
            if u not in seen:
                seen[u] = (t, a)
                queue2.append(u)
    if found is None:  # pragma: no cover - impossible in a minimal DFA
        raise DFAError("the DFA is not minimal: two states on a cycle cannot be told apart")
    y_idx: list[int] = []
    t = found
    while seen[t] is not None:
        pt, a = seen[t]  # type: ignore[misc]
        y_idx.append(a)
        t = pt
    y_idx.reverse()
    members = [bool(accept[s]) for s in found]
    L = len(members)
    # the minimal period of the (purely periodic) membership sequence divides L
    period = next(
        d for d in range(1, L + 1) if L % d == 0 and all(members[i] == members[(i + d) % L] for i in range(L))
    )
    letters = dfa.alphabet
    return Certificate(
        x=tuple(letters[a] for a in x_idx),
        w=tuple(letters[a] for a in w),
        y=tuple(letters[a] for a in y_idx),
        period=period,
    )


def _cycles(y: Sequence[int]) -> list[list[int]]:
    """All cycles of the functional graph of ``y`` (O(n))."""
    n = len(y)
    mark = [0] * n  # 0 new, 1 on the current path, 2 done
    out = []
    for s in range(n):
        if mark[s]:
            continue
        path = []
        q = s
        while mark[q] == 0:
            mark[q] = 1
            path.append(q)
            q = y[q]
        if mark[q] == 1:
            out.append(path[path.index(q) :])
        for p in path:
            mark[p] = 2
    return out


# ======================================================== permutation groups
Perm = tuple[int, ...]


def _pmul(a: Perm, b: Perm) -> Perm:
    """``a then b``."""
    return tuple(b[i] for i in a)


def _pinv(a: Perm) -> Perm:
    out = [0] * len(a)
    for i, j in enumerate(a):
        out[j] = i
    return tuple(out)


def _closure_of(gens: Sequence[Perm], degree: int) -> set[Perm]:
    identity = tuple(range(degree))
    group = {identity}
    frontier = [identity]
    while frontier:
        nxt = []
        for g in frontier:
            for s in gens:
                h = _pmul(g, s)
                if h not in group:
                    group.add(h)
                    nxt.append(h)
        frontier = nxt
    return group


def _generators(elements: Sequence[Perm], degree: int) -> tuple[list[Perm], set[Perm]]:
    """A small generating set (greedy: each new generator at least doubles the
    subgroup), and the generated group."""
    gens: list[Perm] = []
    group = {tuple(range(degree))}
    for g in sorted(elements):
        if g not in group:
            gens.append(g)
            group = _closure_of(gens, degree)
    return gens, group


def _normal_closure(gens: list[Perm], of: list[Perm], degree: int) -> tuple[list[Perm], set[Perm]]:
    """The smallest subgroup holding ``gens`` and normalized by ``of``."""
    gens = list(gens)
    group = _closure_of(gens, degree)
    changed = True
    while changed:
        changed = False
        for g in of:
            gi = _pinv(g)
            for h in list(gens):
                c = _pmul(_pmul(gi, h), g)
                if c not in group:
                    gens.append(c)
                    group = _closure_of(gens, degree)
                    changed = True
    return gens, group


def _derived(gens: list[Perm], degree: int) -> tuple[list[Perm], set[Perm]]:
    """Generators and elements of the commutator subgroup ``[G, G]``."""
    comms = []
    identity = tuple(range(degree))
    for i, a in enumerate(gens):
        for b in gens[i + 1 :]:
            c = _pmul(_pmul(_pmul(_pinv(a), _pinv(b)), a), b)
            if c != identity:
                comms.append(c)
    if not comms:
        return [], {identity}
    return _normal_closure(comms, gens, degree)


def _order_of(g: Perm) -> int:
    seen = [False] * len(g)
    order = 1
    for s in range(len(g)):
        if seen[s]:
            continue
        length = 0
        q = s
        while not seen[q]:
            seen[q] = True
            q = g[q]
            length += 1
        order = order * length // math.gcd(order, length)
    return order


def _abelian_invariants(order_counts: Counter, n: int) -> list[int]:
    """Invariant factors of an abelian group of order ``n`` from its element orders.

    For a prime ``p`` with p-part ``Z_(p^e1) x ... x Z_(p^er)``, the number of
    elements with ``x^(p^j) = 1`` is ``p^(sum_i min(j, e_i))``; successive
    ratios give ``#{i : e_i >= j}``.
    """
    primes = [p for p in range(2, n + 1) if n % p == 0 and all(p % d for d in range(2, math.isqrt(p) + 1))]
    per_prime: dict[int, list[int]] = {}
    for p in primes:
        def log_count(j: int) -> int:
            c = sum(cnt for o, cnt in order_counts.items() if p**j % o == 0)
            return round(math.log(c, p)) if c > 1 else 0

        at_least = []  # at_least[j-1] = #{i : e_i >= j}
        j = 1
        while True:
            a = log_count(j) - log_count(j - 1)
            if a == 0:
                break
            at_least.append(a)
            j += 1
        exps: list[int] = []
        for j, a in enumerate(at_least, start=1):
            nxt = at_least[j] if j < len(at_least) else 0
            exps.extend([j] * (a - nxt))
        per_prime[p] = sorted(exps, reverse=True)
    width = max((len(v) for v in per_prime.values()), default=0)
    factors = []
    for i in range(width):
        d = 1
        for p, exps in per_prime.items():
            if i < len(exps):
                d *= p ** exps[i]
        factors.append(d)
    return sorted(factors)


def _dihedral_counts(m: int) -> Counter:
    c: Counter = Counter()
    for i in range(m):
        c[m // math.gcd(i, m)] += 1
    c[2] += m
    return c


_NAMED = {
    # (order, sorted element-order histogram) -> name, for non-abelian groups
    (8, ((1, 1), (2, 1), (4, 6))): "Q8",
    (12, ((1, 1), (2, 3), (3, 8))): "A4",
    (12, ((1, 1), (2, 1), (3, 2), (4, 6), (6, 2))): "Dic3",
    (24, ((1, 1), (2, 9), (3, 8), (4, 6))): "S4",
    (24, ((1, 1), (2, 1), (3, 8), (4, 6), (6, 8))): "SL(2,3)",
    (120, ((1, 1), (2, 25), (3, 20), (4, 30), (5, 24), (6, 20))): "S5",
}


@dataclass(frozen=True)
class _GroupFacts:
    order: int
    abelian: bool
    solvable: bool
    name: str


def _analyse_group(elements: Sequence[Perm], degree: int) -> _GroupFacts:
    """Order, abelian, solvable (derived series) and a name."""
    order = len(elements)
    gens, group = _generators(elements, degree)
    if len(group) != order:  # pragma: no cover - H_e is a group, so closed
        raise DFAError(f"subgroup of order {order} generates {len(group)} elements")
    abelian = all(_pmul(a, b) == _pmul(b, a) for i, a in enumerate(gens) for b in gens[i + 1 :])
    solvable = True
    cur_gens, cur = gens, group
    while len(cur) > 1:
        nxt_gens, nxt = _derived(cur_gens, degree)
        if len(nxt) == len(cur):
            solvable = False
            break
        cur_gens, cur = _generators(list(nxt), degree) if nxt_gens else ([], nxt)
    name = _name_group(list(group), gens, degree, abelian, solvable)
    return _GroupFacts(order=order, abelian=abelian, solvable=solvable, name=name)


def _name_group(elements: list[Perm], gens: list[Perm], degree: int, abelian: bool, solvable: bool) -> str:
    n = len(elements)
    if n == 1:
        return "trivial"
    counts = Counter(_order_of(g) for g in elements)
    if abelian:
        inv = _abelian_invariants(counts, n)
        if inv == [2, 2]:
            return "V4"
        return "x".join(f"Z{d}" for d in inv)
    center = [z for z in elements if all(_pmul(z, g) == _pmul(g, z) for g in gens)]
    zc = len(center)
    if 1 < zc < n and math.gcd(zc, n // zc) == 1:
        q = n // zc
        identity = tuple(range(degree))
        k_part = [g for g in elements if _power(g, q) == identity]
        z_facts = _name_group(center, _generators(center, degree)[0], degree, True, True)
        if len(k_part) == q:
            k_gens = _generators(k_part, degree)[0]
            k_abelian = all(_pmul(a, b) == _pmul(b, a) for i, a in enumerate(k_gens) for b in k_gens[i + 1 :])
            return f"{_name_group(k_part, k_gens, degree, k_abelian, solvable)}x{z_facts}"
    hist = tuple(sorted(counts.items()))
    if n % 2 == 0 and n >= 6 and counts == _dihedral_counts(n // 2):
        return "S3" if n == 6 else f"Dih{n // 2}"
    if (n, hist) in _NAMED:
        return _NAMED[(n, hist)]
    if not solvable and n == 60:
        return "A5"  # the only non-solvable group of order 60
    if not solvable and n == 120 and zc == 2:
        return "SL(2,5)" if counts[2] == 1 else "A5xZ2"
    return f"group of order {n}"


def _power(g: Perm, e: int) -> Perm:
    result = tuple(range(len(g)))
    base = g
    while e:
        if e & 1:
            result = _pmul(result, base)
        base = _pmul(base, base)
        e >>= 1
    return result


# ============================================================ classification
@dataclass
class _Structure:
    idempotents: int
    groups: list[tuple[_GroupFacts, int]]  # facts and the id of the idempotent
    nontrivial_group_element: np.ndarray  # group element that is not idempotent


def _fixed_point_counts(rows: np.ndarray) -> np.ndarray:
    """``(m, n)``: column ``j-1`` counts the fixed points of ``y^j``, ``j = 1..n``.

    For a permutation of its image these counts determine the cycle type, so
    sorted over a group they are an isomorphism invariant of the group's
    action (equal for the isomorphic groups of one D-class).
    """
    m, n = rows.shape
    out = np.zeros((m, n), dtype=np.int32)
    for start, y in _chunks(rows):
        r = y.shape[0]
        offsets = (np.arange(r, dtype=np.intp) * n)[:, None]
        flat = (y.astype(np.intp) + offsets).ravel()
        ident = np.arange(n, dtype=np.intp)[None, :] + offsets
        cur = ident.copy()
        for j in range(n):
            cur = flat[cur]
            out[start : start + r, j] = (cur == ident).sum(axis=1)
    return out


def _structure(monoid: Monoid) -> _Structure:
    """Idempotents and the non-trivial maximal subgroups ``H_e``.

    ``y`` lies in a subgroup iff it permutes its image (``rank(y y) =
    rank(y)``), and then in exactly one maximal subgroup, ``H_e`` with ``e =
    y^omega``. Groups are analysed once per isomorphism invariant (order,
    degree and the sorted fixed-point counts of the powers of their elements).
    """
    rows = monoid.transformations
    n = rows.shape[1]
    gmask = _group_mask(rows)
    gids = np.flatnonzero(gmask)
    grows = rows[gids]
    e_rows = _idempotent_powers(grows)
    idem = (e_rows == grows).all(axis=1)
    nontrivial = np.zeros(monoid.size, dtype=bool)
    members = gids[~idem]
    nontrivial[members] = True
    groups: list[tuple[_GroupFacts, int]] = []
    if members.size:
        e_ids = monoid.ids_of(e_rows[~idem])
        if (e_ids < 0).any():  # pragma: no cover - y^omega is a power of y
            raise DFAError("an idempotent power is missing from the monoid")
        fixed = _fixed_point_counts(rows[members])
        order = np.lexsort((*fixed.T[::-1], e_ids))
        e_sorted, m_sorted, f_sorted = e_ids[order], members[order], fixed[order]
        cuts = np.flatnonzero(np.diff(e_sorted)) + 1
        cache: dict[bytes, _GroupFacts] = {}
        starts = np.concatenate([[0], cuts])
        stops = np.concatenate([cuts, [e_sorted.size]])
        idems = e_sorted[starts]
        degrees = (rows[idems] == np.arange(n)).sum(axis=1)  # |im(e)|: an idempotent fixes its image
        for lo, hi, e, degree in zip(starts.tolist(), stops.tolist(), idems.tolist(), degrees.tolist()):
            key = degree.to_bytes(4, "little") + f_sorted[lo:hi].tobytes()
            facts = cache.get(key)
            if facts is None:
                image = np.flatnonzero(rows[e] == np.arange(n))  # idempotent: image = fixed points
                position = np.full(n, -1, dtype=np.int64)
                position[image] = np.arange(image.size)
                ms = m_sorted[lo:hi]
                perms = position[rows[np.concatenate([[e], ms])][:, image]]  # action on im(e)
                facts = _analyse_group([tuple(int(v) for v in p) for p in perms], int(image.size))
                cache[key] = facts
            groups.append((facts, e))
    return _Structure(idempotents=int(idem.sum()), groups=groups, nontrivial_group_element=nontrivial)


def _stable_semigroup(monoid: Monoid) -> tuple[int, np.ndarray]:
    """The stability index ``s`` and the ids of ``eta(A^s)``.

    ``S_j = eta(A^j)`` satisfies ``S_(j+1) = S_j . A`` (a step along the
    Cayley graph); the sequence is eventually periodic, from ``i0`` with period
    ``pi``, and ``s`` is the least multiple of ``pi`` that is ``>= i0``.
    """
    m = monoid.size
    by_letter = [np.ascontiguousarray(monoid.cayley[:, a]) for a in range(monoid.dfa.n_letters)]

    def step(ids: np.ndarray) -> np.ndarray:
        mask = np.zeros(m, dtype=bool)
        for column in by_letter:
            mask[column[ids]] = True
        return mask

    mask = step(np.zeros(1, dtype=np.intp))  # eta(A^1)
    history = [np.packbits(mask)]  # history[j - 1] holds eta(A^j), packed
    seen = {history[0].tobytes(): 1}
    j = 1
    while True:
        mask = step(np.flatnonzero(mask))
        j += 1
        key = np.packbits(mask)
        earlier = seen.get(key.tobytes())
        if earlier is not None:
            i0, period = earlier, j - earlier
            break
        seen[key.tobytes()] = j
        history.append(key)
    s = period * max(1, -(-i0 // period))
    if s > len(history):  # eta(A^s) = eta(A^(i0 + (s - i0) mod period)) for s >= i0
        s_equiv = i0 + (s - i0) % period
    else:
        s_equiv = s
    stable = np.flatnonzero(np.unpackbits(history[s_equiv - 1], count=m))
    return s, stable


def _group_summaries(structure: _Structure, monoid: Monoid) -> tuple[GroupInfo, ...]:
    merged: dict[tuple[int, bool, bool, str], list[int]] = {}
    for facts, e in structure.groups:
        merged.setdefault((facts.order, facts.abelian, facts.solvable, facts.name), []).append(e)
    out = []
    for (order, abelian, solvable, name), es in sorted(merged.items(), key=lambda kv: (kv[0][0], kv[0][3])):
        out.append(
            GroupInfo(
                order=order,
                abelian=abelian,
                solvable=solvable,
                name=name,
                count=len(es),
                identity_word=monoid.word(min(es)),
            )
        )
    return tuple(out)


def _predictions(star_free: bool, complexity: str) -> tuple[Prediction, ...]:
    nc1 = complexity == "NC1-complete"
    out = [
        Prediction(
            architecture="Mamba / SSM with non-negative gates",
            expressible=star_free,
            citation="Sarrof, Veitsman & Hahn 2024",
            reason="finite-precision SSMs with non-negative (diagonal) gates model a regular language "
            "at every length iff it is star-free",
        ),
        Prediction(
            architecture="Transformer, masked unique hard attention",
            expressible=star_free,
            citation="Yang, Chiang & Angluin 2024",
            reason="masked hard-attention transformers (strict masking, no position encoding) recognize "
            "exactly the star-free languages",
        ),
        Prediction(
            architecture="SSM or Transformer, fixed depth, log precision",
            expressible=False if nc1 else None,
            citation="Merrill, Petty & Sabharwal 2024; Merrill & Sabharwal 2023",
            reason=(
                "these models are in TC0; an NC1-complete language needs depth growing with length "
                "unless TC0 = NC1"
                if nc1
                else "the TC0 upper bound does not rule this language out; no theorem decides it"
            ),
        ),
        Prediction(
            architecture="Transformer, softmax attention",
            expressible=None,
            citation="Hahn 2020",
            reason=(
                "no theorem decides softmax attention at every length; the hard-attention result above "
                "does not transfer directly"
                if star_free
                else "soft attention's sensitivity to any one symbol shrinks with length, so languages such as "
                "parity cannot be decided with a margin bounded away from chance; exact constructions with "
                "vanishing margins exist, so expressibility itself is not decided"
            ),
        ),
        Prediction(
            architecture="Linear RNN, products of generalized Householder matrices, eigenvalues in [-1, 1]",
            expressible=True,
            citation="Grazzi et al. 2025",
            reason="with enough layers these finite-precision linear RNNs recognize every regular language "
            "(non-negative eigenvalues alone cannot solve parity)",
        ),
        Prediction(
            architecture="LSTM / non-linear RNN",
            expressible=True,
            citation="Minsky 1967; Merrill 2019",
            reason="a recurrent network with saturating units simulates any finite automaton",
        ),
    ]
    return tuple(out)


def _evidence(
    *,
    star_free: bool,
    cert: Certificate | None,
    size: int | None,
    index: int | None,
    quasi: bool | None,
    s: int | None,
    stable_size: int | None,
    groups: tuple[GroupInfo, ...],
) -> tuple[str, ...]:
    out = []
    if star_free:
        out.append(
            f"the syntactic monoid ({size} elements) is aperiodic: m^{index} = m^{index + 1} for every m, "
            "so the language is star-free (Schützenberger 1965), i.e. definable in FO[<] "
            "(McNaughton & Papert 1971), hence in AC0"
        )
    else:
        assert cert is not None
        out.append(
            f"membership of x w^n y cycles with period {cert.period} > 1 ({cert}): the syntactic monoid "
            "holds a non-trivial group, so the language is not star-free (Schützenberger 1965)"
        )
    if quasi is not None and s is not None:
        if quasi:
            out.append(
                f"the stable semigroup eta(A^{s}) ({stable_size} elements) holds no non-trivial group: "
                "quasi-aperiodic, so the language is in AC0 (Barrington, Compton, Straubing & Thérien 1992)"
            )
        else:
            out.append(
                f"the stable semigroup eta(A^{s}) ({stable_size} elements) holds a non-trivial group: not "
                "quasi-aperiodic, so the language is not in AC0 (Barrington, Compton, Straubing & Thérien 1992)"
            )
    if groups:
        names = ", ".join(g.name for g in groups)
        bad = [g.name for g in groups if not g.solvable]
        if quasi:
            kinds = "not all solvable" if bad else "all solvable"
            out.append(
                f"maximal subgroups {names} ({kinds}); the stable semigroup meets each only in its identity"
            )
        elif bad:
            out.append(
                f"maximal subgroups {names}; {', '.join(bad)} is not solvable, so the language is "
                "NC1-complete (Barrington 1989)"
            )
        else:
            out.append(
                f"maximal subgroups {names}, all solvable: the language is in ACC0 (Barrington & Thérien 1988)"
            )
    return tuple(out)


def _minimal(dfa: DFA) -> DFA:
    if not isinstance(dfa, DFA):
        raise DFAError(f"expected a DFA, got {type(dfa).__name__}")
    return dfa.minimize()


def transition_monoid(dfa: DFA, *, max_monoid: int = 2_000_000, minimize: bool = True) -> Monoid:
    """The transition monoid of ``dfa``, enumerated breadth-first.

    Parameters
    ----------
    dfa
        Any complete DFA.
    max_monoid
        Stop with :class:`~automata_probe.errors.MonoidTooLargeError` when the
        monoid has more elements than this.
    minimize
        Minimize first (the default), so that the result is the syntactic
        monoid of the language. With False the DFA is used as given.

    Returns
    -------
    Monoid
        Elements in BFS order with shortest words; element 0 is the identity.
    """
    if max_monoid < 1:
        raise ParameterError(f"max_monoid must be at least 1, not {max_monoid}")
    d = _minimal(dfa) if minimize else dfa
    raw = _enumerate(d, max_monoid=max_monoid, check="none", stop_at_periodic=False)
    if not raw.complete:
        raise MonoidTooLargeError(_too_large(d, max_monoid))
    return _monoid_from_raw(d, raw)


def _too_large(d: DFA, max_monoid: int) -> str:
    name = d.name or f"the {d.n_states}-state DFA"
    return (
        f"the syntactic monoid of {name} has more than {max_monoid:,} elements; "
        "raise the cap (max_monoid / --max-monoid) to enumerate it"
    )


def _monoid_from_raw(d: DFA, raw: _Raw) -> Monoid:
    assert raw.cayley is not None
    m = Monoid(
        dfa=d,
        transformations=raw.elements,
        parents=raw.parents,
        letters=raw.letters,
        cayley=raw.cayley,
    )
    if raw.index is not None:
        m.__dict__["_index"] = raw.index  # reuse the enumeration's hash table
    return m


def is_star_free(dfa: DFA, *, max_monoid: int = 2_000_000) -> bool:
    """Whether the language of ``dfa`` is star-free (its syntactic monoid is
    aperiodic). Stops at the first element with a non-trivial cycle, so a
    non-star-free language is usually decided from a short word.

    Raises :class:`~automata_probe.errors.MonoidTooLargeError` when the monoid
    passes ``max_monoid`` elements with no such element found.
    """
    if not isinstance(dfa, DFA):
        raise DFAError(f"expected a DFA, got {type(dfa).__name__}")
    if max_monoid < 1:
        raise ParameterError(f"max_monoid must be at least 1, not {max_monoid}")
    verdict, _, _ = _quick_search(_minimal_table(dfa), max_monoid=max_monoid)
    if verdict in ("periodic", "aperiodic"):
        return verdict == "aperiodic"
    d = _minimal(dfa)
    if verdict == "too large":
        raise MonoidTooLargeError(_too_large(d, max_monoid))
    raw = _enumerate(d, max_monoid=max_monoid, check="periodic", stop_at_periodic=True)
    if raw.first_periodic is not None:
        return False
    if not raw.complete:
        raise MonoidTooLargeError(_too_large(d, max_monoid))
    return True


def classify(dfa: DFA, *, max_monoid: int = 2_000_000) -> Classification:
    """Star-freeness with evidence, the finer algebraic class and predictions.

    Parameters
    ----------
    dfa
        Any DFA for the language (it is minimized first).
    max_monoid
        Cap on the monoid size. Past it, a language already shown not
        star-free (a certificate was found) gets a partial classification with
        ``monoid_size=None`` and complexity ``"undetermined"``; otherwise
        :class:`~automata_probe.errors.MonoidTooLargeError` is raised.

    Returns
    -------
    Classification
        ``complexity`` is ``"AC0"`` when the stable semigroup holds no
        non-trivial group (every star-free language is such), else
        ``"NC1-complete"`` when some maximal subgroup is not solvable, else
        ``"ACC0"``.
    """
    if max_monoid < 1:
        raise ParameterError(f"max_monoid must be at least 1, not {max_monoid}")
    d = _minimal(dfa)
    verdict, periodic_map, periodic_word = _quick_search(d.transitions)
    check = "index" if verdict == "unknown" else "none"
    raw = _enumerate(d, max_monoid=max_monoid, check=check, stop_at_periodic=False)
    if periodic_map is None and raw.first_periodic is not None:
        i = raw.first_periodic
        periodic_map = tuple(int(v) for v in raw.elements[i])
        periodic_word = _word_indices(raw, i)
    cert = _certificate(d, periodic_word, periodic_map) if periodic_map is not None else None
    star_free = cert is None
    if not raw.complete:
        if star_free:
            raise MonoidTooLargeError(_too_large(d, max_monoid))
        return Classification(
            star_free=False,
            certificate=cert,
            monoid_size=None,
            aperiodicity_index=None,
            subgroups=(),
            complexity="undetermined",
            predictions=_predictions(False, "undetermined"),
            evidence=_evidence(
                star_free=False,
                cert=cert,
                size=None,
                index=None,
                quasi=None,
                s=None,
                stable_size=None,
                groups=(),
            )
            + (f"the monoid has more than {max_monoid:,} elements; its circuit class was not decided",),
        )
    monoid = _monoid_from_raw(d, raw)
    index = None
    if star_free:
        # aperiodic: no group at all, so quasi-aperiodic; s is not needed
        stable = raw.stable_index if raw.stable_index is not None else monoid.stable_indices()
        index = int(stable.max())
        n_idempotents = int(monoid.idempotents().size)
        groups: tuple[GroupInfo, ...] = ()
        quasi, s, stable_size = True, None, None
    else:
        structure = _structure(monoid)
        n_idempotents = structure.idempotents
        groups = _group_summaries(structure, monoid)
        s, stable_ids = _stable_semigroup(monoid)
        stable_size = int(stable_ids.size)
        quasi = not bool(structure.nontrivial_group_element[stable_ids].any())
    # quasi-aperiodic => AC0 is unconditional, so it is checked first (a
    # quasi-aperiodic language cannot be NC1-complete: parity is not in AC0)
    if quasi:
        complexity = "AC0"
    elif any(not g.solvable for g in groups):
        complexity = "NC1-complete"
    else:
        complexity = "ACC0"
    return Classification(
        star_free=star_free,
        certificate=cert,
        monoid_size=monoid.size,
        aperiodicity_index=index,
        subgroups=groups,
        complexity=complexity,
        predictions=_predictions(star_free, complexity),
        quasi_aperiodic=quasi,
        stability_index=s,
        stable_semigroup_size=stable_size,
        idempotents=n_idempotents,
        evidence=_evidence(
            star_free=star_free,
            cert=cert,
            size=monoid.size,
            index=index,
            quasi=quasi,
            s=s,
            stable_size=stable_size,
            groups=groups,
        ),
    )


def _word_indices(raw: _Raw, i: int) -> tuple[int, ...]:
    out = []
    while i > 0:
        out.append(int(raw.letters[i]))
        i = int(raw.parents[i])
    return tuple(reversed(out))
