"""Tests for automata_probe.algebra.groups: maximal subgroups, their names and solvability."""

from __future__ import annotations

import pytest

from automata_probe.algebra import classify
from automata_probe.algebra.groups import _closure_of, analyse_group

from .reference import dfa_from_rows, naive_monoid, permutation_dfa, power


def test_cyclic_group_is_solvable_and_abelian(z3):
    c = classify(z3)
    assert not c.star_free and c.certificate.period == 3
    assert [(g.name, g.order, g.abelian, g.solvable) for g in c.subgroups] == [("Z3", 3, True, True)]
    assert c.complexity == "ACC0"


def test_s3_is_solvable_not_abelian(s3):
    c = classify(s3)
    assert [(g.name, g.order, g.abelian, g.solvable) for g in c.subgroups] == [("S3", 6, False, True)]
    assert c.complexity == "ACC0"


@pytest.mark.parametrize("name, size", [("a5", 60), ("s5", 120)])
def test_a5_s5_are_nc1_complete(request, name, size):
    dfa = request.getfixturevalue(name)
    c = classify(dfa)
    assert c.monoid_size == size
    assert [(g.name, g.order, g.abelian, g.solvable) for g in c.subgroups] == [(name.upper(), size, False, False)]
    assert c.complexity == "NC1-complete"
    tc0 = next(p for p in c.predictions if "fixed depth" in p.architecture)
    assert tc0.expressible is False
    assert c.certificate.check(dfa)


def _perm_group(gens):
    degree = len(gens[0])
    return sorted(_closure_of(gens, degree)), degree


def _product(g, h):
    """Direct product acting on the disjoint union of the two point sets."""
    dg, dh = len(g[0]), len(h[0])
    gens = [tuple(x) + tuple(range(dg, dg + dh)) for x in g] + [tuple(range(dg)) + tuple(dg + y for y in x) for x in h]
    return gens


@pytest.mark.parametrize(
    "gens, name, order, abelian, solvable",
    [
        ([(1, 2, 3, 0)], "Z4", 4, True, True),
        ([(1, 0, 2, 3), (0, 1, 3, 2)], "V4", 4, True, True),
        (_product([(1, 0)], [(1, 2, 3, 0)]), "Z2xZ4", 8, True, True),
        ([(1, 2, 3, 0), (3, 2, 1, 0)], "Dih4", 8, False, True),
        ([(1, 2, 3, 4, 0), (4, 3, 2, 1, 0)], "Dih5", 10, False, True),
        # Q8 as left multiplication on its 8 elements (1, i, j, k, -1, -i, -j, -k)
        ([(1, 4, 3, 6, 5, 0, 7, 2), (2, 7, 4, 1, 6, 3, 0, 5)], "Q8", 8, False, True),
        ([(1, 2, 0, 3), (0, 2, 3, 1)], "A4", 12, False, True),
        ([(1, 0, 2, 3), (1, 2, 3, 0)], "S4", 24, False, True),
        (_product([(1, 2, 0, 3), (0, 2, 3, 1)], [(1, 2, 3, 4, 0)]), "A4xZ5", 60, False, True),
        ([(1, 2, 0, 3, 4), (1, 2, 3, 4, 0)], "A5", 60, False, False),
        ([(1, 0, 2, 3, 4), (1, 2, 3, 4, 0)], "S5", 120, False, False),
    ],
)
def test_group_names(gens, name, order, abelian, solvable):
    elements, degree = _perm_group(gens)
    facts = analyse_group(elements, degree)
    assert (facts.name, facts.order, facts.abelian, facts.solvable) == (name, order, abelian, solvable)


def test_subgroups_of_a_direct_product_word_problem():
    """A4 x Z5 (solvable, the Merrill et al. control) is named as such."""
    gens = _product([(1, 2, 0, 3), (0, 2, 3, 1)], [(1, 2, 3, 4, 0)])
    dfa = permutation_dfa(gens, "xyz", "A4xZ5")
    c = classify(dfa)
    assert [(g.name, g.order) for g in c.subgroups] == [("A4xZ5", 60)]
    assert c.complexity == "ACC0"


def test_maximal_subgroups_are_counted_per_h_class():
    """A monoid with two idempotents holding Z2: a letter swapping 0,1 and one
    collapsing onto {1, 2}, on three states."""
    dfa = dfa_from_rows("ab", [[1, 1], [0, 2], [2, 1]], [0])
    c = classify(dfa)
    maps, _ = naive_monoid(dfa.minimize())
    groups = [y for y in maps if len(set(power(y, 2))) == len(set(y)) and power(y, 2) != y]
    assert groups and not c.star_free
    assert sum(g.count for g in c.subgroups if g.order > 1) >= 1
    assert all(g.solvable for g in c.subgroups)
