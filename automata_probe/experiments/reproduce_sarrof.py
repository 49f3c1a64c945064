"""Sarrof, Veitsman & Hahn 2024: the character-prediction table, every row, every depth.

A job trains one model (Mamba with 1-3 layers, or our Transformer) on one
language under one protocol (:mod:`automata_probe.experiments.protocols`)
with one cell of the release's grid (d_model x learning rate, its epochs and
loss) and one seed, and scores strict accuracy on each evaluation split. The
summary reads the sheet the way it must be read, best of grid: for each
(language, architecture, depth) the grid cell with the best mean accuracy over
seeds on the training lengths (ties: on the longer bin), its mean and its
spread over seeds, beside the published figure of the same depth.

``reproduce sarrof`` runs the 18 regular languages; ``reproduce counter`` the
nine counter languages (three bins) with the same code.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..automata import COUNTER_LANGUAGES
from ..errors import ParameterError
from ..models import ModelConfig, build_model
from .fixed_data import FitConfig, fit
from .protocols import RECIPES, language_data, protocol, word_statistics
from .published import PUBLISHED_COUNTER, PUBLISHED_SARROF, SARROF_STAR_FREE, published_cell
from .arch_specs import parse_arch
from .sweep import Job, SweepResult, run_sweep

__all__ = [
    "Grid",
    "RELEASE_GRIDS",
    "SARROF_LANGUAGES",
    "SARROF_QUICK",
    "COUNTER_QUICK",
    "COUNTER_QUICK_BUDGET",
    "QUICK",
    "table_jobs",
    "table_job",
    "run_table",
    "summarize",
    "run_sarrof",
    "sarrof_table",
    "default_languages",
    "check_languages",
    "ARCHS",
    "NORMS",
]

log = logging.getLogger(__name__)

SARROF_LANGUAGES: tuple[str, ...] = tuple(PUBLISHED_SARROF)
COUNTER_NAMES: tuple[str, ...] = tuple(PUBLISHED_COUNTER)

#: Mamba's normalization in the table's models: LayerNorm is the release's (its
#: ``MambaModel`` builds mamba_ssm's ``MixerModel``, whose default is ``rms_norm=False``).
NORMS = ("layer", "rms")

#: Architectures a job may train: Mamba, Mamba with negative eigenvalues, our Transformer.
ARCHS = ("mamba", "mamba-neg", "lstm", "transformer")


@dataclass(frozen=True, kw_only=True)
class Grid:
    """The release's sweep for one language (``experiments/mamba_sweeps/*.yaml``)."""

    d_model: tuple[int, ...]
    lr: tuple[float, ...]
    epochs: int
    loss: str = "mse"


def _g(d: Sequence[int], lr: Sequence[float], epochs: int, loss: str = "mse") -> Grid:
    return Grid(d_model=tuple(d), lr=tuple(lr), epochs=epochs, loss=loss)


_STD = (16, 64, 128)
#: The release's grid per language. 012_02 ran train_with_ce.py at the
#: defaults (d_model 16, lr 1e-5); a^n b^n ... ran 1000 epochs at lr 1e-5/3e-5.
RELEASE_GRIDS: dict[str, Grid] = {
    "tomita1": _g((64,), (1e-4,), 50),
    **{f"tomita{k}": _g(_STD, (1e-4, 1e-3), 100) for k in (2, 3, 4, 5, 6, 7)},
    "parity": _g((16, 64), (1e-4, 1e-3), 50),
    "aa_star": _g(_STD, (1e-4, 1e-3), 50),
    "aaaa_star": _g(_STD, (1e-4, 1e-3), 100),
    "abab_star": _g(_STD, (1e-4, 1e-3), 100),
    "abcde": _g(_STD, (1e-4, 1e-3), 100),
    "ab_d_bc": _g((64, 128), (1e-4, 1e-3), 50),
    "012_02": _g((16,), (1e-5,), 100, loss="ce"),
    "d2": _g(_STD, (1e-4, 3e-4, 1e-3), 100),
    "d3": _g(_STD, (1e-4, 1e-3), 100),
    "d4": _g(_STD, (1e-4, 3e-4, 1e-3), 100),
    "d12": _g(_STD, (1e-4, 3e-4, 1e-3), 100),
    "dyck1": _g((64, 128), (3e-5, 1e-4), 100),
    "shuffle2": _g((64, 128), (3e-5, 1e-4), 100),
    "shuffle4": _g((64, 128), (3e-5, 1e-4), 100),
    "shuffle6": _g((64, 128, 256), (3e-5, 1e-4), 100),
    "boolean3": _g(_STD, (1e-4, 1e-3), 50),
    "boolean5": _g(_STD, (1e-4, 1e-3), 50),
    "anbn": _g((64, 128, 256), (1e-5, 3e-5), 1000),
    "anbncn": _g((64, 128, 256), (1e-5, 3e-5), 1000),
    "anbncndn": _g((64, 128, 256), (1e-5, 3e-5), 1000),
}

#: ``--quick``: what one 2-core CPU does in minutes (1 layer, one small cell,
#: a fifth of the data, few epochs). Star-free and not, D12 and Tomita 3 included.
#: D3 stands for the shallow D_n: the release generator's D2 has only ~1,400
#: distinct words in 2-100, fewer than a quick training set plus its test bin.
SARROF_QUICK: tuple[str, ...] = ("tomita2", "tomita4", "d3", "d12", "parity", "tomita3")
COUNTER_QUICK: tuple[str, ...] = ("dyck1", "boolean3", "anbn")


@dataclass(frozen=True, kw_only=True)
class Quick:
    """The --quick budget: one grid cell, a fraction of the data, few epochs.

    ``epochs_by_language`` raises the epochs of languages whose quick training
    set is small (a^n b^n keeps ~90 distinct words: 3 batches an epoch).
    """

    d_model: int = 32
    lr: float = 1e-3
    epochs: int = 12
    scale: float = 0.2
    epochs_by_language: tuple[tuple[str, int], ...] = ()

    def __post_init__(self) -> None:
        if min(self.d_model, self.epochs, *(e for _, e in self.epochs_by_language)) < 1:
            raise ParameterError(f"a quick budget needs positive widths and epochs, got {self}")
        if not 0 < self.scale <= 1 or self.lr <= 0:
            raise ParameterError(f"a quick budget needs scale in (0, 1] and lr > 0, got {self}")

    def epochs_for(self, language: str) -> int:
        """The epochs of ``language`` under this budget."""
        return dict(self.epochs_by_language).get(language, self.epochs)


QUICK = Quick()
#: ``counter --quick``: the regular table's budget (measured; a^n b^n then sees
#: 36 steps). A larger one (``--epochs 40``, a^n b^n 400) is not measured yet.
COUNTER_QUICK_BUDGET = Quick()


def table_jobs(
    languages: Sequence[str],
    *,
    protocol_name: str = "release",
    archs: Sequence[str] = ("mamba",),
    layers: Sequence[int] = (1, 2, 3),
    seeds: Sequence[int] = (0, 1, 2),
    grid: str = "release",
    quick: Quick | None = None,
    epochs: int | None = None,
    scale: float | None = None,
    device: str = "cpu",
    release_dir: str | None = None,
    d_models: Sequence[int] | None = None,
    lrs: Sequence[float] | None = None,
    cross: bool = False,
    norm: str = "layer",
) -> list[Job]:
    """One job per (language, arch, layers, grid cell, seed).

    ``grid="release"`` takes each language's release grid; ``"one"`` only its
    first cell (smallest d_model, largest learning rate); ``quick`` replaces
    the grid with its one cell and its data fraction. ``epochs`` and ``scale``
    override the budget, ``d_models`` and ``lrs`` the grid's axes (all part
    of the job key). ``norm``: Mamba's normalization, ``"layer"`` (LayerNorm,
    as the release built it: mamba_ssm's ``MixerModel`` default) or ``"rms"``.
    """
    proto = protocol(protocol_name)  # validates
    archs = [parse_arch(a).name for a in archs]  # ARCH[-N][-neg]; bad names fail before any training
    if norm not in NORMS:
        raise ParameterError(f"norm is one of {', '.join(NORMS)}, not {norm!r}")
    if proto.words == "shipped":
        if release_dir is None:
            raise ParameterError("the shipped protocol needs the release's checkout (--release-dir)")
        if not (Path(release_dir) / "generated_ds").is_dir():
            raise ParameterError(f"--release-dir {release_dir}: no generated_ds folder (give the release's checkout)")
    jobs = []
    for lang in languages:
        g = RELEASE_GRIDS[lang]
        if quick is not None:
            cells = [(quick.d_model, quick.lr)]
            n_epochs, frac = quick.epochs_for(lang), quick.scale
        else:
            cells = [(d, lr) for d in g.d_model for lr in g.lr]
            if grid == "one":
                cells = [(min(g.d_model), max(g.lr))]
            n_epochs, frac = g.epochs, 1.0
        n_epochs, frac = epochs or n_epochs, scale or frac
        if d_models or lrs:
            cells = [(d, lr) for d in (d_models or sorted({c[0] for c in cells}))
                     for lr in (lrs or sorted({c[1] for c in cells}))]
        for arch in archs:
            for n in layers:
                for d, lr in cells:
                    for s in seeds:
                        params = {"protocol": protocol_name, "d_model": d, "lr": lr, "epochs": n_epochs,
                                  "scale": frac, "loss": g.loss, "norm": norm}
                        if device != "cpu":
                            params["device"] = device
                        if cross:
                            params["cross"] = True
                        if release_dir is not None and protocol_name == "shipped":
                            params["release_dir"] = str(release_dir)
                        jobs.append(Job(language=lang, arch=arch, layers=n, seed=s, params=tuple(params.items())))
    return jobs


def _model(arch: str, data: Any, d_model: int, layers: int, seed: int, norm: str = "layer"):
    spec = parse_arch(arch)
    fields: dict[str, Any] = {**spec.model_fields(d_model), "vocab_size": data.vocab_size,
                              "n_outputs": data.n_outputs, "d_model": d_model, "n_layers": layers}
    if spec.arch == "mamba":
        fields["rms_norm"] = norm == "rms"
    return build_model(ModelConfig(**fields), seed=seed)


def table_job(job: Job) -> dict[str, Any]:
    """Sweep job: build the data, train, score every split (strict %, token %)."""
    proto = protocol(str(job.param("protocol", "release")))
    data = language_data(job.language, proto.name, job.seed, scale=float(job.param("scale", 1.0)),
                         release_dir=job.param("release_dir"), cross=bool(job.param("cross", False)))
    # a job written before "norm" was a parameter trained with RMSNorm (our ModelConfig default)
    model = _model(job.arch, data, int(job.param("d_model", 64)), job.layers, job.seed,
                   str(job.param("norm", "rms")))
    loss = proto.loss if proto.target == "next" else str(job.param("loss", "mse"))
    config = FitConfig(epochs=int(job.param("epochs", 50)), batch_size=32, lr=float(job.param("lr", 1e-3)),
                       weight_decay=0.1, loss=loss, seed=job.seed, device=str(job.param("device", "cpu")),
                       threads=1)  # the scan is many mid-sized ops: one thread a job is fastest on a busy CPU
    result = fit(model, data.train, data.evals, config)
    out: dict[str, Any] = {"star_free": job.language in SARROF_STAR_FREE, "n_train": data.train.n,
                           "steps": result.steps, "train_seconds": round(result.seconds, 1),
                           "final_loss": round(result.final_loss, 6)}
    for split in data.evals:
        out[f"acc_{split.name}"] = round(100 * result.strict[split.name], 2)
        out[f"token_{split.name}"] = round(100 * result.token[split.name], 2)
        out[f"bin_{split.name}"] = f"{split.lo}-{split.hi}"
    stats = word_statistics(job.language, data.train.words)
    out.update({f"data_{k}": round(v, 4) if isinstance(v, float) else v for k, v in stats.items()})
    return out


def run_table(
    out_dir: str | os.PathLike,
    name: str,
    jobs: Sequence[Job],
    *,
    workers: int | None = None,
    progress: bool = False,
) -> SweepResult:
    """Run (or resume) ``jobs`` into ``out_dir/<name>.csv``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return run_sweep(list(jobs), "automata_probe.experiments.reproduce_sarrof:table_job", out / f"{name}.csv",
                     workers=workers, progress=progress)


def _cell(row: dict[str, Any]) -> tuple[Any, ...]:
    p = json.loads(row["params"]) if isinstance(row.get("params"), str) else {}
    return (p.get("d_model"), p.get("lr"), p.get("protocol"), p.get("epochs"), p.get("scale"), p.get("norm"))


def _stat(values: list[float]) -> dict[str, float]:
    a = np.asarray(values, dtype=float)
    return {"mean": float(a.mean()), "min": float(a.min()), "max": float(a.max()),
            "sd": float(a.std(ddof=1)) if len(a) > 1 else 0.0, "n": len(a)}


def summarize(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Best of grid per (language, protocol, arch, layers), with the seeds' spread and the published figure.

    The cell is chosen on the mean strict accuracy at the training lengths
    (ties: the longer bin), never on a longer bin alone.
    """
    ok = [r for r in rows if r.get("status") == "ok"]
    groups: dict[tuple, dict[tuple, list[dict[str, Any]]]] = {}
    for r in ok:
        key = (r["language"], _cell(r)[2], r["arch"], int(r["layers"]))
        groups.setdefault(key, {}).setdefault(_cell(r), []).append(r)
    out = []
    for (lang, proto, arch, layers), cells in groups.items():
        splits = sorted({k[4:] for rs in cells.values() for r in rs for k in r
                         if k.startswith("acc_") and r[k] not in ("", None)})
        longer = "longer-release" if "longer-release" in splits else "longer"

        def score(cell: tuple) -> tuple[float, float]:
            rs = cells[cell]
            return (np.mean([float(r["acc_train"]) for r in rs]),
                    np.mean([float(r.get(f"acc_{longer}") or 0) for r in rs]))

        best = max(cells, key=score)
        rs = cells[best]
        base = parse_arch(arch).arch  # transformer-nope is set beside the Transformer column too
        model = "transformer" if base == "transformer" else f"mamba{layers}"
        paper = published_cell(lang, model) if arch == "mamba" or base == "transformer" else None
        row = {"language": lang, "protocol": proto, "arch": arch, "layers": layers,
               "star_free": lang in SARROF_STAR_FREE, "d_model": best[0], "lr": best[1], "cells": len(cells),
               "seeds": len(rs), "paper": paper, "longer_split": longer}
        for s in splits:
            vals = [float(r[f"acc_{s}"]) for r in rs if r.get(f"acc_{s}") not in ("", None)]
            if vals:
                row[s] = _stat(vals)
            bins = {r.get(f"bin_{s}") for r in rs}
            row[f"bin_{s}"] = bins.pop() if len(bins) == 1 else "varies"
        out.append(row)
    order = {n: i for i, n in enumerate(SARROF_LANGUAGES + COUNTER_NAMES)}
    out.sort(key=lambda r: (order.get(r["language"], 99), r["protocol"] or "", r["arch"] != "mamba", r["arch"],
                            r["layers"]))
    return out


def default_languages(kind: str, quick: bool) -> tuple[str, ...]:
    """The languages of ``sarrof`` or ``counter`` (the quick subset with ``quick``)."""
    if kind == "counter":
        return COUNTER_QUICK if quick else COUNTER_NAMES
    return SARROF_QUICK if quick else SARROF_LANGUAGES


def check_languages(names: Sequence[str], kind: str) -> None:
    """Every name a language of this table; a counter language in ``sarrof`` or
    a regular one in ``counter`` is refused with a pointer to the other."""
    known = COUNTER_NAMES if kind == "counter" else SARROF_LANGUAGES
    for n in names:
        if n in known:
            continue
        if kind == "sarrof" and n in COUNTER_LANGUAGES:
            raise ParameterError(f"{n} is a counter language (not regular): run `reproduce counter --languages {n}`")
        if kind == "counter" and n in RECIPES:
            raise ParameterError(f"{n} is regular: run `reproduce sarrof --languages {n}`")
        raise ParameterError(f"{n!r} is not in the {kind} table; expected one of {', '.join(known)}")


def run_sarrof(
    out_dir: str | os.PathLike,
    *,
    quick: bool = False,
    languages: Sequence[str] | None = None,
    kind: str = "sarrof",
    protocol_name: str = "release",
    archs: Sequence[str] | None = None,
    layers: Sequence[int] | None = None,
    seeds: Sequence[int] | None = None,
    grid: str = "release",
    epochs: int | None = None,
    scale: float | None = None,
    workers: int | None = None,
    progress: bool = False,
    device: str = "cpu",
    release_dir: str | None = None,
    d_models: Sequence[int] | None = None,
    lrs: Sequence[float] | None = None,
    cross: bool = False,
    norm: str = "layer",
) -> SweepResult:
    """Run (or resume) the sheet's table (``kind="sarrof"``, regular languages)
    or its counter table (``kind="counter"``); results in ``out_dir/<kind>.csv``.

    Defaults: ``quick`` runs :data:`SARROF_QUICK` (counter: :data:`COUNTER_QUICK`)
    with 1 layer, one seed, Mamba and the :data:`QUICK` budget
    (:data:`COUNTER_QUICK_BUDGET`); otherwise every
    language at 1-3 layers, seeds 0-2, the release grid, Mamba and our
    Transformer.
    """
    names = tuple(languages) if languages else default_languages(kind, quick)
    check_languages(names, kind)
    budget = (COUNTER_QUICK_BUDGET if kind == "counter" else QUICK) if quick else None
    quick_archs = ("mamba",)
    jobs = table_jobs(
        names, protocol_name=protocol_name,
        archs=archs or (quick_archs if quick else ("mamba", "transformer")),
        layers=layers or ((1,) if quick else (1, 2, 3)),
        seeds=seeds or ((0,) if quick else (0, 1, 2)),
        grid=grid, quick=budget, epochs=epochs, scale=scale, device=device,
        release_dir=release_dir, d_models=d_models, lrs=lrs, cross=cross, norm=norm,
    )
    return run_table(out_dir, kind, jobs, workers=workers, progress=progress)


def sarrof_table(result: SweepResult) -> list[dict[str, Any]]:
    """:func:`summarize` of a sweep's rows."""
    return summarize(result.rows)
