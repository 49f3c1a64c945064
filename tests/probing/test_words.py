"""Tests for automata_probe.probing.words: disjoint seeded word sets and the word source."""

from __future__ import annotations

import numpy as np
import pytest

from automata_probe.automata.dfa import DFA
from automata_probe.errors import DataError
from automata_probe.probing.words import resolve_source, sample_probe_words


@pytest.fixture(scope="module")
def ab_star() -> DFA:
    """(ab)* over {a, b}: a different alphabet from tomita4's."""
    return DFA.from_table(alphabet=["a", "b"], transitions={"e": {"a": "o"}, "o": {"b": "e"}}, start="e",
                          accept=["e"], name="ab_star").minimize()


def test_splits_are_by_sequence_and_disjoint(tomita4):
    words = sample_probe_words(tomita4, n_train=80, n_test=40, train_lengths=(1, 6), test_bins=[(7, 9)], seed=1)
    keys = [tuple(words.indices[i, : words.lengths[i]]) for i in range(len(words.lengths))]
    assert len(set(keys)) == len(keys)  # no word twice, so no word in two sets
    for s, (lo, hi) in enumerate(words.bins):
        lens = words.lengths[words.split == s]
        assert lens.size > 0 and lens.min() >= lo and lens.max() <= hi
    assert (words.split == 0).sum() == 80 and (words.split == 2).sum() == 40


def test_probe_words_are_seeded(tomita4):
    a = sample_probe_words(tomita4, n_train=10, n_test=5, train_lengths=(1, 6), test_bins=[], seed=2)
    b = sample_probe_words(tomita4, n_train=10, n_test=5, train_lengths=(1, 6), test_bins=[], seed=2)
    np.testing.assert_array_equal(a.indices, b.indices)


def test_language_source_keeps_to_the_language(tomita4):
    words = sample_probe_words(tomita4, n_train=30, n_test=10, train_lengths=(1, 9), test_bins=[(10, 12)], seed=3,
                               source="language")
    for i, L in enumerate(words.lengths):
        assert tomita4.accepts(tomita4.decode(words.indices[i, :L]))
    with pytest.raises(DataError, match="unknown word source"):
        sample_probe_words(tomita4, n_train=3, n_test=3, train_lengths=(1, 9), test_bins=[], seed=0, source="web")


def test_auto_source_is_the_training_distribution_of_the_training_language(tomita4, ab_star):
    next_task = {"task": "next", "source": None}
    assert resolve_source("auto", tomita4, "tomita4", next_task) == "language"  # Sarrof et al.: positive strings
    assert resolve_source("auto", tomita4, "tomita4", {"task": "next", "source": "mixed"}) == "mixed"
    assert resolve_source("auto", tomita4, "tomita4", {"task": "state", "source": None}) == "mixed"
    # another automaton than the training language, a bare model, an imported checkpoint: mixed
    assert resolve_source("auto", ab_star, "tomita4", next_task) == "mixed"
    assert resolve_source("auto", tomita4, "", {}) == "mixed"
    assert resolve_source("auto", tomita4, "tomita4", {}) == "mixed"
    assert resolve_source("uniform", tomita4, "tomita4", next_task) == "uniform"
    with pytest.raises(DataError, match="web"):
        resolve_source("web", tomita4, "tomita4", next_task)
