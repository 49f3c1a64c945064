"""Figures of the papers' reproductions, in the style of the papers' own."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

from ..experiments.arch_specs import model_label
from ..experiments.published import PUBLISHED_COUNTER, PUBLISHED_SARROF, SARROF_STAR_FREE
from ..experiments.reproduce import MERRILL_GROUPS
from .saving import save_figure

__all__ = ["plot_sarrof", "plot_merrill", "plot_merrill_depth"]


def plot_sarrof(summary: Sequence[dict[str, Any]], path: str | os.PathLike, *, title: str | None = None) -> Path:
    """Bars in the spirit of Sarrof et al.'s figures: strict accuracy per
    language, ours (solid, the mean over seeds, whiskers from the worst to the
    best seed) beside the published figure of the same depth (hatched), one
    row of panels per model (Mamba 1-3 layers, Transformer), one column per
    bin (training lengths, longer, and for the counter table the third bin).
    Blue: star-free; red: regular but not star-free; green: not regular.
    Takes :func:`~automata_probe.experiments.reproduce_sarrof.summarize` rows."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.patches import Patch

    rows = [r for r in summary if r.get("arch") in ("mamba", "transformer", "transformer-nope")]
    order = {lang: i for i, lang in enumerate(list(PUBLISHED_SARROF) + list(PUBLISHED_COUNTER))}
    languages = sorted({r["language"] for r in rows}, key=lambda lang: order.get(lang, 99))
    models = sorted({(r["arch"], int(r["layers"])) for r in rows}, key=lambda m: (m[0] != "mamba", m[1]))
    counter = any(lang in PUBLISHED_COUNTER for lang in languages)
    splits = [("train", "training lengths"), ("longer", "longer"), ("longer2", "longest")][: 3 if counter else 2]
    color = {lang: "tab:green" if lang in PUBLISHED_COUNTER else "tab:blue" if lang in SARROF_STAR_FREE
             else "tab:red" for lang in languages}
    x = np.arange(len(languages))
    width = max(4.5, 0.36 * len(languages) + 1.2)
    fig, axes = plt.subplots(len(models), len(splits), figsize=(len(splits) * width, 2.4 * len(models) + 1.0),
                             sharey=True, squeeze=False)
    for i, (arch, layers) in enumerate(models):
        for j, (split, label) in enumerate(splits):
            ax = axes[i][j]
            for xi, lang in zip(x, languages):
                r = next((r for r in rows if r["language"] == lang and (r["arch"], int(r["layers"])) == (arch, layers)),
                         None)
                key = r.get("longer_split", "longer") if r is not None and split == "longer" else split
                st = r.get(key) if r is not None else None
                if isinstance(st, dict):
                    ax.bar(xi - 0.2, st["mean"], width=0.4, color=color[lang],
                           yerr=[[st["mean"] - st["min"]], [st["max"] - st["mean"]]], capsize=2, ecolor="black")
                else:
                    ax.text(xi - 0.2, 2, "not run", ha="center", va="bottom", fontsize=6, rotation=90)
                paper = r.get("paper") if r is not None else None
                if paper is not None and j < len(paper):
                    ax.bar(xi + 0.2, paper[j], width=0.4, color="none", edgecolor=color[lang], hatch="//", lw=0.8)
                elif r is not None:
                    ax.text(xi + 0.2, 2, "n/a", ha="center", va="bottom", fontsize=6, rotation=90)
            ax.set_ylim(0, 108)
            ax.set_xlim(-0.6, len(languages) - 0.4)
            ax.grid(axis="y", alpha=0.3)
            name = model_label(arch, layers)
            ax.set_title(f"{name}: {label}", fontsize=10)
            ax.set_xticks(x, languages if i == len(models) - 1 else [""] * len(languages), rotation=60,
                          ha="right", fontsize=8)
        axes[i][0].set_ylabel("strict accuracy (%)")
    handles = [Patch(facecolor="none", edgecolor="black", hatch="//", label="published (same depth)")]
    handles += [Patch(color=c, label=f"{lab} (ours, seeds min-max)") for c, lab in
                (("tab:blue", "star-free"), ("tab:red", "not star-free"), ("tab:green", "not regular"))
                if c in color.values()]
    fig.legend(handles=handles, loc="lower center", ncols=len(handles), fontsize=8)
    fig.suptitle(title or "Sarrof, Veitsman & Hahn 2024, reproduced")
    fig.tight_layout(rect=(0, 0.04, 1, 0.97))
    return save_figure(fig, path, dpi=110)


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
    return save_figure(fig, path, dpi=120)


def plot_merrill_depth(depths: Sequence[dict[str, Any]], path: str | os.PathLike, *, max_depth: int,
                       threshold: float = 90.0) -> Path:
    """Merrill, Petty & Sabharwal's Figure 3: the minimum number of layers that
    reaches ``threshold`` test accuracy (best seed) against sequence length k,
    one panel per group, one line per architecture. A cell no depth up to
    ``max_depth`` solved is drawn as an open marker above the axis' top.
    Takes :func:`~automata_probe.experiments.reproduce_merrill.min_depths` rows."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    order = ["group-Z60-all", "group-A4xZ5-all", "group-A5-all", "group-S3-all"]
    groups = sorted({r["group"] for r in depths}, key=lambda g: order.index(g) if g in order else 9)
    known = ["lstm", "mamba", "mamba-neg", "transformer", "transformer-nope"]
    archs = sorted({r["arch"] for r in depths}, key=lambda a: known.index(a) if a in known else 9)
    style = {"lstm": ("tab:green", "o", "LSTM (RNN)"), "mamba": ("tab:blue", "s", "Mamba"),
             "mamba-neg": ("tab:purple", "D", "Mamba, negative eigenvalues"),
             "transformer": ("tab:orange", "^", "Transformer"),
             "transformer-nope": ("tab:red", "v", "Transformer, no positional encoding")}
    fig, axes = plt.subplots(1, len(groups), figsize=(max(3.6 * len(groups), 4.6), 3.8), sharey=True,
                             squeeze=False)
    for ax, g in zip(axes[0], groups):
        for i, arch in enumerate(archs):
            color, marker, label = style.get(arch, ("grey", "x", arch))
            rs = sorted((r for r in depths if r["group"] == g and r["arch"] == arch), key=lambda r: r["k"])
            ks = [r["k"] for r in rs]
            ys = [r["min_depth"] if r["min_depth"] is not None else max_depth + 1 for r in rs]
            offset = (i - (len(archs) - 1) / 2) * 0.06  # keep coinciding lines apart
            ax.plot(ks, [y + offset for y in ys], color=color, marker=marker, ms=5, lw=1.5, label=label,
                    mfc=color)
            for k, r, y in zip(ks, rs, ys):
                if r["min_depth"] is None:
                    ax.plot([k], [y + offset], marker=marker, ms=7, mfc="white", color=color)
        ax.axhline(max_depth + 0.5, color="grey", lw=0.8, ls=":")
        ax.set_title(g.replace("group-", "").replace("-all", ""))
        ax.set_xlabel("sequence length k")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_ylim(0.5, max_depth + 1.5)
        ax.set_yticks(list(range(1, max_depth + 2)), [str(d) for d in range(1, max_depth + 1)] + [f">{max_depth}"])
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(f"min. layers for >{threshold:g}% accuracy")
    # below the panels: inside one it hid the points at the top (the ">max_depth" row)
    legend = {}  # every architecture once, whichever panel has it
    for ax in axes[0]:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            legend.setdefault(label, handle)
    handles, labels = list(legend.values()), list(legend)
    fig.legend(handles, labels, fontsize=7, loc="lower center", ncol=min(len(labels), 4), frameon=False)
    fig.suptitle("Word problems: depth needed against length\n(Merrill, Petty & Sabharwal 2024, Fig. 3)",
                 fontsize=10)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return save_figure(fig, path, dpi=120)
