"""Every extraction method on a trained network, scored against the model, then the truth.

:func:`extract_all` composes the stages. The model answers membership queries
(:class:`~automata_probe.extraction.oracles.ModelOracle`) and is first scored
against the truth itself (the ``model`` row:
:func:`~automata_probe.extraction.fidelity.fidelity` of the truth), at every
short length and, sampled, at the training lengths and the longer bins. Its
errors become seed words of the learners' equivalence queries. Then each
method extracts an automaton: the probe-based table and the clustering (from
one set of words, :func:`extraction_words`, and their activations,
:func:`hidden_states`), L*, KV and L# (querying the model, equivalence by
:class:`~automata_probe.extraction.equivalence.CounterexampleSearch`), and
passive state merging from the model's labels (RPNI). Each extracted
automaton is scored for **fidelity to the model** before it is compared with
the truth (:mod:`automata_probe.compare`), and each result says which of
three things holds (:attr:`MethodResult.verdict`): the model computes the
truth (up to the lengths checked) and the extraction found it; the model
computes something else and the extraction found that; or the extraction is
not faithful to the model, and where. Settings live in one
:class:`ExtractionConfig`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

import numpy as np

from ..automata import load_language
from ..automata.dfa import DFA
from ..automata.language import DEFAULT_EXPERIMENT
from ..compare import Comparison, compare
from ..data import sample_words
from ..errors import AlphabetError, DataError, LanguageNotFoundError, ParameterError
from ..extraction import (
    ALGORITHMS,
    ClusteringResult,
    LearningBudget,
    ModelOracle,
    estimate_table,
    extract_by_clustering,
    learn_dfa,
    tidy_dfa,
)
from ..extraction.fidelity import Fidelity, FidelityPlan, fidelity
from ..extraction.oracles import Letters
from ..extraction.passive import MergingTimeout, learn_passive
from ..extraction.search import bin_words
from ..models.checkpoint import Checkpoint, LoadedModel, resolve_model
from ..probing.activations import collect_activations
from ..probing.estimators import LinearProbe
from ..probing.reduce import Reducer
from ..progress import Progress
from .verdicts import check_lengths, method_verdict, report_summary

__all__ = [
    "METHODS",
    "ExtractionConfig",
    "MethodResult",
    "ExtractionReport",
    "extraction_words",
    "hidden_states",
    "check_lengths",
    "extract_all",
]

log = logging.getLogger(__name__)

#: The extraction methods, in the order reports list them.
METHODS = ("probe", "cluster") + ALGORITHMS + ("rpni", "tolerant")

#: Methods that read the model's activations (and share their cost).
_FROM_ACTIVATIONS = ("probe", "cluster")

#: Rows the PCA before k-means, and k-means itself, are fit on at most.
_CLUSTER_ROWS = 5000


@dataclass(frozen=True, kw_only=True)
class ExtractionConfig:
    """Settings of :func:`extract_all`.

    Attributes
    ----------
    methods
        Any of :data:`METHODS` (reports keep the order of :data:`METHODS`).
    max_length
        The longest length checked. None: the training lengths and the first
        longer bin of the model's training run (or of the language). Beyond
        the last bin, one more bin reaches it.
    bins
        The length bins checked, ``((lo, hi), ...)``, the training lengths
        first; None: from the checkpoint (see ``max_length``).
    seed
        Seeds the word sample, the probe split, the PCA rows, k-means, the
        equivalence search and the fidelity sample.
    fidelity_words
        Sampled words per bin when scoring an automaton against the model.
    exact_cap
        Every word of a length is checked while there are at most this many.
    seconds
        Wall-time budget of each method (the learners stop and say
        "unverified"; probe and clustering stop trying further sites or k),
        and again of each scoring against the model (the sampled bins stop
        where it runs out, and the verdict names the lengths not scored).
    n_words, word_max_length, exhaustive_words
        The words whose activations feed the probe and the clustering
        (:func:`extraction_words`).
    k_range
        Cluster counts tried (ascending; the smallest consistent one wins).
    cluster_sites
        Sites the clustering may use (default: every site but ``embed``).
    pca_components
        Activations are standardized and reduced to this many principal
        components before k-means.
    budget
        The active learners' budget; its ``test_bins`` default to ``bins``
        and its ``seconds`` to ``seconds``.
    passive_words
        Words at the training lengths whose labels (the model's) feed RPNI
        and the tolerant merging.
    tolerance
        The tolerant merging's largest fraction of conflicting label weight
        per merge (:func:`~automata_probe.extraction.passive.tolerant_merge`).
    probe_rows
        Positions the probe of each site is fit on at most.
    fit_threads
        BLAS/OpenMP threads of the probe and k-means fits (None: the
        libraries' choice). These fits are small, and one thread is fastest.
    device
        Torch device of the membership queries.
    """

    methods: tuple[str, ...] = METHODS
    max_length: int | None = None
    bins: tuple[tuple[int, int], ...] | None = None
    seed: int = 0
    fidelity_words: int = 1200
    exact_cap: int = 1 << 14
    seconds: float = 120.0
    n_words: int = 600
    word_max_length: int = 24
    exhaustive_words: int = 512
    k_range: tuple[int, ...] = tuple(range(2, 17))
    cluster_sites: tuple[str, ...] | None = None
    pca_components: int = 32
    budget: LearningBudget = field(default_factory=LearningBudget)
    passive_words: int = 2000
    tolerance: float = 0.01
    probe_rows: int = 3000
    fit_threads: int | None = 1
    device: str = "cpu"

    def __post_init__(self) -> None:
        object.__setattr__(self, "methods", tuple(self.methods))
        object.__setattr__(self, "k_range", tuple(int(k) for k in self.k_range))
        if self.cluster_sites is not None:
            object.__setattr__(self, "cluster_sites", tuple(self.cluster_sites))
        if self.bins is not None:
            object.__setattr__(self, "bins", tuple((int(lo), int(hi)) for lo, hi in self.bins))
            if not self.bins or any(not 0 <= lo <= hi for lo, hi in self.bins):
                raise ParameterError(f"bins must be non-empty (lo, hi) pairs with 0 <= lo <= hi, got {self.bins}")
        unknown = [m for m in self.methods if m not in METHODS]
        if unknown:
            raise DataError(f"unknown extraction method {unknown[0]!r}; expected one of {', '.join(METHODS)}")
        if self.max_length is not None and self.max_length < 0:
            raise ParameterError(f"max_length must be >= 0, got {self.max_length}")
        for name in ("n_words", "word_max_length"):
            if getattr(self, name) < 0:
                raise ParameterError(f"{name} must be >= 0, got {getattr(self, name)}")
        for name in ("exhaustive_words", "pca_components", "probe_rows", "fidelity_words", "exact_cap",
                     "passive_words"):
            if getattr(self, name) < 1:
                raise ParameterError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not self.seconds > 0:
            raise ParameterError(f"seconds must be > 0, got {self.seconds}")
        if not 0 <= self.tolerance < 0.5:
            raise ParameterError(f"tolerance must lie in [0, 0.5), got {self.tolerance}")
        if not self.k_range or min(self.k_range) < 1:
            raise ParameterError(f"k_range must hold positive cluster counts, got {list(self.k_range)}")


@dataclass(frozen=True, kw_only=True, eq=False)
class MethodResult:
    """One extraction method applied to a model: fidelity to it, then the truth.

    Attributes
    ----------
    method
        One of :data:`METHODS`.
    dfa
        The extracted DFA (minimal); None when the method failed.
    seconds
        Wall time of the method (queries and fitting included; fidelity not).
    fidelity
        Agreement of ``dfa`` with the model per length and bin, and the
        shortest disagreement (:func:`~automata_probe.extraction.fidelity.fidelity`).
    comparison
        :func:`automata_probe.compare.compare` of the truth with ``dfa``:
        equivalence, shortest counterexample, exact disagreement per length,
        the state mapping.
    details
        Method-specific plain values (probe site and accuracy, chosen k,
        query counts, stop reason, ...).
    failure
        Why the method produced no automaton (e.g. no consistent clustering),
        or None.
    verdict
        One line: which of the three outcomes holds (see :func:`extract_all`).
    """

    method: str
    dfa: DFA | None
    seconds: float
    fidelity: Fidelity | None = None
    comparison: Comparison | None = None
    details: dict[str, Any] = field(default_factory=dict)
    failure: str | None = None
    verdict: str = ""

    def __post_init__(self) -> None:
        if (self.dfa is None) != (self.failure is not None):
            raise DataError("a method result has an automaton exactly when it did not fail")

    @property
    def failed(self) -> bool:
        return self.failure is not None

    @property
    def states(self) -> int | None:
        return None if self.dfa is None else self.dfa.n_states

    @property
    def equivalent(self) -> bool:
        """Equivalent to the truth (False when the method failed)."""
        return self.comparison is not None and self.comparison.equivalent

    @property
    def faithful(self) -> bool:
        """No disagreement with the model was found (False when the method failed)."""
        return self.fidelity is not None and self.fidelity.faithful

    @property
    def unverified(self) -> str | None:
        """The learner's stop reason when a budget stopped it, else None."""
        return self.details.get("stop_reason")

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "states": self.states,
            "seconds": self.seconds,
            "failure": self.failure,
            "faithful": self.faithful,
            "equivalent": self.equivalent,
            "verdict": self.verdict,
            "fidelity": None if self.fidelity is None else self.fidelity.to_dict(),
            "comparison": None if self.comparison is None else self.comparison.to_dict(),
            "details": dict(self.details),
        }


@dataclass(frozen=True, kw_only=True, eq=False)
class ExtractionReport:
    """All methods on one model, plus the model itself against the truth.

    Attributes
    ----------
    truth
        The ground-truth DFA (minimal).
    results
        One :class:`MethodResult` per method run.
    model
        The truth scored against the model: where the model itself errs
        (:func:`~automata_probe.extraction.fidelity.fidelity` of the truth).
    bins
        The length bins checked (the training lengths first).
    n_words
        Words whose activations fed the probe and the clustering.
    summary
        The report in one line: does the model compute the truth, and which
        methods found what it computes (and which of the model's test
        lengths were left unchecked).
    unchecked
        The model's training and test lengths (from its run) beyond those
        checked: "faithful" and "equivalent" say nothing about them.
    """

    truth: DFA
    results: tuple[MethodResult, ...]
    model: Fidelity
    bins: tuple[tuple[int, int], ...]
    n_words: int
    summary: str = ""
    unchecked: tuple[tuple[int, int], ...] = ()

    def result(self, method: str) -> MethodResult:
        for r in self.results:
            if r.method == method:
                return r
        raise KeyError(method)

    @property
    def model_errs(self) -> bool:
        """The model disagrees with the truth on some word checked."""
        return not self.model.faithful

    def to_dict(self) -> dict[str, Any]:
        return {
            "truth": self.truth.name,
            "truth_states": self.truth.n_states,
            "bins": [list(b) for b in self.bins],
            "n_words": self.n_words,
            "summary": self.summary,
            "unchecked": [list(b) for b in self.unchecked],
            "results": [r.to_dict() for r in self.results],
            "model": self.model.to_dict(),
        }


# ------------------------------------------------------ words and activations
def extraction_words(
    dfa: DFA, *, n_words: int, max_length: int, exhaustive_words: int, seed: int
) -> list[Letters]:
    """Words whose runs feed the probe and the clustering.

    Every word up to the length with at most ``exhaustive_words`` words (so
    every short transition is seen, the dead state included), then
    ``n_words`` sampled words with lengths uniform in ``1..max_length``, half
    uniform among the language's words and half uniform among all words
    (:func:`automata_probe.data.sample_words` with ``source="mixed"``).
    """
    k = dfa.n_letters
    words: list[Letters] = []
    n, total = 0, 1
    words.append(())
    while total + k ** (n + 1) <= exhaustive_words:
        n += 1
        total += k**n
        grid = np.indices((k,) * n).reshape(n, -1).T
        words.extend(tuple(dfa.alphabet[i] for i in row) for row in grid)
    if n_words > 0 and max_length >= 1:
        idx, lengths = sample_words(dfa, (1, max_length), n_words, seed, source="mixed")
        words.extend(tuple(dfa.alphabet[i] for i in idx[j, : lengths[j]]) for j in range(len(lengths)))
    return words


def hidden_states(
    model: Any, tokenizer: Any, words: Sequence[Letters], *, sites: Sequence[str] | None = None,
    batch_size: int = 128,
) -> dict[str, list[np.ndarray]]:
    """Activations per site: for each word of length ``L`` an ``(L + 1, F)`` array.

    A per-word view of :func:`automata_probe.probing.activations.collect_activations`
    (row ``t`` is the activation after reading ``[BOS, w1..wt]``, aligned
    with ``q_t``).
    """
    acts = collect_activations(model, list(words), tokenizer, sites=sites, batch_size=batch_size)
    cuts = np.cumsum(np.asarray(acts.lengths) + 1)[:-1]
    return {site: np.split(acts[site], cuts) for site in acts.sites}


@dataclass(frozen=True, kw_only=True, eq=False)
class _Runs:
    """What the probe and the clustering share: words, the model's readings, activations."""

    words: list[Letters] = field(default_factory=list)
    accept: list[np.ndarray] = field(default_factory=list)  # (L + 1,) per word
    alive: list[np.ndarray] = field(default_factory=list)  # (L + 1,) per word
    acts: dict[str, list[np.ndarray]] = field(default_factory=dict)  # site -> (L + 1, F) per word
    seconds: float = 0.0  # the model's time on them


def _runs(loaded: LoadedModel, truth: DFA, oracle: ModelOracle, config: ExtractionConfig) -> _Runs:
    words = extraction_words(
        truth, n_words=config.n_words, max_length=config.word_max_length,
        exhaustive_words=config.exhaustive_words, seed=config.seed,
    )
    t0 = time.perf_counter()
    accept, alive = oracle.prefix_readings(words)
    acts = hidden_states(loaded.model, loaded.tokenizer, words)
    seconds = time.perf_counter() - t0
    log.info("activations of %d words at %d sites in %.1fs", len(words), len(acts), seconds)
    return _Runs(words=words, accept=accept, alive=alive, acts=acts, seconds=seconds)


def _split_like(X: np.ndarray, hs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Rows of ``X`` cut back into one block per word, as ``hs`` is."""
    return np.split(X, np.cumsum([len(h) for h in hs])[:-1])


# ------------------------------------------------------------------ methods
def _fit_probe_per_site(
    acts: dict[str, list[np.ndarray]], labels: list[np.ndarray], seed: int, max_rows: int,
    deadline: float | None = None, progress: bool = False,
) -> tuple[str, Any, dict[str, float]]:
    """Fit a linear probe on each site (80% of words), score on the rest; return the best.
    Past ``deadline`` no further site is tried."""
    rng = np.random.default_rng(seed)
    n = len(labels)
    perm = rng.permutation(n)
    cut = min(max(1, int(0.8 * n)), n - 1) if n > 1 else 1
    train = np.sort(perm[:cut])
    test = np.sort(perm[cut:]) if cut < n else train  # a single word: score on it
    y_tr = np.concatenate([labels[i] for i in train])
    y_te = np.concatenate([labels[i] for i in test])
    rows = rng.choice(len(y_tr), size=min(max_rows, len(y_tr)), replace=False)
    scores: dict[str, float] = {}
    probes: dict[str, Any] = {}
    with Progress(len(acts), desc="probe", unit="site", enabled=progress) as bar:
        for site, hs in acts.items():
            if scores and deadline is not None and time.perf_counter() > deadline:
                log.warning("probe: time budget spent after %d of %d sites", len(scores), len(acts))
                break
            X_tr = np.concatenate([hs[i] for i in train])[rows]
            X_te = np.concatenate([hs[i] for i in test])
            probe = LinearProbe(random_state=seed).fit(X_tr, y_tr[rows])
            scores[site] = float(probe.score(X_te, y_te))
            probes[site] = probe
            log.info("probe on %s: held-out accuracy %.4f", site, scores[site])
            bar.set_postfix(best=f"{max(scores.values()):.4f}")
            bar.update()
    best = max(scores, key=lambda s: (scores[s], -list(scores).index(s)))
    return best, probes[best], scores


def _by_probe(
    runs: _Runs, truth: DFA, config: ExtractionConfig, deadline: float | None = None, progress: bool = False
) -> tuple[DFA, dict[str, Any]]:
    """The best site's probe predictions read as a table (acceptance from the model)."""
    labels = [np.asarray(truth.run(w)) for w in runs.words]
    site, probe, scores = _fit_probe_per_site(runs.acts, labels, config.seed, config.probe_rows, deadline, progress)
    hs = runs.acts[site]
    pred = _split_like(probe.predict(np.concatenate(hs)), hs)
    est = estimate_table(pred, runs.words, runs.accept, truth.alphabet, alive=runs.alive)
    details = {
        "site": site,
        "probe_accuracy": scores[site],
        "site_accuracies": scores,
        "transition_consistency": est.transition_consistency,
        "acceptance_consistency": est.acceptance_consistency,
    }
    return tidy_dfa(est.dfa, "probe"), details


def _reduced(hs: Sequence[np.ndarray], components: int, seed: int) -> list[np.ndarray]:
    """Standardized, at most ``components`` principal components, per word."""
    X = np.concatenate(hs)  # (P, F)
    reducer = Reducer(X, components, np.random.default_rng(seed), max_rows=_CLUSTER_ROWS)
    return _split_like(reducer(X), hs)  # (L + 1, <= components) per word


def _cluster_sites(acts: dict[str, list[np.ndarray]], wanted: Sequence[str] | None) -> list[str]:
    sites = list(wanted) if wanted is not None else [s for s in acts if s != "embed"]
    missing = [s for s in sites if s not in acts]
    if missing:
        raise DataError(f"unknown site {missing[0]!r}; the model has {', '.join(acts)}")
    return sites


class _MethodFailed(Exception):
    """A method found no automaton; the message says why, ``details`` what was tried."""

    def __init__(self, message: str, details: dict[str, Any]) -> None:
        super().__init__(message)
        self.details = details


def _by_clustering(
    runs: _Runs, truth: DFA, config: ExtractionConfig, deadline: float | None = None, progress: bool = False
) -> tuple[DFA, dict[str, Any]]:
    """Cluster every allowed site; the site consistent at the smallest ``k`` wins.

    Raises :class:`_MethodFailed` when no site is consistent at any ``k``:
    the best inconsistent table is no extraction, and is not reported as one.
    """
    sites = _cluster_sites(runs.acts, config.cluster_sites)
    best: tuple[tuple, str, ClusteringResult] | None = None
    per_site: dict[str, dict[str, Any]] = {}
    bar = Progress(len(sites), desc="cluster", unit="site", enabled=progress)
    for s in sites:
        bar.update()
        if per_site and deadline is not None and time.perf_counter() > deadline:
            log.warning("cluster: time budget spent after %d of %d sites", len(per_site), len(sites))
            break
        try:
            res = extract_by_clustering(
                _reduced(runs.acts[s], config.pca_components, config.seed), runs.words, runs.accept,
                truth.alphabet, k_range=config.k_range, seed=config.seed, max_points=_CLUSTER_ROWS,
                alive=runs.alive, name="cluster",
            )
        except DataError as e:  # e.g. a collapsed site with fewer distinct vectors than any k
            per_site[s] = {"error": str(e)}
            continue
        last = next(d for d in res.diagnostics if d.k == res.k)
        cons = min(last.transition_consistency, last.acceptance_consistency)
        per_site[s] = {"k": res.k, "consistency": cons, "met_threshold": res.met_threshold}
        key = (res.met_threshold, -res.k, cons)
        if best is None or key > best[0]:
            best = (key, s, res)
    bar.close()
    ks = f"{min(config.k_range)}..{max(config.k_range)}"
    if best is None:
        raise _MethodFailed(f"no site's hidden states fit any k in {ks}", {"per_site": per_site})
    _, site, res = best
    if not res.met_threshold:
        cons = best[0][2]
        raise _MethodFailed(
            f"no k in {ks} consistent at any site (best: k={res.k} at {site}, consistency {cons:.3f})",
            {"per_site": per_site, "best_site": site, "best_k": res.k, "best_consistency": cons},
        )
    details = {
        "site": site,
        "k": res.k,
        "met_threshold": res.met_threshold,
        "criterion": res.criterion,
        "per_site": per_site,
        "diagnostics": [d.to_dict() for d in res.diagnostics],
    }
    return res.dfa, details


def _by_learning(
    oracle: ModelOracle, algorithm: str, truth: DFA, config: ExtractionConfig, bins: Sequence[tuple[int, int]],
    seeds: Sequence[Letters], progress: bool,
) -> tuple[DFA, dict[str, Any]]:
    """L*, KV or L#, the equivalence search looking in ``bins`` and at ``seeds`` first."""
    b = config.budget
    seconds = config.seconds if b.seconds is None else min(b.seconds, config.seconds)
    budget = LearningBudget(**{**_fields(b), "test_bins": b.test_bins or tuple(bins), "seconds": seconds})
    with Progress(None, desc=algorithm, unit="round", enabled=progress, interval=10.0) as bar:
        def on_round(info: dict[str, Any]) -> None:
            bar.set_postfix({"states": info["states"], "queries": info["queries"],
                             "test words": info["test words"]})
            bar.update(1)

        learnt = learn_dfa(oracle, algorithm=algorithm, budget=budget, seed=config.seed, name=algorithm,
                           reference=truth, seeds=seeds, on_round=on_round)
        bar.set_postfix({"states": learnt.dfa.n_states, "queries": learnt.membership_queries,
                         "test words": learnt.test_words, "status": learnt.status})  # the final counts
    return learnt.dfa, learnt.to_dict()


def _fields(obj: Any) -> dict[str, Any]:
    return {f: getattr(obj, f) for f in obj.__dataclass_fields__}


def _by_passive(
    oracle: ModelOracle, truth: DFA, config: ExtractionConfig, train: tuple[int, int], algorithm: str
) -> tuple[DFA, dict[str, Any]]:
    """RPNI or tolerant merging on the model's labels of words at the training lengths
    (the truth's words, uniform words, near-misses)."""
    sample = bin_words(truth.alphabet, train[0], train[1], config.passive_words,
                       np.random.default_rng([config.seed, 7]), [truth])
    try:
        learnt = learn_passive(oracle, [w for ws in sample.values() for w in ws], algorithm=algorithm,
                               tolerance=config.tolerance, seconds=config.seconds, name=algorithm)
    except MergingTimeout as e:
        raise _MethodFailed(f"{e} after {config.seconds:g} s", {"lengths": list(train)}) from None
    details = learnt.to_dict()
    details["lengths"] = list(train)
    if algorithm == "tolerant":
        details["tolerance"] = config.tolerance
    return learnt.dfa, details


@contextlib.contextmanager
def _fit_threads(threads: int | None) -> Iterator[None]:
    """BLAS and OpenMP threads of scikit-learn limited to ``threads`` in the block.

    The probe and k-means fits are small; with more threads than free cores
    OpenMP workers spin, and a k-means fit that takes 0.26 s on one thread
    took 23 s on two on a loaded 2-core machine.
    """
    if threads is None:
        yield
        return
    import sklearn.cluster  # noqa: F401  (load the OpenMP and BLAS runtimes: a limit reaches loaded ones only)
    import sklearn.linear_model  # noqa: F401
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=threads):
        yield


def _extract(
    method: str, runs: _Runs, oracle: ModelOracle, truth: DFA, config: ExtractionConfig,
    bins: Sequence[tuple[int, int]], seeds: Sequence[Letters], progress: bool,
) -> tuple[DFA, dict[str, Any]]:
    """One method's DFA (tidy, named after the method) and its details; raises
    :class:`_MethodFailed` when the method finds no automaton."""
    deadline = time.perf_counter() + config.seconds
    if method in _FROM_ACTIVATIONS:
        with _fit_threads(config.fit_threads):
            if method == "probe":
                return _by_probe(runs, truth, config, deadline, progress)
            return _by_clustering(runs, truth, config, deadline, progress)
    if method in ("rpni", "tolerant"):
        return _by_passive(oracle, truth, config, bins[0], method)
    return _by_learning(oracle, method, truth, config, bins, seeds, progress)


# ----------------------------------------------------------------- together
def _model_and_truth(
    source: Any, language: Any, alphabet: Sequence[str] | None, task: str | None
) -> tuple[LoadedModel, DFA, DFA]:
    """(the model, its training DFA, the truth as given) from a checkpoint or a model."""
    bare = not isinstance(source, (str, os.PathLike, Checkpoint))
    loaded = resolve_model(source, alphabet=alphabet, task=task)
    if bare and (not loaded.alphabet or loaded.task is None):
        raise DataError("extracting from a bare model needs its alphabet and task")
    if language is None:
        if bare:
            raise DataError("extracting from a bare model needs the true language")
        if loaded.train_dfa is not None:
            truth = loaded.train_dfa.with_name(loaded.language_name)
        else:
            lang = load_language(loaded.language_name)
            truth = lang.dfa.with_name(lang.name)
    elif isinstance(language, DFA):
        truth = language
    else:  # a Language
        truth = language.dfa.with_name(language.name)
    return loaded, (loaded.train_dfa if loaded.train_dfa is not None else truth), truth


def _experiment_bins(loaded: LoadedModel, language: Any) -> list[tuple[int, int]]:
    """The model's training lengths and test bins (its run's, else its language's, else the default)."""
    tc = loaded.train_config or {}
    if tc.get("train_lengths") and tc.get("test_bins"):
        return [tuple(tc["train_lengths"])] + [tuple(b) for b in tc["test_bins"]]  # type: ignore[list-item]
    exp = getattr(language, "experiment", None)
    if exp is None and loaded.language_name:
        try:
            exp = load_language(loaded.language_name).experiment
        except (LanguageNotFoundError, DataError):
            exp = None
    exp = exp or DEFAULT_EXPERIMENT
    return [tuple(exp.train_lengths)] + [tuple(b) for b in exp.test_bins]  # type: ignore[list-item]


def _check_fidelity(
    dfa: DFA, oracle: ModelOracle, truth: DFA, plan: FidelityPlan, config: ExtractionConfig,
    extra: Sequence[Letters], progress: bool,
) -> Fidelity:
    with Progress(plan.planned_words(dfa.n_letters), desc=f"fidelity of {dfa.name or 'automaton'}", unit="word", enabled=progress) as bar:
        return fidelity(dfa, oracle, plan, references=(truth,), extra_words=extra, seed=config.seed + 1,
                        on_progress=bar.set, seconds=config.seconds)


def extract_all(
    source: Any,
    language: Any = None,
    config: ExtractionConfig | None = None,
    *,
    alphabet: Sequence[str] | None = None,
    task: str | None = None,
    progress: bool = False,
) -> ExtractionReport:
    """Run the extraction methods on a model; score each against the model, then the truth.

    Parameters
    ----------
    source
        A :class:`~automata_probe.models.checkpoint.Checkpoint`, a path to one, or a
        model (then give ``alphabet`` and ``task``, see
        :func:`~automata_probe.models.checkpoint.resolve_model`).
    language
        The truth: a :class:`~automata_probe.automata.Language`, a DFA, or
        None for the checkpoint's own language.
    config
        The methods and their settings (default :class:`ExtractionConfig()`).
    progress
        Show progress on stderr (a bar on a terminal, lines in a log).

    Notes
    -----
    Order of work: (1) the truth is scored against the model (the ``model``
    row); the model's first error, if any, becomes a seed word of every
    learner's equivalence search. (2) Each method extracts an automaton; (3)
    it is compared exactly with the truth, and (4) scored against the model
    on the same shared sample (plus its own words, the model's first error and
    the automaton's first difference from the truth). The verdict follows from
    (3) and (4).

    The probe is a :class:`~automata_probe.probing.estimators.LinearProbe` fit per site
    on 80% of the words (by word, at most ``config.probe_rows`` positions) with the
    truth's states as labels; the site with the best held-out accuracy is
    used and its predictions on every position feed
    :func:`~automata_probe.extraction.tables.estimate_table`. Acceptance
    always comes from the model's own output.
    """
    config = config or ExtractionConfig()
    loaded, train_dfa, truth = _model_and_truth(source, language, alphabet, task)
    truth = truth.minimize().with_name(truth.name or "truth")
    # letters travel by name everywhere below, so only the set has to match
    if set(loaded.alphabet) != set(truth.alphabet):
        raise AlphabetError(
            f"alphabets differ: the model reads {{{', '.join(loaded.alphabet)}}}, {truth.name} is over "
            f"{{{', '.join(truth.alphabet)}}}"
        )
    run_bins = _experiment_bins(loaded, language)
    bins = config.bins or check_lengths(run_bins, config.max_length)
    if config.bins and config.max_length is not None:
        bins = check_lengths(bins, config.max_length) or bins
    plan = FidelityPlan(bins=bins, exact_cap=config.exact_cap, words_per_bin=config.fidelity_words)
    oracle = ModelOracle(loaded.model, loaded.tokenizer, loaded.task, dfa=train_dfa, device=config.device)
    model_fid = _check_fidelity(truth, oracle, truth, plan, config, (), progress)
    seeds = [] if model_fid.disagreement is None else [model_fid.disagreement]
    wanted = [m for m in METHODS if m in config.methods]
    runs = _runs(loaded, truth, oracle, config) if set(wanted) & set(_FROM_ACTIVATIONS) else _Runs()
    results = [_one_method(m, runs, oracle, truth, config, bins, plan, seeds, progress) for m in wanted]
    end = max((hi for _, hi in bins), default=0)
    unchecked = tuple((max(lo, end + 1), hi) for lo, hi in run_bins if hi > end)  # the run's longer bins
    summary = report_summary(model_fid, results, truth)
    if unchecked:
        summary += (f"; not checked: lengths {', '.join(f'{lo}-{hi}' for lo, hi in unchecked)} of the model's "
                    f"training and test lengths (max_length={unchecked[-1][1]} checks them)")
    return ExtractionReport(truth=truth, results=tuple(results), model=model_fid, bins=tuple(bins),
                            n_words=len(runs.words), summary=summary, unchecked=unchecked)


def _one_method(
    method: str, runs: _Runs, oracle: ModelOracle, truth: DFA, config: ExtractionConfig,
    bins: Sequence[tuple[int, int]], plan: FidelityPlan, seeds: Sequence[Letters], progress: bool,
) -> MethodResult:
    t0 = time.perf_counter()
    shared = runs.seconds if method in _FROM_ACTIVATIONS else 0.0
    try:
        dfa, details = _extract(method, runs, oracle, truth, config, bins, seeds, progress)
    except _MethodFailed as e:
        r = MethodResult(method=method, dfa=None, seconds=time.perf_counter() - t0 + shared, failure=str(e),
                         details=e.details)
        log.warning("%s failed: %s", method, e)
        return _with_verdict(r, truth)
    seconds = time.perf_counter() - t0 + shared
    comparison = compare(truth, dfa, max_length=plan.max_length)
    extra = list(seeds) + ([] if comparison.counterexample is None else [comparison.counterexample])
    fid = _check_fidelity(dfa, oracle, truth, plan, config, extra, progress)
    r = MethodResult(method=method, dfa=dfa, seconds=seconds, fidelity=fid, comparison=comparison, details=details)
    return _with_verdict(r, truth)


def _with_verdict(r: MethodResult, truth: DFA) -> MethodResult:
    verdict = method_verdict(r, truth)
    log.info("%s: %s", r.method, verdict)
    return MethodResult(method=r.method, dfa=r.dfa, seconds=r.seconds, fidelity=r.fidelity,
                        comparison=r.comparison, details=r.details, failure=r.failure, verdict=verdict)
