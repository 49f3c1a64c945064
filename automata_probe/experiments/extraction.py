"""Every extraction method on a trained network, each checked against the truth.

:func:`extract_all` composes the stages: the model answers membership queries
(:class:`~automata_probe.extraction.oracles.ModelOracle`); one set of words
(:func:`extraction_words`) gives the model's readings and its activations
(:func:`hidden_states`), which feed the probe-based extraction (a
:class:`~automata_probe.probing.estimators.LinearProbe` per site) and the
clustering (on :class:`~automata_probe.probing.reduce.Reducer` components);
L* and KV query the model directly. Each result, and the model itself, is
compared with the truth (:mod:`automata_probe.compare`). Settings live in one
:class:`ExtractionConfig`.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ..automata import load_language
from ..automata.dfa import DFA
from ..compare import Comparison, ModelComparison, compare, compare_model
from ..data import sample_words
from ..errors import AlphabetError, DataError, ParameterError
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
from ..extraction.oracles import Letters
from ..models.checkpoint import Checkpoint, LoadedModel, resolve_model
from ..probing.activations import collect_activations
from ..probing.estimators import LinearProbe
from ..probing.reduce import Reducer

__all__ = [
    "METHODS",
    "ExtractionConfig",
    "MethodResult",
    "ExtractionReport",
    "extraction_words",
    "hidden_states",
    "extract_all",
]

log = logging.getLogger(__name__)

#: The extraction methods, in the order reports list them.
METHODS = ("probe", "cluster") + ALGORITHMS

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
        Comparisons (exact, over the product automaton) cover lengths
        ``0..max_length``; the model itself is compared per length up to it too.
    seed
        Seeds the word sample, the probe split, the PCA rows, k-means and the
        equivalence oracle.
    n_words, word_max_length, exhaustive_words
        The words whose activations feed the probe and the clustering
        (:func:`extraction_words`).
    k_range
        Cluster counts tried (ascending; the smallest consistent one wins).
    cluster_sites
        Sites the clustering may use (default: every site but ``embed``); the
        site whose clustering is consistent at the smallest ``k`` wins (ties:
        higher consistency), so no label is used to pick it.
    pca_components
        Activations are standardized and reduced to this many principal
        components before k-means.
    budget
        The active learners' equivalence oracle budget.
    probe_rows
        Positions the probe of each site is fit on at most.
    device
        Torch device of the membership queries.
    """

    methods: tuple[str, ...] = METHODS
    max_length: int = 20
    seed: int = 0
    n_words: int = 600
    word_max_length: int = 24
    exhaustive_words: int = 512
    k_range: tuple[int, ...] = tuple(range(2, 17))
    cluster_sites: tuple[str, ...] | None = None
    pca_components: int = 32
    budget: LearningBudget = field(default_factory=LearningBudget)
    probe_rows: int = 3000
    device: str = "cpu"

    def __post_init__(self) -> None:
        object.__setattr__(self, "methods", tuple(self.methods))
        object.__setattr__(self, "k_range", tuple(int(k) for k in self.k_range))
        if self.cluster_sites is not None:
            object.__setattr__(self, "cluster_sites", tuple(self.cluster_sites))
        unknown = [m for m in self.methods if m not in METHODS]
        if unknown:
            raise DataError(f"unknown extraction method {unknown[0]!r}; expected one of {', '.join(METHODS)}")
        for name in ("max_length", "n_words", "word_max_length"):
            if getattr(self, name) < 0:
                raise ParameterError(f"{name} must be >= 0, got {getattr(self, name)}")
        for name in ("exhaustive_words", "pca_components", "probe_rows"):
            if getattr(self, name) < 1:
                raise ParameterError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not self.k_range or min(self.k_range) < 1:
            raise ParameterError(f"k_range must hold positive cluster counts, got {list(self.k_range)}")


@dataclass(frozen=True, kw_only=True, eq=False)
class MethodResult:
    """One extraction method applied to a model, checked against the truth.

    Attributes
    ----------
    method
        ``probe``, ``cluster``, ``lstar`` or ``kv``.
    dfa
        The extracted DFA (minimal).
    seconds
        Wall time of the method (queries and fitting included).
    comparison
        :func:`automata_probe.compare.compare` of the truth with ``dfa``:
        equivalence, shortest counterexample, exact disagreement per length,
        the state mapping.
    details
        Method-specific plain values (probe site and accuracy, chosen k,
        query counts, ...).
    """

    method: str
    dfa: DFA
    seconds: float
    comparison: Comparison
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def states(self) -> int:
        return self.dfa.n_states

    @property
    def equivalent(self) -> bool:
        return self.comparison.equivalent

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "states": self.states,
            "seconds": self.seconds,
            "equivalent": self.equivalent,
            "comparison": self.comparison.to_dict(),
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
        The network itself (its acceptance output) against the truth, per
        length (:func:`automata_probe.compare.compare_model`).
    n_words
        Words whose activations fed the probe and the clustering.
    """

    truth: DFA
    results: tuple[MethodResult, ...]
    model: ModelComparison
    n_words: int

    def result(self, method: str) -> MethodResult:
        for r in self.results:
            if r.method == method:
                return r
        raise KeyError(method)

    def to_dict(self) -> dict[str, Any]:
        return {
            "truth": self.truth.name,
            "truth_states": self.truth.n_states,
            "n_words": self.n_words,
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
    acts: dict[str, list[np.ndarray]], labels: list[np.ndarray], seed: int, max_rows: int
) -> tuple[str, Any, dict[str, float]]:
    """Fit a linear probe on each site (80% of words), score on the rest; return the best."""
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
    for site, hs in acts.items():
        X_tr = np.concatenate([hs[i] for i in train])[rows]
        X_te = np.concatenate([hs[i] for i in test])
        probe = LinearProbe(random_state=seed).fit(X_tr, y_tr[rows])
        scores[site] = float(probe.score(X_te, y_te))
        probes[site] = probe
        log.info("probe on %s: held-out accuracy %.4f", site, scores[site])
    best = max(scores, key=lambda s: (scores[s], -list(scores).index(s)))
    return best, probes[best], scores


def _by_probe(runs: _Runs, truth: DFA, config: ExtractionConfig) -> tuple[DFA, dict[str, Any]]:
    """The best site's probe predictions read as a table (acceptance from the model)."""
    labels = [np.asarray(truth.run(w)) for w in runs.words]
    site, probe, scores = _fit_probe_per_site(runs.acts, labels, config.seed, config.probe_rows)
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


def _by_clustering(runs: _Runs, truth: DFA, config: ExtractionConfig) -> tuple[DFA, dict[str, Any]]:
    """Cluster every allowed site; the site consistent at the smallest ``k`` wins."""
    sites = _cluster_sites(runs.acts, config.cluster_sites)
    best: tuple[tuple, str, ClusteringResult] | None = None
    per_site: dict[str, dict[str, Any]] = {}
    for s in sites:
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
    if best is None:
        raise DataError(
            f"clustering: no site's hidden states fit any k in {list(config.k_range)} ({', '.join(sites)})"
        )
    _, site, res = best
    details = {
        "site": site,
        "k": res.k,
        "met_threshold": res.met_threshold,
        "criterion": res.criterion,
        "per_site": per_site,
        "diagnostics": [d.to_dict() for d in res.diagnostics],
    }
    return res.dfa, details


def _by_learning(oracle: ModelOracle, algorithm: str, config: ExtractionConfig) -> tuple[DFA, dict[str, Any]]:
    learnt = learn_dfa(oracle, algorithm=algorithm, budget=config.budget, seed=config.seed, name=algorithm)
    return learnt.dfa, learnt.to_dict()


def _extract(
    method: str, runs: _Runs, oracle: ModelOracle, truth: DFA, config: ExtractionConfig
) -> tuple[DFA, dict[str, Any]]:
    """One method's DFA (tidy, named after the method) and its details."""
    if method == "probe":
        return _by_probe(runs, truth, config)
    if method == "cluster":
        return _by_clustering(runs, truth, config)
    return _by_learning(oracle, method, config)


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


def extract_all(
    source: Any,
    language: Any = None,
    config: ExtractionConfig | None = None,
    *,
    alphabet: Sequence[str] | None = None,
    task: str | None = None,
) -> ExtractionReport:
    """Run the extraction methods on a model and compare each result with the truth.

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

    Notes
    -----
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
    oracle = ModelOracle(loaded.model, loaded.tokenizer, loaded.task, dfa=train_dfa, device=config.device)
    wanted = [m for m in METHODS if m in config.methods]
    runs = _runs(loaded, truth, oracle, config) if set(wanted) & set(_FROM_ACTIVATIONS) else _Runs()
    results = []
    for method in wanted:
        t0 = time.perf_counter()
        dfa, details = _extract(method, runs, oracle, truth, config)
        seconds = time.perf_counter() - t0 + (runs.seconds if method in _FROM_ACTIVATIONS else 0.0)
        comparison = compare(truth, dfa, max_length=config.max_length)
        results.append(MethodResult(method=method, dfa=dfa, seconds=seconds, comparison=comparison, details=details))
    model_cmp = compare_model(truth, oracle, config.max_length, seed=config.seed)
    return ExtractionReport(truth=truth, results=tuple(results), model=model_cmp, n_words=len(runs.words))
