"""k-piecewise testability by single-letter insertions against the search over subword sets, and the lemmas behind it."""

from __future__ import annotations

from itertools import product

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from automata_probe.algebra.piecewise import piecewise_by_insertion
from automata_probe.algebra.testability import check_parameter, piecewise_key
from automata_probe.automata import regex_to_dfa
from automata_probe.errors import DFAError

from .reference import small_dfas

TIE = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@TIE
@given(small_dfas(max_states=5), st.integers(min_value=0, max_value=3))
def test_insertions_decide_as_the_subword_search_does(dfa, k):
    keys, _ = check_parameter(dfa, "piecewise", k, method="keys", budget=100_000)
    ins, witness = check_parameter(dfa, "piecewise", k, method="insertion", budget=100_000)
    if keys is not None:
        assert ins == keys
    if ins is False:
        assert witness.check(dfa) and witness.k == k  # same k-subwords, u in, v out: by definition and the DFA
        assert abs(len(witness.u) - len(witness.v)) == 1  # one inserted letter apart


def _blocks(x, a, p):
    """x = x_0 x_1 ... x_p with a in alph(x_p) ⊆ alph(x_(p-1)) ⊆ ... ⊆ alph(x_1), by trying every cut."""

    def rec(end, need, j):
        return j == 0 or any(need <= set(x[i:end]) and rec(i, set(x[i:end]), j - 1) for i in range(end - 1, -1, -1))

    return rec(len(x), {a}, p)


def test_the_insertion_lemma_on_all_short_words():
    """xay ~_k xy iff xa ~_p x and ay ~_q y for some p + q >= k, the factors as in Simon's lemma
    (checked on every x, y of length <= 3 over three letters, k <= 4)."""
    words = [w for n in range(4) for w in product(range(3), repeat=n)]
    for k in range(5):
        for x, y, a in product(words, words, range(3)):
            same = piecewise_key(x + (a,) + y, k) == piecewise_key(x + y, k)
            split = any(_blocks(x, a, p) and _blocks(y[::-1], a, k - p) for p in range(k + 1))
            assert same == split, (x, a, y, k)


@pytest.mark.parametrize("word,alphabet", [("abcabc", "abc"), ("abcabca", "abc"), ("abcdabcd", "abcd")])
def test_a_long_subword_is_exactly_that_piecewise_testable(word, alphabet):
    """Containing ``word`` as a subword: |word|-PT, not (|word| - 1)-PT, decided in a few thousand nodes where the
    search over subword sets ran out of its budget (abcabc: 10 s, then only 5 <= k <= 6)."""
    dfa = regex_to_dfa(".*" + ".*".join(word) + ".*", alphabet)
    k = len(word)
    spent = []
    assert check_parameter(dfa, "piecewise", k, spent=spent, budget=200_000) == (True, None)
    ok, witness = check_parameter(dfa, "piecewise", k - 1, spent=spent, budget=200_000)
    assert ok is False and witness.check(dfa) and sum(spent) < 200_000


def test_method_errors_and_the_budget():
    dfa = regex_to_dfa(".*a.*b.*c.*a.*b.*c.*", "abc")
    with pytest.raises(DFAError):
        check_parameter(dfa, "local", 2, method="insertion")
    with pytest.raises(DFAError):
        check_parameter(dfa, "piecewise", 2, method="fast")
    assert piecewise_by_insertion(dfa, 6, budget=10) == (None, None)
    assert check_parameter(dfa, "piecewise", 6, budget=10, method="insertion") == (None, None)
