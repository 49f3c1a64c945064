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
