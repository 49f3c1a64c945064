"""Tests for automata_probe.extraction.tables: the probe-based table, from true and noisy runs."""

from __future__ import annotations

import numpy as np
import pytest

from automata_probe.automata.dfa import DFA, are_equivalent
from automata_probe.errors import AlphabetError, DataError
from automata_probe.extraction import estimate_table, extract_from_probe

from .helpers import B, random_words, tomita, true_runs


@pytest.fixture
def tomita4() -> DFA:
    return tomita(4)


def test_true_runs_give_back_exactly_the_truth(tomita4: DFA) -> None:
    words = random_words(np.random.default_rng(0), 200, 10)
    states, acc = true_runs(tomita4, words)
    got = extract_from_probe(states, words, acc, B)
    assert got == tomita4  # minimal and canonical: equal as objects
    est = estimate_table(states, words, acc, B)
    assert est.transition_consistency == 1.0 and est.acceptance_consistency == 1.0


def test_arbitrary_label_values_are_fine(tomita4: DFA) -> None:
    words = random_words(np.random.default_rng(1), 150, 8)
    states, acc = true_runs(tomita4, words)
    relabelled = [s * 10 + 7 for s in states]  # labels 7, 17, 27, 37
    assert extract_from_probe(relabelled, words, acc, B) == tomita4


@pytest.mark.parametrize("n", [3, 5, 7])
def test_majority_outvotes_a_few_wrong_labels(n: int) -> None:
    truth = tomita(n)
    rng = np.random.default_rng(n)
    words = random_words(rng, 400, 12)
    states, acc = true_runs(truth, words)
    noisy_states, noisy_acc = [], []
    for s, a in zip(states, acc):
        s = s.copy()
        a = a.copy()
        flip = rng.random(len(s)) < 0.03
        s[flip] = rng.integers(0, truth.n_states, size=int(flip.sum()))
        a[rng.random(len(a)) < 0.03] ^= True
        noisy_states.append(s)
        noisy_acc.append(a)
    est = estimate_table(noisy_states, words, noisy_acc, B)
    assert est.transition_consistency < 1.0  # the noise is there...
    assert extract_from_probe(noisy_states, words, noisy_acc, B) == truth  # ...and outvoted


def test_unobserved_transitions_go_to_a_dead_state() -> None:
    words = ["", "1", "11", "111"]
    states = [np.zeros(len(w) + 1, dtype=int) for w in words]
    acc = [np.ones(len(w) + 1, dtype=bool) for w in words]
    est = estimate_table(states, words, acc, B)
    assert est.unobserved == 1  # (state 0, letter 0) never seen
    got = extract_from_probe(states, words, acc, B)
    assert are_equivalent(got, tomita(1))
    assert got.n_states == 2 and got.dead is not None


def test_misaligned_labels_name_the_word(tomita4: DFA) -> None:
    words = ["01", "0"]
    states = [np.array([0, 1, 0]), np.array([0])]  # second word needs 2 labels
    acc = [np.ones(3, bool), np.ones(1, bool)]
    with pytest.raises(DataError, match="word 1 has 1 letters, so 2 positions"):
        extract_from_probe(states, words, acc, B)
    with pytest.raises(AlphabetError, match="word 0 has letter '2'"):
        extract_from_probe([np.array([0, 1])], ["2"], [np.ones(2, bool)], B)
