"""Tests for automata_probe.extraction.fidelity and .search: scoring an automaton against a model."""

from __future__ import annotations

import numpy as np
import pytest

from automata_probe.automata.dfa import DFA
from automata_probe.errors import AlphabetError, DataError
from automata_probe.extraction import (
    DFAOracle,
    FidelityPlan,
    PrefixCache,
    bin_words,
    characterizing_suffixes,
    fidelity,
    near_misses,
    shrink_word,
    wilson_interval,
)
from automata_probe.extraction.fidelity import percent

from .helpers import B, first_equals_last, forgetful, tomita


def test_a_faithful_automaton_agrees_everywhere_checked() -> None:
    t4 = tomita(4)
    f = fidelity(t4, DFAOracle(t4), FidelityPlan(bins=((1, 30), (31, 60)), words_per_bin=300), references=(t4,))
    assert f.faithful and f.disagreement is None and f.model_accepts is None
    assert f.exact_up_to == 14 and [r.lo for r in f.exact_rows] == list(range(15))
    assert [r.n_words for r in f.exact_rows[:4]] == [1, 2, 4, 8]
    assert [(r.lo, r.hi) for r in f.sampled_rows] == [(15, 30), (31, 60)]
    assert all(r.agreement == 1 and r.interval[1] == 1 and r.interval[0] < 1 for r in f.sampled_rows)
    sources = f.sampled_rows[0].by_source
    assert set(sources) == {"uniform", "language", "near-miss", "own", "own near-miss"}
    assert sum(n for n, _ in sources.values()) == 300
    assert f.summary().startswith("agrees on every word up to length 14; 100% [")


def test_a_short_error_is_found_exactly_and_counted_per_length() -> None:
    """Tomita 4 against a model that computes Tomita 3: the shortest disagreement is exact."""
    t3, t4 = tomita(3), tomita(4)
    f = fidelity(t4, DFAOracle(t3), FidelityPlan(bins=((1, 10),)))
    assert not f.faithful and f.disagreement_is_shortest and f.disagreement_source == "exact"
    first = f.disagreement
    assert t3.accepts(first) != t4.accepts(first) and f.model_accepts == t3.accepts(first)
    shortest = min(len(w) for w in _all_words(len(first)) if t3.accepts(w) != t4.accepts(w))
    assert len(first) == shortest
    counts = [r.disagreements for r in f.exact_rows]
    want = [sum(t3.accepts(w) != t4.accepts(w) for w in _all_words(n) if len(w) == n) for n in range(11)]
    assert counts == want and not f.sampled_rows


def test_a_long_planted_error_is_sampled_and_shrunk() -> None:
    truth, model = first_equals_last(), forgetful(40)
    f = fidelity(truth, DFAOracle(model), FidelityPlan(bins=((1, 30), (31, 60)), words_per_bin=600),
                 references=(truth,))
    assert not f.faithful and not f.disagreement_is_shortest
    assert len(f.disagreement) == 41 and f.disagreement[0] == "1"  # 1-minimal: the first length that errs
    source = f.disagreement_source.split(",")[0].removeprefix("prefix of ")
    assert source in {"uniform", "language", "near-miss", "own", "own near-miss"}
    early, late = f.sampled_rows
    assert early.disagreements == 0 and late.disagreements > 0 and late.interval[1] < 1
    assert "first disagreement" in f.summary() and "shortest found" in f.where()
    assert f.to_dict()["disagreement_text"] == "".join(f.disagreement)


def test_extra_words_are_checked() -> None:
    truth, model = first_equals_last(), forgetful(40)
    planted = ("1",) + ("0",) * 45
    f = fidelity(truth, DFAOracle(model), FidelityPlan(bins=((1, 20),)), extra_words=[planted])
    assert f.extra_words == (1, 1) and len(f.disagreement) == 41


def test_fidelity_checks_its_input() -> None:
    with pytest.raises(AlphabetError):
        fidelity(tomita(4), DFAOracle(DFA.from_table(alphabet=("a", "b"), transitions={"q": {"a": "q", "b": "q"}},
                                                     start="q", accept=["q"])))
    with pytest.raises(DataError, match="labels"):
        FidelityPlan(bins=((1, 5),), labels=("a", "b"))
    with pytest.raises(DataError, match="bin"):
        FidelityPlan(bins=((5, 1),))


def test_wilson_interval_and_percent() -> None:
    lo, hi = wilson_interval(1200, 1200)
    assert hi == 1 and 0.995 < lo < 0.998  # about the rule of three: 1 - 3/1200
    lo, hi = wilson_interval(50, 100)
    assert lo < 0.5 < hi and abs((lo + hi) / 2 - 0.5) < 1e-9
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert percent(1.0) == "100%" and percent(0.99999) == "99.9990%" and percent(0.9942) == "99.42%"


# ------------------------------------------------------------------ search
def test_near_misses_are_one_edit_away() -> None:
    rng = np.random.default_rng(0)
    words = [tuple("0110"), (), tuple("1")] * 30
    for w, m in zip(words, near_misses(words, B, rng)):
        assert _edit_distance(w, m) == 1


def test_bin_words_draw_from_every_source_in_the_bin() -> None:
    t4 = tomita(4)
    got = bin_words(B, 20, 30, 300, np.random.default_rng(1), [t4])
    assert set(got) == {"uniform", "language", "near-miss"} and sum(map(len, got.values())) == 300
    assert all(20 <= len(w) <= 30 for w in got["uniform"] + got["language"])
    assert all(t4.accepts(w) for w in got["language"])
    assert all(19 <= len(w) <= 31 for w in got["near-miss"])
    empty = DFA.from_table(alphabet=B, transitions={"q": {"0": "q", "1": "q"}}, start="q", accept=[])
    assert bin_words(B, 5, 9, 30, np.random.default_rng(0), [empty])["language"] == []


def test_characterizing_suffixes_tell_every_two_states_apart() -> None:
    for n in range(1, 8):
        m = tomita(n).minimize()
        W = characterizing_suffixes(m)
        assert () in W
        for p in range(m.n_states):
            for q in range(p + 1, m.n_states):
                assert any(_accepts_from(m, p, w) != _accepts_from(m, q, w) for w in W), (n, p, q)


def test_shrink_word_is_one_minimal() -> None:
    def fails(cands):  # noqa: ANN001, ANN202 - fails while three 1s remain
        return np.array([c.count("1") >= 3 for c in cands])

    word = tuple("0010010001100000101")
    got = shrink_word(word, fails)
    assert got == ("1", "1", "1")


def test_prefix_cache_stores_every_prefix_in_linear_memory() -> None:
    c = PrefixCache(2)
    c.put([0, 1, 1], np.array([True, False, True, False]))
    assert c.get([]) == 1 and c.get([0, 1]) == 1 and c.get([0, 1, 1]) == 0 and c.get([1]) == -1
    assert c.prefixes([0, 1]).tolist() == [True, False, True] and c.prefixes([0, 0]) is None
    rng = np.random.default_rng(0)
    for _ in range(200):
        w = rng.integers(0, 2, size=250)
        c.put(w, rng.random(251) < 0.5)
    assert len(c) <= 1 + 200 * 250 and c.nbytes < 64 * 200 * 250  # a dict of prefixes held ~250x more
    c.clear()
    assert len(c) == 1 and c.get([0]) == -1


def _all_words(n: int) -> list[tuple[str, ...]]:
    import itertools

    return [w for m in range(n + 1) for w in itertools.product(B, repeat=m)]


def _accepts_from(d: DFA, q: int, w: tuple[str, ...]) -> bool:
    for a in w:
        q = d.transitions[q][d.alphabet.index(a)]
    return q in d.accepting


def _edit_distance(a: tuple, b: tuple) -> int:
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


class _SlowOracle(DFAOracle):
    """A DFA oracle that takes ``delay`` seconds per batch: a model too slow for the budget."""

    def __init__(self, dfa: DFA, delay: float) -> None:
        super().__init__(dfa)
        self.delay = delay

    def prefix_acceptance(self, words):  # noqa: ANN001, ANN201
        import time

        time.sleep(self.delay)
        return super().prefix_acceptance(words)


def test_scoring_stops_at_its_time_budget_and_names_what_it_left() -> None:
    t4 = tomita(4)
    plan = FidelityPlan(bins=((1, 30), (31, 60), (61, 90)), words_per_bin=600, exact_cap=64)
    full = fidelity(t4, _SlowOracle(t4, 0.0), plan, seed=0)
    assert not full.not_scored and [r.n_words for r in full.sampled_rows] == [600, 600, 600]
    cut = fidelity(t4, _SlowOracle(t4, 0.05), plan, seed=0, seconds=0.2)
    # the enumerated lengths are scored in full; the first bin stops after a few chunks of 128 words
    assert cut.exact_up_to == full.exact_up_to
    assert [r.n_words for r in cut.exact_rows] == [r.n_words for r in full.exact_rows]
    first = cut.sampled_rows[0]
    assert 0 < first.n_words < 600 and first.n_words % 128 == 0
    assert cut.not_scored == ((31, 60), (61, 90))
    assert cut.max_length == 30 and cut.budget == 0.2
    assert "not scored: lengths 31-60, 61-90 (time budget of 0.2 s spent)" in cut.summary()
    assert cut.to_dict()["not_scored"] == [[31, 60], [61, 90]]
