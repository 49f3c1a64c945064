"""Fidelity to the model: how often each automaton and the model disagree, per length.

:func:`plot_fidelity` draws one curve per automaton
(:class:`~automata_probe.extraction.fidelity.Fidelity`): a point per
enumerated length (exact), then a segment per sampled bin at its rate, with
its 95% interval as a bar. The y axis is logarithmic, so one disagreement in
8192 words is as visible as one in ten; zero sits on the bottom edge.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Mapping

import numpy as np

from ..extraction.fidelity import Fidelity
from .saving import save_figure

__all__ = ["plot_fidelity"]

log = logging.getLogger(__name__)


def _rates(fid: Fidelity) -> list[float]:
    return [r.disagreements / r.n_words for r in fid.rows if r.n_words]


def plot_fidelity(
    fidelities: Mapping[str, Fidelity | None],
    path: str | Path,
    *,
    title: str = "disagreement with the model per length",
) -> Path:
    """Plot the disagreement rate with the model per length for each automaton.

    Parameters
    ----------
    fidelities
        Name -> :class:`~automata_probe.extraction.fidelity.Fidelity` (None entries are skipped).
    path
        Output PNG.
    title
        The figure's title.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fids = {k: v for k, v in fidelities.items() if v is not None}
    positive = [x for f in fids.values() for x in _rates(f) if x > 0]
    uppers = [1 - r.interval[0] for f in fids.values() for r in f.sampled_rows]
    floor = min(positive + [u for u in uppers if u > 0] + [1e-3]) / 4
    fig, ax = plt.subplots(figsize=(9, 4.2))
    try:
        for i, (name, f) in enumerate(fids.items()):
            exact = f.exact_rows
            n = np.array([r.lo for r in exact])
            r = np.array([r.disagreements / r.n_words for r in exact], dtype=float)
            (line,) = ax.plot(n, np.where(r > 0, r, floor), "-o", ms=3, lw=1.0, label=name)
            color = line.get_color()
            for row in f.sampled_rows:
                rate = row.disagreements / row.n_words
                lo, hi = row.interval  # agreement interval
                ax.plot([row.lo, row.hi], [max(rate, floor)] * 2, "-", lw=2.2, color=color, alpha=0.8)
                # the 95% interval, dodged so that equal rates stay apart
                x = row.lo + (row.hi - row.lo) * (0.2 + 0.6 * i / max(1, len(fids) - 1))
                ax.plot([x, x], [max(1 - hi, floor), max(1 - lo, floor)], "-", lw=1.0, color=color)
                ax.plot([x], [max(rate, floor)], "s", ms=3.5, color=color)
            if f.disagreement is not None:
                ax.axvline(len(f.disagreement), color=color, lw=0.7, ls="--")
        ax.set_yscale("log")
        ax.axhline(floor, color="#999999", lw=0.6, ls=":")
        ax.text(0, floor, " 0", va="bottom", fontsize=8, color="#666666")
        ax.set_xlabel("word length n (points: every word of that length; bars: a sampled bin, with its 95% interval)")
        ax.set_ylabel("words the model disagrees on / words")
        ax.set_title(title, fontsize=10)
        if any(f.disagreement is not None for f in fids.values()):  # no legend entry for a line not drawn
            ax.plot([], [], "--", color="#444444", lw=0.7, label="first disagreement")
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
        ax.grid(alpha=0.3, which="both")
        fig.tight_layout()
        p = save_figure(fig, path, dpi=120, close=False)
    finally:
        plt.close(fig)
    return p
