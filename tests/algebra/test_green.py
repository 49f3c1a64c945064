"""Green's relations and products against brute force from the definitions, and libsemigroups."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings

from automata_probe.algebra import transition_monoid
from automata_probe.algebra.green import green_relations
from automata_probe.algebra.products import (
    idempotent_power_ids,
    left_cayley_graph,
    multiplication_table,
    semigroup_mask,
    semigroup_word,
    strongly_connected_components,
    tarjan_components,
)
from automata_probe.automata import load_language, regex_to_dfa
from automata_probe.errors import DFAError, MonoidTooLargeError

from .reference import dfa_from_rows, small_dfas

MANY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def compose(u, v):
    return tuple(v[q] for q in u)


def brute_green(monoid):
    """R, L, J from the definitions: xM, Mx, MxM as sets of transformations."""
    maps = [tuple(r) for r in monoid.elements.tolist()]
    right_ideal = [frozenset(compose(x, y) for y in maps) for x in maps]
    left_ideal = [frozenset(compose(y, x) for y in maps) for x in maps]
    two_sided = [frozenset(compose(compose(z, x), y) for y in maps for z in maps) for x in maps]
    return maps, right_ideal, left_ideal, two_sided


def same_partition(labels, keys):
    """labels[i] == labels[j] iff keys[i] == keys[j]."""
    m = len(keys)
    return all((labels[i] == labels[j]) == (keys[i] == keys[j]) for i in range(m) for j in range(m))


@MANY
@given(small_dfas(max_states=4))
def test_green_relations_match_the_definitions(dfa):
    g = green_relations(dfa)
    assume(g.monoid.size <= 60)  # the definition of J costs m^3 products
    maps, right, left, both = brute_green(g.monoid)
    assert same_partition(g.r_class.tolist(), right)
    assert same_partition(g.l_class.tolist(), left)
    assert same_partition(g.d_class.tolist(), both)
    assert same_partition(g.h_class.tolist(), [(r, l) for r, l in zip(right, left)])
    idem = {i for i, x in enumerate(maps) if compose(x, x) == x}
    assert set(g.idempotents) == idem
    for d in g.d_classes:
        assert d.regular == any(e in idem for e in d.elements)
        # every R-class of a D-class meets every L-class (the egg-box is full)
        assert all(cell for row in d.cells for cell in row)
        assert sum(len(cell) for row in d.cells for cell in row) == d.size
        if d.regular:
            assert d.group is not None and d.group.order == d.h_size
            assert d.group.count == len(d.idempotents)
    # the J-order: d_hi > d_lo iff lo's ideal is strictly inside hi's
    ideal = {g.d_class[i]: both[i] for i in range(len(maps))}
    reach = {(hi, lo) for hi in ideal for lo in ideal if hi != lo and ideal[lo] < ideal[hi]}
    closure = set(g.j_order)
    changed = True
    while changed:
        new = {(a, d) for a, b in closure for c, d in closure if b == c} - closure
        closure |= new
        changed = bool(new)
    assert closure == reach


@MANY
@given(small_dfas(max_states=5))
def test_products_match_composition(dfa):
    m = transition_monoid(dfa)
    maps = [tuple(r) for r in m.elements.tolist()]
    index = {x: i for i, x in enumerate(maps)}
    gens = [tuple(m.dfa.transitions[q][a] for q in range(m.dfa.n_states)) for a in range(m.dfa.n_letters)]
    left = left_cayley_graph(m)
    table = multiplication_table(m)
    for i, x in enumerate(maps):
        for a, g in enumerate(gens):
            assert left[i, a] == index[compose(g, x)]
        for j, y in enumerate(maps):
            assert table[i, j] == index[compose(x, y)]
    omega = idempotent_power_ids(m, table)
    assert np.array_equal(omega, idempotent_power_ids(m))
    for i, x in enumerate(maps):
        e = maps[omega[i]]
        assert compose(e, e) == e
        p = x
        while compose(p, p) != p:
            p = compose(p, x)
        assert p == e
    s = semigroup_mask(m)
    nonempty = {compose(*(gens[a] for a in w)) if len(w) > 1 else gens[w[0]] for w in [(a,) for a in range(len(gens))]}
    assert all(s[index[x]] for x in nonempty)
    assert s[0] == any(index[compose(x, g)] == 0 for x in maps for g in gens)
    if s[0]:
        w = semigroup_word(m, 0)
        assert w and m.element_of(w) == 0


def test_semigroup_word_of_a_monoid_without_identity_products(tomita4):
    m = transition_monoid(tomita4)
    assert not semigroup_mask(m)[0]
    with pytest.raises(DFAError):
        semigroup_word(m, 0)
    with pytest.raises(MonoidTooLargeError):
        multiplication_table(m, limit=5)


@settings(max_examples=200, deadline=None)
@given(small_dfas(max_states=6))
def test_scipy_components_match_tarjan(dfa):
    m = transition_monoid(dfa)
    graph = np.concatenate([m.cayley, left_cayley_graph(m)], axis=1)
    from automata_probe.algebra import products

    scipy = products._scipy_components  # the fast path, called directly on a small graph
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    assert np.array_equal(scipy(graph, csr_matrix, connected_components), tarjan_components(graph))
    assert np.array_equal(strongly_connected_components(m.cayley), tarjan_components(m.cayley))


def test_tarjan_on_a_known_graph():
    # 0 -> 1 -> 2 -> 0, 3 -> 3, 4 -> 3
    labels = tarjan_components([[1], [2], [0], [3], [3]])
    assert labels.tolist() == [0, 0, 0, 1, 2]


def test_ab_star_egg_box():
    """(ab)*: {1}, the 2x2 D-class {a, ab, ba, b} with idempotents ab, ba, and {0}."""
    g = green_relations(regex_to_dfa("(ab)*"))
    m = g.monoid
    words = [[["".join(m.word(x)) for x in cell] for cell in row] for d in g.d_classes for row in d.cells]
    assert words == [[[""]], [["a"], ["ab"]], [["ba"], ["b"]], [["aa"]]]
    assert [d.regular for d in g.d_classes] == [True, True, True]
    assert g.j_order == ((0, 1), (1, 2))
    assert g.is_trivial("H") and not g.is_trivial("R") and not g.is_trivial("J")
    with pytest.raises(DFAError):
        g.is_trivial("X")


def test_group_languages_are_one_d_class():
    g = green_relations(load_language("group-S3").dfa)
    assert g.n_d == 1 and g.n_h == 1
    assert g.d_classes[0].group.name == "S3" and g.d_classes[0].h_size == 6


def test_tomita3_has_a_non_regular_d_class_and_two_z2():
    g = green_relations(load_language("tomita3").dfa)
    assert g.monoid.size == 26 and g.n_d == 6
    groups = sorted(d.group.name for d in g.d_classes if d.group is not None and d.group.order > 1)
    assert groups == ["Z2", "Z2"]
    assert sum(not d.regular for d in g.d_classes) == 1
    assert g.to_dict()["d_classes"][0]["egg_box"] == [[["ε"]]]


def test_d3_is_a_chain_of_square_aperiodic_d_classes():
    g = green_relations(load_language("d3").dfa)
    shapes = [(len(d.r_classes), len(d.l_classes), d.h_size) for d in g.d_classes]
    assert shapes == [(1, 1, 1), (2, 2, 1), (3, 3, 1), (4, 4, 1), (1, 1, 1)]
    assert g.j_order == ((0, 1), (1, 2), (2, 3), (3, 4))
    assert [d.rank for d in g.d_classes] == [0, 1, 2, 3, 4]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_dfas(max_states=6))
def test_green_counts_agree_with_libsemigroups(dfa):
    lsg = pytest.importorskip("libsemigroups_pybind11")
    g = green_relations(dfa)
    d = g.monoid.dfa
    n = d.n_states
    guard = lsg.ReportGuard(False)  # noqa: F841
    # the identity as an extra generator makes libsemigroups' semigroup our monoid
    gens = [lsg.Transf([d.transitions[q][a] for q in range(n)]) for a in range(d.n_letters)]
    gens.append(lsg.Transf(list(range(n))))
    k = lsg.Konieczny(gens)
    assert k.size() == g.monoid.size
    assert k.number_of_D_classes() == g.n_d
    assert k.number_of_R_classes() == g.n_r
    assert k.number_of_L_classes() == g.n_l
    assert k.number_of_H_classes() == g.n_h
    assert k.number_of_idempotents() == len(g.idempotents)
    assert k.number_of_regular_D_classes() == sum(dc.regular for dc in g.d_classes)


def test_green_relations_of_a_single_state_dfa():
    g = green_relations(dfa_from_rows("ab", [[0, 0]], [0]))
    assert g.monoid.size == 1 and g.n_d == 1 and g.j_order == ()
