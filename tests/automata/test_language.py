"""Loading languages: the suite and its [expect] facts, resolution order, bad files."""

from __future__ import annotations


import pytest

from automata_probe.errors import AlphabetError, LanguageFileError
from automata_probe.automata import (
    Experiment,
    Language,
    suite_names,
)
from automata_probe.automata.regex import regex_to_dfa

SUITE = suite_names()

# Sarrof et al.'s star-free column (issue 2, "Done when")
STAR_FREE = {"tomita1", "tomita2", "tomita4", "tomita7", "d1", "d2", "d3", "d4", "d12", "abcde", "ab_d_bc",
             "012_02", "flip_flop"}
NOT_STAR_FREE = {"parity", "aa_star", "aaaa_star", "abab_star", "tomita3", "tomita5", "tomita6"}

TOMITA4 = """\
name = "tomita4"
description = "no three consecutive 0s"
alphabet = ["0", "1"]
regex = "(1|01|001)*(0|00)?"
[expect]
min_states = 4
[dfa]
start = "q0"
accept = ["q0", "q1", "q2"]
[dfa.transitions]
q0 = { "0" = "q1", "1" = "q0" }
q1 = { "0" = "q2", "1" = "q0" }
q2 = { "1" = "q0" }
"""


def test_language_validates_its_alphabet():
    dfa = regex_to_dfa("a*", "ab")
    with pytest.raises(AlphabetError):
        Language(name="x", description="", alphabet=("a",), dfa=dfa)
    with pytest.raises(LanguageFileError, match="unknown"):
        Language(name="x", description="", alphabet=("a", "b"), dfa=dfa, expect={"starfree": True})


def test_experiment_validates_lengths():
    assert Experiment(train_lengths=[1, 5], test_bins=[[6, 9]]).train_lengths == (1, 5)
    with pytest.raises(LanguageFileError):
        Experiment(train_lengths=(5, 1), test_bins=((6, 9),))
    assert Experiment(train_lengths=(1, 10), test_bins=((5, 20),)).overlapping_bins() == ((5, 20),)
