"""The NFA builder and its subset construction against a readable reference:
closures by a plain search from each state, subsets of all NFA states."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from automata_probe.automata.dfa import DFA, are_equivalent
from automata_probe.automata.nfa import Fragment, NFABuilder, _Subsets
from automata_probe.errors import ParameterError, StateSpaceTooLargeError


def reference_closure(b: NFABuilder, root: int, final: int) -> frozenset[int]:
    """States with a letter move (or final) reachable from ``root`` by epsilon moves: a plain search."""
    seen, stack = {root}, [root]
    while stack:
        for w in b.eps[stack.pop()] or ():
            if w not in seen:
                seen.add(w)
                stack.append(w)
    return frozenset(q for q in seen if b.moves[q] is not None or q == final)


def reference_dfa(b: NFABuilder, f: Fragment, alphabet: tuple[str, ...]) -> DFA:
    """The textbook subset construction over sets of all NFA states."""

    def close(states: set[int]) -> frozenset[int]:
        seen, stack = set(states), list(states)
        while stack:
            for w in b.eps[stack.pop()] or ():
                if w not in seen:
                    seen.add(w)
                    stack.append(w)
        return frozenset(seen)

    start = close({f.start})
    ids, order, rows = {start: 0}, [start], []
    for s in order:
        row = []
        for a in range(len(alphabet)):
            succ = close({t for q in s for x, t in b.moves[q] or () if x == a})
            if succ not in ids:
                ids[succ] = len(order)
                order.append(succ)
            row.append(ids[succ])
        rows.append(tuple(row))
    return DFA(alphabet=alphabet, transitions=tuple(rows), start=0,
               accepting=frozenset(i for i, s in enumerate(order) if f.end in s))


@st.composite
def random_nfas(draw):  # noqa: ANN001, ANN201
    """A random epsilon-NFA with cycles of epsilon moves (which Thompson fragments make too)."""
    n = draw(st.integers(2, 12))
    b = NFABuilder(2)
    for _ in range(n):
        moves = draw(st.lists(st.tuples(st.integers(0, 1), st.integers(0, n - 1)), max_size=3))
        b.moves.append(tuple(moves) or None)
        eps = draw(st.lists(st.integers(0, n - 1), max_size=3))
        b.eps.append(eps or None)
    start, end = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
    return b, Fragment(start=start, end=end, lo=0, hi=n)


@settings(max_examples=150, deadline=None)
@given(random_nfas())
def test_closures_over_components_equal_a_plain_search(case):  # noqa: ANN001
    b, f = case
    subsets = _Subsets(b, f)
    for q in range(len(b)):
        assert subsets.closure(q) == reference_closure(b, q, f.end), q


@settings(max_examples=150, deadline=None)
@given(random_nfas())
def test_subset_construction_equals_the_textbook_one(case):  # noqa: ANN001
    b, f = case
    assert are_equivalent(b.to_dfa(f, ("a", "b")), reference_dfa(b, f, ("a", "b")))


@pytest.mark.parametrize("low, high", [(0, 0), (0, 1), (1, 1), (0, 3), (2, 4), (3, 3), (0, None), (1, None), (3, None)])
def test_repeat_of_a_two_letter_word(low, high):  # noqa: ANN001
    b = NFABuilder(2)
    ab = b.concat([b.letters([0]), b.letters([1])])
    dfa = b.to_dfa(b.repeat(ab, low, high), ("a", "b"))
    for k in range(8):
        assert dfa.accepts("ab" * k) == (low <= k and (high is None or k <= high)), k
    assert not dfa.accepts("aba") and not dfa.accepts("b")


def test_from_dfa_round_trips_and_drops_the_dead_state():
    from automata_probe.automata.regex import regex_to_dfa

    target = regex_to_dfa("~(.*aa.*)", "ab")
    b = NFABuilder(2)
    f = b.from_dfa(target)
    assert len(b) == target.n_states - 1 + 2  # no dead state; a fresh start and end
    assert b.to_dfa(f, ("a", "b")) is target  # kept, not determinized again
    assert are_equivalent(_Subsets(b, f).run(("a", "b")), target)


def test_budgets_name_their_limit():
    b = NFABuilder(1, max_nfa_states=10)
    f = b.letters([0])
    with pytest.raises(StateSpaceTooLargeError, match="more than 10 states.*max-nfa-states"):
        b.repeat(f, 6, 6)
    assert len(b) == 2  # refused before copying anything
    with pytest.raises(ParameterError, match="max_states"):
        NFABuilder(1, max_states=0)
