"""The DFA core: validation, runs, minimization, canonical numbering, exact comparisons."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from automata_probe.automata.dfa import (
    DFA,
    are_equivalent,
    disagreement_counts,
    find_counterexample,
)
from automata_probe.automata.implicit import ImplicitDFA
from automata_probe.automata.words import format_word
from automata_probe.errors import AlphabetError, DFAError, StateSpaceTooLargeError


@pytest.fixture
def tomita4() -> DFA:
    """No three consecutive 0s, written with a partial table (dead state implicit)."""
    return DFA.from_table(
        alphabet="01",
        transitions={"q0": {"0": "q1", "1": "q0"}, "q1": {"0": "q2", "1": "q0"}, "q2": {"1": "q0"}},
        start="q0",
        accept=["q0", "q1", "q2"],
        name="tomita4",
    )


@pytest.fixture
def even_a() -> DFA:
    """(aa)* over {a}."""
    return DFA(alphabet=("a",), transitions=((1,), (0,)), start=0, accepting=frozenset({0}))


def words(alphabet, max_length):
    for n in range(max_length + 1):
        yield from itertools.product(alphabet, repeat=n)


@st.composite
def random_dfas(draw, max_states=6, max_letters=3):
    n = draw(st.integers(1, max_states))
    k = draw(st.integers(1, max_letters))
    alphabet = tuple("abc"[:k])
    rows = tuple(tuple(draw(st.integers(0, n - 1)) for _ in range(k)) for _ in range(n))
    acc = frozenset(q for q in range(n) if draw(st.booleans()))
    return DFA(alphabet=alphabet, transitions=rows, start=draw(st.integers(0, n - 1)), accepting=acc)


# --------------------------------------------------------------- validation
def test_partial_table_gets_an_explicit_dead_state(tomita4):
    assert tomita4.n_states == 4
    assert tomita4.dead == 3
    assert tomita4.state_labels[3] == "dead"
    assert tomita4.transitions[3] == (3, 3)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(alphabet=("a",), transitions=((1,),), start=0, accepting=frozenset()), "unknown state 1"),
        (dict(alphabet=("a", "b"), transitions=((0,),), start=0, accepting=frozenset()), "1 transitions for 2"),
        (dict(alphabet=("a",), transitions=((0,),), start=2, accepting=frozenset()), "start state 2"),
        (dict(alphabet=("a",), transitions=((0,),), start=0, accepting=frozenset({5})), "accepting state 5"),
        (dict(alphabet=("a", "a"), transitions=((0, 0),), start=0, accepting=frozenset()), "twice"),
        (dict(alphabet=(), transitions=((),), start=0, accepting=frozenset()), "empty"),
    ],
)
def test_invalid_dfas_name_the_culprit(kwargs, message):
    with pytest.raises((DFAError, AlphabetError), match=message):
        DFA(**kwargs)


def test_table_letter_outside_alphabet_is_named():
    with pytest.raises(AlphabetError, match="'c'"):
        DFA.from_table(alphabet="ab", transitions={"p": {"c": "p"}}, start="p", accept=[])


def test_dfa_is_hashable_and_eq_ignores_names(even_a):
    renamed = even_a.with_name("other")
    assert renamed == even_a and hash(renamed) == hash(even_a)
    assert len({even_a, renamed}) == 1


# --------------------------------------------------------------------- runs
def test_run_visits_L_plus_one_states(tomita4):
    assert tomita4.run("") == [0]
    assert tomita4.run("0001") == [0, 1, 2, 3, 3]
    assert not tomita4.accepts("0001")
    assert tomita4.accepts("00100")


def test_run_indices_matches_run(tomita4):
    rng = np.random.default_rng(0)
    idx = rng.integers(0, 2, size=(7, 9))
    batch = tomita4.run_indices(idx)
    assert batch.shape == (7, 10)
    for b in range(7):
        assert list(batch[b]) == tomita4.run(tomita4.decode(idx[b]))


def test_letter_outside_alphabet_names_letter_and_position(tomita4):
    with pytest.raises(AlphabetError, match=r"letter '2' at position 1"):
        tomita4.run("021")


def test_multichar_letters_split_on_whitespace():
    d = DFA(alphabet=("push", "pop"), transitions=((1, 2), (2, 0), (2, 2)), start=0, accepting=frozenset({0}))
    assert d.accepts("push pop")
    assert d.accepts(["push", "pop"])
    assert format_word(("push", "pop")) == "push pop"
    assert format_word(()) == "ε"


def test_format_word_is_unambiguous_given_the_alphabet():
    """Over {a, b, ab} the words (a, b) and (ab,) must not both print as ``ab``."""
    from automata_probe.automata.words import split_word

    alphabet = ("a", "b", "ab")
    assert format_word(("a", "b"), alphabet) == "a b"
    assert format_word(("ab",), alphabet) == "ab"
    assert format_word(("a", "b"), "ab") == "ab"
    for word in [("a", "b"), ("ab",), ("ab", "a"), ("b",), ()]:
        text = format_word(word, alphabet)
        assert (split_word(text, alphabet) if word else ()) == word


# ------------------------------------------------------------- minimization
def test_minimize_merges_equivalent_states_and_numbers_canonically():
    # (aa)* written with four states a 2-cycle twice over, start not 0
    d = DFA(alphabet=("a",), transitions=((1,), (2,), (3,), (0,)), start=2, accepting=frozenset({0, 2}))
    m = d.minimize()
    assert m.n_states == 2
    assert m.start == 0 and m.accepting == frozenset({0})
    assert m.transitions == ((1,), (0,))


@settings(max_examples=60, deadline=None)
@given(random_dfas())
def test_minimize_preserves_the_language(d):
    m = d.minimize()
    assert m.n_states <= d.n_states
    for w in words(d.alphabet, 6):
        assert m.accepts(w) == d.accepts(w)
    # minimal: idempotent, and every state reachable and pairwise distinguishable
    assert m.minimize() == m
    assert len(m.reachable()) == m.n_states


@settings(max_examples=40, deadline=None)
@given(random_dfas(), st.randoms(use_true_random=False))
def test_canonical_form_is_invariant_under_renumbering(d, rnd):
    perm = list(range(d.n_states))
    rnd.shuffle(perm)
    inv = {old: new for new, old in enumerate(perm)}
    shuffled = DFA(
        alphabet=d.alphabet,
        transitions=tuple(tuple(inv[t] for t in d.transitions[old]) for old in perm),
        start=inv[d.start],
        accepting=frozenset(inv[q] for q in d.accepting),
    )
    assert shuffled.minimize() == d.minimize()


def test_minimal_dfa_has_at_most_one_dead_state():
    bloated = DFA(
        alphabet=("0", "1"),
        transitions=((1, 0), (2, 0), (3, 0), (4, 4), (3, 3)),
        start=0,
        accepting=frozenset({0, 1, 2}),
    )
    assert bloated.dead_states == frozenset({3, 4})
    m = bloated.minimize()
    assert m.dead_states == frozenset({m.dead}) and m.n_states == 4


# ------------------------------------------------------------- comparisons
def test_counterexample_is_shortest(tomita4):
    no_000_or_11 = DFA.from_table(
        alphabet="01",
        transitions={
            "s": {"0": "z1", "1": "o"},
            "z1": {"0": "z2", "1": "o"},
            "z2": {"1": "o"},
            "o": {"0": "z1"},
        },
        start="s",
        accept=["s", "z1", "z2", "o"],
    )
    assert find_counterexample(tomita4, no_000_or_11) == ("1", "1")
    assert not are_equivalent(tomita4, no_000_or_11)
    assert are_equivalent(tomita4, tomita4.minimize())
    assert find_counterexample(tomita4, tomita4.complement()) == ()


def test_alphabet_mismatch_is_an_error(tomita4, even_a):
    with pytest.raises(AlphabetError, match="alphabets differ"):
        are_equivalent(tomita4, even_a)


def test_alphabet_order_does_not_matter(tomita4):
    flipped = DFA(
        alphabet=("1", "0"),
        transitions=tuple((row[1], row[0]) for row in tomita4.transitions),
        start=tomita4.start,
        accepting=tomita4.accepting,
    )
    assert are_equivalent(tomita4, flipped)


@settings(max_examples=50, deadline=None)
@given(random_dfas(max_letters=2), random_dfas(max_letters=2))
def test_disagreement_counts_match_brute_force(a, b):
    if a.alphabet != b.alphabet:
        return
    counts = disagreement_counts(a, b, 6)
    for n in range(7):
        brute = sum(a.accepts(w) != b.accepts(w) for w in itertools.product(a.alphabet, repeat=n))
        assert counts[n] == brute
    cex = find_counterexample(a, b)
    first = next((n for n, c in enumerate(counts) if c), None)
    if cex is None:
        assert first is None or first > 6  # equivalence decided exactly, beyond the brute force
        assert all(c == 0 for c in disagreement_counts(a, b, 12))
    else:
        assert a.accepts(cex) != b.accepts(cex)
        if first is not None:
            assert len(cex) == first


def test_counts_are_exact_beyond_float_range(even_a):
    counts = even_a.count_words(600, accepted=False)
    assert counts[599] == 1 and counts[600] == 0
    two = DFA(alphabet=("a", "b"), transitions=((0, 0),), start=0, accepting=frozenset({0}))
    assert two.count_words(600)[600] == 2**600


# ---------------------------------------------------------------- implicit
def test_implicit_dfa_materializes_with_a_dead_state():
    depth = 3  # Dyck-1 with depth at most 3
    dyck = ImplicitDFA(
        name="D3",
        alphabet=("(", ")"),
        start=0,
        step=lambda q, a: (q + 1 if q < depth else None) if a == "(" else (q - 1 if q > 0 else None),
        accepting=lambda q: q == 0,
    )
    d = dyck.materialize()
    assert d.n_states == depth + 2 and d.dead is not None
    assert d.accepts("(()())") and not d.accepts("(((())))") and not d.accepts(")(")
    assert dyck.accepts("()") and not dyck.accepts("())")


def test_implicit_dfa_respects_the_cap():
    counter = ImplicitDFA(name="count", alphabet=("a",), start=0, step=lambda q, a: q + 1, accepting=lambda q: True)
    with pytest.raises(StateSpaceTooLargeError, match="more than 50"):
        counter.materialize(max_states=50)


# ----------------------------------------------------------------- exports
def test_automata_lib_roundtrip(tomita4):
    al = tomita4.to_automata_lib()
    back = DFA.from_automata_lib(al, alphabet=tomita4.alphabet)
    assert are_equivalent(back, tomita4)
    assert back.minimize() == tomita4.minimize()


def test_networkx_and_dot(tomita4):
    g = tomita4.to_networkx()
    assert g.number_of_nodes() == 4 and g.number_of_edges() == 8
    assert g.nodes[3]["dead"] and g.nodes[0]["start"]
    dot = tomita4.to_dot()
    assert "doublecircle" in dot and "3 [" not in dot  # dead state hidden


def test_equivalence_classes_are_the_myhill_nerode_classes(tomita4):
    # tomita4 with every state doubled: the copies fall into their original's class
    n = tomita4.n_states
    rows = tuple(tuple(t + n * (q >= n) for t in tomita4.transitions[q % n]) for q in range(2 * n))
    doubled = DFA(alphabet=tomita4.alphabet, transitions=rows, start=tomita4.start,
                  accepting=frozenset(tomita4.accepting) | {q + n for q in tomita4.accepting})
    classes = doubled.equivalence_classes()
    assert classes.shape == (2 * n,) and len(set(classes.tolist())) == tomita4.minimize().n_states
    assert all(classes[q] == classes[q + n] for q in range(n))


def test_product_stops_at_its_state_budget():
    mod = [DFA.from_table(alphabet=["a"], transitions={i: {"a": (i + 1) % n} for i in range(n)}, start=0,
                          accept=[0]) for n in (3, 5)]
    both = mod[0].product(mod[1], lambda x, y: x and y, max_states=15)
    assert both.n_states == 15 and both.accepts("a" * 15) and not both.accepts("a" * 3)
    with pytest.raises(StateSpaceTooLargeError, match="more than 14 states"):
        mod[0].product(mod[1], lambda x, y: x and y, max_states=14)
