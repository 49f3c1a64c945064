"""Fixtures of the algebra tests: small DFAs with known syntactic monoids."""

from __future__ import annotations

from pathlib import Path

import pytest

from automata_probe.automata.dfa import DFA
from automata_probe.automata.files import read_language_file

from .reference import dfa_from_rows, permutation_dfa


@pytest.fixture
def aa_star():
    """(aa)* over {a}."""
    return dfa_from_rows("a", [[1], [0]], [0], name="(aa)*")


@pytest.fixture
def aa_star_ab():
    """(aa)* over {a, b}: b leads to the dead state."""
    return dfa_from_rows("ab", [[1, 2], [0, 2], [2, 2]], [0], name="(aa)* over ab")


@pytest.fixture
def ab_star():
    """(ab)*: star-free; monoid {1, a, b, ab, ba, 0}."""
    return dfa_from_rows("ab", [[1, 2], [2, 0], [2, 2]], [0], name="(ab)*")


@pytest.fixture
def parity():
    """An even number of 1s."""
    return dfa_from_rows("01", [[0, 1], [1, 0]], [0], name="parity")


@pytest.fixture
def tomita4():
    """No three consecutive 0s (Tomita 4), by table."""
    return DFA.from_table(
        alphabet="01",
        transitions={"q0": {"0": "q1", "1": "q0"}, "q1": {"0": "q2", "1": "q0"}, "q2": {"1": "q0"}},
        start="q0",
        accept=["q0", "q1", "q2"],
        name="tomita4",
    )


@pytest.fixture
def z3():
    """Z3 word problem with a generator g and a neutral letter e (not unary,
    so the stable semigroup holds Z3: not in AC0)."""
    return permutation_dfa([(1, 2, 0), (0, 1, 2)], "ge", "Z3")


@pytest.fixture
def s3():
    return permutation_dfa([(1, 0, 2), (1, 2, 0)], "tc", "S3")


@pytest.fixture
def a5():
    return permutation_dfa([(1, 2, 0, 3, 4), (1, 2, 3, 4, 0)], "rc", "A5")


@pytest.fixture
def s5():
    return permutation_dfa([(1, 0, 2, 3, 4), (1, 2, 3, 4, 0)], "tc", "S5")


@pytest.fixture
def flip_flop():
    """The suite's flip-flop language: star-free with a 103-element monoid,
    and its letters do not preserve the order of the states."""
    path = Path(__file__).resolve().parents[2] / "languages" / "flip_flop.toml"
    return read_language_file(path).dfa.with_name("flip_flop")
