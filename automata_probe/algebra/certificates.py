"""Certificates of non-star-freeness, and the early-exit search for their word ``w``.

A language is not star-free when membership of ``x w^n y`` cycles in ``n``
with a period ``p > 1``: :meth:`Certificate.check` re-verifies this on any DFA
for the language. :func:`quick_search` looks for a shortest ``w`` in pure
Python before any vectorized enumeration, so short witnesses cost
microseconds; :func:`certificate_for` then finds shortest ``x`` and ``y``.

The other way round, :func:`preserves_state_order` is a sufficient condition
for star-freeness that needs no enumeration at all (D_n of any depth meets it).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ..automata.dfa import DFA
from ..automata.words import format_word
from ..errors import DFAError

__all__ = ["Certificate", "certificate_for", "preserves_state_order", "quick_search"]

#: Work budget (elements x states) of the pure-Python search for a short
#: periodic word that runs before the vectorized enumeration.
_QUICK_BUDGET = 20_000


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
    #: The language's alphabet, when known (it decides how words print: over
    #: ``{a, b, ab}`` the word ``(a, b)`` prints ``a b``); not part of ``==``.
    alphabet: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("x", "w", "y", "alphabet"):
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
        # without the alphabet, the letters of all three words decide together
        letters = self.alphabet or (*self.x, *self.w, *self.y)
        x, w, y = (format_word(v, letters) for v in (self.x, self.w, self.y))
        return f"x = {x}, w = {w}, y = {y}, period {self.period}"


def _cycle_point(y: Sequence[int]) -> int | None:
    """A state on a cycle of length > 1 of the map ``y``, or None."""
    return next((c[0] for c in _cycles(y) if len(c) > 1), None)


def quick_search(
    transitions: Sequence[Sequence[int]], budget: int | None = None, max_monoid: int | None = None
) -> tuple[str, tuple[int, ...] | None, tuple[int, ...]]:
    """Breadth-first search (same order as :func:`enumerate_monoid`) for the first
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


def preserves_state_order(dfa: DFA) -> bool:
    """Whether every letter of the minimal ``dfa`` preserves the order of its
    live states (canonical BFS numbering): ``q < q'`` implies ``q.a <= q'.a``
    wherever both images are live.

    Then the language is star-free: every element of the transition monoid
    is an order-preserving partial map of the live states (the dead state is
    an absorbing zero), and such a map has no cycle of length > 1 (an orbit
    that stays live is monotone, so it can only return to its start by
    standing still). Dyck-1 of bounded depth (D_n) is the textbook case:
    ``a`` and ``b`` shift the depth up and down.
    """
    dead = dfa.dead
    rows = dfa.transitions
    for a in range(dfa.n_letters):
        last = -1
        for q in range(dfa.n_states):
            if q == dead:
                continue
            t = rows[q][a]
            if t == dead:
                continue
            if t < last:
                return False
            last = t
    return True


def certificate_for(dfa: DFA, w: tuple[int, ...], y_map: Sequence[int]) -> Certificate:
    """Build ``x, w, y, p`` from a word ``w`` whose map ``y_map`` has a cycle
    of length > 1 on the minimal ``dfa`` (every state reachable, all states
    pairwise distinguishable)."""
    # states on non-trivial cycles of w
    on_cycle = {q for cycle in _cycles(y_map) if len(cycle) > 1 for q in cycle}
    if not on_cycle:  # pragma: no cover - caller guarantees a cycle
        raise DFAError("the word of a certificate must act with a non-trivial cycle")
    target, x_idx = _shortest_path_into(dfa, on_cycle)
    cycle = [target]
    while y_map[cycle[-1]] != target:
        cycle.append(y_map[cycle[-1]])
    y_idx, members = _shortest_separator(dfa, tuple(cycle))
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
        alphabet=letters,
    )


def _shortest_path_into(dfa: DFA, targets: set[int]) -> tuple[int, list[int]]:
    """The first state of ``targets`` that BFS from the start reaches (letters
    in order), and the letter indices of a shortest word leading there."""
    parent: dict[int, tuple[int, int] | None] = {dfa.start: None}
    queue = deque([dfa.start])
    target = None
    while queue:
        q = queue.popleft()
        if q in targets:
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
    return target, x_idx


def _shortest_separator(dfa: DFA, cycle: tuple[int, ...]) -> tuple[list[int], list[bool]]:
    """A shortest word ``y`` (letter indices) after which the states of
    ``cycle`` do not all agree on acceptance (BFS over tuples of states), and
    the acceptance of each of them after ``y``."""
    accept = dfa.accept_mask
    seen: dict[tuple[int, ...], tuple[tuple[int, ...], int] | None] = {cycle: None}
    queue = deque([cycle])
    found = None
    while queue:
        t = queue.popleft()
        values = {bool(accept[s]) for s in t}
        if len(values) > 1:
            found = t
            break
        for a in range(dfa.n_letters):
            u = tuple(dfa.transitions[s][a] for s in t)
            if u not in seen:
                seen[u] = (t, a)
                queue.append(u)
    if found is None:  # pragma: no cover - impossible in a minimal DFA
        raise DFAError("the DFA is not minimal: two states on a cycle cannot be told apart")
    y_idx: list[int] = []
    t = found
    while seen[t] is not None:
        pt, a = seen[t]  # type: ignore[misc]
        y_idx.append(a)
        t = pt
    y_idx.reverse()
    return y_idx, [bool(accept[s]) for s in found]


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
