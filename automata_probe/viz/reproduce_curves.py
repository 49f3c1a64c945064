"""Figures of the flip-flop and Dyck(8,10) experiments, in the style of Sarrof et al.'s."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Sequence

from ..experiments.published import FLIP_FLOP_EVAL_EVERY, PUBLISHED_DYCK_MEMORY, PUBLISHED_FLIP_FLOP
from .saving import save_figure

__all__ = ["plot_flip_flop", "plot_dyck_memory"]

_FLOOR = 0.05  # where 0% error is drawn on the log axis


def plot_flip_flop(rows: Sequence[dict[str, Any]], path: str | os.PathLike) -> Path:
    """Test error (%, log scale, sequences with a wrong read bit) against
    training steps: ours (left, one line per validation set and seed) and the
    published 1-layer Mamba curves (right; evaluation k is drawn at
    100 (k + 1) steps). 0% is drawn at the axis' floor."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {"FFL(0.8)": "tab:green", "FFL(0.98)": "tab:orange", "FFL(0.1)": "tab:purple"}
    styles = {"FFL(0.8)": ("-", "o"), "FFL(0.98)": ("-", "s"), "FFL(0.1)": (":", "x")}  # curves that meet stay visible
    fig, (ours, paper) = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True)
    ok = [r for r in rows if r.get("status") == "ok"]
    for r in ok:
        curve = json.loads(r["curve"])
        for i, name in enumerate(colors, start=1):
            ls, marker = styles[name]
            ours.plot([c[0] for c in curve], [max(c[i], _FLOOR) for c in curve], color=colors[name], lw=1.2,
                      ls=ls, marker=marker, ms=3, alpha=0.85, label=name if r is ok[0] else None)
    for name, curve in PUBLISHED_FLIP_FLOP.items():
        paper.plot([FLIP_FLOP_EVAL_EVERY * (k + 1) for k, _ in curve], [max(e, _FLOOR) for _, e in curve],
                   color=colors[name], lw=1.5, ls="--", label=name)
    lr = {str(json.loads(r["params"]).get("lr")) for r in ok}
    d = {str(json.loads(r["params"]).get("d_model")) for r in ok}
    ours.set_title(f"ours: 1-layer Mamba, d_model {'/'.join(sorted(d))}, lr {'/'.join(sorted(lr))}", fontsize=9)
    paper.set_title("published (Sarrof et al., release's curves)", fontsize=9)
    for ax in (ours, paper):
        ax.set_yscale("log")
        ax.set_ylim(_FLOOR * 0.7, 150)
        ax.set_xlabel("training steps (batches of 32)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(title="validation set", fontsize=7, title_fontsize=7)
    ours.set_ylabel(f"test error (%), 0 drawn at {_FLOOR}")
    lengths = sorted({int(json.loads(r["params"]).get("length", 512)) for r in ok}) or [512]
    fig.suptitle(f"Flip-flop language modelling, T = {'/'.join(map(str, lengths))} (published: T = 512), "
                 "read bits only", fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path, dpi=120)


def plot_dyck_memory(summary: Sequence[dict[str, Any]], path: str | os.PathLike) -> Path:
    """Close accuracy against memory dimension (d_model), one line per (layers,
    learning rate), ours solid with the seeds' range, published dashed (its
    1-layer runs at lr 1e-4, 2-layer at 1e-3); test (left) and the deeper test
    set (right)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6), sharey=True)
    colors = {1: "tab:green", 2: "tab:orange"}
    arms = sorted({(r["layers"], r["lr"]) for r in summary})
    for ax, key, pkey, title in ((axes[0], "test", "test", "test (depth <= 10)"),
                                 (axes[1], "deep", "test20", "deeper test (depth <= 15)")):
        for n, lr in arms:
            rs = sorted((r for r in summary if (r["layers"], r["lr"]) == (n, lr)), key=lambda r: r["hidden"])
            ls = "-" if lr >= 1e-3 else ":"
            ax.plot([r["hidden"] for r in rs], [r[key] for r in rs], color=colors.get(n, "grey"), ls=ls,
                    marker="o", ms=3, label=f"ours, {n} layer{'s' * (n > 1)}, lr {lr:g}")
            if key == "test":
                ax.fill_between([r["hidden"] for r in rs], [r["test_min"] for r in rs],
                                [r["test_max"] for r in rs], color=colors.get(n, "grey"), alpha=0.12)
        for n in (1, 2):
            pts = sorted((h, v[pkey]) for (layers, h), v in PUBLISHED_DYCK_MEMORY.items()
                         if layers == n and v[pkey] is not None)
            lr = PUBLISHED_DYCK_MEMORY[(n, 20)]["lr"]
            ax.plot([h for h, _ in pts], [v for _, v in pts], color=colors[n], ls="--", lw=1, alpha=0.7,
                    label=f"published, {n} layer{'s' * (n > 1)}, lr {lr:g}")
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("memory dimension (d_model)")
        ax.set_ylim(0, 1.05)
        ax.grid(True, alpha=0.3)
    axes[0].set_ylabel("close accuracy")
    axes[1].legend(fontsize=6, loc="lower right")
    fig.suptitle("Dyck(8,10): Mamba, 1 vs 2 layers over memory", fontsize=10)
    fig.tight_layout()
    return save_figure(fig, path, dpi=120)
