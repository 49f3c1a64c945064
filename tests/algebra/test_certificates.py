"""Tests for automata_probe.algebra.certificates: certificates really cycle, their words are short."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from automata_probe.algebra import Certificate, classify
from automata_probe.errors import AlphabetError, DFAError

from .reference import PROPERTY, memberships, naive_monoid, power, small_dfas


@PROPERTY
@given(small_dfas(min_states=1, max_states=7))
def test_certificate_really_cycles(dfa):
    c = classify(dfa)
    if c.star_free:
        return
    cert = c.certificate
    p = cert.period
    assert p > 1 and cert.w
    assert cert.check(dfa) and cert.check(dfa.minimize())
    # brute force: membership of x w^n y, far enough to cover any preperiod
    count = dfa.n_states + 3 * p + 2
    seq = memberships(dfa, cert, count + p)
    assert all(seq[n] == seq[n + p] for n in range(count))
    assert all(any(seq[n] != seq[n + d] for n in range(count)) for d in range(1, p))


@PROPERTY
@given(small_dfas(), st.integers(0, 200))
def test_certificate_words_are_short(dfa, seed):
    """w is a shortest word acting with a non-trivial cycle (BFS order)."""
    c = classify(dfa)
    if c.star_free:
        return
    d = dfa.minimize()
    maps, words = naive_monoid(d)
    periodic = [y for y in maps if power(y, d.n_states) != power(y, d.n_states + 1)]
    assert len(c.certificate.w) == min(len(words[y]) for y in periodic)


def test_certificate_validation_and_check(aa_star):
    with pytest.raises(DFAError):
        Certificate(x=(), w=("a",), y=(), period=1)
    with pytest.raises(DFAError):
        Certificate(x=(), w=(), y=(), period=2)
    assert Certificate(x=(), w=("a",), y=(), period=2).check(aa_star)
    assert not Certificate(x=(), w=("a",), y=(), period=4).check(aa_star)  # 2 is the minimal period
    assert not Certificate(x=(), w=("a", "a"), y=(), period=2).check(aa_star)  # constant
    with pytest.raises(AlphabetError):
        Certificate(x=("z",), w=("a",), y=(), period=2).check(aa_star)


def test_a_certificate_prints_its_words_with_the_alphabet():
    """A word of one two-letter letter and a word of two letters printed the
    same (``ab``) before the certificate knew its alphabet."""
    from automata_probe.automata.dfa import DFA

    # (ab)^even over the letters a, b, ab: w = (ab,) cycles with period 2
    d = DFA(alphabet=("a", "b", "ab"), transitions=((2, 2, 1), (2, 2, 0), (2, 2, 2)), start=0, accepting={0})
    c = classify(d)
    assert not c.star_free and c.certificate.check(d)
    assert c.certificate.w == ("ab",) and c.certificate.alphabet == ("a", "b", "ab")
    assert str(c.certificate) == "x = ε, w = ab, y = ε, period 2"
    spaced = Certificate(x=("a", "b"), w=("ab",), y=(), period=2, alphabet=("a", "b", "ab"))
    assert str(spaced) == "x = a b, w = ab, y = ε, period 2"
    # without an alphabet the three words decide together: one long letter spaces them all
    assert str(Certificate(x=("a", "b"), w=("ab",), y=(), period=2)) == "x = a b, w = ab, y = ε, period 2"
    assert str(Certificate(x=("a", "b"), w=("a",), y=(), period=2)) == "x = ab, w = a, y = ε, period 2"
    assert spaced == Certificate(x=("a", "b"), w=("ab",), y=(), period=2)  # the alphabet is not part of ==
