"""Equivalence queries answered by searching where the model is used.

An active learner is only as good as its equivalence oracle: one that tests
short words and short random walks passes a hypothesis that a network
contradicts on long words (a Mamba that loses the parity of a run of b after
13 letters passes every test up to length 11). :class:`CounterexampleSearch`
tests a hypothesis against the model in stages, cheapest first, and returns
the first counterexample found, shortened (:func:`~automata_probe.extraction.search.shrink_word`):

1. ``seed``: known interesting words (the model's own errors against the truth);
2. ``short``: every word up to a length, and random walks from every state;
3. ``w-method``: a state's access word, a random middle, and a
   distinguishing suffix of the hypothesis (random W-method; Chow 1978);
4. ``bins``: per length bin (the training lengths and the longer bins),
   uniform words, words of the truth and of the hypothesis, and their
   near-misses (:func:`~automata_probe.extraction.search.bin_words`);
5. ``white-box``: the model's hidden states along words of those bins,
   grouped by the hypothesis state they reach; a state whose activations
   split into two distant clusters is one the hypothesis merges and the
   model may not, so prefixes from the two clusters are extended with the
   hypothesis's distinguishing suffixes and random suffixes (in the spirit of
   Weiss, Goldberg & Yahav 2018, who refine a partition of the network's
   state space beside the hypothesis). Needs ``oracle.hidden_states``.

Budgets (:class:`LearningBudget`) bound the words per stage and round, the
test words in all and the seconds; when a budget runs out the search stops
and says so (:attr:`CounterexampleSearch.stop_reason`), and the hypothesis is
unverified.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..automata.dfa import DFA
from ..automata.words import format_word
from ..errors import DataError
from .oracles import Letters, MembershipOracle, prefix_acceptance
from .search import access_words, bin_words, characterizing_suffixes, shrink_word

__all__ = ["LearningBudget", "CounterexampleSearch", "STAGES", "describe_stop"]

log = logging.getLogger(__name__)

#: The stages of :class:`CounterexampleSearch`, in the order they run.
STAGES = ("seed", "short", "w-method", "bins", "white-box")


@dataclass(frozen=True, kw_only=True)
class LearningBudget:
    """Bounds on the cost of active learning and of its equivalence queries.

    The equivalence search (:class:`CounterexampleSearch`), per round:
    every word up to ``exhaustive_length`` (``None``: the largest length with
    at most ``exhaustive_words`` words); ``walks_per_state`` random walks of
    length ``1..walk_length`` from each state's access word;
    ``wmethod_words`` W-method words; ``words_per_bin`` words in each of
    ``test_bins``; and ``whitebox_pairs`` pairs of prefixes the model's
    hidden states separate. Every prefix of every test word is compared.

    The learner: at most ``max_rounds`` equivalence queries,
    ``max_queries`` distinct membership queries, ``max_test_words`` test
    words in all and ``seconds`` of wall time (None: no limit); a hypothesis
    with more than ``max_states`` states is not tested further. When a budget
    runs out the last hypothesis is returned, unverified.
    """

    exhaustive_length: int | None = None
    exhaustive_words: int = 2048
    walks_per_state: int = 200
    walk_length: int = 30
    wmethod_words: int = 300
    test_bins: tuple[tuple[int, int], ...] = ()
    words_per_bin: int = 300
    whitebox_pairs: int = 40
    max_rounds: int = 200
    max_states: int = 100
    max_queries: int = 5000
    max_test_words: int = 300_000
    seconds: float | None = 600.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "test_bins", tuple((int(lo), int(hi)) for lo, hi in self.test_bins))
        for f in ("exhaustive_words", "walk_length", "max_rounds", "max_states", "max_queries", "max_test_words"):
            if getattr(self, f) < 1:
                raise DataError(f"{f} must be >= 1, got {getattr(self, f)}")
        for f in ("walks_per_state", "wmethod_words", "words_per_bin", "whitebox_pairs"):
            if getattr(self, f) < 0:
                raise DataError(f"{f} must be >= 0, got {getattr(self, f)}")
        if self.exhaustive_length is not None and self.exhaustive_length < 0:
            raise DataError(f"exhaustive_length must be >= 0, got {self.exhaustive_length}")
        if self.seconds is not None and self.seconds <= 0:
            raise DataError(f"seconds must be > 0, got {self.seconds}")
        for lo, hi in self.test_bins:
            if not 0 <= lo <= hi:
                raise DataError(f"bad test bin {lo}-{hi}")

    def length_for(self, k: int) -> int:
        if self.exhaustive_length is not None:
            return self.exhaustive_length
        n = 0
        while k ** (n + 1) <= self.exhaustive_words:
            n += 1
        return n


class CounterexampleSearch:
    """Find a word on which a hypothesis and the model disagree (see the module docstring).

    Parameters
    ----------
    oracle
        The model; ``hidden_states(words)`` enables the white-box stage.
    budget
        What each stage may spend, and the totals.
    reference
        The truth: its words (and near-misses) are tested in the bins.
    seeds
        Words tested first in every round.
    seed
        Seeds every random draw.
    deadline
        ``time.perf_counter()`` value after which no stage starts (None:
        ``budget.seconds`` from now).

    Attributes
    ----------
    rounds, test_words
        Hypotheses tested and words run so far.
    found
        ``(counterexample, stage)`` for each round that found one.
    stop_reason
        None while within budget; ``"time"`` or ``"test words"`` once the
        search stopped early, ``"states"`` when a hypothesis was too big.
    last_hypothesis
        The last hypothesis tested.
    """

    def __init__(
        self,
        oracle: MembershipOracle,
        budget: LearningBudget,
        *,
        reference: DFA | None = None,
        seeds: Sequence[Sequence[str]] = (),
        seed: int = 0,
        deadline: float | None = None,
    ) -> None:
        self.oracle = oracle
        self.budget = budget
        self.reference = reference
        self.seeds = [tuple(w) for w in seeds]
        self.rng = np.random.default_rng(seed)
        self.letters = tuple(oracle.alphabet)
        if deadline is None and budget.seconds is not None:
            deadline = time.perf_counter() + budget.seconds
        self.deadline = deadline
        self.rounds = 0
        self.test_words = 0
        self.found: list[tuple[Letters, str]] = []
        self.stop_reason: str | None = None
        self.last_hypothesis: DFA | None = None
        self.refuted = False  # the last hypothesis has a known counterexample
        n = budget.length_for(len(self.letters))
        grid = np.indices((len(self.letters),) * n).reshape(n, -1).T if n else np.zeros((1, 0), int)
        self.exhaustive = [tuple(self.letters[i] for i in row) for row in grid]

    # ---------------------------------------------------------------- budget
    def out_of_time(self) -> bool:
        return self.deadline is not None and time.perf_counter() > self.deadline

    def _spent(self) -> str | None:
        if self.out_of_time():
            return "time"
        if self.test_words >= self.budget.max_test_words:
            return "test words"
        return None

    # ---------------------------------------------------------------- stages
    def _seed_tests(self, hyp: DFA) -> list[Letters]:
        return list(self.seeds)

    def _short_tests(self, hyp: DFA) -> list[Letters]:
        tests = list(self.exhaustive)
        for u in access_words(hyp):
            lens = self.rng.integers(1, self.budget.walk_length + 1, size=self.budget.walks_per_state)
            tests += [u + self._random_word(int(L)) for L in lens]
        return tests

    def _wmethod_tests(self, hyp: DFA) -> list[Letters]:
        access, suffixes = access_words(hyp), characterizing_suffixes(hyp)
        tests = []
        for _ in range(self.budget.wmethod_words):
            u = access[int(self.rng.integers(0, len(access)))]
            s = suffixes[int(self.rng.integers(0, len(suffixes)))]
            tests.append(u + self._random_word(int(self.rng.integers(0, self.budget.walk_length + 1))) + s)
        return tests

    def _bin_sample(self, hyp: DFA, n: int) -> list[Letters]:
        refs = [d for d in (self.reference, hyp) if d is not None]
        tests: list[Letters] = []
        for lo, hi in self.budget.test_bins:
            for ws in bin_words(self.letters, lo, hi, n, self.rng, [_over(d, self.letters) for d in refs]).values():
                tests += ws
        return tests

    def _bin_tests(self, hyp: DFA) -> list[Letters]:
        return self._bin_sample(hyp, self.budget.words_per_bin)

    def _whitebox_tests(self, hyp: DFA) -> list[Letters]:
        hidden = getattr(self.oracle, "hidden_states", None)
        if hidden is None or not self.budget.whitebox_pairs:
            return []
        words = self._bin_sample(hyp, 24) or list(self.exhaustive[-64:])
        H = hidden(words)  # (L + 1, F) per word
        X = np.concatenate(H).astype(np.float64)  # (P, F)
        X = (X - X.mean(axis=0)) / (X.std(axis=0) + 1e-6)
        where = [(i, t) for i, w in enumerate(words) for t in range(len(w) + 1)]
        Q = np.concatenate([np.asarray(hyp.run(w)) for w in words])  # (P,)
        pairs = _split_pairs(X, Q, self.budget.whitebox_pairs, self.rng)
        suffixes = characterizing_suffixes(hyp)
        tests = []
        for a, b in pairs:
            u, v = (words[where[r][0]][: where[r][1]] for r in (a, b))
            extra = [self._random_word(int(L)) for L in self.rng.integers(1, self.budget.walk_length + 1, size=4)]
            for s in suffixes[:8] + extra:
                tests += [u + s, v + s]
        return tests

    def _random_word(self, n: int) -> Letters:
        return tuple(self.letters[i] for i in self.rng.integers(0, len(self.letters), size=n))

    # ---------------------------------------------------------------- search
    def find(self, hyp: DFA) -> Letters | None:
        """A counterexample to ``hyp`` (shortened), or None when every stage
        passed or a budget ran out (then :attr:`stop_reason` says which)."""
        self.rounds += 1
        self.last_hypothesis = hyp
        self.refuted = False
        if hyp.n_states > self.budget.max_states:
            log.warning("hypothesis has %d states > max_states=%d; stopping", hyp.n_states, self.budget.max_states)
            self.stop_reason = "states"
            return None
        stages = (self._seed_tests, self._short_tests, self._wmethod_tests, self._bin_tests, self._whitebox_tests)
        for name, make in zip(STAGES, stages):
            self.stop_reason = self._spent()
            if self.stop_reason is not None:
                log.info("round %d: %s budget spent before the %s stage; hypothesis unverified",
                         self.rounds, self.stop_reason, name)
                return None
            tests = make(hyp)
            cex = None
            for s in range(0, len(tests), 512):  # in chunks, so that the time budget is kept within one
                if s and self.out_of_time():
                    if cex is not None:  # use what was found
                        break
                    self.stop_reason = "time"
                    log.info("round %d: time budget spent in the %s stage; hypothesis unverified", self.rounds, name)
                    return None
                chunk = tests[s : s + 512]
                self.test_words += len(chunk)
                found = _shortest_disagreement(hyp, chunk, prefix_acceptance(self.oracle, chunk))
                if found is not None and (cex is None or len(found) < len(cex)):
                    cex = found
            if cex is not None:
                cex = self._shrink(hyp, cex)
                self.found.append((cex, name))
                self.refuted = True
                log.debug("round %d: counterexample %s (%s stage)", self.rounds, format_word(cex), name)
                return cex
        return None

    def _shrink(self, hyp: DFA, cex: Letters) -> Letters:
        def still_fails(cands: Sequence[Letters]) -> np.ndarray:
            got = np.asarray(self.oracle.accepts_batch(list(cands)), dtype=bool)
            return got != np.array([hyp.accepts(c) for c in cands], dtype=bool)

        return shrink_word(cex, still_fails, max_words=200) if len(cex) > 8 else cex

    @property
    def sources(self) -> dict[str, int]:
        """How many counterexamples each stage found."""
        out = {s: 0 for s in STAGES}
        for _, s in self.found:
            out[s] += 1
        return {s: n for s, n in out.items() if n}


def _over(dfa: DFA, letters: Sequence[str]) -> DFA:
    """``dfa`` with its letters in the order ``letters`` (same set)."""
    if tuple(dfa.alphabet) == tuple(letters):
        return dfa
    from_old = [dfa.alphabet.index(a) for a in letters]
    return DFA(
        alphabet=tuple(letters),
        transitions=tuple(tuple(row[i] for i in from_old) for row in dfa.transitions),
        start=dfa.start, accepting=dfa.accepting, name=dfa.name,
    )


def _shortest_disagreement(hyp: DFA, tests: Sequence[Letters], got: Sequence[np.ndarray]) -> Letters | None:
    """The shortest prefix of a test word on which ``hyp`` and the oracle's answers differ."""
    best: Letters | None = None
    for w, acc in zip(tests, got):
        if best is not None and len(best) == 0:
            break
        want = hyp.accept_mask[hyp.run(w)]  # (L+1,)
        bad = np.flatnonzero(want != np.asarray(acc, dtype=bool))
        if bad.size:
            cex = w[: int(bad[0])]
            if best is None or len(cex) < len(best):
                best = cex
    return best


def _two_means(X: np.ndarray, rng: np.random.Generator, iters: int = 15) -> tuple[np.ndarray, float]:
    """Lloyd's 2-means from the two farthest-apart seeds; (labels, separation).

    Separation: the distance between the centres over the mean distance of a
    point to its centre; a single tight group scores near 0.
    """
    c0 = X[int(rng.integers(0, len(X)))]
    c1 = X[int(np.argmax(((X - c0) ** 2).sum(1)))]
    c0 = X[int(np.argmax(((X - c1) ** 2).sum(1)))]
    centres = np.stack([c0, c1])  # (2, F)
    lab = np.zeros(len(X), dtype=np.int64)
    for _ in range(iters):
        d = ((X[:, None, :] - centres[None]) ** 2).sum(-1)  # (P, 2)
        lab = d.argmin(1)
        if lab.min() == lab.max():
            return lab, 0.0
        centres = np.stack([X[lab == j].mean(0) for j in (0, 1)])
    spread = np.sqrt(((X - centres[lab]) ** 2).sum(1)).mean() + 1e-9
    return lab, float(np.sqrt(((centres[0] - centres[1]) ** 2).sum()) / spread)


def _split_pairs(X: np.ndarray, Q: np.ndarray, n_pairs: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    """Pairs of rows in the same hypothesis state but different activation clusters,
    the most separated states first; each pair: the row nearest each centre,
    then random rows of the two clusters."""
    scored: list[tuple[float, np.ndarray, np.ndarray]] = []
    for q in np.unique(Q):
        rows = np.flatnonzero(Q == q)
        if len(rows) < 4:
            continue
        rows = rows[rng.permutation(len(rows))[:1500]]
        lab, sep = _two_means(X[rows], rng)
        if sep > 0:
            scored.append((sep, rows[lab == 0], rows[lab == 1]))
    scored.sort(key=lambda s: -s[0])
    pairs: list[tuple[int, int]] = []
    per_state = max(1, n_pairs // max(1, len(scored)))
    for _, a, b in scored:
        ca, cb = X[a].mean(0), X[b].mean(0)
        pairs.append((int(a[np.argmin(((X[a] - ca) ** 2).sum(1))]), int(b[np.argmin(((X[b] - cb) ** 2).sum(1))])))
        for _ in range(per_state - 1):
            pairs.append((int(a[rng.integers(0, len(a))]), int(b[rng.integers(0, len(b))])))
    return pairs[:n_pairs]


def describe_stop(reason: str | None, refuted: bool = False) -> str:
    """Words for a stop reason: ``"converged"``, ``"unverified: time budget spent"``
    or, when the last hypothesis already has a counterexample, ``"refuted: ..."``."""
    if reason is None:
        return "converged"
    return f"{'refuted' if refuted else 'unverified'}: {reason} budget spent"

