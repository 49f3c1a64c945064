"""Tests for automata_probe.extraction.passive: RPNI and EDSM on a model's own labels."""

from __future__ import annotations

import zlib

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


def test_tolerant_merging_without_tolerance_never_contradicts_the_data() -> None:
    truth, model = first_equals_last(), forgetful(8)
    words = [w for ws in bin_words(B, 1, 20, 800, np.random.default_rng(0), [truth]).values() for w in ws]
    res = learn_passive(DFAOracle(model), words, algorithm="tolerant", tolerance=0.0)
    assert res.dfa.n_states == model.n_states and res.dfa.minimize() == model.minimize().with_name(res.dfa.name)


def test_tolerant_merging_sees_through_rare_label_errors() -> None:
    """Tomita 7's labels with 1% of the prefixes past length 20 flipped (a model that errs
    rarely on long words): exact merging grows states to follow the errors, the tolerant
    merging finds Tomita 7, and fidelity puts its error rate at the flipped share."""
    from automata_probe.extraction import tolerant_merge

    t7 = tomita(7)
    rng = np.random.default_rng(3)
    words = [w for ws in bin_words(B, 1, 30, 500, rng, [t7]).values() for w in ws]
    labels = {w[:t]: t7.accepts(w[:t]) for w in words for t in range(len(w) + 1)}
    long = sorted(p for p in labels if len(p) > 20)
    for i in rng.choice(len(long), size=len(long) // 100, replace=False):
        labels[long[i]] = not labels[long[i]]
    exact = tolerant_merge(labels, B, tolerance=0.0)
    tolerant = tolerant_merge(labels, B, tolerance=0.01)
    assert exact.n_states > t7.n_states
    assert tolerant == t7.with_name(tolerant.name)


def test_tolerance_is_checked() -> None:
    with pytest.raises(DataError, match="tolerance"):
        learn_passive(DFAOracle(tomita(4)), [("0",)], algorithm="tolerant", tolerance=0.6)


@pytest.mark.parametrize("algorithm", ["rpni", "tolerant"])
def test_merging_stops_at_its_time_budget(algorithm: str) -> None:
    """Labels that no small automaton fits (a coin flip per prefix) make merging promote
    state after state; a budget stops it with a clear error."""
    pytest.importorskip("aalpy")
    from automata_probe.extraction.passive import MergingTimeout

    class Coin:
        alphabet = B

        def accepts_batch(self, words):  # noqa: ANN001, ANN202
            return np.array([zlib.crc32("".join(w).encode()) % 2 == 0 for w in words])

    words = [w for ws in bin_words(B, 20, 40, 400, np.random.default_rng(0), []).values() for w in ws]
    with pytest.raises(MergingTimeout, match="time budget"):
        learn_passive(Coin(), words, algorithm=algorithm, seconds=0.2)
