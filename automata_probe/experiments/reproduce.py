"""The papers' experiments as sweeps, with the published figures beside ours.

``reproduce sarrof``: the 18 regular languages of Sarrof, Veitsman & Hahn
(NeurIPS 2024), Mamba with 1-3 layers on the character-prediction (``next``)
task, strict accuracy on the training lengths and on the longer bin, next to
the published number and the star-free verdict of our algebra.

``reproduce merrill``: word problems of the three groups of order 60 of
Merrill, Petty & Sabharwal (ICML 2024), ``Z60`` (abelian), ``A4xZ5`` (solvable,
not abelian) and ``A5`` (non-solvable), and ``S3``, the smallest non-abelian
(solvable) group, with 6 letters instead of 60: every element a letter, the running product
as the per-position target (``state`` task), accuracy by sequence length and
depth.

Published figures are read from ``shared/reference/sarrof2024-results.md``
(the authors' public release); they are data here, never computed.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from ..automata import load_language
from ..errors import ModelError
from ..models import TrainConfig, build_model, config_for, train
from .sweep import Job, SweepResult, grid, run_sweep

__all__ = [
    "PUBLISHED_SARROF",
    "SARROF_LANGUAGES",
    "SARROF_QUICK",
    "MERRILL_GROUPS",
    "Budget",
    "sarrof_jobs",
    "merrill_jobs",
    "sarrof_job",
    "merrill_job",
    "run_sarrof",
    "run_merrill",
    "sarrof_table",
    "merrill_table",
]

log = logging.getLogger(__name__)

#: Published strict accuracy (%) per (language, model): (training bin, longer bin).
#: Models: mamba1..mamba3 (layers) and transformer. None where the release
#: reports nothing for that cell.
PUBLISHED_SARROF: dict[str, dict[str, tuple[float, float]]] = {
    # star-free
    "tomita1": {"mamba1": (100, 100), "mamba2": (100, 100), "mamba3": (100, 100)},
    "tomita2": {"mamba1": (100, 100), "mamba2": (100, 100), "mamba3": (100, 100)},
    "tomita4": {"mamba1": (100, 100), "mamba2": (100, 100), "mamba3": (100, 100), "transformer": (100, 92.4)},
    "tomita7": {"mamba1": (100, 100), "mamba2": (100, 100), "mamba3": (100, 100)},
    "abcde": {"mamba1": (100, 100), "mamba2": (100, 100), "mamba3": (100, 100), "transformer": (100, 100)},
    "ab_d_bc": {"mamba1": (100, 100), "mamba2": (100, 100), "mamba3": (100, 100), "transformer": (100, 100)},
    "012_02": {"mamba1": (100, 100), "mamba2": (100, 100), "mamba3": (100, 100), "transformer": (100, 68.7)},
    "d2": {"mamba1": (100, 100), "mamba2": (100, 100), "mamba3": (100, 100), "transformer": (74.6, 3.1)},
    "d3": {"mamba1": (100, 100), "mamba2": (100, 100), "mamba3": (100, 100), "transformer": (80.9, 8.5)},
    "d4": {"mamba1": (100, 100), "mamba2": (100, 100), "mamba3": (100, 100), "transformer": (90.2, 3.3)},
    "d12": {"mamba1": (93.65, 93.35), "mamba2": (99.9, 95.55), "mamba3": (99.99, 99.85), "transformer": (95.18, 1.5)},
    # not star-free
    "parity": {"mamba1": (26.95, 0), "mamba3": (91.15, 16.7)},
    "aa_star": {"mamba3": (4.2, 0)},
    "aaaa_star": {"mamba3": (4, 0)},
    "abab_star": {"mamba3": (0, 0)},
    "tomita3": {"mamba3": (60.85, 29.37)},
    "tomita5": {"mamba3": (38.4, 0)},
    "tomita6": {"mamba1": (7.2, 0), "mamba3": (54.56, 0.04)},
}

SARROF_LANGUAGES: tuple[str, ...] = tuple(PUBLISHED_SARROF)

#: The --quick subset: the star-free and non-star-free languages whose training
#: lengths stop at 100 (the (aa)*-style languages train up to length ~500).
SARROF_QUICK: tuple[str, ...] = (
    "tomita1", "tomita2", "tomita4", "tomita7", "d2", "ab_d_bc", "012_02",
    "parity", "tomita3", "tomita5", "tomita6",
)

#: Merrill et al.'s three groups of order 60 and S3, every element a letter:
#: abelian, solvable (small and order 60), non-solvable.
MERRILL_GROUPS: tuple[str, ...] = ("group-Z60-all", "group-S3-all", "group-A4xZ5-all", "group-A5-all")


@dataclass(frozen=True, kw_only=True)
class Budget:
    """Training budget of one job (part of the job key)."""

    steps: int
    d_model: int = 64
    batch_size: int = 32
    eval_n: int = 500
    lr: float = 1e-3
    #: stop after this many perfect validations in a row (0: never; train
    #: the whole budget). Part of the key only when it is not the default 3,
    #: so results from before the field existed keep their keys.
    early_stop: int = 3

    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = {
            "steps": self.steps,
            "d_model": self.d_model,
            "batch_size": self.batch_size,
            "eval_n": self.eval_n,
            "lr": self.lr,
        }
        if self.early_stop != 3:
            params["early_stop"] = self.early_stop
        return params


QUICK_BUDGET = Budget(steps=600, d_model=32, batch_size=32, eval_n=200)
FULL_BUDGET = Budget(steps=3000, d_model=64, batch_size=32, eval_n=1000)
# Word problems over 60 letters with 60 classes need far more steps: a 1-layer
# LSTM reached 93.5% strict at length 10 on Z60 after 6000 steps at lr 3e-3,
# and 0% at length 5 after 1500.
MERRILL_QUICK_BUDGET = Budget(steps=6000, d_model=64, batch_size=32, eval_n=200, lr=3e-3)
MERRILL_FULL_BUDGET = Budget(steps=20000, d_model=64, batch_size=32, eval_n=1000, lr=3e-3)


def sarrof_jobs(
    languages: Sequence[str] = SARROF_LANGUAGES,
    layers: Sequence[int] = (1, 2, 3),
    seeds: Sequence[int] = (0,),
    budget: Budget = FULL_BUDGET,
    device: str = "cpu",
) -> list[Job]:
    return grid(languages, archs=["mamba"], layers=layers, seeds=seeds, task="next", **budget.params(),
                **_device_param(device))


def merrill_jobs(
    groups: Sequence[str] = MERRILL_GROUPS,
    layers: Sequence[int] = (1, 2, 3),
    seeds: Sequence[int] = (0,),
    budget: Budget = FULL_BUDGET,
    max_length: int = 20,
    archs: Sequence[str] = ("mamba", "lstm"),
    device: str = "cpu",
) -> list[Job]:
    return grid(groups, archs=archs, layers=layers, seeds=seeds, task="state", max_length=max_length,
                **budget.params(), **_device_param(device))


def _device_param(device: str) -> dict[str, str]:
    """Job parameter for the training device: none for the CPU, so CPU keys stay as they were."""
    if device not in ("cpu", "cuda", "auto"):
        raise ModelError(f"device must be cpu, cuda or auto, got {device!r}")
    return {} if device == "cpu" else {"device": device}


def _train_job(job: Job, train_lengths=None, test_bins=None, allow_overlap=False):
    """Train one model for a job; returns (language, dfa, train result)."""
    language = load_language(job.language)
    dfa = language.dfa
    task = job.param("task", "next")
    model_config = config_for(dfa, task, arch=job.arch, d_model=int(job.param("d_model", 64)), n_layers=job.layers)
    model = build_model(model_config, seed=job.seed)
    config = TrainConfig(
        task=task,
        train_lengths=train_lengths,
        test_bins=test_bins,
        allow_overlap=allow_overlap,
        max_steps=int(job.param("steps", 1000)),
        batch_size=int(job.param("batch_size", 32)),
        lr=float(job.param("lr", 1e-3)),
        final_eval_n=int(job.param("eval_n", 500)),
        early_stop_evals=int(job.param("early_stop", 3)) or None,
        checkpoint_every=None,
        seed=job.seed,
        device=str(job.param("device", "cpu")),
    )
    return language, dfa, train(model, language, config)


def sarrof_job(job: Job) -> dict[str, Any]:
    """Sweep job: train on the language's training lengths, evaluate both bins."""
    from ..algebra import is_star_free

    language, dfa, result = _train_job(job)
    report = result.report
    train_bin = report[tuple(result.config.train_lengths)]
    test_bin = report[tuple(result.config.test_bins[0])]
    return {
        "star_free": bool(is_star_free(dfa)),
        "train_strict": round(100 * train_bin.strict, 2),
        "test_strict": round(100 * test_bin.strict, 2),
        "test_token": round(100 * test_bin.token, 2),
        "train_bin": f"{train_bin.lo}-{train_bin.hi}",
        "test_bin": f"{test_bin.lo}-{test_bin.hi}",
        "steps": result.steps,
        "stopped": result.stopped,
        "train_seconds": round(result.wall_time_s, 1),
    }


def merrill_job(job: Job) -> dict[str, Any]:
    """Sweep job: train on lengths 1..max_length, report strict accuracy at each length."""
    max_length = int(job.param("max_length", 20))
    bins = tuple((n, n) for n in range(2, max_length + 1))
    # Merrill et al. measure accuracy at each length inside the training range
    _, _, result = _train_job(job, train_lengths=(1, max_length), test_bins=bins, allow_overlap=True)
    out: dict[str, Any] = {"steps": result.steps, "train_seconds": round(result.wall_time_s, 1)}
    for n in range(2, max_length + 1):
        r = result.report[(n, n)]
        out[f"acc_len{n}"] = round(100 * r.strict, 2)
    return out


def _run(jobs: list[Job], fn: str, out_dir: str | os.PathLike, name: str, workers, progress) -> SweepResult:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return run_sweep(jobs, fn, out / f"{name}.csv", workers=workers, progress=progress)


def run_sarrof(
    out_dir: str | os.PathLike,
    *,
    quick: bool = False,
    languages: Sequence[str] | None = None,
    layers: Sequence[int] | None = None,
    seeds: Sequence[int] = (0,),
    budget: Budget | None = None,
    workers: int | None = None,
    progress: bool = False,
    device: str = "cpu",
) -> SweepResult:
    """Run (or resume) the Sarrof et al. sweep; results in ``out_dir/sarrof.csv``.

    ``device`` ("cpu", "cuda" or "auto") is where each job trains; a job run on
    another device than the CPU carries it in its key (its numbers differ in
    the last bits, so a CPU rerun does not reuse them silently).
    """
    jobs = sarrof_jobs(
        languages or (SARROF_QUICK if quick else SARROF_LANGUAGES),
        layers or ((1,) if quick else (1, 2, 3)),
        seeds,
        budget or (QUICK_BUDGET if quick else FULL_BUDGET),
        device=device,
    )
    return _run(jobs, "automata_probe.experiments.reproduce:sarrof_job", out_dir, "sarrof", workers, progress)


def run_merrill(
    out_dir: str | os.PathLike,
    *,
    quick: bool = False,
    groups: Sequence[str] = MERRILL_GROUPS,
    layers: Sequence[int] | None = None,
    seeds: Sequence[int] = (0,),
    budget: Budget | None = None,
    max_length: int | None = None,
    workers: int | None = None,
    progress: bool = False,
    device: str = "cpu",
) -> SweepResult:
    """Run (or resume) the Merrill et al. word-problem sweep; ``out_dir/merrill.csv``.

    ``device`` as in :func:`run_sarrof`.
    """
    jobs = merrill_jobs(
        groups,
        layers or ((1, 2) if quick else (1, 2, 3)),
        seeds,
        budget or (MERRILL_QUICK_BUDGET if quick else MERRILL_FULL_BUDGET),
        max_length or (10 if quick else 20),
        device=device,
    )
    return _run(jobs, "automata_probe.experiments.reproduce:merrill_job", out_dir, "merrill", workers, progress)


def sarrof_table(result: SweepResult) -> list[dict[str, Any]]:
    """One row per job: ours beside the published figure for the same depth."""
    rows = []
    for r in result.rows:
        paper_layers = _published_depth(r["language"], int(r["layers"]))
        published = PUBLISHED_SARROF[r["language"]][f"mamba{paper_layers}"] if paper_layers else None
        row = {
            "language": r["language"],
            "layers": r["layers"],
            "seed": r["seed"],
            "star_free": r.get("star_free", ""),
            "ours_train": r.get("train_strict", ""),
            "ours_test": r.get("test_strict", ""),
            "paper_train": published[0] if published else None,
            "paper_test": published[1] if published else None,
            "paper_layers": paper_layers,
            "status": r["status"],
            "error": r.get("error", ""),
        }
        rows.append(row)
    return rows


def _published_depth(language: str, layers: int) -> int | None:
    """The depth whose published figure to show: the same depth when the
    release reports it, else the deepest it reports (labelled in the table)."""
    depths = sorted(int(k[len("mamba"):]) for k in PUBLISHED_SARROF.get(language, {}) if k.startswith("mamba"))
    if layers in depths:
        return layers
    return depths[-1] if depths else None


def merrill_table(result: SweepResult) -> list[dict[str, Any]]:
    """One row per job: accuracy at each length."""
    return [dict(r) for r in result.rows]


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
    star_free = {lang: _truthy(g[0]["star_free"]) for (lang, _), g in groups.items()}
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


def _truthy(v: Any) -> bool:
    return v is True or str(v).lower() in ("true", "1", "yes")
