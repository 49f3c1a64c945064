"""Tests for automata_probe.algebra.quotients: the sign, cyclic factors and the abelianization of a group monoid."""

from __future__ import annotations

import numpy as np
import pytest

from automata_probe.algebra import transition_monoid
from automata_probe.algebra.quotients import group_table, monoid_quotient, normal_subgroups
from automata_probe.automata import load_language
from automata_probe.errors import DataError


def _monoid(name):
    return transition_monoid(load_language(name).dfa)


def _is_homomorphism(monoid, classes, k=None):
    """class(a b) depends only on class(a) and class(b)."""
    table = group_table(monoid)
    seen = {}
    for a in range(monoid.size):
        for b in range(monoid.size):
            key = (classes[a], classes[b])
            assert seen.setdefault(key, classes[table[a, b]]) == classes[table[a, b]]
    return seen


def test_sign_of_s3_is_the_parity_of_the_permutation():
    m = _monoid("group-S3")
    q = monoid_quotient(m, "sign")
    assert q.class_names == ("even", "odd") and q.kernel_size == 3 and q.complement is None
    assert q.classes[0] == 0  # the identity is even
    mult = _is_homomorphism(m, q.classes)
    assert mult[(1, 1)] == 0 and mult[(0, 1)] == 1  # odd . odd = even
    # the letters: t (a transposition) is odd, c (a 3-cycle) is even
    assert q.classes[m.element_of("t")] == 1 and q.classes[m.element_of("c")] == 0


def test_z5_factor_of_a4xz5_has_a4_as_complement():
    m = _monoid("group-A4xZ5")
    q = monoid_quotient(m, "Z5")
    assert q.class_names == ("0", "1", "2", "3", "4") and q.kernel_size == 12
    assert np.bincount(q.classes).tolist() == [12] * 5
    mult = _is_homomorphism(m, q.classes)
    names = [int(n) for n in q.class_names]
    for (a, b), c in mult.items():  # class names add mod 5
        assert names[c] == (names[a] + names[b]) % 5
    assert q.complement is not None and len(set(q.complement.tolist())) == 12
    # (class, complement class) names every element once: a direct product
    assert len({(a, b) for a, b in zip(q.classes, q.complement)}) == 60


def test_abelianization_and_normal_subgroups():
    m = _monoid("group-S3")
    assert [int(n.sum()) for n in normal_subgroups(group_table(m))] == [1, 3, 6]
    assert len(monoid_quotient(m, "abelian").class_names) == 2
    assert len(monoid_quotient(_monoid("group-Z5"), "abelian").class_names) == 5


@pytest.mark.parametrize("name, quotient, message", [
    ("tomita4", "sign", "not a group"),
    ("group-S3", "Z3", "no quotient Z3"),
    ("group-Z5", "sign", "no quotient sign"),
    ("group-S3", "cube", "unknown quotient"),
])
def test_quotients_a_monoid_does_not_have_are_errors(name, quotient, message):
    with pytest.raises(DataError, match=message):
        monoid_quotient(_monoid(name), quotient)
