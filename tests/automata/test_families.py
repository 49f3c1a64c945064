"""Generated families: bounded Dyck, D_n, group word problems, mod counting."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from automata_probe.algebra import classify
from automata_probe.automata.families import family, family_dfa, family_implicit, group
from automata_probe.errors import LanguageNotFoundError, StateSpaceTooLargeError


def words(alphabet, max_length):
    for n in range(max_length + 1):
        yield from itertools.product(alphabet, repeat=n)


# ------------------------------------------------------------------- Dyck
def balanced(word, pairs, max_depth):
    """Reference: a stack machine with a depth bound."""
    opens = {o: c for o, c in pairs}
    stack = []
    for x in word:
        if x in opens:
            stack.append(opens[x])
            if len(stack) > max_depth:
                return False
        elif not stack or stack.pop() != x:
            return False
    return not stack


@pytest.mark.parametrize(("k", "h"), [(1, 1), (1, 3), (2, 2), (3, 2), (2, 3)])
def test_bounded_dyck_has_sum_of_powers_states(k, h):
    dfa = family_dfa(f"dyck-{k}-{h}")
    assert dfa.n_states == sum(k**i for i in range(h + 1)) + 1
    assert dfa.dead is not None


def test_bounded_dyck_membership_matches_a_stack():
    dfa = family_dfa("dyck-2-2")
    assert dfa.alphabet == ("(", ")", "[", "]")
    pairs = [("(", ")"), ("[", "]")]
    for w in words(dfa.alphabet, 6):
        assert dfa.accepts(w) == balanced(w, pairs, 2), w


def test_dyck_with_more_than_four_kinds_uses_numbered_brackets():
    dfa = family_dfa("dyck-5-1")
    assert dfa.alphabet[:2] == ("(1", ")1") and dfa.alphabet[-1] == ")5"
    assert dfa.accepts("(3 )3 (1 )1") and not dfa.accepts("(3 )1")


def test_dyck_1_counts_are_catalan_numbers_when_depth_is_no_limit():
    # depth h >= n: balanced words of length 2n are counted by Catalan(n)
    dfa = family_dfa("dyck-1-6")
    counts = dfa.count_words(12)
    assert [counts[2 * n] for n in range(7)] == [math.comb(2 * n, n) // (n + 1) for n in range(7)]
    assert all(c == 0 for c in counts[1::2])


def test_dyck_state_labels_are_stacks():
    dfa = family_dfa("dyck-2-2")
    assert dfa.label(dfa.start) == "ε"
    assert dfa.label(dfa.delta_star(dfa.start, "([")) == "(["
    assert dfa.label(dfa.dead) == "dead"


def test_huge_family_is_refused_before_exploring():
    with pytest.raises(StateSpaceTooLargeError, match="1,227,133,514 states"):
        family_dfa("dyck-8-10")
    # the implicit automaton is still usable, lazily
    imp = family_implicit("dyck-8-10")
    assert imp.accepts("(1 (8 (2 )2 )8 )1".split())
    assert not imp.accepts("(1 )2".split())


# -------------------------------------------------------------------- D_n
@pytest.mark.parametrize("n", [1, 2, 4, 12])
def test_dn_is_depth_bounded_dyck_1_over_ab(n):
    dfa = family_dfa(f"Dn-{n}")
    assert dfa.alphabet == ("a", "b")
    assert dfa.n_states == n + 2
    for w in words("ab", 8):
        assert dfa.accepts(w) == balanced(w, [("a", "b")], n), w


def test_dn_short_name():
    assert family("D4").name == "Dn-4"
    assert family_dfa("d3") == family_dfa("Dn-3")


# ---------------------------------------------------------------- groups
@pytest.mark.parametrize(
    ("spec", "order"),
    [
        ("Z5", 5),
        ("Z60", 60),
        ("S3", 6),
        ("S4", 24),
        ("S5", 120),
        ("A4", 12),
        ("A5", 60),
        ("A6", 360),
        ("D4", 8),
        ("A4xZ5", 60),
        ("S3xZ2", 12),
        ("Z2xZ2", 4),
    ],
)
def test_group_word_problem_has_one_state_per_element(spec, order):
    fam = group(spec)
    assert fam.n_states == order
    dfa = fam.dfa()
    assert dfa.n_states == order  # the generators generate the whole group, no dead state
    assert dfa.dead is None
    assert dfa.accepting == frozenset({dfa.start})


def test_all_elements_variant_has_every_element_as_a_letter():
    dfa = family_dfa("group-A5-all")
    assert dfa.n_letters == 60 and dfa.n_states == 60
    assert len(set(dfa.alphabet)) == 60
    # every letter moves the identity to a different state: letters are the elements
    assert len({dfa.transitions[dfa.start][i] for i in range(60)}) == 60


def _compose(p, q):
    """First p, then q (one-line notation, 0-indexed)."""
    return tuple(q[i] for i in p)


def test_symmetric_group_generators_and_the_running_product():
    dfa = family_dfa("group-S3")
    assert dfa.alphabet == ("t", "c")
    t, c = (1, 0, 2), (1, 2, 0)
    rng = np.random.default_rng(0)
    for _ in range(200):
        word = [str(x) for x in rng.choice(["t", "c"], size=int(rng.integers(0, 12)))]
        product = (0, 1, 2)
        for x in word:
            product = _compose(product, t if x == "t" else c)
        assert dfa.accepts(word) == (product == (0, 1, 2)), word


def test_group_relations_hold():
    s5 = family_dfa("group-S5")
    assert s5.accepts(["t", "t"]) and s5.accepts(["c"] * 5) and not s5.accepts(["c"] * 4)
    assert s5.accepts(["t", "c"] * 4)  # (t c) is a 4-cycle: order 4
    a5 = family_dfa("group-A5")
    assert a5.accepts(["a"] * 3) and a5.accepts(["b"] * 5) and not a5.accepts(["a", "b"])
    d4 = family_dfa("group-D4")
    assert d4.accepts("rrrr") and d4.accepts("ss") and d4.accepts("srsr")  # s r s = r^-1


def test_products_pair_generators_with_identities():
    dfa = family_dfa("group-A4xZ5")
    assert dfa.alphabet == ("(a,e)", "(b,e)", "(e,1)")
    assert dfa.accepts(["(e,1)"] * 5) and dfa.accepts(["(a,e)"] * 3)
    assert not dfa.accepts(["(a,e)", "(e,1)"] * 3)  # order 15 element
    assert dfa.accepts(["(a,e)", "(e,1)"] * 15)


def test_group_names_are_case_insensitive_and_canonical():
    assert family("group-a4xz5").name == "group-A4xZ5"
    assert family("GROUP-s5-ALL").name == "group-S5-all"


@pytest.mark.parametrize(("spec", "suggestion"), [("group-A2", "group-A3"), ("dyck-0-3", "dyck-1-3"), ("mod-3-4", "mod-3-1")])
def test_impossible_parameters_suggest_a_valid_name(spec, suggestion):
    with pytest.raises(LanguageNotFoundError, match=suggestion):
        family(spec)


def test_unknown_group_is_not_found():
    with pytest.raises(LanguageNotFoundError, match="group-Q8"):
        family("group-Q8")
    assert family("tomita3") is None


# ------------------------------------------------------------ mod counting
def test_mod_counting():
    dfa = family_dfa("mod-3-1")
    assert dfa.n_states == 3
    for w in words("ab", 7):
        assert dfa.accepts(w) == (w.count("a") % 3 == 1)
    assert family_dfa("mod-2").accepts("abab")


# ------------------------------------------------------ algebra of families
@pytest.mark.parametrize(
    ("spec", "complexity"),
    [
        # Merrill, Petty & Sabharwal's three groups of order 60, every element a letter
        ("group-A5-all", "NC1-complete"),
        ("group-A4xZ5-all", "ACC0"),
        ("group-Z60-all", "ACC0"),
        ("group-S5", "NC1-complete"),
        ("group-A5", "NC1-complete"),
        ("group-S3", "ACC0"),
        ("group-A4xZ5", "ACC0"),
        ("mod-3", "ACC0"),
        # one generator: membership depends on the length only, so the word problem is in AC0
        ("group-Z60", "AC0"),
        ("group-Z5", "AC0"),
    ],
)
def test_group_word_problems_classify_as_expected(spec, complexity):
    c = classify(family_dfa(spec))
    assert not c.star_free
    assert c.certificate.check(family_dfa(spec))
    assert c.complexity == complexity


def test_merrill_groups_have_the_named_subgroup():
    names = {g.name for g in classify(family_dfa("group-A4xZ5")).subgroups}
    assert "A4xZ5" in names
    assert "A5" in {g.name for g in classify(family_dfa("group-A5")).subgroups}


@pytest.mark.parametrize("spec", ["dyck-2-3", "dyck-3-2", "Dn-4"])
def test_bounded_dyck_is_star_free(spec):
    c = classify(family_dfa(spec))
    assert c.star_free and c.complexity == "AC0"
