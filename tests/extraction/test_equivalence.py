"""Tests for automata_probe.extraction.equivalence: the search finds errors where the model is used.

The "model" is a DFA with a planted error at long words (:func:`tests.extraction.helpers.forgetful`:
right up to length 40, then it forgets the first letter), so the answer is known.
"""

from __future__ import annotations

import pytest

from automata_probe.automata.dfa import DFA
from automata_probe.errors import DataError
from automata_probe.extraction import (
    CounterexampleSearch,
    DFAOracle,
    FidelityPlan,
    LearningBudget,
    fidelity,
    learn_dfa,
)

from .helpers import B, first_equals_last, forgetful


def test_short_words_alone_miss_a_planted_error_at_length_41() -> None:
    """The old oracle: every word to length 11 and walks of up to 30 letters. It passes the truth."""
    truth, model = first_equals_last(), forgetful(40)
    old = LearningBudget(wmethod_words=0, whitebox_pairs=0)
    search = CounterexampleSearch(DFAOracle(model), old, seed=0)
    assert search.find(truth) is None and search.stop_reason is None


def test_the_search_finds_the_planted_error_in_the_length_bins_and_shortens_it() -> None:
    truth, model = first_equals_last(), forgetful(40)
    budget = LearningBudget(test_bins=((1, 30), (31, 60)), words_per_bin=200, seconds=30)
    search = CounterexampleSearch(DFAOracle(model), budget, reference=truth, seed=0)
    cex = search.find(truth)
    assert cex is not None and search.found[-1][1] == "bins"
    assert len(cex) == 41  # shrunk to the first length where the model errs: one letter less and it is right
    assert truth.accepts(cex) != model.accepts(cex)
    assert search.sources == {"bins": 1} and search.test_words > 0


def test_seed_words_are_tested_first() -> None:
    truth, model = first_equals_last(), forgetful(40)
    planted = ("1",) + ("0",) * 40
    search = CounterexampleSearch(DFAOracle(model), LearningBudget(), seeds=[planted], seed=0)
    assert search.find(truth) == planted and search.found[0][1] == "seed"


def test_the_white_box_stage_finds_what_the_hidden_states_separate() -> None:
    """A model counting a's mod 4 against a hypothesis counting mod 2: the hypothesis
    merges 0 and 2 (mod 4), which the model's states (one-hot) keep apart."""
    mod4 = DFA(alphabet=B, transitions=tuple(((q + 1) % 4, q) for q in range(4)), start=0, accepting={0})
    mod2 = DFA(alphabet=B, transitions=((1, 0), (0, 1)), start=0, accepting={0})
    only_whitebox = LearningBudget(exhaustive_length=0, walks_per_state=0, wmethod_words=0, words_per_bin=0,
                                   test_bins=((4, 12),), whitebox_pairs=10)
    search = CounterexampleSearch(DFAOracle(mod4), only_whitebox, reference=mod2, seed=0)
    cex = search.find(mod2)
    assert cex is not None and search.found[0][1] == "white-box"
    assert mod4.accepts(cex) != mod2.accepts(cex)


def test_the_learner_finds_the_planted_error_and_learns_the_model() -> None:
    pytest.importorskip("aalpy")
    truth, model = first_equals_last(), forgetful(40)
    budget = LearningBudget(test_bins=((1, 30), (31, 60)), words_per_bin=200, max_states=200, max_rounds=300,
                            seconds=120)
    res = learn_dfa(DFAOracle(model), algorithm="lstar", budget=budget, reference=truth, seed=0)
    assert any(stage == "bins" for _, stage in res.counterexamples)
    assert res.converged and res.dfa == model  # the planted error, learnt exactly
    fid = fidelity(res.dfa, DFAOracle(model), FidelityPlan(bins=((1, 30), (31, 60)), words_per_bin=300))
    assert fid.faithful
    # too few rounds for 80 states: the learner says so instead of claiming convergence
    short = learn_dfa(DFAOracle(forgetful(16)), algorithm="kv", budget=LearningBudget(max_rounds=4), seed=0)
    assert not short.converged and short.stop_reason == "rounds"


def test_a_time_budget_stops_the_search_and_says_so() -> None:
    truth, model = first_equals_last(), forgetful(40)
    search = CounterexampleSearch(DFAOracle(model), LearningBudget(test_bins=((1, 60),)), deadline=0.0)
    assert search.find(truth) is None and search.stop_reason == "time"


def test_budget_validation() -> None:
    with pytest.raises(DataError, match="seconds"):
        LearningBudget(seconds=0)
    with pytest.raises(DataError, match="bin"):
        LearningBudget(test_bins=((5, 2),))
