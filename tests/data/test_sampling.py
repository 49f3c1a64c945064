"""Tests for automata_probe.data: tokens, alignment, exact samplers, bins, targets."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from automata_probe.automata.dfa import DFA
from automata_probe.data import (
    lengths_with_words,
    sample_batch,
    sample_in_language,
    sample_uniform,
    sample_words,
    sampling,
)
from automata_probe.errors import DataError


@pytest.fixture(scope="module")
def even_a() -> DFA:
    """(aa)*: words only at even lengths."""
    return DFA.from_table(
        alphabet=["a"], transitions={"e": {"a": "o"}, "o": {"a": "e"}}, start="e", accept=["e"], name="even_a"
    )


@pytest.fixture(scope="module")
def skewed() -> DFA:
    """a*b* over {a, b, c}: letter-uniform forward sampling would be biased."""
    return DFA.from_table(
        alphabet=["a", "b", "c"],
        transitions={"A": {"a": "A", "b": "B"}, "B": {"b": "B"}},
        start="A",
        accept=["A", "B"],
        name="a*b*",
    ).minimize()


def _chi2(words: np.ndarray, universe: list[tuple[int, ...]]) -> float:
    counts = dict.fromkeys(universe, 0)
    for row in map(tuple, words.tolist()):
        assert row in counts, f"sampled word {row} outside the expected support"
        counts[row] += 1
    expected = len(words) / len(universe)
    return sum((c - expected) ** 2 / expected for c in counts.values())


def _chi2_ok(stat: float, dof: int) -> bool:
    # Wilson-Hilferty: stat is below the 99.99% quantile (z = 3.72)
    z = ((stat / dof) ** (1 / 3) - (1 - 2 / (9 * dof))) / math.sqrt(2 / (9 * dof))
    return z < 3.72


class _TieRNG:
    """Forces every 53-bit draw onto the first threshold (the slow path)."""

    def __init__(self, m: int, seed: int) -> None:
        self.m, self.g = m, np.random.default_rng(seed)
        self.forced = 0

    def integers(self, low, high=None, size=None, dtype=np.int64):
        if high == sampling._ONE:
            self.forced += 1
            return np.full(size, self.m, dtype=np.int64)
        return self.g.integers(low, high, size=size, dtype=dtype)


def test_sample_in_language_is_uniform_over_accepted_words(skewed):
    L = 5
    universe = [w for w in itertools.product(range(3), repeat=L) if skewed.accepts(skewed.decode(w))]
    assert len(universe) == L + 1 == skewed.count_words(L)[L]
    words = sample_in_language(skewed, L, 12_000, np.random.default_rng(0))
    stat = _chi2(words, universe)
    assert _chi2_ok(stat, len(universe) - 1), stat
    # a letter-by-letter sampler would put half the mass on words starting with b
    assert abs((words[:, 0] == 1).mean() - 1 / (L + 1)) < 0.02


def test_sample_in_language_matches_exact_counts(tomita4):
    L = 7
    universe = [w for w in itertools.product(range(2), repeat=L) if tomita4.accepts(tomita4.decode(w))]
    assert len(universe) == tomita4.count_words(L)[L] == 81
    words = sample_in_language(tomita4, L, 16_000, 1)
    assert _chi2_ok(_chi2(words, universe), len(universe) - 1)


def test_sample_uniform_covers_all_words(tomita4):
    universe = list(itertools.product(range(2), repeat=4))
    words = sample_uniform(tomita4, 4, 4_000, 3)
    assert _chi2_ok(_chi2(words, universe), 15)


def test_long_lengths_exceed_float_range_and_stay_exact(tomita4):
    assert tomita4.count_words(600)[600] > 2**500
    words = sample_in_language(tomita4, 600, 8, 0)
    assert words.shape == (8, 600)
    assert all(tomita4.accepts(tomita4.decode(w)) for w in words)
    t = sampling._count_table(tomita4, 600)
    q, j = tomita4.start, 600
    cum = t.cumulative(j, q)
    assert t.thresh[j, q, 0] == (cum[0] << 53) // cum[-1]


def test_samplers_are_seeded(tomita4):
    a = sample_in_language(tomita4, 30, 5, 7)
    b = sample_in_language(tomita4, 30, 5, np.random.default_rng(7))
    c = sample_in_language(tomita4, 30, 5, 8)
    assert (a == b).all() and not (a == c).all()
    b1, b2 = sample_batch(tomita4, (1, 20), 6, "next", 5), sample_batch(tomita4, (1, 20), 6, "next", 5)
    assert b1.tokens.equal(b2.tokens) and b1.targets.equal(b2.targets)


def test_resolve_exact_has_the_exact_conditional_law():
    # thresholds 1/3: 2^53 / 3 = K + 2/3, so given m = K the letter is 0 w.p. 2/3
    K = (1 << 53) // 3
    rng = np.random.default_rng(0)
    draws = [sampling._resolve_exact([1, 3], 3, K, rng) for _ in range(3_000)]
    assert set(draws) == {0, 1}
    assert abs(draws.count(0) / 3_000 - 2 / 3) < 0.03
    assert sampling._resolve_exact([1, 3], 3, K + 1, rng) == 1
    assert sampling._resolve_exact([1, 3], 3, K - 1, rng) == 0


def test_fast_path_ties_are_resolved_exactly(skewed):
    # from state A with 1 letter left: counts a:1, b:1, c:0 -> threshold 1/2 is exact
    # with 2 letters left: a:2, b:1 -> thresholds 2/3 (inexact) and 1
    t = sampling._count_table(skewed, 2)
    K = int(t.thresh[2, skewed.start, 0])
    assert bool(t.inexact[2, skewed.start, 0])
    rng = _TieRNG(K, 0)
    words = sampling._sample_paths(skewed, np.full(3_000, 2), rng)
    assert rng.forced > 0
    first_a = (words[:, 0] == 0).mean()
    # P(letter a | U in [K/2^53, (K+1)/2^53)) = frac(2/3 * 2^53) = 1/3 (2^54 = 1 mod 3)
    assert abs(first_a - 1 / 3) < 0.04
    assert all(skewed.accepts(skewed.decode(w)) for w in words)


def test_no_words_raises(even_a, tomita4):
    with pytest.raises(DataError, match="no words of length 3-3"):
        sample_in_language(even_a, 3, 4, 0)
    with pytest.raises(DataError, match="no words of length 5-5"):
        lengths_with_words(even_a, "5")
    assert lengths_with_words(even_a, (1, 6)).tolist() == [2, 4, 6]
    empty = tomita4.intersection(tomita4.complement())
    with pytest.raises(DataError, match="no words"):
        sample_words(empty, (0, 10), 3, 0)


def test_lengths_are_drawn_only_where_words_exist(even_a):
    idx, lengths = sample_words(even_a, (1, 9), 400, 0)
    assert set(lengths.tolist()) == {2, 4, 6, 8}
    assert idx.shape == (400, 8)


def test_mixed_source_contains_rejected_words(tomita4):
    idx, lengths = sample_words(tomita4, (10, 20), 200, 0, source="mixed")
    accepted = [tomita4.accepts(tomita4.decode(idx[i, : lengths[i]])) for i in range(200)]
    assert 0 < sum(accepted) < 200
    assert ((lengths >= 10) & (lengths <= 20)).all()


def test_state_task_words_are_uniform_not_drawn_to_end_at_the_identity():
    # Merrill et al.'s word problems: uniform sequences. The old "mixed" source
    # drew half of them from the language (the identity), 51% ending there on A5.
    from automata_probe.automata import load_language
    from automata_probe.data import default_source

    assert default_source("state") == "uniform" and default_source("member") == "mixed"
    a5 = load_language("group-A5-all").dfa
    idx, lengths = sample_words(a5, (10, 10), 3000, 0, source=default_source("state"))
    at_identity = np.mean([a5.accepts(a5.decode(row)) for row in idx])
    assert at_identity < 0.04  # 1/60 expected
