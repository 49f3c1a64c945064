"""Tests for automata_probe.algebra.classification: star-freeness, the finer classes and evidence.

Checked against the definition of aperiodicity on a naive BFS of the monoid
(tests/algebra/reference.py) and on named languages with known monoids.
"""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given

from automata_probe.algebra import (
    Certificate,
    Classification,
    GroupInfo,
    classify,
    is_star_free,
    transition_monoid,
)
from automata_probe.errors import DFAError

from .reference import (
    PROPERTY,
    brute_aperiodic,
    brute_index,
    catalan,
    dfa_from_rows,
    naive_monoid,
    permutation_dfa,
    random_big,
    small_dfas,
)


@PROPERTY
@given(small_dfas(min_states=1, max_states=7))
def test_verdict_agrees_with_definition(dfa):
    d = dfa.minimize()
    maps, _ = naive_monoid(d)
    expected = brute_aperiodic(maps)
    c = classify(dfa)
    assert c.star_free == expected
    assert is_star_free(dfa) == expected
    assert transition_monoid(dfa).is_aperiodic() == expected
    if expected:
        assert c.aperiodicity_index == brute_index(maps)
        assert c.certificate is None
        assert c.complexity == "AC0"
        assert c.subgroups == ()
    else:
        assert c.aperiodicity_index is None
        assert c.subgroups  # a non-aperiodic monoid holds a non-trivial group


def test_aa_star_certificate_is_the_textbook_one(aa_star):
    c = classify(aa_star)
    assert not c.star_free
    assert c.certificate == Certificate(x=(), w=("a",), y=(), period=2)
    assert c.monoid_size == 2
    assert [g.name for g in c.subgroups] == ["Z2"]
    # unary: eta(A^2) = {1}, no group: quasi-aperiodic, in AC0
    assert c.quasi_aperiodic and c.stability_index == 2 and c.complexity == "AC0"


def test_aa_star_over_two_letters(aa_star_ab):
    c = classify(aa_star_ab)
    assert c.certificate == Certificate(x=(), w=("a",), y=(), period=2)
    assert c.monoid_size == 3 and c.complexity == "AC0"
    assert c.certificate.memberships(aa_star_ab, 4) == (True, False, True, False)


def test_ab_star_is_star_free(ab_star):
    c = classify(ab_star)
    assert c.star_free and c.certificate is None
    assert c.monoid_size == 6 and c.aperiodicity_index == 2
    assert c.complexity == "AC0" and c.quasi_aperiodic
    assert c.idempotents == 4  # 1, ab, ba, 0
    assert is_star_free(ab_star)
    m = transition_monoid(ab_star)
    assert m.words == ((), ("a",), ("b",), ("a", "a"), ("a", "b"), ("b", "a"))
    assert list(m.lengths) == [0, 1, 1, 2, 2, 2]


def test_parity_is_not_quasi_aperiodic(parity):
    c = classify(parity)
    assert not c.star_free
    assert c.certificate == Certificate(x=(), w=("1",), y=(), period=2)
    assert c.stability_index == 1 and c.stable_semigroup_size == 2
    assert c.quasi_aperiodic is False
    assert c.complexity == "ACC0"
    assert [(g.name, g.order, g.abelian, g.solvable) for g in c.subgroups] == [("Z2", 2, True, True)]


def test_tomita4(tomita4):
    c = classify(tomita4)
    assert c.star_free and c.monoid_size == 12 and c.aperiodicity_index == 3


def test_unary_cyclic_group_is_in_ac0():
    """Length mod 3 over one letter: the stable semigroup eta(a^3) = {1}."""
    c = classify(permutation_dfa([(1, 2, 0)], "g", "Z3 unary"))
    assert not c.star_free and c.complexity == "AC0" and c.stability_index == 3


def test_cap_after_a_certificate_gives_a_partial_classification():
    c = classify(random_big(), max_monoid=1000)
    assert not c.star_free and c.monoid_size is None
    assert c.complexity == "undetermined"
    assert c.certificate.check(random_big())
    mamba = next(p for p in c.predictions if p.architecture.startswith("Mamba"))
    assert mamba.expressible is False


def test_early_exit_does_not_enumerate_the_monoid():
    """The monoid has 1,238,159 elements: a verdict under a cap of 50 must come
    from a short witness, and quickly."""
    dfa = random_big()
    assert is_star_free(dfa, max_monoid=50) is False
    t = time.perf_counter()
    for _ in range(10):
        is_star_free(dfa)
    assert (time.perf_counter() - t) / 10 < 0.05


def test_large_star_free_monoid_index():
    c = classify(catalan(8))
    assert c.star_free and c.monoid_size == 1430 and c.aperiodicity_index == 7


def test_classification_to_dict_is_json(s3, ab_star):
    for dfa in (s3, ab_star):
        c = classify(dfa)
        d = json.loads(json.dumps(c.to_dict()))
        assert d["star_free"] == c.star_free
        assert d["complexity"] == c.complexity
        assert len(d["predictions"]) == len(c.predictions)
        assert all(p["citation"] for p in d["predictions"])


def test_evidence_names_its_theorems(parity, ab_star):
    assert any("Schützenberger" in e for e in classify(ab_star).evidence)
    ev = classify(parity).evidence
    assert any("Barrington, Compton, Straubing & Thérien 1992" in e for e in ev)


def test_classification_validation():
    with pytest.raises(DFAError):
        Classification(
            star_free=True, certificate=None, monoid_size=1, aperiodicity_index=0,
            subgroups=(), complexity="P", predictions=(),
        )
    with pytest.raises(DFAError):
        Classification(
            star_free=False, certificate=None, monoid_size=1, aperiodicity_index=None,
            subgroups=(), complexity="AC0", predictions=(),
        )
    with pytest.raises(DFAError):
        GroupInfo(order=0, abelian=True, solvable=True, name="x")


def test_trivial_monoids():
    everything = dfa_from_rows("ab", [[0, 0]], [0])
    nothing = dfa_from_rows("a", [[0]], [])
    for dfa in (everything, nothing):
        c = classify(dfa)
        assert c.star_free and c.monoid_size == 1 and c.aperiodicity_index == 0
        assert is_star_free(dfa)


def test_multi_character_letters(s3):
    d = permutation_dfa([(1, 0, 2), (1, 2, 0)], ("push(", "s1"), "S3")
    c = classify(d)
    assert c.certificate.w == ("push(",)
    assert transition_monoid(d).element_of("s1 s1 s1") == 0
