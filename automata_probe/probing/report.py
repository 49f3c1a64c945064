"""The result of :func:`~automata_probe.probing.probe_model`: scores per seed, per bin, per site.

:class:`ProbeReport` prints as a table (:meth:`ProbeReport.table`) and
round-trips through JSON (:meth:`ProbeReport.to_json`); every number is a
:class:`Score` (one value per seed, their mean and standard deviation).
"""

from __future__ import annotations

import json
import math
import os
import textwrap
from dataclasses import dataclass, field
from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import DataError
from .labels import check_target

__all__ = ["Score", "BinScores", "SiteReport", "Projection", "ProbeReport", "BEST_SITE_RULE"]


def _finite(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


@dataclass(frozen=True, kw_only=True)
class Score:
    """A number measured once per seed: the values, their mean and standard deviation.

    ``std`` is the sample standard deviation (``ddof=1``; 0 for one seed).
    """

    values: tuple[float, ...]
    mean: float = field(init=False)
    std: float = field(init=False)

    def __post_init__(self) -> None:
        vals = tuple(float(v) for v in self.values)
        if not vals:
            raise DataError("a score needs at least one value")
        object.__setattr__(self, "values", vals)
        arr = np.asarray(vals)
        object.__setattr__(self, "mean", float(arr.mean()))
        object.__setattr__(self, "std", float(arr.std(ddof=1)) if len(vals) > 1 else 0.0)

    def to_dict(self) -> dict[str, Any]:
        return {"mean": _finite(self.mean), "std": _finite(self.std), "values": [_finite(v) for v in self.values]}

    def __format__(self, spec: str) -> str:
        spec = spec or ".3f"
        if len(self.values) == 1:
            return format(self.mean, spec)
        return f"{format(self.mean, spec)}±{format(self.std, spec)}"



@dataclass(frozen=True, kw_only=True)
class BinScores:
    """Held-out scores in one length bin.

    Attributes
    ----------
    lengths
        ``(lo, hi)`` word lengths.
    at_train_lengths
        True for the held-out words at the training lengths.
    n_words, n_positions
        Per seed (seed order).
    accuracy
        Linear probe on the trained model.
    majority
        Always predicting the most frequent training label.
    untrained, control, selectivity, mlp
        None when not computed (``controls=False``, ``mlp=False``).
        ``selectivity`` is accuracy - control accuracy, per seed.
    """

    lengths: tuple[int, int]
    at_train_lengths: bool
    n_words: tuple[int, ...]
    n_positions: tuple[int, ...]
    accuracy: Score
    majority: Score
    untrained: Score | None = None
    control: Score | None = None
    selectivity: Score | None = None
    mlp: Score | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "lengths": list(self.lengths),
            "at_train_lengths": self.at_train_lengths,
            "n_words": list(self.n_words),
            "n_positions": list(self.n_positions),
        }
        for name in ("accuracy", "majority", "untrained", "control", "selectivity", "mlp"):
            s = getattr(self, name)
            out[name] = s.to_dict() if s is not None else None
        return out


@dataclass(frozen=True, kw_only=True)
class SiteReport:
    """Everything measured at one site.

    Attributes
    ----------
    site
        Stable site name (``embed``, ``layers.0.resid``, ...).
    n_features
        Width of the site.
    n_probe_features
        Width the probe saw (``min(n_features, max_features)``).
    bins
        ``bins[0]``: held-out words at the training lengths; then one per
        longer bin.
    train_accuracy
        The probe's accuracy on its own training positions.
    confusion
        ``confusion[i][j]``: held-out positions at the training lengths with
        true class ``i`` predicted ``j``, summed over seeds.
    confusion_longer
        The same over all longer bins.
    accuracy_by_length
        ``[t]``: held-out accuracy at prefix length ``t`` (all held-out sets
        and seeds pooled), None where no position has that length.
    positions_by_length
        ``[t]``: how many held-out positions that accuracy is over.
    """

    site: str
    n_features: int
    n_probe_features: int
    bins: tuple[BinScores, ...]
    train_accuracy: Score
    confusion: tuple[tuple[int, ...], ...]
    confusion_longer: tuple[tuple[int, ...], ...]
    accuracy_by_length: tuple[float | None, ...]
    positions_by_length: tuple[int, ...] = ()

    @property
    def at_train(self) -> BinScores:
        return self.bins[0]

    @property
    def longer(self) -> tuple[BinScores, ...]:
        return self.bins[1:]

    def to_dict(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "n_features": self.n_features,
            "n_probe_features": self.n_probe_features,
            "bins": [b.to_dict() for b in self.bins],
            "train_accuracy": self.train_accuracy.to_dict(),
            "confusion": [list(r) for r in self.confusion],
            "confusion_longer": [list(r) for r in self.confusion_longer],
            "accuracy_by_length": [_finite(a) if a is not None else None for a in self.accuracy_by_length],
            "positions_by_length": list(self.positions_by_length),
        }


#: What :attr:`ProbeReport.best_site` means, in words (printed and stored in the JSON).
BEST_SITE_RULE = ("highest mean held-out accuracy of the trained model's probe at the training lengths; "
                  "ties go to the higher mean over the longer bins, then to the earlier site")


def _site_rank(site: SiteReport) -> tuple[float, float]:
    longer = [b.accuracy.mean for b in site.longer]
    return site.at_train.accuracy.mean, float(np.mean(longer)) if longer else 0.0


@dataclass(frozen=True, kw_only=True)
class Projection:
    """A 2-D PCA of one site's held-out activations (first seed), for plotting.

    Attributes
    ----------
    site
        The site.
    points
        ``(n, 2)`` coordinates, as tuples.
    labels
        ``(n,)`` true class of each point.
    explained_variance
        Fraction of the variance of the probe's input features along each axis.
    """

    site: str
    points: tuple[tuple[float, float], ...]
    labels: tuple[int, ...]
    explained_variance: tuple[float, float]

    def __post_init__(self) -> None:
        if len(self.points) != len(self.labels):
            raise DataError(f"projection has {len(self.points)} points and {len(self.labels)} labels")

    def to_dict(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "points": [[round(x, 6), round(y, 6)] for x, y in self.points],
            "labels": list(self.labels),
            "explained_variance": list(self.explained_variance),
        }


@dataclass(frozen=True, kw_only=True)
class ProbeReport:
    """The result of :func:`~automata_probe.probing.probe_model`.

    Attributes
    ----------
    model
        A short description (architecture and size).
    checkpoint
        The checkpoint path ("" when a model object was probed).
    language
        The language the model was trained on ("" when unknown).
    dfa
        Name of the probed DFA.
    target
        The probed target.
    class_names
        Name of each class.
    seeds
        The seeds, in order (every :class:`Score` lists values in this order).
    n_train, n_test
        Words asked for per set.
    train_lengths, test_bins
        The length ranges.
    source
        Where the words came from (``"mixed"``, ``"language"``, ``"uniform"``).
    controls, mlp
        What was computed.
    control_window
        ``m`` of the control task (None without controls).
    max_features
        Sites wider than this were PCA-reduced (None: never).
    sites
        One :class:`SiteReport` per site, in model order.
    projection
        PCA of the best site's activations (None if there were no positions).
    """

    model: str
    checkpoint: str
    language: str
    dfa: str
    target: str
    class_names: tuple[str, ...]
    seeds: tuple[int, ...]
    n_train: int
    n_test: int
    train_lengths: tuple[int, int]
    test_bins: tuple[tuple[int, int], ...]
    source: str
    controls: bool
    mlp: bool
    control_window: int | None
    max_features: int | None
    sites: tuple[SiteReport, ...]
    projection: Projection | None = None

    def __post_init__(self) -> None:
        check_target(self.target)
        if not self.sites:
            raise DataError("a probe report needs at least one site")

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def site(self, name: str) -> SiteReport:
        for s in self.sites:
            if s.site == name:
                return s
        raise KeyError(name)

    @property
    def best_site(self) -> SiteReport:
        """The site with the highest mean held-out accuracy at the training lengths;
        ties go to the higher mean over the longer bins, then to the earlier site
        (:data:`BEST_SITE_RULE`)."""
        return max(self.sites, key=_site_rank)

    def best_site_summary(self) -> str:
        """A few lines: which site is best, by what rule, and which sites tie with it to the printed precision."""
        return _best_site_summary(self)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (NaN becomes None)."""
        return {
            "model": self.model,
            "checkpoint": self.checkpoint,
            "language": self.language,
            "dfa": self.dfa,
            "target": self.target,
            "class_names": list(self.class_names),
            "seeds": list(self.seeds),
            "n_train": self.n_train,
            "n_test": self.n_test,
            "train_lengths": list(self.train_lengths),
            "test_bins": [list(b) for b in self.test_bins],
            "source": self.source,
            "controls": self.controls,
            "mlp": self.mlp,
            "control_window": self.control_window,
            "max_features": self.max_features,
            "sites": [s.to_dict() for s in self.sites],
            "projection": self.projection.to_dict() if self.projection is not None else None,
            "best_site": self.best_site.site,
            "best_site_rule": BEST_SITE_RULE,
        }

    def table(self) -> str:
        """A plain-text table, one block of rows per site and one row per length
        bin: held-out accuracy, the majority baseline and, with controls, the
        untrained model, the control task and selectivity (mean±std over
        seeds). The best site is marked ``*`` (see :meth:`best_site_summary`)."""
        return _format_table(_table_rows(self))

    def to_json(self, path: str | os.PathLike[str] | None = None, *, indent: int | None = 1) -> str:
        """The report as JSON text; also written to ``path`` when given."""
        text = json.dumps(self.to_dict(), indent=indent)
        if path is not None:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text + "\n")
        return text


# ------------------------------------------------------------------- table
def _signed(score: Score | None) -> str:
    """Selectivity: signed mean, then ±std when there are several seeds."""
    if score is None:
        return "-"
    if len(score.values) == 1:
        return f"{score.mean:+.3f}"
    return f"{score.mean:+.3f}±{score.std:.3f}"


def _plain(score: Score | None) -> str:
    return "-" if score is None else f"{score}"


def _bin_columns(report: ProbeReport) -> list[tuple[str, Callable[[BinScores], str]]]:
    """The per-bin columns: ``(header, cell(BinScores) -> str)``."""
    cols: list[tuple[str, Callable[[BinScores], str]]] = [("accuracy", lambda b: _plain(b.accuracy)),
                                   ("majority", lambda b: _plain(b.majority))]
    if report.controls:
        cols += [("untrained", lambda b: _plain(b.untrained)), ("control", lambda b: _plain(b.control)),
                 ("selectivity", lambda b: _signed(b.selectivity))]
    if report.mlp:
        cols.append(("mlp", lambda b: _plain(b.mlp)))
    return cols


def _bin_label(b: BinScores) -> str:
    lo, hi = b.lengths
    return f"{lo}-{hi} (train)" if b.at_train_lengths else f"{lo}-{hi}"


def _site_label(s: SiteReport, best: bool) -> str:
    name = s.site if s.n_probe_features == s.n_features else f"{s.site} ({s.n_features}->{s.n_probe_features})"
    return f"{name} *" if best else name


def _table_rows(report: ProbeReport) -> list[list[str]]:
    """Header, then per site one row per bin (the site named on its first row)."""
    cols = _bin_columns(report)
    rows = [["site", "lengths"] + [h for h, _ in cols]]
    best = report.best_site.site
    for s in report.sites:
        for k, b in enumerate(s.bins):
            rows.append([_site_label(s, s.site == best) if k == 0 else "", _bin_label(b)] + [f(b) for _, f in cols])
    return rows


def _format_table(rows: list[list[str]]) -> str:
    """Columns padded to width: the first two left-aligned, numbers right-aligned."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for j, r in enumerate(rows):
        out.append("  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
        if j == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in out)


def _best_site_summary(report: ProbeReport) -> str:
    """The best site and what "best" means (its rows in the table are marked ``*``), and the sites tied with it."""
    best = report.best_site
    acc = best.at_train.accuracy.mean
    tied = [s.site for s in report.sites if s is not best and abs(s.at_train.accuracy.mean - acc) < 5e-4]
    lines = textwrap.wrap(f"* best site: {best.site} (best = {BEST_SITE_RULE})", width=100, subsequent_indent="  ")
    if tied:
        lines += textwrap.wrap(f"(tied at {acc:.3f} at the training lengths, to the printed precision: "
                               f"{', '.join(tied)})", width=100, initial_indent="  ", subsequent_indent="   ")
    return "\n".join(lines)
