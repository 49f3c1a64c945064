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


def test_words_over_long_letters_print_with_their_alphabet():
    """Over {a, b, ab}, the word (a, b) and the word (ab,) must print apart."""
    from automata_probe.automata.dfa import DFA

    # accept exactly the one-letter word "ab"
    d = DFA(alphabet=("a", "b", "ab"), transitions=((2, 2, 1), (2, 2, 2), (2, 2, 2)), start=0, accepting={1})
    language = Language(name="l", description="", alphabet=d.alphabet, dfa=d,
                        expect={"accepts": ["a b"], "rejects": ["ab"]})
    assert check_expectations(language) == ["accepts: 'a b' is rejected", "rejects: 'ab' is accepted"]
