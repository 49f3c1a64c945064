"""Thompson NFAs for the regex compiler, in pure Python (no dependency).

Thompson (1968): every subexpression becomes a fragment with one entry and
one exit state, joined by empty (epsilon) arcs. The :class:`ThompsonNFA`
exposes the attributes the compiler's subset construction reads
(``states``, ``transitions`` as ``{state: {symbol: set(states)}}`` with
``""`` for the empty word, ``initial_state``, ``final_states``), the same as
automata-lib's NFA, which remains the readable reference the tests compare
with. Importing automata-lib pulls in networkx (a third of a second); this
module keeps ``is-star-free '(ab)*'`` from paying for it.
"""

from __future__ import annotations

from typing import Iterable

from .dfa import DFA

__all__ = ["Fragment", "ThompsonNFA"]

#: ``(entry, exit)`` states of a fragment.
Fragment = tuple[int, int]


class ThompsonNFA:
    """A growing epsilon-NFA; fragments are built in it and joined.

    ``symbols`` are the arc labels (any strings but ``""``, the empty word).
    """

    def __init__(self) -> None:
        self.transitions: dict[int, dict[str, set[int]]] = {}
        self.initial_state = 0
        self.final_states: set[int] = set()

    @property
    def states(self) -> range:
        return range(len(self.transitions))

    def state(self) -> int:
        q = len(self.transitions)
        self.transitions[q] = {}
        return q

    def arc(self, p: int, symbol: str, q: int) -> None:
        self.transitions[p].setdefault(symbol, set()).add(q)

    # ------------------------------------------------------------ fragments
    def symbols(self, symbols: Iterable[str]) -> Fragment:
        """One letter out of ``symbols``."""
        s, t = self.state(), self.state()
        for a in symbols:
            self.arc(s, a, t)
        return s, t

    def epsilon(self) -> Fragment:
        s, t = self.state(), self.state()
        self.arc(s, "", t)
        return s, t

    def empty(self) -> Fragment:
        """The empty language: the exit cannot be reached."""
        return self.state(), self.state()

    def concat(self, parts: list[Fragment]) -> Fragment:
        for (_, t), (s, _) in zip(parts, parts[1:]):
            self.arc(t, "", s)
        return parts[0][0], parts[-1][1]

    def union(self, options: list[Fragment]) -> Fragment:
        s, t = self.state(), self.state()
        for a, b in options:
            self.arc(s, "", a)
            self.arc(b, "", t)
        return s, t

    def star(self, f: Fragment) -> Fragment:
        s, t = self.state(), self.state()
        self.arc(s, "", f[0])
        self.arc(s, "", t)
        self.arc(f[1], "", f[0])
        self.arc(f[1], "", t)
        return s, t

    def option(self, f: Fragment) -> Fragment:
        s, t = self.state(), self.state()
        self.arc(s, "", f[0])
        self.arc(s, "", t)
        self.arc(f[1], "", t)
        return s, t

    def dfa(self, dfa: DFA, code: dict[str, str]) -> Fragment:
        """A copy of ``dfa`` (its letters renamed by ``code``) as a fragment."""
        base = len(self.transitions)
        for _ in range(dfa.n_states):
            self.state()
        t = self.state()
        for q in range(dfa.n_states):
            for i, a in enumerate(dfa.alphabet):
                self.arc(base + q, code[a], base + dfa.transitions[q][i])
            if q in dfa.accepting:
                self.arc(base + q, "", t)
        return base + dfa.start, t

    def finish(self, f: Fragment) -> "ThompsonNFA":
        """Make ``f`` the whole automaton: its entry initial, its exit final."""
        self.initial_state = f[0]
        self.final_states = {f[1]}
        return self
