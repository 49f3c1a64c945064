"""Tests for automata_probe.experiments.extraction: every method on a model that is a DFA."""

from __future__ import annotations

import pytest

from automata_probe.extraction import LearningBudget

from ..extraction.helpers import B, dfa_module, tomita


def test_extract_all_on_a_model_that_is_a_dfa() -> None:
    pytest.importorskip("torch")
    from automata_probe.experiments.extraction import ExtractionConfig, extract_all

    truth = tomita(4)
    model = dfa_module(truth)
    config = ExtractionConfig(
        max_length=8, n_words=150, word_max_length=12, k_range=range(2, 8),
        budget=LearningBudget(walks_per_state=30, walk_length=12),
    )
    report = extract_all(model, truth, config, alphabet=B, task="next")
    assert [r.method for r in report.results] == ["probe", "cluster", "lstar", "kv"]
    for r in report.results:
        assert r.equivalent, r.method
        assert r.comparison.mapping.is_bijection
    assert report.result("probe").details["site"] == "layers.0.resid"  # embed cannot tell q0 from q1
    # the model's letter bits mark the dead prefixes, so only the 3 live states are clustered
    assert report.result("cluster").details["k"] == truth.n_states - 1
    assert report.model.counterexample is None
    assert report.to_dict()["results"][0]["comparison"]["equivalent"] is True
