"""Tests for automata_probe.algebra.tracking: counting witnesses, groups, Householder factors."""

from __future__ import annotations

import pytest

from automata_probe.algebra._enumeration import minimal_dfa
from automata_probe.algebra.tracking import counting_witnesses, tracking_facts
from automata_probe.automata import DFA, load_language


def _facts(name: str, group: str | None = None, order: int | None = None):
    return tracking_facts(minimal_dfa(load_language(name).dfa), group, order)


def test_witnesses_are_true_of_the_dfa():
    for name in ("parity", "aa_star", "mod-3-1", "group-S3-all", "tomita5"):
        d = minimal_dfa(load_language(name).dfa)
        ws = counting_witnesses(d)
        assert ws, name
        for w in ws:
            for k in range(3 * w.period):
                accepted = d.accepts(w.prefix + (w.letter,) * k)
                assert accepted == ((k % w.period == 0) != w.complemented), (name, w, k)


def test_periods():
    assert _facts("aa_star").periods == (2,)
    assert _facts("mod-3").periods == (3,)
    assert _facts("group-S3-all").periods == (2, 3)
    assert _facts("tomita4").periods == ()  # star-free: nothing cycles


def test_no_witness_when_the_cycle_pattern_is_not_a_single_residue():
    # over {a}: accept a^k iff k mod 4 in {0, 1}: period 4, two accepted residues
    d = DFA(alphabet=("a",), transitions=((1,), (2,), (3,), (0,)), start=0, accepting=frozenset({0, 1}))
    assert counting_witnesses(d) == ()


def test_householder_factors():
    s3 = _facts("group-S3-all", "S3", 6)
    assert s3.is_group and s3.householders == 2 and s3.permutation_householders == 2
    assert s3.permutation_degree == 3  # the natural action, not the 6 states of the DFA
    s5 = _facts("group-S5", "S5", 120)
    assert s5.householders == 4 and s5.permutation_degree == 5  # S_n: n - 1 factors
    a5 = _facts("group-A5-all", "A5", 60)
    assert a5.householders == 2 and a5.permutation_householders == 4  # rotations of R^3 vs 5-cycles
    z60 = _facts("group-Z60-all", "Z60", 60)
    assert z60.householders == 2  # rotations of the plane
    parity = _facts("parity", "Z2", 2)
    assert parity.householders == 1
    assert not _facts("tomita4").is_group


@pytest.mark.parametrize("name", ["dyck-2-3", "flip_flop"])
def test_non_group_languages_have_no_factor_count(name):
    f = _facts(name)
    assert not f.is_group and f.householders is None
    assert f.to_dict()["n_states"] == f.n_states
