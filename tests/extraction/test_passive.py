"""Tests for automata_probe.extraction.passive: RPNI and EDSM on a model's own labels."""

from __future__ import annotations

import numpy as np
import pytest

from automata_probe.errors import DataError
from automata_probe.extraction import DFAOracle, FidelityPlan, bin_words, fidelity, learn_passive

from .helpers import B, first_equals_last, forgetful, tomita


@pytest.mark.parametrize("algorithm", ["rpni", "edsm"])
def test_passive_merging_recovers_a_tomita_grammar_from_its_labels(algorithm: str) -> None:
    pytest.importorskip("aalpy")
    t7 = tomita(7)
    words = [w for ws in bin_words(B, 1, 20, 300, np.random.default_rng(0), [t7]).values() for w in ws]
    res = learn_passive(DFAOracle(t7), words, algorithm=algorithm, name="p")
    assert res.dfa == t7.with_name("p") and res.n_words <= 300 and res.n_labels > res.n_words


def test_passive_merging_follows_the_model_not_the_truth() -> None:
    """Labels from a model with a planted error at length 17: with enough words RPNI learns
    the model's automaton (it is one); with too few it overfits, and fidelity says so."""
    pytest.importorskip("aalpy")
    truth, model = first_equals_last(), forgetful(16)
    plan = FidelityPlan(bins=((1, 40),), words_per_bin=300)
    scores = []
    for n in (600, 2000):
        words = [w for ws in bin_words(B, 1, 40, n, np.random.default_rng(0), [truth]).values() for w in ws]
        res = learn_passive(DFAOracle(model), words)
        scores.append((res.dfa.n_states, fidelity(res.dfa, DFAOracle(model), plan)))
    (n_few, few), (n_many, many) = scores
    assert n_few > model.n_states and not few.faithful and few.disagreement_is_shortest
    assert n_many == model.n_states and many.faithful


def test_passive_checks_its_input() -> None:
    with pytest.raises(DataError, match="unknown passive"):
        learn_passive(DFAOracle(tomita(4)), [("0",)], algorithm="magic")
    with pytest.raises(DataError, match="at least one word"):
        learn_passive(DFAOracle(tomita(4)), [])
