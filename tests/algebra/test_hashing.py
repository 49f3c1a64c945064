"""Tests for automata_probe.algebra._hashing: collisions are caught, first occurrences found."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from automata_probe.algebra import transition_monoid
from automata_probe.algebra._hashing import HashTable, Rows

from .reference import naive_monoid


def test_hash_collisions_are_detected_and_recovered(monkeypatch, s5):
    """A degenerate row hash (the first salt keeps 2 bits) must not change the
    monoid: every key match is verified against the stored rows."""
    real = Rows.keys_of
    first_coef = Rows(np.zeros((s5.n_states, 1), dtype=np.int64), 0).coef[0]

    def bad_keys(self, padded):
        keys = real(self, padded)
        return keys & np.uint64(3) if self.coef[0] == first_coef else keys

    monkeypatch.setattr(Rows, "keys_of", bad_keys)
    m = transition_monoid(s5)
    assert [tuple(r) for r in m.elements.tolist()] == naive_monoid(s5.minimize())[0]
    assert m.ids_of(m.elements[[5, 7]]).tolist() == [5, 7]


@given(st.lists(st.integers(0, 30), min_size=1, max_size=300))
@settings(max_examples=50, deadline=None)
def test_first_occurrence(values):
    keys = np.array(values, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    rep = HashTable._first_occurrence(keys)
    first = {}
    for i, v in enumerate(values):
        first.setdefault(v, i)
    assert rep.tolist() == [first[v] for v in values]
