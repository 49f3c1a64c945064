"""Figures for an :class:`~automata_probe.probing.InterventionReport` (matplotlib, Agg backend).

- :func:`causal_figure`: per site, the probe's accuracy beside the DFA
  agreement of every intervention mode, for the trained and the untrained
  model (one panel each, one row per length bin), the ceiling and the floor
  as horizontal lines, error bars = standard deviation over seeds;
- :func:`heatmap_figure`: interchange accuracy by site and by prefix length
  |u|, one panel per model and mode, the end of the training lengths marked;
- :func:`free_run_figure`: free-running continuations after the patch, the
  fraction the automaton accepts from ``q_v`` by distance from the patch
  (greedy and sampled letters) and the fraction whose outputs all follow the
  automaton, ceiling and floor dashed.

:func:`plot_intervention_report` writes them: ``r.png``, ``r_heatmap.png``,
``r_free.png`` (the last only when there are free runs).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np

from ..probing.causal_report import InterventionReport
from .saving import save_figure

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = ["causal_figure", "heatmap_figure", "free_run_figure", "plot_intervention_report"]

_COLORS = {"site": "#1f77b4", "probe": "#ff7f0e", "random": "#7f7f7f", "das": "#2ca02c", "steer": "#9467bd"}


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _short(site: str) -> str:
    return (site.replace("layers.", "L").replace(".ssm_state", ".ssm").replace(".conv_state", ".conv")
            .replace(".resid", ".res"))


def _title(report: InterventionReport) -> str:
    lang = f" trained on {report.language}" if report.language else ""
    return f"{report.model}{lang}: interventions on {report.target} of {report.dfa} ({len(report.seeds)} seed(s))"


def causal_figure(report: InterventionReport) -> "Figure":
    """Probe accuracy and DFA agreement per site and mode; a panel per model (columns) and length bin (rows)."""
    plt = _pyplot()
    modes = [m for m in report.modes if m not in ("full", "none")]
    n_bins, kinds = len(report.bins), report.kinds
    fig, axes = plt.subplots(n_bins, len(kinds), figsize=(max(7, 1.1 * len(report.sites)) * len(kinds), 3.4 * n_bins),
                             squeeze=False, sharey=True)
    x = np.arange(len(report.sites))
    width = 0.8 / (len(modes) + 1)
    for b in range(n_bins):
        for j, kind in enumerate(kinds):
            ax = axes[b][j]
            probe = [report.probe(kind, s) for s in report.sites]
            vals = [p.accuracy[b].mean if p and p.accuracy[b] else np.nan for p in probe]
            errs = [p.accuracy[b].std if p and p.accuracy[b] else 0 for p in probe]
            ax.bar(x - 0.4 + width / 2, vals, width, yerr=errs, color="#d9d9d9", edgecolor="#525252",
                   label="probe accuracy")
            for i, mode in enumerate(modes):
                cells = [report.score(kind, b, s, mode) for s in report.sites]
                ax.bar(x - 0.4 + width * (i + 1.5), [c.dfa.mean if c else np.nan for c in cells], width,
                       yerr=[c.dfa.std if c else 0 for c in cells], color=_COLORS.get(mode, "#000000"),
                       label=f"DFA agreement: {mode}")
            for mode, style, color in (("full", "--", "#2ca02c"), ("none", ":", "#d62728")):
                s = report.score(kind, b, "", mode)
                if s is not None:
                    ax.axhline(s.dfa.mean, ls=style, color=color, lw=1.2,
                               label="ceiling: whole state of v" if mode == "full" else "floor: no patch")
            lo, hi = report.bins[b]
            ax.set_title(f"{kind}, prefixes {lo}-{hi}", fontsize=10)
            ax.set_xticks(x, [_short(s) for s in report.sites], rotation=30, ha="right", fontsize=8)
            ax.set_ylim(0, 1.05)
            if j == 0:
                ax.set_ylabel("accuracy / agreement")
    axes[0][-1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.suptitle(_title(report), fontsize=10)
    fig.tight_layout()
    return fig


def heatmap_figure(report: InterventionReport, modes: Sequence[str] = ("site", "probe", "das")) -> "Figure":
    """Interchange accuracy by site (rows) and prefix length (columns), a panel per model and mode."""
    plt = _pyplot()
    maps = {(h.kind, h.mode): h for h in report.heatmaps}
    modes = [m for m in modes if any((k, m) in maps for k in report.kinds)] or \
        [m for m in report.modes if m not in ("full", "none")][:3]
    fig, axes = plt.subplots(len(report.kinds), len(modes), figsize=(4.2 * len(modes), 0.45 * len(report.sites) * 1.1
                                                                       * len(report.kinds) + 1.6), squeeze=False)
    im = None
    for i, kind in enumerate(report.kinds):
        for j, mode in enumerate(modes):
            ax = axes[i][j]
            h = maps.get((kind, mode))
            if h is None:
                ax.axis("off")
                continue
            im = ax.imshow(h.values, aspect="auto", vmin=0, vmax=1, cmap="viridis", interpolation="nearest")
            edges = h.length_edges
            ax.set_xticks(np.arange(len(edges) - 1), [f"{edges[t]}" for t in range(len(edges) - 1)], fontsize=7,
                          rotation=45)
            ax.set_yticks(np.arange(len(h.sites)), [_short(s) for s in h.sites] if j == 0 else [], fontsize=7)
            end = np.searchsorted(edges, report.train_lengths[1] + 1) - 0.5
            if 0 < end < len(edges) - 1:
                ax.axvline(end, color="white", lw=1.5, ls="--")
            ax.set_title(f"{kind}: {mode}", fontsize=9)
            ax.set_xlabel("prefix length |u| (bucket start)", fontsize=8)
    if im is not None:
        fig.colorbar(im, ax=axes, shrink=0.8, label="interchange accuracy")
    fig.suptitle(_title(report) + "\nwhite dashes: end of the training lengths", fontsize=9)
    return fig


def free_run_figure(report: InterventionReport, mode: str = "site") -> "Figure":
    """Free-running continuations from ``q_v`` by distance from the patch: ceiling, floor and ``mode`` at each site.

    Columns: the fraction the automaton accepts (greedy letters, then letters
    sampled from the model's next-set) and the fraction whose outputs all
    follow the automaton (sampled); a row per model.
    """
    plt = _pyplot()
    panels = [("accepted", True, "accepted from q_v, greedy"), ("accepted", False, "accepted from q_v, sampled"),
              ("agree", False, "outputs follow the DFA from q_v, sampled")]
    fig, axes = plt.subplots(len(report.kinds), 3, figsize=(15, 3.4 * len(report.kinds)), squeeze=False, sharey=True)
    cmap = plt.get_cmap("tab10")
    for i, kind in enumerate(report.kinds):
        for j, (measure, greedy, title) in enumerate(panels):
            ax = axes[i][j]
            for r in report.free_runs:
                if r.kind != kind or r.greedy != greedy or (r.site and r.mode != mode):
                    continue
                y = getattr(r, measure)
                d = np.arange(1, len(y) + 1)
                if r.site == "":
                    ceiling = r.mode == "full"
                    ax.plot(d, y, ls="--" if ceiling else ":", color="#2ca02c" if ceiling else "#d62728", lw=2.5,
                            label="ceiling: v's state" if ceiling else "floor: no patch", zorder=3)
                else:
                    k = report.sites.index(r.site)
                    ax.plot(d, y, color=cmap(k % 10), lw=1.2, marker="o", ms=2.5, label=f"{mode}: {_short(r.site)}")
            ax.set_title(f"{kind}: {title}", fontsize=9)
            ax.set_xlabel("letters written by the model after the patch")
            ax.set_ylim(-0.02, 1.02)
            if j == 0:
                ax.set_ylabel("fraction of runs")
    axes[0][-1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    fig.suptitle(_title(report), fontsize=10)
    fig.tight_layout()
    return fig


def plot_intervention_report(report: InterventionReport, path: str | os.PathLike[str]) -> list[Path]:
    """Write :func:`causal_figure` to ``path`` and its siblings ``_heatmap`` and ``_free``; returns the paths."""
    _pyplot()  # the Agg backend, before the figures are made
    path = Path(path)
    out = []
    figures = [(path, causal_figure(report)), (path.with_name(f"{path.stem}_heatmap{path.suffix}"),
                                                heatmap_figure(report))]
    if report.free_runs:
        figures.append((path.with_name(f"{path.stem}_free{path.suffix}"), free_run_figure(report)))
    for p, fig in figures:
        p = save_figure(fig, p, dpi=110, bbox_inches="tight")
        out.append(p)
    return out
