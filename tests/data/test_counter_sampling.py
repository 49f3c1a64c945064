"""Exact counting and uniform sampling for counter languages; per-position targets."""

from __future__ import annotations

import collections
import itertools

import numpy as np
import pytest

from automata_probe.automata import COUNTER_LANGUAGES
from automata_probe.data.counter_sampling import (
    count_counter_words,
    counter_lengths_with_words,
    counter_patterns,
    sample_counter_words,
)
from automata_probe.errors import DataError


@pytest.mark.parametrize("name,max_len", [("dyck1", 10), ("shuffle2", 8), ("boolean3", 7), ("anbncn", 9)])
def test_counts_match_brute_force(name, max_len):
    lang = COUNTER_LANGUAGES[name]
    for L in range(max_len + 1):
        brute = sum(lang.accepts(w) for w in itertools.product(lang.alphabet, repeat=L))
        assert count_counter_words(lang, L) == brute, L


def test_catalan_numbers_at_length_40():
    # Dyck-1 words of length 2n: the Catalan number C_n (exact big integers)
    assert count_counter_words(COUNTER_LANGUAGES["dyck1"], 40) == 6564120420


@pytest.mark.parametrize("name,length", [("shuffle2", 6), ("boolean3", 5)])
def test_sampling_is_uniform(name, length):
    lang = COUNTER_LANGUAGES[name]
    n_words = count_counter_words(lang, length)
    idx, lengths = sample_counter_words(lang, (length, length), 200 * n_words, 3)
    counts = collections.Counter(tuple(r) for r in idx)
    assert len(counts) == n_words and set(lengths) == {length}
    # chi-square with n_words - 1 degrees of freedom, far below the 0.1% quantile's scale
    expected = 200
    chi2 = sum((c - expected) ** 2 / expected for c in counts.values())
    assert chi2 < n_words + 6 * (2 * n_words) ** 0.5


def test_samples_are_in_the_language_and_seeded():
    lang = COUNTER_LANGUAGES["shuffle4"]
    a = sample_counter_words(lang, (40, 60), 30, 7)
    b = sample_counter_words(lang, (40, 60), 30, 7)
    assert np.array_equal(a[0], b[0])
    for row, length in zip(*a):
        assert lang.accepts([lang.alphabet[i] for i in row[:length]])


def test_block_languages_have_one_word_per_multiple_of_k():
    lang = COUNTER_LANGUAGES["anbncn"]
    assert list(counter_lengths_with_words(lang, (8, 13))) == [9, 12]
    with pytest.raises(DataError, match="no words"):
        counter_lengths_with_words(lang, (10, 11))


def test_patterns_and_counters_align_with_positions():
    m = COUNTER_LANGUAGES["anbn"].machine
    idx = np.array([[0, 0, 1, 1]])
    patterns, counters = counter_patterns(m, idx, np.array([4]))
    # after a: {a, b}; after aa: {a, b}; after aab: {b}; after aabb: end
    assert patterns[0].tolist() == [[True, False, False], [True, True, False], [True, True, False],
                                    [False, True, False], [False, False, True]]
    assert counters[0, :, 0].tolist() == [0, 1, 2, 1, 0]
