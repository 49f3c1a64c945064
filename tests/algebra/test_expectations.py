"""Loading languages: the suite and its [expect] facts, resolution order, bad files."""

from __future__ import annotations



from automata_probe.automata import (
    Language,
    load_language,
    suite_names,
)
from automata_probe.algebra import check_expectations

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
