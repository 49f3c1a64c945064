"""Automata given by functions (a start state, a step, an acceptance test), explored lazily."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Hashable, Sequence

from ..errors import StateSpaceTooLargeError
from .dfa import DFA
from .nfa import DFA_FLAG
from .words import check_alphabet

__all__ = ["ImplicitDFA"]


@dataclass(frozen=True, kw_only=True)
class ImplicitDFA:
    """An automaton given by functions, explored lazily.

    ``step(state, letter)`` returns the next state, or ``None`` for the dead
    state. States may be any hashable value. :meth:`materialize` explores by
    breadth-first search up to ``max_states`` and returns an explicit
    :class:`DFA` (state labels are ``str(state)``).
    """

    name: str
    alphabet: tuple[str, ...]
    start: Hashable
    step: Callable[[Any, str], Any]
    accepting: Callable[[Any], bool]
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "alphabet", check_alphabet(self.alphabet))

    def accepts(self, word: Sequence[str]) -> bool:
        q = self.start
        for a in word:
            q = self.step(q, a)
            if q is None:
                return False
        return bool(self.accepting(q))

    def materialize(self, max_states: int = 200_000) -> DFA:
        index: dict[Hashable, int] = {self.start: 0}
        order: list[Hashable] = [self.start]
        rows: list[list[int]] = []
        dead: int | None = None
        head = 0
        while head < len(order):
            q = order[head]
            head += 1
            row = []
            for a in self.alphabet:
                r = self.step(q, a)
                if r is None:
                    if dead is None:
                        dead = -1  # placed after the live states
                    row.append(-1)
                    continue
                j = index.get(r)
                if j is None:
                    if len(order) >= max_states:
                        raise StateSpaceTooLargeError(
                            f"language {self.name!r} has more than {max_states:,} reachable states; "
                            f"raise the limit with {DFA_FLAG}"
                        )
                    j = index[r] = len(order)
                    order.append(r)
                row.append(j)
            rows.append(row)
        labels = [str(q) for q in order]
        accepting = {i for i, q in enumerate(order) if self.accepting(q)}
        if dead is not None:
            d = len(order)
            rows = [[d if t == -1 else t for t in row] for row in rows]
            rows.append([d] * len(self.alphabet))
            labels.append("dead")
        return DFA(
            alphabet=self.alphabet,
            transitions=tuple(tuple(r) for r in rows),
            start=0,
            accepting=frozenset(accepting),
            name=self.name,
            state_labels=tuple(labels),
        )
