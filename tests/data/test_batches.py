"""Tests for automata_probe.data: tokens, alignment, exact samplers, bins, targets."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from automata_probe.automata.dfa import DFA
from automata_probe.data import (
    Tokenizer,
    batch_from_indices,
    batch_from_words,
)
from automata_probe.errors import DataError


def test_empty_word_is_bos_and_start_state(tomita4):
    b = batch_from_words(tomita4, [""], "state")
    assert b.tokens.tolist() == [[Tokenizer.BOS]]
    assert b.states.tolist() == [[tomita4.start]]
    assert b.mask.tolist() == [[True]]
    assert b.lengths.tolist() == [0]


def test_alignment_and_right_padding(tomita4):
    b = batch_from_words(tomita4, ["001", "", "0"], "state")
    assert b.tokens.tolist() == [[1, 2, 2, 3], [1, 0, 0, 0], [1, 2, 0, 0]]
    assert b.mask.tolist() == [[True] * 4, [True, False, False, False], [True, True, False, False]]
    assert b.states.tolist() == [tomita4.run("001"), [0, -1, -1, -1], [0, 1, -1, -1]]
    assert b.targets.tolist() == b.states.tolist()  # state task: targets are the states


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(alphabet="01", max_size=12), min_size=1, max_size=6))
def test_alignment_property(words):
    dfa = DFA.from_table(
        alphabet=["0", "1"],
        transitions={"q0": {"0": "q1", "1": "q0"}, "q1": {"0": "q2", "1": "q0"}, "q2": {"1": "q0"}},
        start="q0",
        accept=["q0", "q1", "q2"],
    ).minimize()
    b = batch_from_words(dfa, words, "next")
    for i, w in enumerate(words):
        L = len(w)
        assert int(b.mask[i].sum()) == L + 1
        assert b.states[i, : L + 1].tolist() == dfa.run(w)  # output t <-> q_t
        assert b.tokens[i, 1 : L + 1].tolist() == [int(c) + 2 for c in w]
        assert (b.states[i, L + 1 :] == -1).all() and (b.tokens[i, L + 1 :] == 0).all()
        assert float(b.targets[i, L + 1 :].abs().sum()) == 0.0


def test_batch_from_indices_validates(tomita4):
    with pytest.raises(DataError, match="letter index outside"):
        batch_from_indices(tomita4, np.array([[0, 5]]), np.array([2]), "next")
    b = batch_from_indices(tomita4, np.array([[0, 5]]), np.array([1]), "next")  # 5 is past the end
    assert b.tokens.tolist() == [[1, 2]]
