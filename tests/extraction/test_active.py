"""Tests for automata_probe.extraction.active: L* and KV with a DFA answering, and the budgets."""

from __future__ import annotations

import sys

import pytest

from automata_probe.automata.dfa import DFA
from automata_probe.errors import AutomataProbeError, DataError
from automata_probe.extraction import (
    DFAOracle,
    LearningBudget,
    dfa_from_aalpy,
    learn_dfa,
)

from .helpers import B, tomita


@pytest.fixture
def tomita4() -> DFA:
    return tomita(4)


@pytest.mark.parametrize("algorithm", ["lstar", "kv", "lsharp"])
@pytest.mark.parametrize("n", range(1, 8))
def test_active_learning_recovers_every_tomita_grammar(n: int, algorithm: str) -> None:
    pytest.importorskip("aalpy")
    truth = tomita(n)
    oracle = DFAOracle(truth)
    res = learn_dfa(oracle, algorithm=algorithm, seed=0, budget=LearningBudget(walks_per_state=50))
    assert res.converged
    assert res.dfa == truth  # minimal, canonical: equal as objects
    assert res.membership_queries > 0 and res.rounds >= 1


def test_active_learning_gets_the_empty_word_right() -> None:
    """Tomita 2 accepts the empty word; AALpy's own TomitaSUL gets that wrong."""
    pytest.importorskip("aalpy")
    res = learn_dfa(DFAOracle(tomita(2)), algorithm="lstar", seed=1)
    assert res.dfa.accepts(()) and res.dfa.accepts("1010") and not res.dfa.accepts("10100")


def test_active_learning_stops_at_the_state_budget() -> None:
    pytest.importorskip("aalpy")
    # count of 0s mod 12: 12 states, more than the budget allows
    mod12 = DFA(alphabet=B, transitions=tuple(((q + 1) % 12, q) for q in range(12)), start=0, accepting={0})
    res = learn_dfa(DFAOracle(mod12), algorithm="kv", budget=LearningBudget(max_states=3), seed=0)
    assert not res.converged  # the budget stopped it: nobody checked the 12-state hypothesis
    assert res.dfa.n_states > 3 and res.rounds <= 3


def test_active_learning_stops_at_the_query_budget() -> None:
    """A learner that runs out of membership queries returns its last tested hypothesis."""
    pytest.importorskip("aalpy")
    mod12 = DFA(alphabet=B, transitions=tuple(((q + 1) % 12, q) for q in range(12)), start=0, accepting={0})
    res = learn_dfa(DFAOracle(mod12), algorithm="lstar", budget=LearningBudget(max_queries=12), seed=0)
    assert not res.converged and res.stop_reason == "queries"
    assert res.refuted and res.status == "refuted: queries budget spent"  # its counterexample was never used
    assert res.membership_queries <= 12 and res.rounds >= 1
    with pytest.raises(DataError, match="before its first hypothesis"):
        learn_dfa(DFAOracle(mod12), algorithm="lstar", budget=LearningBudget(max_queries=2), seed=0)


def test_missing_aalpy_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tomita4: DFA) -> None:
    monkeypatch.setitem(sys.modules, "aalpy", None)  # import aalpy -> ImportError
    with pytest.raises(AutomataProbeError, match=r"install automata-probe\[learn\]"):
        learn_dfa(DFAOracle(tomita4))


def test_dfa_from_aalpy_completes_a_partial_automaton() -> None:
    aalpy = pytest.importorskip("aalpy")
    from aalpy.automata import Dfa, DfaState

    s0, s1 = DfaState("s0", is_accepting=True), DfaState("s1", is_accepting=False)
    s0.transitions = {"1": s1}
    s1.transitions = {"0": s0}
    got = dfa_from_aalpy(Dfa(s0, [s0, s1]), B)
    assert got == tomita(2) and aalpy is not None
