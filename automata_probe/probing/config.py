"""What :func:`~automata_probe.probing.probe_model` does, as one validated value: :class:`ProbeConfig`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..data import SOURCES
from ..errors import DataError, ParameterError
from .labels import check_target

__all__ = ["ProbeConfig"]


@dataclass(frozen=True, kw_only=True)
class ProbeConfig:
    """Settings of one probing run (every field has a default).

    Sequences are stored as tuples and length ranges as ``(lo, hi)`` pairs
    of ints; invalid values raise when the config is built.

    Attributes
    ----------
    target
        ``"state"`` (default), ``"monoid"``, ``"member"`` or ``"next"``.
    sites
        Site names (default: all, in forward order).
    n_train, n_test
        Distinct words to fit the probe on, and per test set.
    train_lengths, test_bins
        Length ranges; default: the checkpoint's training config, then the
        language's experiment.
    seeds
        One full repetition per seed (words, untrained weights, control, probes).
    source
        Where words come from: ``"auto"`` (default: the checkpoint's training
        word source when the probed DFA is its training language, else
        ``"mixed"``; see ``docs/probing.md``), ``"mixed"``, ``"language"``
        (only the probed language's words; the dead state is never visited)
        or ``"uniform"``. The report's ``source`` is the one used.
    controls
        Compute the untrained model, the control task and selectivity.
    mlp
        Also fit an :class:`~automata_probe.probing.estimators.MLPProbe`.
    C, max_iter
        :class:`~automata_probe.probing.estimators.LinearProbe` hyperparameters.
    max_features
        Sites wider than this are reduced to their top principal components
        (None: never).
    max_train_positions
        Fit each probe on at most this many training positions (a seeded
        subsample of the training words' positions).
    batch_size
        Words per forward call.
    pca_site
        Site for the 2-D projection (default: the best site).
    memory_budget_mb
        Sites are collected in groups whose activations fit in this budget
        (0: one site at a time).
    threads
        BLAS and torch threads while probing (restored afterwards); None
        leaves them as they are. One thread is the default because the work
        is many small solves, where several threads mostly wait on each
        other (on a loaded 2-core machine, L-BFGS steps ran ~50x slower with
        two BLAS threads than with one).

    Raises
    ------
    DataError
        An unknown target or word source, no seeds, bad counts or lengths.
    ParameterError
        A hyperparameter or resource limit out of range.
    """

    target: str = "state"
    sites: tuple[str, ...] | None = None
    n_train: int = 300
    n_test: int = 200
    train_lengths: tuple[int, int] | None = None
    test_bins: tuple[tuple[int, int], ...] | None = None
    seeds: tuple[int, ...] = (0, 1, 2)
    source: str = "auto"
    controls: bool = True
    mlp: bool = False
    C: float = 1.0
    max_iter: int = 500
    max_features: int | None = 256
    max_train_positions: int = 20_000
    batch_size: int = 64
    pca_site: str | None = None
    memory_budget_mb: int = 768
    threads: int | None = 1

    def __post_init__(self) -> None:
        check_target(self.target)
        if self.source != "auto" and self.source not in SOURCES:
            raise DataError(f"unknown word source {self.source!r}; expected auto or one of {', '.join(SOURCES)}")
        seeds = tuple(int(s) for s in self.seeds)
        if not seeds:
            raise DataError("probe_model needs at least one seed")
        sites = self.sites
        if sites is not None:
            sites = (sites,) if isinstance(sites, str) else tuple(sites)
        train_lengths = None if self.train_lengths is None else _lengths_pair(self.train_lengths, "train_lengths")
        test_bins = None
        if self.test_bins is not None:
            test_bins = tuple(_lengths_pair(b, f"test bin {b!r}") for b in self.test_bins)
        if not self.C > 0:
            raise ParameterError(f"C must be positive, not {self.C!r}")
        fields: dict[str, Any] = {
            "seeds": seeds,
            "sites": sites,
            "train_lengths": train_lengths,
            "test_bins": test_bins,
            "controls": bool(self.controls),
            "mlp": bool(self.mlp),
            "C": float(self.C),
            "n_train": _count("n_train", self.n_train, DataError),
            "n_test": _count("n_test", self.n_test, DataError),
            "batch_size": _count("batch_size", self.batch_size, DataError),
            "max_iter": _count("max_iter", self.max_iter),
            "max_train_positions": _count("max_train_positions", self.max_train_positions),
            "memory_budget_mb": _count("memory_budget_mb", self.memory_budget_mb, least=0),
            "max_features": None if self.max_features is None else _count("max_features", self.max_features),
            "threads": None if self.threads is None else _count("threads", self.threads),
        }
        for name, value in fields.items():
            object.__setattr__(self, name, value)


def _count(name: str, value: Any, error: type[Exception] = ParameterError, *, least: int = 1) -> int:
    """``value`` as an int, checked to be an integer of at least ``least``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        what = "a positive integer" if least == 1 else f"an integer of at least {least}"
        raise error(f"{name} must be {what}, got {value!r}")
    return int(value)


def _lengths_pair(value: Any, what: str) -> tuple[int, int]:
    try:
        lo, hi = value
        lo, hi = int(lo), int(hi)
    except (TypeError, ValueError):
        raise DataError(f"{what} must be a pair (lo, hi), not {value!r}") from None
    if lo < 0 or hi < lo:
        raise DataError(f"{what} {lo}-{hi} is not a valid length range")
    return lo, hi

