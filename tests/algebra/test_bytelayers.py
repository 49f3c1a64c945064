"""Tests for automata_probe.algebra._bytelayers: the bytes layers give the numpy layers' enumeration exactly."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from automata_probe.algebra import _enumeration as enumeration
from automata_probe.algebra import transition_monoid
from automata_probe.algebra._bytelayers import ByteLayers

from .reference import PROPERTY, catalan, dfa_from_rows, naive_monoid, small_dfas, structured_dfas, uniform_dfas

#: Switch-over points: numpy throughout (0), bytes for the first layer only
#: (1), handed over midway (8, 64), the default, bytes throughout (huge).
_THRESHOLDS = (0, 1, 8, 64, enumeration._BYTE_PRODUCTS, 10**9)


def _run(dfa, byte_products, *, max_monoid=3_000, check="none", stop=False, exact=False):
    return enumeration._Closure(
        dfa,
        max_monoid=max_monoid,
        check=check,
        stop_at_periodic=stop,
        salt=0,
        exact=exact,
        byte_products=byte_products,
    ).run()


def _same(a, b):
    assert a.complete == b.complete
    assert a.first_periodic == b.first_periodic
    assert a.elements.dtype == b.elements.dtype
    np.testing.assert_array_equal(a.elements, b.elements)
    np.testing.assert_array_equal(a.parents, b.parents)
    np.testing.assert_array_equal(a.letters, b.letters)
    if a.complete:
        np.testing.assert_array_equal(a.cayley, b.cayley)
    else:
        assert a.cayley is None and b.cayley is None


dfas = st.one_of(
    small_dfas(min_states=1, max_states=8),
    structured_dfas(min_states=3, max_states=40),
    uniform_dfas(min_states=3, max_states=24),
)


@given(dfas, st.sampled_from(["none", "periodic", "group"]), st.booleans(), st.sampled_from([1, 7, 200, 3_000]))
@settings(PROPERTY, max_examples=300)
def test_bytes_layers_match_numpy_layers_across_the_switch(dfa, check, stop, cap):
    """Elements, shortest words (parents, letters), the Cayley graph, the
    first periodic element and where the cap stops: identical whichever layer
    hands over to numpy, packed (n <= 16) or hashed rows (n > 16) alike."""
    reference = _run(dfa, 0, max_monoid=cap, check=check, stop=stop)
    for threshold in _THRESHOLDS[1:]:
        _same(_run(dfa, threshold, max_monoid=cap, check=check, stop=stop), reference)


@given(structured_dfas(min_states=17, max_states=40))
@settings(PROPERTY, max_examples=30)
def test_exact_rows_take_over_from_bytes(dfa):
    """The exact row dictionary (after repeated hash collisions) adopts the bytes layers too."""
    reference = _run(dfa, 0)
    for threshold in (1, 64):
        _same(_run(dfa, threshold, exact=True), reference)


@given(small_dfas(min_states=2, max_states=6))
@PROPERTY
def test_bytes_layers_alone_match_the_naive_bfs(dfa):
    """The readable reference: a plain BFS over tuples."""
    layers = ByteLayers(dfa.transitions)
    while layers.step(10**6):
        pass
    maps, words = naive_monoid(dfa)
    assert [tuple(row) for row in layers.index] == maps
    assert list(layers.index.values()) == list(range(len(maps)))
    flat = list(layers.cayley)
    parents, letters = enumeration.found_at(np.array(flat, dtype=np.int32), dfa.n_letters, layers.total)
    # the plain reading: element j was found by the first product equal to it
    assert parents[1:].tolist() == [flat.index(j) // dfa.n_letters for j in range(1, len(maps))]
    word = {0: ()}
    for i in range(1, layers.total):
        word[i] = word[int(parents[i])] + (int(letters[i]),)
    assert [word[i] for i in range(len(maps))] == [words[v] for v in maps]


def test_cayley_graph_of_a_handed_over_monoid():
    """Catalan(7): bytes layers, then numpy; every Cayley edge is a product."""
    d = catalan(7)
    m = transition_monoid(d, minimize=False)
    gens = np.array(d.transitions).T  # (k, n)
    products = m.elements[:, None, :].repeat(d.n_letters, 1)  # (m, k, n)
    expected = np.take_along_axis(gens[None, :, :].repeat(m.size, 0), products.astype(np.intp), axis=2)
    np.testing.assert_array_equal(m.elements[m.cayley], expected)


@pytest.mark.parametrize("n", [255, 256, 257])
def test_the_bytes_limit_is_256_states(n):
    """A cycle of n states: bytes up to 256 states, numpy rows beyond; same group."""
    rows = [[(q + 1) % n, 0 if q == 1 else q] for q in range(n)]
    d = dfa_from_rows("ab", rows, [0])
    a = _run(d, 0, max_monoid=50)
    b = _run(d, 10**9, max_monoid=50)
    _same(a, b)
