"""Tests for automata_probe.experiments.extraction: every method on a model that is a DFA,
fidelity before equivalence, and a failed clustering reported as a failure."""

from __future__ import annotations

import pytest

from automata_probe.extraction import LearningBudget

from ..extraction.helpers import B, dfa_module, tomita


def _config(**kw):  # noqa: ANN003, ANN202
    from automata_probe.experiments.extraction import ExtractionConfig

    base = dict(max_length=8, n_words=150, word_max_length=12, k_range=range(2, 8), fidelity_words=200,
                budget=LearningBudget(walks_per_state=30, walk_length=12))
    return ExtractionConfig(**{**base, **kw})


def test_extract_all_on_a_model_that_is_a_dfa() -> None:
    pytest.importorskip("torch")
    pytest.importorskip("aalpy")
    from automata_probe.experiments.extraction import METHODS, extract_all

    truth = tomita(4)
    report = extract_all(dfa_module(truth), truth, _config(), alphabet=B, task="next")
    assert [r.method for r in report.results] == list(METHODS)
    assert report.model.faithful and not report.model_errs
    for r in report.results:
        assert r.faithful and r.equivalent, r.method
        assert r.verdict.startswith("faithful to the model up to length 8, and equivalent to tomita4")
        assert r.fidelity.exact_up_to == 8 and all(row.agreement == 1 for row in r.fidelity.rows)
    assert report.result("probe").comparison.mapping.is_bijection
    assert report.result("probe").details["site"] == "layers.0.resid"  # embed cannot tell q0 from q1
    # the model's letter bits mark the dead prefixes, so only the 3 live states are clustered
    assert report.result("cluster").details["k"] == truth.n_states - 1
    assert report.summary.startswith("the model computes tomita4 up to the lengths checked")
    # the default experiment reaches 100: what max_length=8 left unchecked is named
    assert report.unchecked == ((9, 50), (51, 100)) and "not checked: lengths 9-50, 51-100" in report.summary
    assert report.to_dict()["results"][0]["fidelity"]["faithful"] is True


def test_a_model_that_errs_is_never_called_the_truth() -> None:
    """The "model" computes Tomita 3 while the truth is Tomita 4: the model row says it errs,
    every faithful method finds Tomita 3, and none is reported as the model computing the truth."""
    pytest.importorskip("torch")
    pytest.importorskip("aalpy")
    from automata_probe.experiments.extraction import extract_all

    truth, actual = tomita(4), tomita(3)
    report = extract_all(dfa_module(actual), truth, _config(methods=("lstar", "rpni"), max_length=30),
                         alphabet=B, task="next")
    assert report.model_errs and report.summary.startswith("the model does NOT compute tomita4")
    assert report.bins == ((1, 30),)
    for r in report.results:
        assert r.faithful and not r.equivalent and r.dfa == actual.with_name(r.method), r.method
        assert "the model computes something else" in r.verdict
        assert r.fidelity.sampled_rows[0].lo == 15  # every word up to 14, sampled beyond


def test_a_failed_clustering_is_a_failure_not_an_automaton() -> None:
    pytest.importorskip("torch")
    from automata_probe.experiments.extraction import extract_all

    truth = tomita(4)
    noisy = dfa_module(truth, noise=40.0)  # the hidden states are noise: no k is consistent
    report = extract_all(noisy, truth, _config(methods=("cluster",), k_range=range(2, 5)), alphabet=B, task="next")
    (r,) = report.results
    assert r.failed and r.dfa is None and r.fidelity is None and not r.equivalent
    assert r.failure.startswith("no k in 2..4 consistent at any site")
    assert r.verdict.startswith("failed: ") and "failed: cluster" in report.summary


def test_check_lengths() -> None:
    from automata_probe.experiments.extraction import check_lengths

    exp = [(1, 60), (61, 120), (121, 240)]
    assert check_lengths(exp) == ((1, 60), (61, 120))
    assert check_lengths(exp, 250) == ((1, 60), (61, 120), (121, 240), (241, 250))
    assert check_lengths(exp, 100) == ((1, 60), (61, 100))
    assert check_lengths(exp, 8) == ((1, 8),)
