"""Tests for automata_probe.algebra.monoid: the Monoid against a naive BFS and libsemigroups."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from automata_probe.algebra import Monoid, transition_monoid
from automata_probe.errors import AlphabetError, DFAError, MonoidTooLargeError

from .reference import PROPERTY, naive_monoid, small_dfas, structured_dfas


@PROPERTY
@given(small_dfas())
def test_monoid_matches_naive_bfs_in_order(dfa):
    d = dfa.minimize()
    maps, words = naive_monoid(d)
    m = transition_monoid(dfa)
    assert m.dfa == d
    assert m.size == len(maps)
    assert [tuple(r) for r in m.elements.tolist()] == maps  # same BFS order
    for i, y in enumerate(maps):
        assert m.word(i) == tuple(d.alphabet[a] for a in words[y])
        assert m.element_of(m.word(i)) == i
        assert tuple(d.run(m.word(i), start=q)[-1] for q in range(d.n_states)) == y
    # right Cayley graph
    for i, y in enumerate(maps):
        for a in range(d.n_letters):
            assert maps[m.cayley[i, a]] == tuple(d.transitions[y[q]][a] for q in range(d.n_states))


@PROPERTY
@given(small_dfas())
def test_monoid_size_agrees_with_libsemigroups(dfa):
    lsg = pytest.importorskip("libsemigroups_pybind11")
    d = dfa.minimize()
    guard = lsg.ReportGuard(False)  # noqa: F841
    gens = [lsg.Transf([d.transitions[q][a] for q in range(d.n_states)]) for a in range(d.n_letters)]
    fp = lsg.FroidurePin(gens)
    size = fp.size()
    # FroidurePin counts the semigroup the letters generate; ours adds the empty word
    identity_is_a_product = fp.contains(lsg.Transf(list(range(d.n_states))))
    assert transition_monoid(d).size == size + (0 if identity_is_a_product else 1)


def test_monoid_validation(ab_star):
    m = transition_monoid(ab_star)
    with pytest.raises(DFAError):
        Monoid(dfa=m.dfa, transformations=m.transformations[1:], parents=m.parents[1:],
               letters=m.letters[1:], cayley=m.cayley[1:])
    with pytest.raises(DFAError):
        Monoid(dfa=m.dfa, transformations=m.transformations, parents=m.parents,
               letters=m.letters, cayley=m.cayley + 100)
    assert m.elements.dtype == np.int32 and not m.elements.flags.writeable


@PROPERTY
@given(st.one_of(small_dfas(min_states=1, max_states=8), structured_dfas(min_states=17, max_states=30)))
def test_trusted_construction_matches_the_validated_one(dfa):
    """``transition_monoid`` skips the checks of ``Monoid.__post_init__`` for
    its own enumeration: the arrays it keeps are those the checks would keep
    (dtypes, shapes, read-only), and they pass the checks."""
    try:
        m = transition_monoid(dfa, max_monoid=5_000)
    except MonoidTooLargeError:
        assume(False)
    checked = Monoid(
        dfa=m.dfa, transformations=m.transformations, parents=m.parents, letters=m.letters, cayley=m.cayley
    )
    for name in ("transformations", "parents", "letters", "cayley"):
        ours, theirs = getattr(m, name), getattr(checked, name)
        assert ours.dtype == theirs.dtype and ours.shape == theirs.shape, name
        assert not ours.flags.writeable, name
        np.testing.assert_array_equal(ours, theirs)
    assert m.parents.flags.c_contiguous and m.letters.flags.c_contiguous and m.cayley.flags.c_contiguous


def test_monoid_queries(s3):
    m = transition_monoid(s3)
    assert m.size == len(m) == 6
    assert m.element_of(m.words[4]) == 4
    assert m.element_of(("c", "c", "c")) == 0  # c is a 3-cycle
    assert m.ids_of(m.elements[::-1]).tolist() == list(range(5, -1, -1))
    assert m.ids_of(np.zeros((1, m.dfa.n_states), dtype=np.int32)).tolist() == [-1]
    assert m.idempotents().tolist() == [0]
    with pytest.raises(AlphabetError):
        m.element_of("z")
    with pytest.raises(DFAError):
        m.word(6)
