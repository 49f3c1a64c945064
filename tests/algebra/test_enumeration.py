"""Tests for automata_probe.algebra._enumeration: the hashed-rows path (n > 16), the cap, the early exit."""

from __future__ import annotations

import numpy as np
import pytest

import automata_probe.algebra.certificates as certificates
from automata_probe.algebra import classify, is_star_free, transition_monoid
from automata_probe.algebra._enumeration import enumerate_monoid
from automata_probe.errors import MonoidTooLargeError

from .reference import catalan, dfa_from_rows, naive_monoid


def test_group_monoids_with_many_states_match_naive(s5):
    """n > 16 takes the hashed-rows path: compare it with the reference."""
    m = transition_monoid(s5)
    maps, _ = naive_monoid(s5.minimize())
    assert [tuple(r) for r in m.elements.tolist()] == maps


def test_random_dfas_with_many_states_match_naive():
    rng = np.random.default_rng(5)
    for _ in range(6):
        n = int(rng.integers(17, 40))
        dfa = dfa_from_rows("ab", rng.integers(0, n, size=(n, 2)).tolist(), [0, 1, 5])
        d = dfa.minimize()
        try:
            m = transition_monoid(d, max_monoid=20_000)
        except MonoidTooLargeError:
            continue
        maps, _ = naive_monoid(d)
        assert [tuple(r) for r in m.elements.tolist()] == maps


def test_cap_raises_with_a_clear_message(flip_flop):
    with pytest.raises(MonoidTooLargeError, match="more than 100 elements.*--max-monoid"):
        transition_monoid(catalan(8), max_monoid=100)
    # flip_flop: star-free (103 elements), its letters do not preserve the state order
    with pytest.raises(MonoidTooLargeError, match="flip_flop has more than 100 elements.*--max-monoid"):
        classify(flip_flop, max_monoid=100)  # star-free so far: cannot decide
    with pytest.raises(MonoidTooLargeError, match="--max-monoid"):
        is_star_free(flip_flop, max_monoid=100)


def test_engine_early_exit_past_the_quick_search(monkeypatch):
    """With no pure-Python budget, the vectorized enumeration stops at the
    first periodic element, long before the whole monoid."""
    letters = [f"e{i}" for i in range(8)]
    even_e0 = dfa_from_rows(letters, [[1] + [0] * 7, [0] + [1] * 7], [0])
    both = catalan(9).intersection(even_e0).minimize()  # Catalan(9) = 4862 elements, times Z2
    raw = enumerate_monoid(both, max_monoid=10**6, check="periodic", stop_at_periodic=True)
    assert raw.first_periodic is not None and not raw.complete
    assert raw.elements.shape[0] < 200
    monkeypatch.setattr(certificates, "_QUICK_BUDGET", 0)
    assert not is_star_free(both)
    c = classify(both)
    assert c.certificate.w == ("e0",) and c.certificate.check(both)
