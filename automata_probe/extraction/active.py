"""Active learning: L* or Kearns-Vazirani through AALpy, the oracle answering.

:func:`learn_dfa` runs L* (Angluin 1987) or KV through AALpy (Muskardin et
al. 2022); membership queries go to a :class:`~automata_probe.extraction.oracles.MembershipOracle`
through a cached system-under-learning wrapper. The equivalence oracle tests
every word up to a length and random walks from every hypothesis state, a
bounded number of words per round, rounds and membership queries
(:class:`LearningBudget`), so the cost is bounded even when the model's
language is not regular.

AALpy is optional: ``pip install automata-probe[learn]``.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Sequence

import numpy as np

from ..automata.dfa import DFA
from ..automata.words import format_word
from ..errors import AutomataProbeError, DataError
from .oracles import Letters, MembershipOracle, prefix_acceptance
from .tables import tidy_dfa

__all__ = ["ALGORITHMS", "LearningBudget", "ActiveLearningResult", "learn_dfa", "dfa_from_aalpy"]

log = logging.getLogger(__name__)

#: The active learners, by name.
ALGORITHMS = ("lstar", "kv")


@dataclass(frozen=True, kw_only=True)
class LearningBudget:
    """Bounds on the cost of :func:`learn_dfa`.

    The equivalence oracle: each equivalence query tests (1) every word of
    length ``<= exhaustive_length`` (all prefixes of the words of exactly that
    length) and (2) for every hypothesis state, ``walks_per_state`` words: the
    state's shortest access word followed by a random suffix of length
    ``1..walk_length``. Every prefix of every test word is compared, and the
    shortest disagreeing prefix is returned. Cost per round: at most
    ``k^exhaustive_length + walks_per_state * n_states`` words.

    The learner: at most ``max_rounds`` equivalence queries and
    ``max_queries`` distinct membership queries (a model that is not a small
    DFA makes L* ask without end); a hypothesis with more than ``max_states``
    states is not tested further. When a budget runs out, the last
    hypothesis is returned and the result says it did not converge.

    ``exhaustive_length=None`` picks the largest length with at most
    ``exhaustive_words`` words.
    """

    exhaustive_length: int | None = None
    exhaustive_words: int = 2048
    walks_per_state: int = 200
    walk_length: int = 30
    max_rounds: int = 30
    max_states: int = 100
    max_queries: int = 5000

    def __post_init__(self) -> None:
        for f in ("exhaustive_words", "walks_per_state", "walk_length", "max_rounds", "max_states", "max_queries"):
            if getattr(self, f) < 1:
                raise DataError(f"{f} must be >= 1, got {getattr(self, f)}")
        if self.exhaustive_length is not None and self.exhaustive_length < 0:
            raise DataError(f"exhaustive_length must be >= 0, got {self.exhaustive_length}")

    def length_for(self, k: int) -> int:
        if self.exhaustive_length is not None:
            return self.exhaustive_length
        n = 0
        while k ** (n + 1) <= self.exhaustive_words:
            n += 1
        return n


@dataclass(frozen=True, kw_only=True)
class ActiveLearningResult:
    """Outcome of :func:`learn_dfa`.

    Attributes
    ----------
    dfa
        The learnt DFA (minimal, canonical).
    algorithm
        ``"lstar"`` or ``"kv"``.
    rounds
        Equivalence queries asked.
    membership_queries
        Distinct words the learner asked the oracle (cache misses of the
        system-under-learning wrapper).
    test_words
        Words the equivalence oracle ran, all rounds together.
    converged
        The last hypothesis passed the equivalence test; False when a budget
        (rounds or states) stopped learning.
    """

    dfa: DFA
    algorithm: str
    rounds: int
    membership_queries: int
    test_words: int
    converged: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "algorithm": self.algorithm,
            "states": self.dfa.n_states,
            "rounds": self.rounds,
            "membership_queries": self.membership_queries,
            "test_words": self.test_words,
            "converged": self.converged,
        }


def _require_aalpy() -> Any:
    try:
        import aalpy  # noqa: F401
        from aalpy import learning_algs
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise AutomataProbeError(
            f"active learning needs AALpy ({e}); install automata-probe[learn]"
        ) from None
    return learning_algs


def dfa_from_aalpy(automaton: Any, alphabet: Sequence[str], *, name: str = "") -> DFA:
    """Convert an AALpy ``Dfa`` to a minimal :class:`DFA` over ``alphabet``.

    Missing transitions (a partial hypothesis) go to a rejecting dead state.
    The initial state's ``is_accepting`` decides the empty word.
    """
    letters = tuple(alphabet)
    states = list(automaton.states)
    index = {id(s): i for i, s in enumerate(states)}
    n = len(states)
    rows, need_dead = [], False
    for s in states:
        row = []
        for a in letters:
            t = s.transitions.get(a)
            if t is None:
                need_dead = True
                row.append(n)
            else:
                row.append(index[id(t)])
        rows.append(tuple(row))
    if need_dead:
        rows.append((n,) * len(letters))
    dfa = DFA(
        alphabet=letters,
        transitions=tuple(rows),
        start=index[id(automaton.initial_state)],
        accepting=frozenset(i for i, s in enumerate(states) if s.is_accepting),
        name=name,
    )
    return dfa.minimize()


class _QueryBudgetExhausted(Exception):
    """Raised inside AALpy's loop when the membership-query budget is spent."""


class _CachedSUL:
    """A :class:`MembershipOracle` as an AALpy system under learning (mixed
    into AALpy's ``SUL`` by :func:`_aalpy_classes`).

    ``step(None)`` answers the empty word (AALpy's convention for DFAs);
    answers are cached per word, and ``query`` asks all prefixes at once.
    """

    num_queries: int
    num_steps: int

    def __init__(self, oracle: MembershipOracle, max_queries: int) -> None:
        super().__init__()
        self.oracle = oracle
        self.max_queries = max_queries
        self.cache: dict[Letters, bool] = {}
        self._prefix: list[str] = []

    def ask(self, words: Sequence[Letters]) -> list[bool]:
        missing = list(dict.fromkeys(w for w in words if w not in self.cache))
        if missing and len(self.cache) + len(missing) > self.max_queries:
            raise _QueryBudgetExhausted(len(self.cache))
        if missing:
            answers = np.asarray(self.oracle.accepts_batch(missing), dtype=bool)
            self.cache.update(zip(missing, answers.tolist()))
        return [self.cache[w] for w in words]

    def pre(self) -> None:
        self._prefix = []

    def post(self) -> None:
        pass

    def step(self, letter: Any) -> bool:
        if letter is not None:
            self._prefix.append(letter)
        return self.ask([tuple(self._prefix)])[0]

    def query(self, word: tuple) -> list:
        self.pre()
        self.num_queries += 1
        word = tuple(word)
        if not word:
            out = self.ask([()])
        else:
            self.num_steps += len(word)
            out = self.ask([word[: t + 1] for t in range(len(word))])
        self.post()
        return out


class _BudgetEquivalence:
    """Bounded-cost equivalence oracle; see :class:`LearningBudget` (mixed into
    AALpy's ``Oracle`` by :func:`_aalpy_classes`)."""

    def __init__(
        self, alphabet: list, sul: Any, oracle: MembershipOracle, budget: LearningBudget, seed: int
    ) -> None:
        super().__init__(alphabet, sul)  # type: ignore[call-arg]
        self.oracle = oracle
        self.budget = budget
        self.rng = np.random.default_rng(seed)
        self.letters = tuple(alphabet)
        self.rounds = 0
        self.test_words = 0
        self.converged = False
        self.last_hypothesis: DFA | None = None
        n = budget.length_for(len(self.letters))
        grid = np.indices((len(self.letters),) * n).reshape(n, -1).T if n else np.zeros((1, 0), int)
        self.exhaustive = [tuple(self.letters[i] for i in row) for row in grid]

    def _tests(self, hyp: DFA) -> list[Letters]:
        """Every exhaustive word, then random walks from each state's access word."""
        tests = list(self.exhaustive)
        for u in _access_words(hyp):
            lens = self.rng.integers(1, self.budget.walk_length + 1, size=self.budget.walks_per_state)
            for L in lens:
                v = self.rng.integers(0, len(self.letters), size=int(L))
                tests.append(u + tuple(self.letters[i] for i in v))
        return tests

    def find_cex(self, hypothesis: Any) -> tuple | None:
        self.rounds += 1
        hyp = dfa_from_aalpy(hypothesis, self.letters)
        self.last_hypothesis = hyp
        if hyp.n_states > self.budget.max_states:
            log.warning("hypothesis has %d states > max_states=%d; stopping", hyp.n_states, self.budget.max_states)
            self.converged = False
            return None
        tests = self._tests(hyp)
        self.test_words += len(tests)
        best = _shortest_disagreement(hyp, tests, prefix_acceptance(self.oracle, tests))
        self.converged = best is None
        if best is not None:
            log.debug("round %d: counterexample %s", self.rounds, format_word(best))
        return best


def _shortest_disagreement(hyp: DFA, tests: Sequence[Letters], got: Sequence[np.ndarray]) -> Letters | None:
    """The shortest prefix of a test word on which ``hyp`` and the oracle's answers differ."""
    best: Letters | None = None
    for w, acc in zip(tests, got):
        want = hyp.accept_mask[hyp.run(w)]  # (L+1,)
        bad = np.flatnonzero(want != np.asarray(acc, dtype=bool))
        if bad.size:
            cex = w[: int(bad[0])]
            if best is None or len(cex) < len(best):
                best = cex
    return best


@lru_cache(maxsize=1)
def _aalpy_classes() -> tuple[type, type]:
    """The SUL and equivalence-oracle classes (AALpy is imported lazily)."""
    _require_aalpy()
    from aalpy.base import SUL, Oracle

    class OracleSUL(_CachedSUL, SUL):
        __doc__ = _CachedSUL.__doc__

    class BudgetEqOracle(_BudgetEquivalence, Oracle):
        __doc__ = _BudgetEquivalence.__doc__

    return OracleSUL, BudgetEqOracle


def _access_words(dfa: DFA) -> list[Letters]:
    """The shortest (BFS, alphabet order) word reaching each reachable state."""
    access: dict[int, Letters] = {dfa.start: ()}
    queue = [dfa.start]
    for q in queue:
        for i, r in enumerate(dfa.transitions[q]):
            if r not in access:
                access[r] = access[q] + (dfa.alphabet[i],)
                queue.append(r)
    return [access[q] for q in queue]


def _run_learner(
    learning_algs: Any, algorithm: str, letters: list, sul: Any, eq: Any, budget: LearningBudget
) -> tuple[DFA, bool]:
    """Run AALpy with Python's ``random`` seeded by the caller: (hypothesis, query budget spent)."""
    try:
        run = learning_algs.run_Lstar if algorithm == "lstar" else learning_algs.run_KV
        hypothesis = run(letters, sul, eq, automaton_type="dfa", max_learning_rounds=budget.max_rounds, print_level=0)
        return dfa_from_aalpy(hypothesis, letters), False
    except _QueryBudgetExhausted:
        if eq.last_hypothesis is None:
            raise DataError(
                f"{algorithm} spent its budget of {budget.max_queries} membership queries before its first "
                "hypothesis; raise max_queries"
            ) from None
        log.warning("%s: membership-query budget of %d spent; returning the last hypothesis",
                    algorithm, budget.max_queries)
        return eq.last_hypothesis, True


def learn_dfa(
    oracle: MembershipOracle,
    *,
    algorithm: str = "lstar",
    budget: LearningBudget | None = None,
    seed: int = 0,
    name: str = "",
) -> ActiveLearningResult:
    """Learn a DFA from membership queries with L* or KV (through AALpy).

    Parameters
    ----------
    oracle
        Answers membership queries (:class:`~automata_probe.extraction.oracles.DFAOracle`,
        :class:`~automata_probe.extraction.oracles.ModelOracle`).
    algorithm
        ``"lstar"`` (Angluin's L*, Rivest-Schapire counterexample processing)
        or ``"kv"`` (Kearns-Vazirani).
    budget
        Bounds on the equivalence oracle (default :class:`LearningBudget()`).
    seed
        Seeds the equivalence oracle's random walks (and Python's ``random``
        for AALpy's internals, restored afterwards).

    Raises
    ------
    AutomataProbeError
        When AALpy is not installed.
    """
    if algorithm not in ALGORITHMS:
        raise DataError(f"unknown learning algorithm {algorithm!r}; expected lstar or kv")
    learning_algs = _require_aalpy()
    budget = budget or LearningBudget()
    OracleSUL, BudgetEqOracle = _aalpy_classes()
    letters = list(oracle.alphabet)
    sul = OracleSUL(oracle, budget.max_queries)
    eq = BudgetEqOracle(letters, sul, oracle, budget, seed)
    state = random.getstate()
    random.seed(seed)
    try:
        learnt, exhausted = _run_learner(learning_algs, algorithm, letters, sul, eq, budget)
    finally:
        random.setstate(state)
    result = ActiveLearningResult(
        dfa=tidy_dfa(learnt, name),
        algorithm=algorithm,
        rounds=eq.rounds,
        membership_queries=len(sul.cache),
        test_words=eq.test_words,
        converged=eq.converged and not exhausted,
    )
    log.info(
        "%s: %d states after %d rounds, %d membership queries, %d test words%s",
        algorithm,
        result.dfa.n_states,
        result.rounds,
        result.membership_queries,
        result.test_words,
        "" if result.converged else " (budget reached)",
    )
    return result
