"""The papers' experiments: the entry points, and Merrill et al.'s jointly trained sweep.

- ``reproduce sarrof`` / ``reproduce counter``:
  :mod:`~automata_probe.experiments.reproduce_sarrof` (every row, every depth,
  the release's protocol, grid and seeds);
- ``reproduce merrill-depth``: :mod:`~automata_probe.experiments.reproduce_merrill`
  (Merrill et al.'s Figure 3);
- ``reproduce flip-flop``: :mod:`~automata_probe.experiments.reproduce_flipflop`;
- ``reproduce dyck-memory``: :mod:`~automata_probe.experiments.reproduce_dyck`;
- ``reproduce merrill`` (here): one model per (group, arch, depth) trained on
  lengths 1-20 jointly, accuracy by length. Groups ``Z60`` (abelian),
  ``A4xZ5`` (solvable) and ``A5`` (non-solvable) of Merrill, Petty & Sabharwal
  (ICML 2024), and ``S3``; every element a letter, the running product as the
  per-position target (``state`` task, uniform words).

Published figures are data (:mod:`~automata_probe.experiments.published`), never computed.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from ..automata import load_language
from ..errors import ModelError, ParameterError
from ..models import ARCHITECTURES, TrainConfig, build_model, config_for, train
from .published import PUBLISHED_SARROF
from .reproduce_sarrof import SARROF_LANGUAGES, SARROF_QUICK, run_sarrof, sarrof_table
from .arch_specs import parse_arch
from .sweep import Job, SweepResult, grid, run_sweep

__all__ = [
    "PUBLISHED_SARROF",
    "SARROF_LANGUAGES",
    "SARROF_QUICK",
    "MERRILL_GROUPS",
    "Budget",
    "merrill_jobs",
    "merrill_job",
    "run_sarrof",
    "run_merrill",
    "sarrof_table",
    "merrill_table",
    "truthy",
]

log = logging.getLogger(__name__)

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


# Word problems over 60 letters with 60 classes need far more steps: a 1-layer
# LSTM reached 93.5% strict at length 10 on Z60 after 6000 steps at lr 3e-3,
# and 0% at length 5 after 1500.
MERRILL_QUICK_BUDGET = Budget(steps=6000, d_model=64, batch_size=32, eval_n=200, lr=3e-3)
MERRILL_FULL_BUDGET = Budget(steps=20000, d_model=64, batch_size=32, eval_n=1000, lr=3e-3)


def merrill_jobs(
    groups: Sequence[str] = MERRILL_GROUPS,
    layers: Sequence[int] = (1, 2, 3),
    seeds: Sequence[int] = (0,),
    budget: Budget = MERRILL_FULL_BUDGET,
    max_length: int = 20,
    archs: Sequence[str] = ("mamba", "lstm"),
    device: str = "cpu",
) -> list[Job]:
    # words=uniform: the state task's words are uniform over all sequences (as
    # Merrill et al.); before, half were drawn to end at the identity. The
    # parameter keeps old results (other words) from being reused.
    archs = [parse_arch(a).name for a in archs]  # ARCH[-N][-neg]; bad names fail before any training
    return grid(groups, archs=archs, layers=layers, seeds=seeds, task="state", max_length=max_length,
                words="uniform", **budget.params(), **_device_param(device))


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
    d_model = int(job.param("d_model", 64))
    model_config = config_for(dfa, task, d_model=d_model, n_layers=job.layers,
                              **parse_arch(job.arch).model_fields(d_model))
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
        source=job.param("words"),
    )
    return language, dfa, train(model, language, config)


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
    archs: Sequence[str] = ("mamba", "lstm"),
) -> SweepResult:
    """Run (or resume) the Merrill et al. word-problem sweep; ``out_dir/merrill.csv``.

    ``device`` as in :func:`run_sarrof`.
    """
    for arch in archs:
        if arch not in ARCHITECTURES:
            raise ParameterError(f"unknown architecture {arch!r}; expected one of {', '.join(ARCHITECTURES)}")
    jobs = merrill_jobs(
        groups,
        layers or ((1, 2) if quick else (1, 2, 3)),
        seeds,
        budget or (MERRILL_QUICK_BUDGET if quick else MERRILL_FULL_BUDGET),
        max_length or (10 if quick else 20),
        archs=archs,
        device=device,
    )
    return _run(jobs, "automata_probe.experiments.reproduce:merrill_job", out_dir, "merrill", workers, progress)


def merrill_table(result: SweepResult) -> list[dict[str, Any]]:
    """One row per job: accuracy at each length."""
    return [dict(r) for r in result.rows]


def truthy(v: Any) -> bool:
    """A results-file cell read as a boolean (``True``, ``"True"``, ``1``, ``"yes"``)."""
    return v is True or str(v).lower() in ("true", "1", "yes")
