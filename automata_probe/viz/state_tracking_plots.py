"""The state-tracking figure: measured length generalization against each theorem's verdict."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

from .saving import save_figure

__all__ = ["plot_state_tracking"]

_MARK = {"yes": "yes", "no": "no", "open": "?"}


def plot_state_tracking(table: Sequence[dict[str, Any]], path: str | os.PathLike, *, title: str | None = None) -> Path:
    """A grid, one row per (architecture, depth) and one column per language:
    the colour is the best seed's strict accuracy on the longer bin (words
    longer than any seen in training); the text gives it, with the theorems'
    verdict for that model under it (yes / no / ? open). A red frame marks a
    theorem's "no" contradicted (>= 99%), a green frame a "yes" learned (>= 90%).
    Takes :func:`~automata_probe.experiments.reproduce_state_tracking.state_tracking_table` rows."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.patches import Rectangle

    languages = list(dict.fromkeys(r["language"] for r in table))
    models = list(dict.fromkeys((r["arch"], int(r["layers"])) for r in table))
    cell = {(r["language"], r["arch"], int(r["layers"])): r for r in table}
    grid = np.full((len(models), len(languages)), np.nan)
    for i, (arch, layers) in enumerate(models):
        for j, lang in enumerate(languages):
            r = cell.get((lang, arch, layers))
            if r is not None:
                grid[i, j] = float(r["strict"])
    fig, ax = plt.subplots(figsize=(1.25 * len(languages) + 2.6, 0.5 * len(models) + 1.6))
    im = ax.imshow(grid, cmap="viridis", vmin=0, vmax=100, aspect="auto")
    for i, (arch, layers) in enumerate(models):
        for j, lang in enumerate(languages):
            r = cell.get((lang, arch, layers))
            if r is None:
                continue
            value = float(r["strict"])
            ax.text(j, i, f"{value:.0f}\n{_MARK[r['theory']]}", ha="center", va="center", fontsize=7,
                    color="black" if value > 60 else "white")
            frame = {"CONTRADICTS": "red", "learned": "lime"}.get(r.get("agrees", ""))
            if frame:
                ax.add_patch(Rectangle((j - 0.47, i - 0.47), 0.94, 0.94, fill=False, ec=frame, lw=1.8))
    ax.set_xticks(range(len(languages)), languages)
    ax.set_yticks(range(len(models)), [f"{a} {n}L" for a, n in models], fontsize=8)
    ax.xaxis.tick_top()
    fig.colorbar(im, ax=ax, fraction=0.04, pad=0.02, label="strict % on longer words")
    ax.set_title(title or "State tracking: measured (colour) vs the theorems (yes / no / ?)", fontsize=9, pad=24)
    fig.tight_layout()
    return save_figure(fig, path, dpi=130)
