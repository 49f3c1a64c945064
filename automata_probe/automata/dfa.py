"""Deterministic finite automata: the type every other module speaks.

A :class:`DFA` is immutable and always *complete*: every state has a
transition on every letter, and a state from which no accepting state can be
reached (the dead, or sink, state) is kept and marked rather than dropped.
States are the integers ``0 .. n-1``; letters are strings (usually one
character, but ``"push("`` or ``"s1"`` work too), indexed in alphabet order.

:meth:`DFA.minimize` returns the minimal complete DFA with *canonical
numbering*: states are numbered in breadth-first order from the start state,
letters taken in alphabet order. Two DFAs for the same language over the same
alphabet therefore minimize to equal objects (``==`` compares structure, not
language; use :func:`are_equivalent` for languages).

Glossary (code name -> textbook symbol)::

    alphabet      Sigma, the ordered tuple of letters
    transitions   delta, a (n_states, n_letters) table of ints
    start         q0
    accepting     F
    run(w)        q0, q1, ..., qL with q_t = delta*(q0, w1..wt)  (L+1 states)

Language-level comparisons (:func:`find_counterexample`,
:func:`disagreement_counts`) work on the product automaton and are exact: no
sampling.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Callable, Hashable, Iterable, Mapping, Sequence

import numpy as np

from ..errors import AlphabetError, DFAError, StateSpaceTooLargeError
from .words import check_alphabet, split_word

if TYPE_CHECKING:  # pragma: no cover
    import networkx as nx

__all__ = [
    "DFA",
    "align_alphabet",
    "check_same_alphabet",
    "run_table",
    "are_equivalent",
    "find_counterexample",
    "disagreement_counts",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class DFA:
    """A complete deterministic finite automaton with integer states.

    Parameters
    ----------
    alphabet
        Ordered letters. The order fixes letter indices and canonical numbering.
    transitions
        ``transitions[q][i]`` is the state reached from ``q`` on ``alphabet[i]``.
    start
        The start state ``q0``.
    accepting
        The accepting states ``F``.
    name
        Optional display name (not part of ``==``).
    state_labels
        Optional display names for the states (not part of ``==``).
    """

    alphabet: tuple[str, ...]
    transitions: tuple[tuple[int, ...], ...]
    start: int
    accepting: frozenset[int]
    name: str = field(default="", compare=False)
    state_labels: tuple[str, ...] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        alphabet = check_alphabet(self.alphabet)
        object.__setattr__(self, "alphabet", alphabet)
        rows = tuple(tuple(int(t) for t in row) for row in self.transitions)
        object.__setattr__(self, "transitions", rows)
        object.__setattr__(self, "accepting", frozenset(int(q) for q in self.accepting))
        self._validate_table()
        n = len(rows)
        if not (isinstance(self.start, (int, np.integer)) and 0 <= self.start < n):
            raise DFAError(f"start state {self.start!r} is not one of the {n} states")
        object.__setattr__(self, "start", int(self.start))
        for q in self.accepting:
            if not 0 <= q < n:
                raise DFAError(f"accepting state {q} is not one of the {n} states")
        if self.state_labels is not None:
            labels = tuple(str(s) for s in self.state_labels)
            if len(labels) != n:
                raise DFAError(f"{len(labels)} state labels for {n} states")
            object.__setattr__(self, "state_labels", labels)

    def _validate_table(self) -> None:
        n, k = len(self.transitions), len(self.alphabet)
        if n == 0:
            raise DFAError("a DFA needs at least one state")
        for q, row in enumerate(self.transitions):
            if len(row) != k:
                raise DFAError(f"state {q} has {len(row)} transitions for {k} letters")
            for i, t in enumerate(row):
                if not 0 <= t < n:
                    raise DFAError(
                        f"state {q} goes to unknown state {t} on letter {self.alphabet[i]!r}"
                    )

    # ------------------------------------------------------------------ basics
    @property
    def n_states(self) -> int:
        return len(self.transitions)

    @property
    def n_letters(self) -> int:
        return len(self.alphabet)

    @cached_property
    def table(self) -> np.ndarray:
        """The transition table as a read-only ``(n_states, n_letters)`` int array."""
        t = np.asarray(self.transitions, dtype=np.int64).reshape(self.n_states, self.n_letters)
        t.setflags(write=False)
        return t

    @cached_property
    def accept_mask(self) -> np.ndarray:
        """Boolean ``(n_states,)`` array, True on accepting states."""
        m = np.zeros(self.n_states, dtype=bool)
        m[list(self.accepting)] = True
        m.setflags(write=False)
        return m

    @cached_property
    def letter_index(self) -> dict[str, int]:
        return {a: i for i, a in enumerate(self.alphabet)}

    @cached_property
    def live_mask(self) -> np.ndarray:
        """True on states from which some accepting state is reachable."""
        live = self.accept_mask.copy()
        # reverse reachability by fixpoint over the table (n is small)
        while True:
            new = live | live[self.table].any(axis=1)
            if (new == live).all():
                break
            live = new
        live.setflags(write=False)
        return live

    @property
    def dead_states(self) -> frozenset[int]:
        """States from which no accepting state is reachable."""
        return frozenset(int(q) for q in np.flatnonzero(~self.live_mask))

    @property
    def dead(self) -> int | None:
        """The dead (sink) state of a minimal DFA, or None if it has none.

        A non-minimal DFA may have several dead states; this returns the
        smallest of them.
        """
        dead = np.flatnonzero(~self.live_mask)
        return int(dead[0]) if dead.size else None

    def label(self, q: int) -> str:
        """Display name of state ``q``."""
        return self.state_labels[q] if self.state_labels is not None else f"q{q}"

    # ------------------------------------------------------------------ words
    @property
    def single_char_letters(self) -> bool:
        return all(len(a) == 1 for a in self.alphabet)

    def split(self, word: str | Sequence[str]) -> tuple[str, ...]:
        """Split a word into letters (see :func:`split_word`)."""
        return split_word(word, self.alphabet)

    def encode(self, word: str | Sequence[str]) -> np.ndarray:
        """Letter indices of ``word`` as an int array; unknown letters raise."""
        idx = self.letter_index
        letters = self.split(word)
        out = np.empty(len(letters), dtype=np.int64)
        for t, a in enumerate(letters):
            try:
                out[t] = idx[a]
            except KeyError:
                raise AlphabetError(
                    f"letter {a!r} at position {t} is not in the alphabet "
                    f"{{{', '.join(self.alphabet)}}}"
                ) from None
        return out

    def decode(self, indices: Iterable[int]) -> tuple[str, ...]:
        return tuple(self.alphabet[int(i)] for i in indices)

    def step(self, q: int, letter: str) -> int:
        """``delta(q, letter)``."""
        try:
            return self.transitions[q][self.letter_index[letter]]
        except KeyError:
            raise AlphabetError(f"letter {letter!r} is not in the alphabet") from None

    def run(self, word: str | Sequence[str], start: int | None = None) -> list[int]:
        """All ``L + 1`` states visited on ``word``: ``[q0, q1, ..., qL]``."""
        q = self.start if start is None else start
        states = [q]
        t = self.transitions
        for i in self.encode(word):
            q = t[q][i]
            states.append(q)
        return states

    def run_indices(self, indices: np.ndarray) -> np.ndarray:
        """Vectorized run over a batch of encoded words.

        ``indices`` is ``(B, L)`` (or ``(L,)``) of letter indices; returns the
        ``(B, L + 1)`` states, column 0 the start state.
        """
        idx = np.asarray(indices, dtype=np.int64)
        if idx.ndim == 1:
            return run_table(self.table, self.start, idx[None, :])[0]
        return run_table(self.table, self.start, idx)

    def delta_star(self, q: int, word: str | Sequence[str]) -> int:
        return self.run(word, start=q)[-1]

    def accepts(self, word: str | Sequence[str]) -> bool:
        return self.run(word)[-1] in self.accepting

    def __contains__(self, word: object) -> bool:
        return self.accepts(word)  # type: ignore[arg-type]

    # ------------------------------------------------------------ constructors
    @classmethod
    def from_table(
        cls,
        *,
        alphabet: Sequence[str],
        transitions: Mapping[Hashable, Mapping[str, Hashable]],
        start: Hashable,
        accept: Iterable[Hashable],
        name: str = "",
    ) -> "DFA":
        """Build from a (possibly partial) table keyed by state names.

        Missing transitions go to a new dead state. State names are kept as
        labels. Letters that are not in the alphabet raise
        :class:`~automata_probe.errors.AlphabetError`.
        """
        letters = check_alphabet(alphabet)
        accept = list(accept)
        index: dict[Hashable, int] = {}  # state name -> number, in first-seen order
        for q in [*transitions.keys(), start, *accept]:
            index.setdefault(q, len(index))
        letter_set = set(letters)
        for q, row in transitions.items():
            for a, t in row.items():
                if a not in letter_set:
                    raise AlphabetError(
                        f"state {q!r} has a transition on {a!r}, which is not in the alphabet"
                    )
                index.setdefault(t, len(index))
        names = list(index)
        dead: int | None = None
        rows: list[list[int]] = []
        for q in names:
            row = transitions.get(q, {})
            out = []
            for a in letters:
                if a in row:
                    out.append(index[row[a]])
                else:
                    if dead is None:
                        dead = len(names)
                    out.append(dead)
            rows.append(out)
        labels = [str(q) for q in names]
        if dead is not None:
            rows.append([dead] * len(letters))
            labels.append("dead")
        return cls(
            alphabet=letters,
            transitions=tuple(tuple(r) for r in rows),
            start=index[start],
            accepting=frozenset(index[q] for q in accept),
            name=name,
            state_labels=tuple(labels),
        )

    @classmethod
    def from_automata_lib(cls, dfa: Any, alphabet: Sequence[str] | None = None, name: str = "") -> "DFA":
        """Convert an ``automata.fa.dfa.DFA`` (possibly partial) to a complete DFA."""
        letters = tuple(alphabet) if alphabet is not None else tuple(sorted(dfa.input_symbols))
        extra = set(dfa.input_symbols) - set(letters)
        if extra:
            raise AlphabetError(f"automaton uses letters {sorted(extra)} outside the alphabet")
        table = {q: dict(dfa.transitions.get(q, {})) for q in dfa.states}
        # make state names printable and stable
        names = {q: str(q) for q in dfa.states}
        return cls.from_table(
            alphabet=letters,
            transitions={names[q]: {a: names[t] for a, t in row.items()} for q, row in table.items()},
            start=names[dfa.initial_state],
            accept=[names[q] for q in dfa.final_states],
            name=name,
        )

    def to_automata_lib(self) -> Any:
        """Convert to ``automata.fa.dfa.DFA`` (complete, states are ints)."""
        from automata.fa.dfa import DFA as ALDFA

        return ALDFA(
            states=set(range(self.n_states)),
            input_symbols=set(self.alphabet),
            transitions={
                q: {a: self.transitions[q][i] for i, a in enumerate(self.alphabet)}
                for q in range(self.n_states)
            },
            initial_state=self.start,
            final_states=set(self.accepting),
            allow_partial=False,
        )

    def to_networkx(self) -> "nx.MultiDiGraph":
        """A ``networkx.MultiDiGraph``; node attributes ``accepting``, ``start``,
        ``dead``, ``label``; edge attribute ``letter``."""
        import networkx as nx

        g = nx.MultiDiGraph(name=self.name)
        dead = self.dead_states
        for q in range(self.n_states):
            g.add_node(
                q,
                label=self.label(q),
                accepting=q in self.accepting,
                start=q == self.start,
                dead=q in dead,
            )
        for q in range(self.n_states):
            for i, a in enumerate(self.alphabet):
                g.add_edge(q, self.transitions[q][i], key=a, letter=a)
        return g

    def to_dot(self, *, hide_dead: bool = True) -> str:
        """Graphviz source; parallel edges are merged into one labelled edge."""
        dead = self.dead_states if hide_dead else frozenset()
        lines = [f'digraph "{self.name or "dfa"}" {{', "  rankdir=LR;", '  __start [shape=point, label=""];']
        for q in range(self.n_states):
            if q in dead:
                continue
            shape = "doublecircle" if q in self.accepting else "circle"
            lines.append(f'  {q} [shape={shape}, label="{self.label(q)}"];')
        lines.append(f"  __start -> {self.start};")
        for q in range(self.n_states):
            if q in dead:
                continue
            targets: dict[int, list[str]] = {}
            for i, a in enumerate(self.alphabet):
                t = self.transitions[q][i]
                if t not in dead:
                    targets.setdefault(t, []).append(a)
            for t, letters in targets.items():
                label = ",".join(letters).replace("\\", "\\\\").replace('"', '\\"')
                lines.append(f'  {q} -> {t} [label="{label}"];')
        lines.append("}")
        return "\n".join(lines) + "\n"

    # ---------------------------------------------------------- minimization
    def reachable(self) -> np.ndarray:
        """Reachable states in canonical BFS order (letters in alphabet order)."""
        return np.asarray(_bfs_order(self.transitions, self.start), dtype=np.int64)

    def renumber(self, order: Sequence[int]) -> "DFA":
        """Keep the states in ``order`` (closed under transitions), numbered by position."""
        order = [int(q) for q in order]
        new = {q: i for i, q in enumerate(order)}
        try:
            rows = tuple(tuple(new[r] for r in self.transitions[q]) for q in order)
        except KeyError as e:  # internal invariant: order must be closed
            raise DFAError(f"renumbering drops state {e.args[0]}, which is still reachable") from None
        labels = tuple(self.label(q) for q in order) if self.state_labels is not None else None
        return DFA(
            alphabet=self.alphabet,
            transitions=rows,
            start=new[self.start],
            accepting=frozenset(new[q] for q in self.accepting if q in new),
            name=self.name,
            state_labels=labels,
        )

    def canonical(self) -> "DFA":
        """Drop unreachable states and renumber in canonical BFS order."""
        return self.renumber(self.reachable())

    def equivalence_classes(self) -> np.ndarray:
        """Myhill-Nerode classes of the states (Moore's partition refinement).

        Returns an int array mapping each state to its class id.
        """
        classes = _moore_classes(self.transitions, self.accepting, range(self.n_states))
        return np.asarray([classes[q] for q in range(self.n_states)], dtype=np.int64)

    def minimize(self) -> "DFA":
        """The minimal complete DFA, canonically numbered (cached: a second call,
        or a call on the result, costs nothing).

        State labels are dropped (merged states have no single name) unless no
        two states were merged.
        """
        minimal = self.__dict__.get("_minimal")  # not a cached_property: its lock costs ~1 us
        if minimal is None:
            minimal = self.__dict__["_minimal"] = self._quotient()
        return minimal

    def _quotient(self) -> "DFA":
        # classes numbered by first appearance in BFS order already are the quotient's
        # canonical numbering: only a class's first state can discover a new class
        t = self.transitions
        order = _bfs_order(t, self.start)
        classes = _moore_classes(t, self.accepting, order)
        n_classes = max(classes.values()) + 1
        rows: list[tuple[int, ...]] = [()] * n_classes
        for q in order:
            rows[classes[q]] = tuple(map(classes.__getitem__, t[q]))
        merged = n_classes < len(order)  # merged states have no single name
        result = DFA._unchecked(
            alphabet=self.alphabet,
            transitions=tuple(rows),
            start=0,
            accepting=frozenset(classes[q] for q in self.accepting if q in classes),
            name=self.name,
            state_labels=None if merged or self.state_labels is None else tuple(map(self.label, order)),
        )
        result.__dict__["_minimal"] = result  # minimal already: minimize() returns it as it is
        return result

    @classmethod
    def _unchecked(cls, **fields: Any) -> "DFA":
        """A DFA from normal-form fields derived from a validated DFA, without
        ``__post_init__`` (its checks cost more than minimizing a small DFA)."""
        dfa = object.__new__(cls)
        dfa.__dict__.update(fields)  # a frozen dataclass keeps its fields in __dict__
        return dfa

    def is_minimal(self) -> bool:
        return self.minimize().n_states == self.n_states and len(self.reachable()) == self.n_states

    # ------------------------------------------------------- language algebra
    def with_name(self, name: str) -> "DFA":
        renamed = DFA(
            alphabet=self.alphabet,
            transitions=self.transitions,
            start=self.start,
            accepting=self.accepting,
            name=name,
            state_labels=self.state_labels,
        )
        if self.__dict__.get("_minimal") is self:
            renamed.__dict__["_minimal"] = renamed
        return renamed

    def complement(self) -> "DFA":
        return DFA(
            alphabet=self.alphabet,
            transitions=self.transitions,
            start=self.start,
            accepting=frozenset(range(self.n_states)) - self.accepting,
            name=f"~{self.name}" if self.name else "",
        )

    def product(
        self, other: "DFA", accept: Callable[[bool, bool], bool], *, max_states: int | None = None
    ) -> "DFA":
        """Reachable part of the product automaton; state ``(p, q)`` accepts when
        ``accept(p in F1, q in F2)``. Both DFAs must have the same alphabet.

        Raises :class:`~automata_probe.errors.StateSpaceTooLargeError` when the
        product would have more than ``max_states`` states (no limit: None).
        """
        check_same_alphabet(self, other)
        k = self.n_letters
        index: dict[tuple[int, int], int] = {(self.start, other.start): 0}
        pairs = [(self.start, other.start)]
        rows: list[tuple[int, ...]] = []
        t1, t2 = self.transitions, other.transitions
        for p, q in pairs:  # the list grows while we walk it
            row = []
            for i in range(k):
                pq = (t1[p][i], t2[q][i])
                j = index.get(pq)
                if j is None:
                    j = index[pq] = len(pairs)
                    if max_states is not None and j >= max_states:
                        raise StateSpaceTooLargeError(f"the product automaton has more than {max_states:,} states")
                    pairs.append(pq)
                row.append(j)
            rows.append(tuple(row))
        acc = frozenset(
            i for i, (p, q) in enumerate(pairs) if accept(p in self.accepting, q in other.accepting)
        )
        return DFA(
            alphabet=self.alphabet,
            transitions=tuple(rows),
            start=0,
            accepting=acc,
            state_labels=tuple(f"({self.label(p)},{other.label(q)})" for p, q in pairs),
        )

    def intersection(self, other: "DFA") -> "DFA":
        return self.product(other, lambda a, b: a and b)

    def union(self, other: "DFA") -> "DFA":
        return self.product(other, lambda a, b: a or b)

    def symmetric_difference(self, other: "DFA") -> "DFA":
        return self.product(other, lambda a, b: a != b)

    def is_empty(self) -> bool:
        return not self.live_mask[self.start]

    def shortest_accepted(self) -> tuple[str, ...] | None:
        """The shortest accepted word (first in BFS order), or None if empty."""
        parent: dict[int, tuple[int, int]] = {}
        seen = {self.start}
        queue = deque([self.start])
        while queue:
            q = queue.popleft()
            if q in self.accepting:
                word = []
                while q in parent:  # the start state has no parent
                    p, i = parent[q]
                    word.append(self.alphabet[i])
                    q = p
                return tuple(reversed(word))
            for i, r in enumerate(self.transitions[q]):
                if r not in seen:
                    seen.add(r)
                    parent[r] = (q, i)
                    queue.append(r)
        return None

    def count_words(self, max_length: int, *, accepted: bool = True) -> list[int]:
        """Exact number of accepted (or rejected) words of each length ``0..max_length``."""
        counts = _count_by_length(self.table, self.start, self.accept_mask, max_length)
        if accepted:
            return counts
        k = self.n_letters
        return [k**n - c for n, c in enumerate(counts)]


def check_same_alphabet(a: DFA, b: DFA) -> None:
    """Raise :class:`AlphabetError` unless ``a`` and ``b`` share one alphabet (as sets)."""
    if set(a.alphabet) != set(b.alphabet):
        raise AlphabetError(
            f"alphabets differ: {a.name or 'first'} has {{{', '.join(a.alphabet)}}}, "
            f"{b.name or 'second'} has {{{', '.join(b.alphabet)}}}"
        )


def align_alphabet(dfa: DFA, alphabet: Sequence[str], *, what: str = "the model") -> DFA:
    """``dfa`` with its letters in the order of ``alphabet`` (a tokenizer's, or another DFA's).

    Raises
    ------
    AlphabetError
        If the two alphabets are not the same set of letters (the message says
        that ``what`` reads ``alphabet``).
    """
    alphabet = tuple(alphabet)
    if set(alphabet) != set(dfa.alphabet) or len(alphabet) != len(dfa.alphabet):
        raise AlphabetError(
            f"alphabet mismatch: {what} reads {{{', '.join(alphabet)}}} but {dfa.name or 'the language'} "
            f"has {{{', '.join(dfa.alphabet)}}}"
        )
    if alphabet == dfa.alphabet:
        return dfa
    perm = [dfa.letter_index[a] for a in alphabet]
    return DFA(
        alphabet=alphabet,
        transitions=tuple(tuple(row[j] for j in perm) for row in dfa.transitions),
        start=dfa.start,
        accepting=dfa.accepting,
        name=dfa.name,
        state_labels=dfa.state_labels,
    )


def _aligned(a: DFA, b: DFA) -> DFA:
    """``b`` with its letters in ``a``'s order (same set of letters, else AlphabetError)."""
    check_same_alphabet(a, b)
    return align_alphabet(b, a.alphabet)


def run_table(table: np.ndarray, start: int, indices: np.ndarray) -> np.ndarray:
    """Run a transition table over a batch of encoded words: the one DFA runner.

    ``table`` is ``(n_states, k)``; ``indices`` is ``(B, L)`` letter indices;
    returns the ``(B, L + 1)`` states visited, column 0 the start state. Works
    for any deterministic table (a DFA's, a monoid's Cayley graph).
    """
    idx = np.asarray(indices, dtype=np.int64)
    B, L = idx.shape
    states = np.empty((B, L + 1), dtype=np.int64)  # (B, L+1)
    states[:, 0] = start
    for t in range(L):
        states[:, t + 1] = table[states[:, t], idx[:, t]]
    return states


def _bfs_order(transitions: Sequence[Sequence[int]], start: int) -> list[int]:
    """The states reachable from ``start`` in BFS order, letters in alphabet order."""
    order = [start]
    seen = {start}
    for q in order:  # the list grows while we walk it
        for r in transitions[q]:
            if r not in seen:
                seen.add(r)
                order.append(r)
    return order


def _moore_classes(
    transitions: Sequence[Sequence[int]], accepting: frozenset[int], order: Iterable[int]
) -> dict[int, int]:
    """Moore's partition refinement over the states in ``order`` (closed under
    transitions): state -> class id, classes numbered by first appearance.

    Pure Python on tuples: for the automata this package meets, faster than
    array round trips, and it is the only minimization in the package.
    """
    states = list(order)
    cls = {q: int(q in accepting) for q in states}
    count = len(set(cls.values()))
    while True:
        ids: dict[tuple[int, ...], int] = {}
        new = {q: ids.setdefault((cls[q], *[cls[r] for r in transitions[q]]), len(ids)) for q in states}
        if len(ids) == count:
            return new
        cls, count = new, len(ids)


def _count_by_length(table: np.ndarray, start: int, mask: np.ndarray, max_length: int) -> list[int]:
    """Exact counts (Python ints) of words of each length that end in ``mask``."""
    n = table.shape[0]
    vec = [0] * n
    vec[start] = 1
    rows = table.tolist()
    out = []
    marked = [bool(x) for x in mask]
    for length in range(max_length + 1):
        out.append(sum(c for c, m in zip(vec, marked) if m))
        if length == max_length:
            break
        new = [0] * n
        for q, c in enumerate(vec):
            if c:
                for r in rows[q]:
                    new[r] += c
        vec = new
    return out


def find_counterexample(a: DFA, b: DFA) -> tuple[str, ...] | None:
    """The shortest word on which ``a`` and ``b`` disagree (first in BFS order
    over letters in ``a``'s alphabet order), or None if they are equivalent."""
    return a.symmetric_difference(_aligned(a, b)).shortest_accepted()


def are_equivalent(a: DFA, b: DFA) -> bool:
    """True when ``a`` and ``b`` accept the same language."""
    return find_counterexample(a, b) is None


def disagreement_counts(a: DFA, b: DFA, max_length: int) -> list[int]:
    """Exact number of words of each length ``0..max_length`` on which ``a`` and
    ``b`` disagree, by dynamic programming over the product automaton."""
    diff = a.symmetric_difference(_aligned(a, b))
    return diff.count_words(max_length)
