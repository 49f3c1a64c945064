"""Figures of the papers' reproductions, in the style of the papers' own."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

from ..experiments.reproduce import MERRILL_GROUPS, PUBLISHED_SARROF, truthy

__all__ = ["plot_sarrof", "plot_merrill"]


def plot_sarrof(rows: Sequence[dict[str, Any]], path: str | os.PathLike) -> Path:
    """Bar chart in the spirit of Sarrof et al.'s Figure 5: strict accuracy on
    the training lengths (left) and on the longer bin (right), ours (solid)
    beside the paper's (hatched), one row of panels per Mamba depth, star-free
    languages (blue) left of the dashed line, the others (red) right of it.
    Seeds are averaged. A published bar labelled ``3L`` is the paper's figure
    for another depth (the release reports some languages at 3 layers only)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.patches import Patch

    ok = [r for r in rows if r.get("status") == "ok"]
    groups: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in ok:
        groups.setdefault((r["language"], int(r["layers"])), []).append(r)
    star_free = {lang: truthy(g[0]["star_free"]) for (lang, _), g in groups.items()}
    order = {lang: i for i, lang in enumerate(PUBLISHED_SARROF)}
    languages = sorted(star_free, key=lambda lang: (not star_free[lang], order.get(lang, len(order)), lang))
    depths = sorted({n for _, n in groups})
    x = np.arange(len(languages))
    width = max(5.0, 0.34 * len(languages) + 1.2)
    fig, axes = plt.subplots(len(depths), 2, figsize=(2 * width, 2.5 * len(depths) + 1.0), sharey=True,
                             squeeze=False)
    n_sf = sum(star_free[lang] for lang in languages)
    colors = ["tab:blue" if star_free[lang] else "tab:red" for lang in languages]
    for row, depth in enumerate(depths):
        for col, (ours_key, paper_key, title) in enumerate(
            [("ours_train", "paper_train", "training lengths"), ("ours_test", "paper_test", "longer lengths")]
        ):
            ax = axes[row][col]
            got = [groups.get((lang, depth)) for lang in languages]
            ours = [np.mean([float(r[ours_key]) for r in g]) if g else np.nan for g in got]
            paper = [g[0][paper_key] if g else None for g in got]
            ax.bar(x - 0.2, np.nan_to_num(ours), width=0.4, color=colors)
            ax.bar(x + 0.2, [p if p is not None else 0 for p in paper], width=0.4, color="none",
                   edgecolor=colors, hatch="//", lw=0.8)
            for xi, g, p in zip(x, got, paper):
                if g is None:
                    ax.text(xi - 0.2, 2, "not run", ha="center", va="bottom", fontsize=6, rotation=90)
                    continue
                paper_depth = g[0].get("paper_layers")
                if p is None:
                    ax.text(xi + 0.2, 2, "n/a", ha="center", va="bottom", fontsize=6, rotation=90)
                elif paper_depth and int(paper_depth) != depth:
                    ax.text(xi + 0.2, p + 1, f"{paper_depth}L", ha="center", va="bottom", fontsize=6)
            if 0 < n_sf < len(languages):
                ax.axvline(n_sf - 0.5, color="grey", lw=1, ls="--")
            ax.set_ylim(0, 108)
            ax.set_xlim(-0.6, len(languages) - 0.4)
            ax.grid(axis="y", alpha=0.3)
            ax.set_title(f"Mamba, {depth} layer{'s' if depth > 1 else ''}: {title}", fontsize=10)
            ax.set_xticks(x, languages if row == len(depths) - 1 else [""] * len(languages), rotation=60,
                          ha="right", fontsize=8)
        axes[row][0].set_ylabel("strict accuracy (%)")
    fig.legend(
        handles=[
            Patch(color="tab:blue", label="star-free (ours)"),
            Patch(color="tab:red", label="not star-free (ours)"),
            Patch(facecolor="none", edgecolor="black", hatch="//", label="published"),
        ],
        loc="upper right",
        ncols=3,
        fontsize=8,
    )
    fig.suptitle("Sarrof, Veitsman & Hahn 2024: star-free vs not, reproduced", x=0.3)
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_merrill(rows: Sequence[dict[str, Any]], path: str | os.PathLike) -> Path:
    """Strict accuracy of the running product by sequence length, one panel per
    group, one line per (architecture, depth)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = [r for r in rows if r.get("status") == "ok"]
    known = {g: i for i, g in enumerate(MERRILL_GROUPS)}
    groups = sorted(dict.fromkeys(r["language"] for r in ok), key=lambda g: (known.get(g, len(known)), g))
    ok.sort(key=lambda r: (r["arch"] != "mamba", r["arch"], int(r["layers"]), int(r["seed"])))
    depth_colors = {n: plt.get_cmap("tab10")(i) for i, n in enumerate(sorted({int(r["layers"]) for r in ok}))}
    fig, axes = plt.subplots(1, len(groups), figsize=(4.2 * len(groups), 3.6), sharey=True, squeeze=False)
    for ax, g in zip(axes[0], groups):
        for r in [r for r in ok if r["language"] == g]:
            lengths = sorted(int(k[len("acc_len"):]) for k in r if k.startswith("acc_len") and r[k] != "")
            ax.plot(lengths, [float(r[f"acc_len{n}"]) for n in lengths], marker="o" if r["arch"] == "mamba" else "x",
                    ms=3, color=depth_colors[int(r["layers"])], ls="-" if r["arch"] == "mamba" else "--",
                    label=f"{r['arch']} {r['layers']}L s{r['seed']}")
        ax.set_title(g.replace("group-", "").replace("-all", ""))
        ax.set_xlabel("sequence length")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_ylim(-2, 102)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("strict accuracy (%)")
    axes[0][-1].legend(fontsize=7)
    fig.suptitle("Word problems (Merrill, Petty & Sabharwal 2024)")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
