"""Loading languages: the suite and its [expect] facts, resolution order, bad files."""

from __future__ import annotations

from automata_probe.algebra import check_expectations
from automata_probe.automata import (
    Language,
    load_language,
)


def test_check_expectations_reports_a_wrong_fact():
    language = load_language("tomita4")
    wrong = Language(
        name="tomita4",
        description="wrong facts",
        alphabet=language.alphabet,
        dfa=language.dfa,
        expect={"min_states": 5, "accepts": ["000"]},
    )
    problems = check_expectations(wrong)
    assert len(problems) == 2
    assert "min_states: expected 5" in problems[0] and "'000' is rejected" in problems[1]
