"""Loading languages: the suite and its [expect] facts, resolution order, bad files."""

from __future__ import annotations

import pytest

from automata_probe.automata import (
    Experiment,
    Language,
)
from automata_probe.automata.regex import regex_to_dfa
from automata_probe.errors import AlphabetError, LanguageFileError


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
