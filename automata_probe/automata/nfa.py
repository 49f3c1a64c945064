"""Epsilon-NFAs for the regex compiler: Thompson fragments and the subset construction, under budgets.

:class:`NFABuilder` grows one automaton in flat lists (state ``i`` has letter
moves ``moves[i]``, pairs ``(letter index, target)``, and epsilon moves
``eps[i]``) out of fragments, the pieces of Thompson's construction: a
:class:`Fragment` is a start state with no incoming move and an end state
with no outgoing one, so fragments combine by epsilon moves alone. Its
states are the contiguous range ``lo..`` of the lists, which is what lets
``r{m,n}`` copy a fragment by an offset instead of building ``r`` again.

:meth:`NFABuilder.to_dfa` is the subset construction. Sets of states are
frozensets of the states that have a letter move (plus the end), and the
epsilon closure of each state is computed once, over the strongly connected
components of the epsilon graph (Tarjan, iteratively), with a closure shared
rather than copied where it cannot grow: linear in the epsilon graph for a
30,000-way alternation, where a closure per state from scratch is quadratic.

Every loop is iterative (no recursion depth to run out of), and three
budgets turn a blow-up into a :class:`~automata_probe.errors.StateSpaceTooLargeError`
that names the limit: ``max_nfa_states`` (the NFA, checked before each
fragment is copied), ``max_states`` (states of any DFA built on the way) and
the memory of the subset construction (``SUBSET_ENTRIES_PER_STATE`` NFA
states per allowed DFA state, in the sets and closures it keeps).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ..errors import ParameterError, StateSpaceTooLargeError
from .dfa import DFA

__all__ = [
    "Fragment",
    "NFABuilder",
    "DEFAULT_MAX_NFA_STATES",
    "DEFAULT_MAX_DFA_STATES",
    "SUBSET_ENTRIES_PER_STATE",
    "NFA_FLAG",
    "DFA_FLAG",
]

#: Default cap on the states of the Thompson NFA of a regex (its bounded
#: repetitions written out): about 150 MB of lists.
DEFAULT_MAX_NFA_STATES = 1_000_000
#: Default cap on the states of any DFA the regex compiler builds (the subset
#: construction, a product for ``&``); the same default as generated families.
DEFAULT_MAX_DFA_STATES = 200_000
#: The subset construction may keep this many NFA states (in its sets and
#: closures) per allowed DFA state: 10 million entries, about 0.5 GB, by default.
SUBSET_ENTRIES_PER_STATE = 50
#: How a user raises each limit (named in the error messages).
NFA_FLAG = "max_nfa_states= (command line: --max-nfa-states)"
DFA_FLAG = "max_states= (command line: --max-states)"

_EMPTY: frozenset[int] = frozenset()


@dataclass(frozen=True, kw_only=True)
class Fragment:
    """A piece of an NFA under construction.

    ``start`` has no incoming move and ``end`` no outgoing one; the
    fragment's states are ``lo`` to ``hi - 1``. ``dfa`` is the minimal DFA the fragment was made from, when it was (a
    complement or an intersection), so it is not determinized again.
    """

    start: int
    end: int
    lo: int
    hi: int
    dfa: DFA | None = None


def _check_limit(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ParameterError(f"{name} must be a positive integer, not {value!r}")
    return value


class NFABuilder:
    """Grow one epsilon-NFA over letters ``0..n_letters-1`` out of fragments.

    Parameters
    ----------
    n_letters
        Size of the alphabet (letters are indices).
    max_nfa_states
        Cap on the states of the NFA.
    max_states
        Cap on the states of every DFA built from it (:meth:`to_dfa`,
        :meth:`intersection`).
    what
        How error messages name the automaton (``"regex '(a|b)*'"``).
    """

    def __init__(
        self,
        n_letters: int,
        *,
        max_nfa_states: int = DEFAULT_MAX_NFA_STATES,
        max_states: int = DEFAULT_MAX_DFA_STATES,
        what: str = "the regex",
    ):
        self.n_letters = n_letters
        self.max_nfa_states = _check_limit("max_nfa_states", max_nfa_states)
        self.max_states = _check_limit("max_states", max_states)
        self.what = what
        self.moves: list[tuple[tuple[int, int], ...] | None] = []
        self.eps: list[list[int] | None] = []

    def __len__(self) -> int:
        return len(self.moves)

    # ------------------------------------------------------------ states
    def _reserve(self, n: int) -> None:
        if len(self.moves) + n > self.max_nfa_states:
            raise StateSpaceTooLargeError(
                f"{self.what} needs an NFA of more than {self.max_nfa_states:,} states "
                f"({len(self.moves):,} built, {n:,} more wanted); raise the limit with {NFA_FLAG}"
            )

    def _state(self, moves: tuple[tuple[int, int], ...] | None = None) -> int:
        self._reserve(1)
        self.moves.append(moves)
        self.eps.append(None)
        return len(self.moves) - 1

    def _link(self, a: int, b: int) -> None:
        """An epsilon move from ``a`` to ``b``."""
        out = self.eps[a]
        if out is None:
            self.eps[a] = [b]
        else:
            out.append(b)

    def _fragment(self, start: int, end: int, lo: int, dfa: DFA | None = None) -> Fragment:
        """The fragment from ``start`` to ``end`` made of the states from ``lo`` on."""
        return Fragment(start=start, end=end, lo=lo, hi=len(self), dfa=dfa)

    def truncate(self, lo: int) -> None:
        """Forget the states from ``lo`` on (a fragment that was only needed for its DFA)."""
        del self.moves[lo:], self.eps[lo:]

    # --------------------------------------------------------- fragments
    def letters(self, indices: Sequence[int]) -> Fragment:
        """One letter out of ``indices`` (a letter, a class, ``.``)."""
        lo = len(self)
        self._reserve(2)
        end = lo + 1
        self._state(tuple((i, end) for i in indices))
        self._state()
        return self._fragment(lo, end, lo)

    def epsilon(self) -> Fragment:
        """The empty word."""
        lo = len(self)
        self._reserve(2)
        self._state()
        self._state()
        self._link(lo, lo + 1)
        return self._fragment(lo, lo + 1, lo)

    def empty(self) -> Fragment:
        """The empty language (no path from start to end)."""
        lo = len(self)
        self._reserve(2)
        self._state()
        self._state()
        return self._fragment(lo, lo + 1, lo)

    def concat(self, parts: Sequence[Fragment]) -> Fragment:
        for a, b in zip(parts, parts[1:]):
            self._link(a.end, b.start)
        return self._fragment(parts[0].start, parts[-1].end, parts[0].lo)

    def union(self, options: Sequence[Fragment]) -> Fragment:
        self._reserve(2)
        start, end = self._state(), self._state()
        self.eps[start] = [f.start for f in options]
        for f in options:
            self._link(f.end, end)
        return self._fragment(start, end, options[0].lo)

    def copy(self, f: Fragment) -> Fragment:
        """A fresh copy of ``f`` (its moves lead nowhere outside ``f.lo..f.hi``)."""
        lo = len(self)
        self._reserve(f.hi - f.lo)
        offset = lo - f.lo
        for i in range(f.lo, f.hi):
            mv, ep = self.moves[i], self.eps[i]
            self.moves.append(None if mv is None else tuple((a, t + offset) for a, t in mv))
            self.eps.append(None if ep is None else [t + offset for t in ep])
        return self._fragment(f.start + offset, f.end + offset, lo)

    def repeat(self, f: Fragment, low: int, high: int | None) -> Fragment:
        """``f{low,high}`` (``high`` None: unbounded); ``f`` must be the last fragment built.

        ``f{0,n}`` is built nested, ``(f(f(f)?)?)?``, not as ``f?f?f?``: the
        nested form keeps the subset construction's sets small (``a{0,1000}``
        has sets of two states, not of a thousand).
        """
        if high == 0:
            self.truncate(f.lo)
            return self.epsilon()
        if high is None and low == 0:  # f*: a fresh start and end around a loop
            self._reserve(2)
            start, end = self._state(), self._state()
            self.eps[start] = [f.start, end]
            self._link(f.end, f.start)
            self._link(f.end, end)
            return self._fragment(start, end, f.lo)
        copies = low if high is None else high
        new_states = 1 if high is None else (0 if high == low else high - low + 1)  # ends and gates
        self._reserve((copies - 1) * (f.hi - f.lo) + new_states)
        parts = [f] + [self.copy(f) for _ in range(copies - 1)]
        if high is None:  # f{low,}: the last copy loops
            last, end = parts[-1], self._state()
            self.concat(parts)
            self._link(last.end, last.start)
            self._link(last.end, end)
            return self._fragment(f.start, end, f.lo)
        if high == low:
            return self.concat(parts)
        end = self._state()
        gates = []
        for part in parts[low:]:  # each optional copy may be skipped, straight to the end
            gate = self._state()
            self.eps[gate] = [part.start, end]
            gates.append(gate)
        for part, gate in zip(parts[low:], gates[1:]):
            self._link(part.end, gate)
        self._link(parts[-1].end, end)
        if not low:
            return self._fragment(gates[0], end, f.lo)
        self._link(parts[low - 1].end, gates[0])
        for a, b in zip(parts[: low - 1], parts[1:low]):
            self._link(a.end, b.start)
        return self._fragment(f.start, end, f.lo)

    def from_dfa(self, dfa: DFA) -> Fragment:
        """The fragment of a (minimal, complete) DFA: its states, less the dead
        one, with a fresh start and end; the result keeps ``dfa``."""
        lo = len(self)
        dead = dfa.dead
        keep = [q for q in range(dfa.n_states) if q != dead]
        self._reserve(len(keep) + 2)
        index = {q: lo + 2 + j for j, q in enumerate(keep)}
        start, end = self._state(), self._state()
        for q in keep:
            row = dfa.transitions[q]
            self._state(tuple((a, index[t]) for a, t in enumerate(row) if t != dead) or None)
        if dfa.start != dead:
            self.eps[start] = [index[dfa.start]]
        for q in dfa.accepting:
            if q != dead:
                self._link(index[q], end)
        return self._fragment(start, end, lo, dfa)

    # -------------------------------------------------- subset construction
    def to_dfa(self, f: Fragment, alphabet: Sequence[str]) -> DFA:
        """The DFA of ``f`` by the subset construction (complete, breadth-first
        numbering, letters in alphabet order; not minimized)."""
        if f.dfa is not None:
            return f.dfa
        return _Subsets(self, f).run(tuple(alphabet))

    def intersection(self, dfas: Sequence[DFA]) -> DFA:
        """The minimal DFA of the intersection, by products of reachable pairs,
        each under ``max_states``."""
        out = dfas[0]
        for other in dfas[1:]:
            out = _product(out, other, self.max_states, self.what).minimize()
        return out


class _Subsets:
    """One subset construction (the closures depend on which state is final)."""

    def __init__(self, nfa: NFABuilder, f: Fragment):
        self.nfa = nfa
        self.final = f.end
        self.root = f.start
        self.closures: dict[int, frozenset[int]] = {}
        self.steps: dict[int, list[tuple[int, frozenset[int]]]] = {}
        self.entries = 0
        self.n_dfa = 0
        self.max_entries = nfa.max_states * SUBSET_ENTRIES_PER_STATE

    def _count(self, n: int) -> None:
        self.entries += n
        if self.entries > self.max_entries:
            raise StateSpaceTooLargeError(
                f"{self.nfa.what}: the subset construction keeps more than {self.max_entries:,} NFA states "
                f"in its sets ({self.n_dfa:,} DFA states so far; the budget is {SUBSET_ENTRIES_PER_STATE} "
                f"per allowed DFA state); raise the limit with {DFA_FLAG}"
            )

    def closure(self, root: int) -> frozenset[int]:
        """The states with a letter move (or final) reachable from ``root`` by epsilon moves."""
        done = self.closures
        if root in done:
            return done[root]
        eps, moves, final = self.nfa.eps, self.nfa.moves, self.final
        index: dict[int, int] = {}
        low: dict[int, int] = {}
        stack: list[int] = []
        on_stack: set[int] = set()
        work = [(root, 0)]
        while work:  # Tarjan's algorithm with an explicit stack
            v, i = work.pop()
            succ = eps[v] or ()
            if i == 0:
                index[v] = low[v] = len(index)
                stack.append(v)
                on_stack.add(v)
            else:  # back from succ[i - 1]
                w = succ[i - 1]
                if w not in done:
                    low[v] = min(low[v], low[w])
            while i < len(succ):
                w = succ[i]
                i += 1
                if w in done:
                    continue
                if w not in index:
                    work.append((v, i))
                    work.append((w, 0))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                if low[v] == index[v]:
                    self._close_component(v, stack, on_stack)
        return done[root]

    def _close_component(self, v: int, stack: list[int], on_stack: set[int]) -> None:
        """Pop the component of ``v`` off Tarjan's stack and give its states their closure."""
        eps, moves, done = self.nfa.eps, self.nfa.moves, self.closures
        members = []
        while True:
            w = stack.pop()
            on_stack.discard(w)
            members.append(w)
            if w == v:
                break
        inside = set(members)
        own = [m for m in members if moves[m] is not None or m == self.final]
        below: dict[int, frozenset[int]] = {}
        for m in members:
            for w in eps[m] or ():
                if w not in inside:
                    c = done[w]
                    below[id(c)] = c
        if not own and len(below) == 1:  # nothing new: share the one closure below
            closure = next(iter(below.values()))
        elif not own and not below:
            closure = _EMPTY
        else:
            closure = frozenset(own).union(*below.values())
            self._count(len(closure))
        for m in members:
            done[m] = closure

    def step(self, i: int) -> list[tuple[int, frozenset[int]]]:
        """``(letter, closure of the target)`` for each letter move of ``i``."""
        out = self.steps.get(i)
        if out is None:
            targets: dict[int, frozenset[int]] = {}
            out = []
            for a, t in self.nfa.moves[i] or ():
                c = targets.get(t)
                if c is None:
                    c = targets[t] = self.closure(t)
                out.append((a, c))
            self.steps[i] = out
        return out

    def run(self, alphabet: tuple[str, ...]) -> DFA:
        k = len(alphabet)
        limit = self.nfa.max_states
        start = self.closure(self.root)
        ids = {start: 0}
        order = [start]
        rows: list[tuple[int, ...]] = []
        for subset in order:  # the list grows while we walk it
            buckets: list[list[frozenset[int]]] = [[] for _ in range(k)]
            for i in subset:
                for a, c in self.step(i):
                    buckets[a].append(c)
            row = []
            for parts in buckets:
                if not parts:
                    succ = _EMPTY
                elif len(parts) == 1:
                    succ = parts[0]
                else:
                    succ = frozenset().union(*parts)
                j = ids.get(succ)
                if j is None:
                    j = ids[succ] = len(order)
                    if j >= limit:
                        raise StateSpaceTooLargeError(
                            f"{self.nfa.what} has a DFA of more than {limit:,} states (the subset "
                            f"construction passed {limit:,}); raise the limit with {DFA_FLAG}"
                        )
                    order.append(succ)
                    self.n_dfa = len(order)
                    self._count(len(succ))
                row.append(j)
            rows.append(tuple(row))
        final = self.final
        return DFA(
            alphabet=alphabet,
            transitions=tuple(rows),
            start=0,
            accepting=frozenset(j for j, s in enumerate(order) if final in s),
        )


def _product(a: DFA, b: DFA, limit: int, what: str) -> DFA:
    """Reachable part of the intersection product, with at most ``limit`` states."""
    try:
        return a.product(b, lambda x, y: x and y, max_states=limit)
    except StateSpaceTooLargeError:
        raise StateSpaceTooLargeError(
            f"{what}: an intersection (&) has a product automaton of more than {limit:,} states; "
            f"raise the limit with {DFA_FLAG}"
        ) from None
