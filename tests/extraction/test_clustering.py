"""Tests for automata_probe.extraction.clustering: k-means on noisy embeddings of the true states."""

from __future__ import annotations

import numpy as np
import pytest

from automata_probe.automata.dfa import DFA
from automata_probe.extraction import extract_by_clustering

from .helpers import B, random_words, tomita, true_runs


@pytest.fixture
def tomita4() -> DFA:
    return tomita(4)


def synthetic_hidden(dfa: DFA, words: list, rng: np.random.Generator, noise: float = 0.15) -> list[np.ndarray]:
    """Noisy embeddings of the true states: one random point per state plus noise."""
    centres = rng.normal(size=(dfa.n_states, 12)) * 2.0
    return [centres[dfa.run(w)] + noise * rng.normal(size=(len(w) + 1, 12)) for w in words]


@pytest.mark.parametrize("n", [4, 5, 7])
def test_clustering_recovers_the_dfa_from_noisy_state_embeddings(n: int) -> None:
    truth = tomita(n)
    rng = np.random.default_rng(10 + n)
    words = random_words(rng, 200, 10)
    hidden = synthetic_hidden(truth, words, rng)
    _, acc = true_runs(truth, words)
    res = extract_by_clustering(hidden, words, acc, B, k_range=range(2, 9), seed=0)
    assert res.met_threshold
    assert res.k == truth.n_states  # fewer clusters merge states and break consistency
    assert res.dfa == truth
    assert [d.k for d in res.diagnostics] == list(range(2, truth.n_states + 1))
    assert all(min(d.transition_consistency, d.acceptance_consistency) < 0.99 for d in res.diagnostics[:-1])


def test_clustering_is_seeded(tomita4: DFA) -> None:
    rng = np.random.default_rng(3)
    words = random_words(rng, 100, 8)
    hidden = synthetic_hidden(tomita4, words, rng, noise=1.0)  # hard: clusters overlap
    _, acc = true_runs(tomita4, words)
    a = extract_by_clustering(hidden, words, acc, B, k_range=range(2, 7), seed=5, max_points=300)
    b = extract_by_clustering(hidden, words, acc, B, k_range=range(2, 7), seed=5, max_points=300)
    assert a == b


def test_clustering_without_a_consistent_k_says_so(tomita4: DFA) -> None:
    rng = np.random.default_rng(4)
    words = random_words(rng, 100, 8)
    hidden = [rng.normal(size=(len(w) + 1, 4)) for w in words]  # no structure at all
    _, acc = true_runs(tomita4, words)
    res = extract_by_clustering(hidden, words, acc, B, k_range=range(2, 5), seed=0)
    assert not res.met_threshold
    assert len(res.diagnostics) == 3 and res.k in (2, 3, 4)
