"""Tests for automata_probe.algebra._transforms: the fast stable indices, the
periodicity test and the group test against plain iteration and the definitions."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from automata_probe.algebra._transforms import (
    nontrivial_group_mask,
    periodic_mask,
    stable_indices,
    stable_indices_reference,
)

from .reference import PROPERTY, brute_aperiodic, naive_monoid, power, small_dfas


@st.composite
def transformation_batches(draw):
    """Random maps, and shifts along a path with a sink (D_n-like: they take
    up to n steps to stabilize), some with a cycle spliced in."""
    n = draw(st.integers(1, 40))
    rows = []
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from(["random", "shift", "shift with cycle"]))
        if kind == "random":
            rows.append(draw(st.lists(st.integers(0, n - 1), min_size=n, max_size=n)))
            continue
        s = draw(st.integers(1, 3))
        row = [min(q + s, n - 1) for q in range(n)]
        if kind == "shift with cycle" and n >= 3:
            a = draw(st.integers(0, n - 2))
            b = draw(st.integers(a + 1, n - 1))
            row[a], row[b] = b, a  # a 2-cycle (a b), with a tail leading in
        rows.append(row)
    return np.array(rows, dtype=np.uint8 if n <= 256 else np.uint16)


def brute_index(y):
    for k in range(len(y) + 1):
        if power(y, k) == power(y, k + 1):
            return k
    return -1


@given(transformation_batches())
@settings(PROPERTY, max_examples=40)
def test_stable_indices_match_plain_iteration_and_the_definition(rows):
    fast = stable_indices(rows)
    assert fast.tolist() == stable_indices_reference(rows).tolist()
    assert fast.tolist() == [brute_index(tuple(r)) for r in rows.tolist()]
    assert periodic_mask(rows).tolist() == (fast < 0).tolist()


@given(transformation_batches())
@settings(PROPERTY, max_examples=20)
def test_chunked_tests_match_one_pass(rows):
    """Wide rows are checked chunk by chunk (a layer of 4,096 elements of
    32,768 states took 1 GB per temporary in one pass): chunks of a few rows
    give the same answers."""
    import automata_probe.algebra._transforms as transforms

    whole = stable_indices(rows), periodic_mask(rows)
    saved = transforms._CHUNK_CELLS
    transforms._CHUNK_CELLS = 2 * rows.shape[1]  # two rows per chunk
    try:
        assert stable_indices(rows).tolist() == whole[0].tolist()
        assert periodic_mask(rows).tolist() == whole[1].tolist()
    finally:
        transforms._CHUNK_CELLS = saved


def test_long_shifts_take_log_steps():
    """A shift by one on a path of 5,000 states with a sink stabilizes after
    4,999 steps; the lifting finds it from 13 powers."""
    n = 5000
    rows = np.array([[min(q + 1, n - 1) for q in range(n)], list(range(n))], dtype=np.uint16)
    assert stable_indices(rows).tolist() == [n - 1, 0]
    rows[0, n - 1] = n - 2  # now a 2-cycle at the end of the path
    assert stable_indices(rows).tolist() == [-1, 0] and periodic_mask(rows).tolist() == [True, False]


@given(transformation_batches())
@settings(PROPERTY, max_examples=40)
def test_nontrivial_group_elements_are_periodic(rows):
    """y y != y and rank(y y) = rank(y): y permutes its image, not as the identity."""
    mask = nontrivial_group_mask(rows)
    for y, flag in zip(rows.tolist(), mask.tolist()):
        square = [y[q] for q in y]
        assert flag == (square != y and len(set(square)) == len(set(y)))
    assert not (mask & ~periodic_mask(rows)).any()


@given(small_dfas(max_states=6))
@PROPERTY
def test_a_monoid_is_aperiodic_iff_it_has_no_nontrivial_group_element(dfa):
    maps, _ = naive_monoid(dfa)
    rows = np.array(maps, dtype=np.uint8)
    assert (not nontrivial_group_mask(rows).any()) == brute_aperiodic(maps)
