"""A DFA from hidden states with no labels: k-means, then the table of the clusters.

Quantization in the style of Omlin & Giles 1996 ("Extraction of rules from
discrete-time recurrent neural networks"): the hidden vectors of all
positions are clustered, each cluster is a state, and the table is read as in
:func:`~automata_probe.extraction.tables.estimate_table`. ``k`` is the
smallest value whose table is consistent (see :func:`extract_by_clustering`).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np

from ..automata.dfa import DFA
from ..automata.words import Word, split_word
from ..errors import DataError
from .tables import estimate_table, tidy_dfa

__all__ = ["ClusterDiagnostic", "ClusteringResult", "extract_by_clustering"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class ClusterDiagnostic:
    """One candidate ``k`` of :func:`extract_by_clustering`."""

    k: int
    transition_consistency: float
    acceptance_consistency: float
    inertia: float
    states: int  # of the minimized DFA

    def to_dict(self) -> dict[str, Any]:
        return {
            "k": self.k,
            "transition_consistency": self.transition_consistency,
            "acceptance_consistency": self.acceptance_consistency,
            "inertia": self.inertia,
            "states": self.states,
        }


@dataclass(frozen=True, kw_only=True)
class ClusteringResult:
    """The DFA from clustering, the chosen ``k`` and every ``k`` tried."""

    dfa: DFA
    k: int
    diagnostics: tuple[ClusterDiagnostic, ...]
    criterion: str
    met_threshold: bool


@dataclass(frozen=True, kw_only=True, eq=False)
class _Points:
    """The hidden vectors to cluster, and how they sit in the words."""

    X: np.ndarray  # (P_alive, F): every live position
    X_fit: np.ndarray  # (n_fit, F): the live positions k-means is fit on
    live: np.ndarray  # (P,) bool: which of all positions are alive
    lives: list[np.ndarray]  # the same, one (L + 1,) mask per word
    splits: np.ndarray  # (n_words - 1,): where each word's positions end


def _points(
    hidden: Sequence[np.ndarray],
    words: Sequence[Word],
    alphabet: Sequence[str],
    alive: Sequence[np.ndarray] | None,
    seed: int,
    max_points: int,
) -> _Points:
    """Check the hidden states against the words; draw the k-means fit rows."""
    feats = [np.asarray(h, dtype=np.float64) for h in hidden]
    if len(feats) != len(words):
        raise DataError(f"{len(feats)} hidden-state arrays for {len(words)} words")
    for n, (h, w) in enumerate(zip(feats, words)):
        L = len(split_word(w, alphabet))
        if h.ndim != 2 or h.shape[0] != L + 1:
            raise DataError(f"word {n} has {L + 1} positions but hidden states of shape {h.shape}")
    lives = [np.ones(len(h), dtype=bool) for h in feats] if alive is None else [np.asarray(a, bool) for a in alive]
    if len(lives) != len(feats) or any(a.shape != (len(h),) for a, h in zip(lives, feats)):
        raise DataError("the alive masks do not match the hidden states (one (L + 1,) mask per word)")
    live = np.concatenate(lives)
    X = np.concatenate(feats, axis=0)[live]  # (P_alive, F)
    if len(X) == 0:
        raise DataError("every position is dead: nothing to cluster")
    rng = np.random.default_rng(seed)
    fit_idx = rng.choice(len(X), size=min(max_points, len(X)), replace=False)
    return _Points(
        X=X, X_fit=X[np.sort(fit_idx)], live=live, lives=lives, splits=np.cumsum([len(h) for h in feats])[:-1]
    )


def _cluster_counts(k_range: Iterable[int], threshold: float) -> list[int]:
    ks = sorted({int(k) for k in k_range})
    if not ks or ks[0] < 1:
        raise DataError(f"k_range must hold positive cluster counts, got {ks}")
    if not 0 < threshold <= 1:
        raise DataError(f"threshold must lie in (0, 1], got {threshold}")
    return ks


def _cluster_at(
    k: int,
    points: _Points,
    words: Sequence[Word],
    accept_predictions: Sequence[np.ndarray],
    alphabet: Sequence[str],
    *,
    seed: int,
    n_init: int,
    name: str,
    threads: int | None = 1,
) -> tuple[ClusterDiagnostic, DFA, float]:
    """k-means with ``k`` clusters and the table it gives: (diagnostic, DFA, consistency)."""
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    # one OpenMP thread: these fits are small, and spare threads spin on a busy machine
    # (a fit of 0.26 s on one thread took 23 s on two on a loaded 2-core machine)
    with threadpool_limits(limits=threads) if threads else contextlib.nullcontext():
        km = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(points.X_fit)
        labels = np.full(len(points.live), -1, dtype=np.int64)  # -1: dead positions (ignored)
        labels[points.live] = km.predict(points.X)
    est = estimate_table(np.split(labels, points.splits), words, accept_predictions, alphabet, alive=points.lives)
    dfa = tidy_dfa(est.dfa, name)
    log.info(
        "k=%d: transition consistency %.4f, acceptance consistency %.4f, %d states",
        k,
        est.transition_consistency,
        est.acceptance_consistency,
        dfa.n_states,
    )
    diagnostic = ClusterDiagnostic(
        k=k,
        transition_consistency=est.transition_consistency,
        acceptance_consistency=est.acceptance_consistency,
        inertia=float(km.inertia_),
        states=dfa.n_states,
    )
    return diagnostic, dfa, est.consistency


def extract_by_clustering(
    hidden: Sequence[np.ndarray],
    words: Sequence[Word],
    accept_predictions: Sequence[np.ndarray],
    alphabet: Sequence[str],
    *,
    k_range: Iterable[int] = range(2, 21),
    seed: int = 0,
    threshold: float = 0.99,
    max_points: int = 20_000,
    n_init: int = 4,
    alive: Sequence[np.ndarray] | None = None,
    name: str = "",
    threads: int | None = 1,
) -> ClusteringResult:
    """Quantize hidden states with k-means and read a DFA off the clusters.

    For each ``k`` in ``k_range`` (ascending) the hidden vectors of all
    positions are clustered (k-means fit on at most ``max_points`` vectors
    drawn with ``seed``, then every vector assigned), and the table is built
    as in :func:`~automata_probe.extraction.tables.estimate_table`.

    **Criterion**: the smallest ``k`` whose table is consistent, i.e. at least
    ``threshold`` of the observed steps agree with their majority successor
    *and* at least ``threshold`` of the positions agree with their cluster's
    majority acceptance. Too few clusters merge states that go to different
    places or differ in acceptance, which breaks one of the two; extra
    clusters split states, which minimization undoes. If no ``k`` meets the
    threshold, the ``k`` with the largest smaller-of-the-two consistency wins
    (ties to the smaller ``k``) and ``met_threshold`` is False.

    Parameters
    ----------
    hidden
        For each word of length ``L``, an ``(L + 1, F)`` array of hidden
        vectors (position 0 is the state before any letter).
    words, accept_predictions, alphabet, alive
        As in :func:`~automata_probe.extraction.tables.estimate_table`;
        positions that are not alive are the dead state and are left out of
        the clustering.
    threads
        OpenMP/BLAS threads of k-means (None: scikit-learn's choice).
    """
    ks = _cluster_counts(k_range, threshold)
    points = _points(hidden, words, alphabet, alive, seed, max_points)
    n_distinct = len(np.unique(points.X_fit, axis=0))
    if n_distinct < ks[0]:
        # fewer distinct live vectors than the smallest k (a model that calls
        # almost every prefix dead): each distinct vector is its own cluster
        log.info("only %d distinct live hidden vectors; clustering with k=%d", n_distinct, n_distinct)
        ks = [n_distinct]
    diagnostics: list[ClusterDiagnostic] = []
    results: dict[int, DFA] = {}
    chosen: int | None = None
    for k in ks:
        if k > n_distinct:
            log.info("k=%d exceeds the %d distinct hidden vectors; stopping", k, n_distinct)
            break
        diagnostic, results[k], consistency = _cluster_at(
            k, points, words, accept_predictions, alphabet, seed=seed, n_init=n_init, name=name, threads=threads
        )
        diagnostics.append(diagnostic)
        if consistency >= threshold:
            chosen = k
            break
    if not diagnostics:
        raise DataError("no cluster count in k_range fits the hidden states")
    met = chosen is not None
    if chosen is None:
        best = max(diagnostics, key=lambda d: (min(d.transition_consistency, d.acceptance_consistency), -d.k))
        chosen = best.k
    return ClusteringResult(
        dfa=results[chosen],
        k=chosen,
        diagnostics=tuple(diagnostics),
        criterion=f"smallest k with transition and acceptance consistency >= {threshold:g}",
        met_threshold=met,
    )
