"""Figures for a :class:`~automata_probe.probing.ProbeReport` (matplotlib, Agg backend).

Four figures, each from its own function returning a ``matplotlib.figure.Figure``:

- :func:`accuracy_figure`: held-out accuracy per site, one panel per length
  bin (the training lengths, then each longer bin), grouped bars (trained,
  the untrained model, the control task, the MLP probe when computed), the
  majority baseline as a black tick, the selectivity above each site, the
  best site marked ``*``, error bars = standard deviation over seeds;
- :func:`length_figure`: accuracy by prefix length per site (a heatmap, one
  row per site, the end of the training lengths marked);
- :func:`confusion_figure`: true vs predicted class for one site (default:
  the best), at the training lengths and at the longer lengths, row-normalized;
  classes no position has (nor is predicted as) are left out and named;
- :func:`projection_figure`: the 2-D PCA of one site's held-out activations,
  coloured by the true class.

:func:`plot_report` writes all four: ``plot_report(report, "r.png")`` writes
``r.png`` (accuracy per site) and its siblings ``r_length.png``,
``r_confusion.png`` and ``r_pca.png``, and returns the paths.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..probing import ProbeReport
from .saving import save_figure

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["accuracy_figure", "length_figure", "confusion_figure", "projection_figure", "plot_report", "SIBLINGS"]

log = logging.getLogger(__name__)

#: Suffixes of the files :func:`plot_report` writes next to the main one.
SIBLINGS = ("length", "confusion", "pca")


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _title(report: "ProbeReport") -> str:
    lang = f" trained on {report.language}" if report.language else ""
    return f"{report.model}{lang}: probing {report.target} of {report.dfa} ({len(report.seeds)} seed(s))"


def _short(site: str) -> str:
    return site.replace("layers.", "L").replace(".ssm_state", ".ssm").replace(".resid", ".res")


def _bin_series(report: "ProbeReport", k: int) -> list[tuple[str, list[Any], str]]:
    """The bars of bin ``k``: ``(label, one Score per site, colour)``."""
    sites = report.sites
    series: list[tuple[str, list[Any], str]] = [("trained", [s.bins[k].accuracy for s in sites], "#1f77b4")]
    if report.controls:
        series.append(("untrained (same architecture)", [s.bins[k].untrained for s in sites], "#ff7f0e"))
        series.append((f"control task (window {report.control_window})", [s.bins[k].control for s in sites],
                       "#2ca02c"))
    if report.mlp:
        series.append(("MLP probe, trained", [s.bins[k].mlp for s in sites], "#9467bd"))
    return series


def _accuracy_panel(ax: Any, report: "ProbeReport", k: int) -> None:
    """Bin ``k`` of every site: grouped bars, the majority tick, selectivity above each group."""
    sites = report.sites
    series = _bin_series(report, k)
    width = 0.8 / len(series)
    x = np.arange(len(sites))
    for j, (label, scores, color) in enumerate(series):
        means = [s.mean if s is not None else np.nan for s in scores]
        stds = [s.std if s is not None else 0.0 for s in scores]
        ax.bar(x - 0.4 + width * (j + 0.5), means, width, yerr=stds, capsize=2, label=label, color=color,
               edgecolor="white", linewidth=0.5)
    maj = [s.bins[k].majority.mean for s in sites]
    ax.hlines(maj, x - 0.42, x + 0.42, colors="black", linewidth=1.5, label="majority class")
    if report.controls:
        for xi, s in zip(x, sites):
            sel = s.bins[k].selectivity
            if sel is not None:
                ax.text(xi, 1.03, f"sel {sel.mean:+.3f}", ha="center", va="bottom", fontsize=7)
    best = report.best_site.site
    lo, hi = sites[0].bins[k].lengths
    where = "training lengths, held-out words" if sites[0].bins[k].at_train_lengths else "longer than training"
    ax.set_title(f"lengths {lo}-{hi} ({where})", fontsize=8, loc="left")
    ax.set_xticks(x)
    ax.set_xticklabels([s.site + (" *" if s.site == best else "") for s in sites], rotation=20, ha="right",
                       fontsize=8)
    ax.set_ylim(0, 1.14)
    ax.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.set_ylabel("held-out accuracy", fontsize=8)
    ax.grid(axis="y", alpha=0.3)


def accuracy_figure(report: "ProbeReport") -> "Figure":
    """Held-out accuracy per site with its controls: one panel per length bin (the
    training lengths, then each longer bin), bars for the trained model, the
    untrained model, the control task (and the MLP probe), the majority
    baseline as a black tick and the selectivity written above each site."""
    plt = _pyplot()
    n_bins = len(report.sites[0].bins)
    fig, axes = plt.subplots(n_bins, 1, sharex=True, squeeze=False,
                             figsize=(max(6.0, 1.2 * len(report.sites) + 2.5), 2.7 * n_bins + 1.6))
    for k in range(n_bins):
        _accuracy_panel(axes[k, 0], report, k)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=7, loc="lower center", ncol=len(labels), frameon=False,
               bbox_to_anchor=(0.5, 0.03))
    note = "* best site (highest accuracy at the training lengths)"
    if report.controls:
        note += "; sel = selectivity = trained - control"
    fig.text(0.5, 0.005, note, ha="center", va="bottom", fontsize=7)
    fig.suptitle(_title(report), fontsize=9)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


def length_figure(report: "ProbeReport", *, bucket: int | None = None, min_positions: int = 20) -> "Figure":
    """Heatmap of held-out accuracy by prefix length (columns) per site (rows).

    Parameters
    ----------
    bucket
        Prefix lengths per column (default: about 60 columns in all).
    min_positions
        Columns with fewer held-out positions are left grey (too few to show).
    """
    plt = _pyplot()
    max_t = max(len(s.accuracy_by_length) for s in report.sites)
    bucket = bucket or max(1, int(np.ceil(max_t / 60)))
    n_cols = int(np.ceil(max_t / bucket))
    grid = np.full((len(report.sites), n_cols), np.nan)
    for i, s in enumerate(report.sites):
        acc = np.array([0.0 if a is None else a for a in s.accuracy_by_length], dtype=float)
        count = np.zeros(acc.size)
        count[: len(s.positions_by_length)] = s.positions_by_length
        if not s.positions_by_length:  # a report without counts: weight lengths equally
            count = np.array([0.0 if a is None else 1.0 for a in s.accuracy_by_length])
        pad = n_cols * bucket - acc.size
        correct = np.pad(acc * count, (0, pad)).reshape(n_cols, bucket).sum(axis=1)
        total = np.pad(count, (0, pad)).reshape(n_cols, bucket).sum(axis=1)
        enough = total >= (min_positions if s.positions_by_length else 1)
        grid[i] = np.where(enough, correct / np.maximum(total, 1), np.nan)
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(report.sites) + 1.8))
    cmap = plt.get_cmap("viridis").with_extremes(bad="#dddddd")
    im = ax.imshow(np.ma.masked_invalid(grid), aspect="auto", cmap=cmap, vmin=0, vmax=1,
                   extent=(0, n_cols * bucket, len(report.sites), 0), interpolation="nearest")
    ax.set_yticks(np.arange(len(report.sites)) + 0.5)
    ax.set_yticklabels([s.site for s in report.sites], fontsize=8)
    ax.axvline(report.train_lengths[1] + 1, color="white", linestyle="--", linewidth=1)
    ax.set_xlabel(
        f"prefix length t (letters read; {bucket} per column); dashed: end of the training lengths "
        f"({report.train_lengths[0]}-{report.train_lengths[1]}); grey: < {min_positions} positions"
    )
    ax.set_title(f"held-out accuracy by prefix length: {report.target} of {report.dfa}", fontsize=9)
    fig.colorbar(im, ax=ax, label="accuracy", fraction=0.03)
    fig.tight_layout()
    return fig


def _shown_classes(mats: list[np.ndarray]) -> np.ndarray:
    """Indices of the classes with a position in some matrix, as true or as predicted class."""
    used = np.zeros(mats[0].shape[0], dtype=bool)
    for m in mats:
        used |= (m.sum(axis=1) > 0) | (m.sum(axis=0) > 0)
    return np.flatnonzero(used)


def confusion_figure(report: "ProbeReport", site: str | None = None) -> "Figure":
    """True vs predicted class at one site, at the training lengths and beyond (row-normalized).

    Classes that no held-out position has and that the probe never predicts
    (in either matrix: the dead state when the words never reach it) are
    left out; the figure names them.
    """
    plt = _pyplot()
    s = report.site(site) if site is not None else report.best_site
    mats = [("held-out, training lengths", np.asarray(s.confusion, dtype=float))]
    if report.test_bins:
        mats.append(("longer lengths", np.asarray(s.confusion_longer, dtype=float)))
    keep = _shown_classes([m for _, m in mats])
    if keep.size == 0:  # no positions at all: show every class, empty
        keep = np.arange(len(report.class_names))
    dropped = [report.class_names[i] for i in range(len(report.class_names)) if i not in set(keep.tolist())]
    mats = [(title, m[np.ix_(keep, keep)]) for title, m in mats]
    names = [report.class_names[i] for i in keep]
    c = len(names)
    size = min(0.5 * c + 2.5, 9)
    fig, axes = plt.subplots(1, len(mats), figsize=(size * len(mats) + 0.8, size + (0.3 if dropped else 0)),
                             squeeze=False)
    for ax, (title, m) in zip(axes[0], mats):
        rows = m.sum(axis=1, keepdims=True)
        norm = np.divide(m, rows, out=np.zeros_like(m), where=rows > 0)
        ax.imshow(norm, cmap="Blues", vmin=0, vmax=1)
        if c <= 16:
            for i in range(c):
                for j in range(c):
                    if m[i, j]:
                        ax.text(j, i, f"{int(m[i, j])}", ha="center", va="center", fontsize=7,
                                color="white" if norm[i, j] > 0.5 else "black")
            ax.set_xticks(range(c))
            ax.set_yticks(range(c))
            ax.set_xticklabels(names, rotation=45, ha="right", fontsize=7)
            ax.set_yticklabels(names, fontsize=7)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        total = m.sum()
        acc = np.trace(m) / total if total else float("nan")
        ax.set_title(f"{title}\naccuracy {acc:.3f} over {int(total)} positions", fontsize=8)
    fig.suptitle(f"{s.site}: {report.target} of {report.dfa} (all seeds)", fontsize=9)
    if dropped:
        shown = ", ".join(dropped[:8]) + (f" and {len(dropped) - 8} more" if len(dropped) > 8 else "")
        fig.text(0.5, 0.01, f"not shown (no held-out position, never predicted): {shown}", ha="center",
                 va="bottom", fontsize=7)
        fig.tight_layout(rect=(0, 0.04, 1, 1))
    else:
        fig.tight_layout()
    return fig


def projection_figure(report: "ProbeReport") -> "Figure":
    """2-D PCA of one site's held-out activations, coloured by true class."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 5))
    proj = report.projection
    if proj is None or not proj.points:
        ax.text(0.5, 0.5, "no projection in this report", ha="center", va="center")
        ax.set_axis_off()
        return fig
    pts = np.asarray(proj.points, dtype=float)
    labels = np.asarray(proj.labels)
    present = np.unique(labels)
    cmap = plt.get_cmap("tab10" if len(present) <= 10 else "tab20")
    for k, cls in enumerate(present):
        sel = labels == cls
        ax.scatter(pts[sel, 0], pts[sel, 1], s=6, alpha=0.6, color=cmap(k % cmap.N),
                   label=report.class_names[cls] if len(present) <= 20 else None)
    if len(present) <= 20:
        ax.legend(title=report.target, fontsize=7, markerscale=2, loc="best")
    ev = proj.explained_variance
    ax.set_xlabel(f"PC1 ({100 * ev[0]:.1f}% of variance)")
    ax.set_ylabel(f"PC2 ({100 * ev[1]:.1f}% of variance)")
    ax.set_title(f"{proj.site}: PCA of held-out activations ({len(pts)} positions)", fontsize=9)
    fig.tight_layout()
    return fig


def _sibling(path: Path, name: str) -> Path:
    return path.with_name(f"{path.stem}_{name}{path.suffix or '.png'}")


def plot_report(report: "ProbeReport", path: str | os.PathLike[str], *, dpi: int = 120) -> list[Path]:
    """Write the four figures: ``path`` and ``<stem>_length``, ``<stem>_confusion``,
    ``<stem>_pca`` beside it (same suffix). Returns the written paths."""
    _pyplot()  # the Agg backend, before the figures are made
    main = Path(path)
    if not main.suffix:
        main = main.with_suffix(".png")
    outputs = [
        (main, accuracy_figure),
        (_sibling(main, "length"), length_figure),
        (_sibling(main, "confusion"), confusion_figure),
        (_sibling(main, "pca"), projection_figure),
    ]
    written = []
    for target, make in outputs:
        written.append(save_figure(make(report), target, dpi=dpi))
    return written
