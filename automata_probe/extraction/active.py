"""Active learning: L*, KV or L# through AALpy, the oracle answering.

:func:`learn_dfa` runs L* (Angluin 1987), Kearns-Vazirani or L#
(Vaandrager et al. 2022) through AALpy (Muskardin et al. 2022); membership
queries go to a :class:`~automata_probe.extraction.oracles.MembershipOracle`
through a system-under-learning wrapper that caches every prefix in a
:class:`~automata_probe.extraction.oracles.PrefixCache`. Equivalence queries
are answered by :class:`~automata_probe.extraction.equivalence.CounterexampleSearch`,
which looks where the model is used (the training and longer lengths, the
language's words and their near-misses, the model's hidden states); every cost
is bounded by a :class:`~automata_probe.extraction.equivalence.LearningBudget`,
the wall time included, and a run that stops at a budget says so.

AALpy is optional: ``pip install automata-probe[learn]``.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Sequence

import numpy as np

from ..automata.dfa import DFA
from ..errors import AutomataProbeError, DataError
from .equivalence import CounterexampleSearch, LearningBudget, describe_stop
from .oracles import MembershipOracle, PrefixCache, prefix_acceptance
from .tables import tidy_dfa

__all__ = ["ALGORITHMS", "LearningBudget", "ActiveLearningResult", "learn_dfa", "dfa_from_aalpy"]

log = logging.getLogger(__name__)

#: The active learners, by name.
ALGORITHMS = ("lstar", "kv", "lsharp")


@dataclass(frozen=True, kw_only=True)
class ActiveLearningResult:
    """Outcome of :func:`learn_dfa`.

    Attributes
    ----------
    dfa
        The learnt DFA (minimal, canonical).
    algorithm
        ``"lstar"``, ``"kv"`` or ``"lsharp"``.
    rounds
        Equivalence queries asked.
    membership_queries
        Distinct words the learner asked the oracle.
    test_words
        Words the equivalence search ran, all rounds together.
    converged
        The last hypothesis passed every stage of the equivalence search.
    stop_reason
        None when converged; else the budget that stopped learning
        (``time``, ``queries``, ``rounds``, ``states``, ``test words``): the
        hypothesis is unverified.
    counterexamples
        ``(word, stage)`` for each counterexample the search returned.
    seconds
        Wall time.
    """

    dfa: DFA
    algorithm: str
    rounds: int
    membership_queries: int
    test_words: int
    converged: bool
    stop_reason: str | None = None
    counterexamples: tuple[tuple[tuple[str, ...], str], ...] = field(default=())
    seconds: float = 0.0
    refuted: bool = False

    @property
    def status(self) -> str:
        """``"converged"``, ``"unverified: time budget spent"`` (nothing found
        against the last hypothesis, but the search stopped early) or
        ``"refuted: queries budget spent"`` (the last hypothesis has a
        counterexample the learner had no budget to use)."""
        return describe_stop(self.stop_reason, self.refuted)

    def to_dict(self) -> dict[str, Any]:
        stages: dict[str, int] = {}
        for _, stage in self.counterexamples:
            stages[stage] = stages.get(stage, 0) + 1
        return {
            "algorithm": self.algorithm,
            "states": self.dfa.n_states,
            "rounds": self.rounds,
            "membership_queries": self.membership_queries,
            "test_words": self.test_words,
            "converged": self.converged,
            "stop_reason": self.stop_reason,
            "status": self.status,
            "refuted": self.refuted,
            "counterexamples_by_stage": stages,
            "counterexamples": ["".join(w) if all(len(a) == 1 for a in w) else " ".join(w)
                                for w, _ in self.counterexamples],
            "seconds": self.seconds,
        }


def require_aalpy() -> Any:
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


class _BudgetExhausted(Exception):
    """Raised inside AALpy's loop when the membership-query or time budget is spent."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _CachedSUL:
    """A :class:`MembershipOracle` as an AALpy system under learning (mixed
    into AALpy's ``SUL`` by :func:`_aalpy_classes`).

    ``step(None)`` answers the empty word (AALpy's convention for DFAs);
    ``query(word)`` answers every prefix of ``word`` from one walk of the
    prefix cache, asking the oracle for the whole word when it is not known.
    ``n_words`` counts distinct words asked; past ``max_queries`` of them, or
    past ``deadline``, :class:`_BudgetExhausted` stops the learner.
    """

    num_queries: int
    num_steps: int

    def __init__(self, oracle: MembershipOracle, max_queries: int, deadline: float | None) -> None:
        super().__init__()
        self.oracle = oracle
        self.letters = tuple(oracle.alphabet)
        self.index = {a: i for i, a in enumerate(self.letters)}
        self.max_queries = max_queries
        self.deadline = deadline
        self.cache = PrefixCache(len(self.letters))
        self.n_words = 0
        self._prefix: list[str] = []

    def answers(self, word: tuple) -> np.ndarray:
        """``(L + 1,)`` acceptance of every prefix of ``word``."""
        idx = [self.index[a] for a in word]
        known = self.cache.prefixes(idx)
        if known is not None:
            return known
        if self.n_words >= self.max_queries:
            raise _BudgetExhausted("queries")
        if self.deadline is not None and time.perf_counter() > self.deadline:
            raise _BudgetExhausted("time")
        self.n_words += 1
        acc = np.asarray(prefix_acceptance(self.oracle, [tuple(word)])[0], dtype=bool)
        self.cache.put(idx, acc)
        return acc

    def pre(self) -> None:
        self._prefix = []

    def post(self) -> None:
        pass

    def step(self, letter: Any) -> bool:
        if letter is not None:
            self._prefix.append(letter)
        return bool(self.answers(tuple(self._prefix))[-1])

    def query(self, word: tuple) -> list:
        self.num_queries += 1
        self.num_steps += len(word)
        acc = self.answers(tuple(word))
        return [bool(acc[0])] if not word else [bool(a) for a in acc[1:]]


class _SearchOracle:
    """AALpy's equivalence oracle over a :class:`CounterexampleSearch` (mixed
    into AALpy's ``Oracle`` by :func:`_aalpy_classes`)."""

    def __init__(self, alphabet: list, sul: Any, search: CounterexampleSearch,
                 on_round: Callable[[CounterexampleSearch, DFA], None] | None) -> None:
        super().__init__(alphabet, sul)  # type: ignore[call-arg]
        self.search = search
        self.letters = tuple(alphabet)
        self.on_round = on_round

    def find_cex(self, hypothesis: Any) -> tuple | None:
        hyp = dfa_from_aalpy(hypothesis, self.letters)
        cex = self.search.find(hyp)
        if self.on_round is not None:
            self.on_round(self.search, hyp)
        return cex


@lru_cache(maxsize=1)
def _aalpy_classes() -> tuple[type, type]:
    """The SUL and equivalence-oracle classes (AALpy is imported lazily)."""
    require_aalpy()
    from aalpy.base import SUL, Oracle

    class OracleSUL(_CachedSUL, SUL):
        __doc__ = _CachedSUL.__doc__

    class SearchEqOracle(_SearchOracle, Oracle):
        __doc__ = _SearchOracle.__doc__

    return OracleSUL, SearchEqOracle


def _run_learner(
    learning_algs: Any, algorithm: str, letters: list, sul: Any, eq: Any, budget: LearningBudget
) -> tuple[DFA, str | None]:
    """Run AALpy (Python's ``random`` seeded by the caller): (hypothesis, the budget that stopped it)."""
    common = dict(automaton_type="dfa", max_learning_rounds=budget.max_rounds, print_level=0,
                  cache_and_non_det_check=False)  # the SUL caches every prefix itself, in a trie
    try:
        if algorithm == "lstar":
            hypothesis = learning_algs.run_Lstar(letters, sul, eq, **common)
        elif algorithm == "kv":
            hypothesis = learning_algs.run_KV(letters, sul, eq, **common)
        else:
            if not hasattr(learning_algs, "run_Lsharp"):
                raise AutomataProbeError("L# needs AALpy >= 1.5; pip install -U aalpy")
            hypothesis = learning_algs.run_Lsharp(letters, sul, eq, **common)
        return dfa_from_aalpy(hypothesis, letters), None
    except _BudgetExhausted as stop:
        last = eq.search.last_hypothesis
        if last is None:
            what = (f"{budget.max_queries} membership queries" if stop.reason == "queries"
                    else f"{budget.seconds:g} seconds")
            raise DataError(f"{algorithm} spent its budget of {what} before its first hypothesis; raise it") from None
        log.warning("%s: %s budget spent; returning the last hypothesis, unverified", algorithm, stop.reason)
        return last, stop.reason


def learn_dfa(
    oracle: MembershipOracle,
    *,
    algorithm: str = "lstar",
    budget: LearningBudget | None = None,
    seed: int = 0,
    name: str = "",
    reference: DFA | None = None,
    seeds: Sequence[Sequence[str]] = (),
    on_round: Callable[[dict[str, Any]], None] | None = None,
) -> ActiveLearningResult:
    """Learn a DFA from membership queries with L*, KV or L# (through AALpy).

    Parameters
    ----------
    oracle
        Answers membership queries (:class:`~automata_probe.extraction.oracles.DFAOracle`,
        :class:`~automata_probe.extraction.oracles.ModelOracle`); with a
        ``hidden_states`` method the equivalence search also looks inside.
    algorithm
        ``"lstar"`` (Angluin's L*, Rivest-Schapire counterexample processing),
        ``"kv"`` (Kearns-Vazirani) or ``"lsharp"`` (L#).
    budget
        Bounds on the equivalence search and the learner (default :class:`LearningBudget()`).
    seed
        Seeds the equivalence search (and Python's ``random`` for AALpy's
        internals, restored afterwards).
    reference
        The truth: its words and their near-misses are tested in ``budget.test_bins``.
    seeds
        Words tested first in every equivalence query (the model's known
        errors, so the learner has to account for them).
    on_round
        Called after each equivalence query with ``round``, ``states``,
        ``queries``, ``test words`` and ``seconds``.

    Raises
    ------
    AutomataProbeError
        When AALpy is not installed.
    DataError
        An unknown algorithm, or a budget spent before the first hypothesis.
    """
    if algorithm not in ALGORITHMS:
        raise DataError(f"unknown learning algorithm {algorithm!r}; expected one of {', '.join(ALGORITHMS)}")
    learning_algs = require_aalpy()
    budget = budget or LearningBudget()
    OracleSUL, SearchEqOracle = _aalpy_classes()
    letters = list(oracle.alphabet)
    t0 = time.perf_counter()
    deadline = None if budget.seconds is None else t0 + budget.seconds
    sul = OracleSUL(oracle, budget.max_queries, deadline)
    search = CounterexampleSearch(oracle, budget, reference=reference, seeds=seeds, seed=seed, deadline=deadline)

    def report(s: CounterexampleSearch, hyp: DFA) -> None:
        if on_round is not None:
            on_round({"round": s.rounds, "states": hyp.n_states, "queries": sul.n_words,
                      "test words": s.test_words, "seconds": time.perf_counter() - t0})

    eq = SearchEqOracle(letters, sul, search, report)
    state = random.getstate()
    random.seed(seed)
    try:
        learnt, stopped = _run_learner(learning_algs, algorithm, letters, sul, eq, budget)
    finally:
        random.setstate(state)
    if stopped is None:
        stopped = search.stop_reason
    if stopped is None and (search.refuted or search.last_hypothesis is None
                            or learnt.minimize() != search.last_hypothesis.minimize()):
        # AALpy stopped at max_learning_rounds (KV counts its internal refinements too):
        # what it returns was never tested, or failed its test
        stopped = "rounds"
    result = ActiveLearningResult(
        dfa=tidy_dfa(learnt, name),
        algorithm=algorithm,
        rounds=search.rounds,
        membership_queries=sul.n_words,
        test_words=search.test_words,
        converged=stopped is None,
        stop_reason=stopped,
        counterexamples=tuple(search.found),
        seconds=time.perf_counter() - t0,
        refuted=stopped is not None and search.refuted,
    )
    log.info("%s: %d states after %d rounds, %d membership queries, %d test words, %.1fs; %s",
             algorithm, result.dfa.n_states, result.rounds, result.membership_queries, result.test_words,
             result.seconds, result.status)
    return result
