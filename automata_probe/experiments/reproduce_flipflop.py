"""Flip-flop (Liu et al. 2023) as Sarrof et al. ran it: a 1-layer Mamba, test error against steps.

Training streams fresh FFL(0.8) sequences of T = 512 tokens (the release
trains on 1.6M fixed ones, more than it sees); every ``eval_every`` steps the
model is scored on fixed validation sets of FFL(0.8), the sparse FFL(0.98)
and the dense FFL(0.1). Test error is the fraction of sequences with any
read bit wrong (only read bits are scored), the published curve's measure.
The published curves are in :data:`~automata_probe.experiments.published.PUBLISHED_FLIP_FLOP`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..data.flipflop import flip_flop_batch, flip_flop_gaps, sample_flip_flop
from ..errors import ParameterError
from ..models import ModelConfig, build_model
from .fixed_data import FitConfig, fit
from .protocols import Split
from .published import FLIP_FLOP_EVAL_EVERY, PUBLISHED_FLIP_FLOP
from .arch_specs import parse_arch
from .sweep import Job, SweepResult, run_sweep

__all__ = ["FlipFlopBudget", "FLIP_FLOP_SETS", "flip_flop_job", "run_flip_flop", "flip_flop_summary",
           "published_zero_step"]

#: Validation distributions: name -> P(ignore).
FLIP_FLOP_SETS: dict[str, float] = {"FFL(0.8)": 0.8, "FFL(0.98)": 0.98, "FFL(0.1)": 0.1}


@dataclass(frozen=True, kw_only=True)
class FlipFlopBudget:
    """One run: sequence length, width, learning rate, steps, evaluation."""

    length: int = 512
    d_model: int = 16
    lr: float = 1e-3
    batch_size: int = 32
    steps: int = 20_000
    eval_every: int = 100
    n_val: int = 1000

    def __post_init__(self) -> None:
        if self.length < 4 or self.length % 2:
            raise ParameterError(f"T must be even and at least 4, got {self.length}")
        for name in ("d_model", "batch_size", "steps", "eval_every", "n_val"):
            if getattr(self, name) < 1:
                raise ParameterError(f"{name} must be positive, got {getattr(self, name)}")


QUICK_FLIP_FLOP = FlipFlopBudget(d_model=32, steps=800, eval_every=100, n_val=250)
FULL_FLIP_FLOP = FlipFlopBudget()


@lru_cache(maxsize=4)
def _val(name: str, length: int, n: int) -> Split:
    seqs = sample_flip_flop(n, length, FLIP_FLOP_SETS[name], [0xF1F, int(FLIP_FLOP_SETS[name] * 100)])
    tokens, targets, mask = flip_flop_batch(seqs)
    return Split(name=name, words=(), tokens=tokens, targets=targets, mask=mask, lo=length, hi=length)


def flip_flop_job(job: Job) -> dict[str, Any]:
    """Sweep job: train on FFL(0.8), return the error curves and when each first reached 0."""
    length, n_val = int(job.param("length")), int(job.param("n_val"))
    vals = [_val(name, length, n_val) for name in FLIP_FLOP_SETS]
    d_model = int(job.param("d_model"))
    fields: dict[str, Any] = {**parse_arch(job.arch).model_fields(d_model), "vocab_size": 8,
                              "n_outputs": 2, "d_model": d_model, "n_layers": job.layers}
    model = build_model(ModelConfig(**fields), seed=job.seed)

    def draw(rng: np.random.Generator, n: int):
        return flip_flop_batch(sample_flip_flop(n, length, 0.8, rng))

    config = FitConfig(epochs=1, batch_size=int(job.param("batch")), lr=float(job.param("lr")), loss="ce",
                       seed=job.seed, device=str(job.param("device", "cpu")), max_steps=int(job.param("steps")),
                       eval_every=int(job.param("eval_every")), threads=1)
    result = fit(model, draw, vals, config)
    curve = [[h["step"]] + [round(100 * (1 - h[name]), 3) for name in FLIP_FLOP_SETS] for h in result.history]
    out: dict[str, Any] = {"steps": result.steps, "train_seconds": round(result.seconds, 1),
                           "curve": json.dumps(curve)}
    for i, name in enumerate(FLIP_FLOP_SETS, start=1):
        key = name.replace("FFL(", "ffl").replace(")", "")
        out[f"error_{key}"] = curve[-1][i]
        zero = next((c[0] for c in curve if c[i] == 0), None)
        out[f"zero_step_{key}"] = zero if zero is not None else ""
    return out


def run_flip_flop(
    out_dir: str | os.PathLike,
    *,
    quick: bool = False,
    seeds: Sequence[int] | None = None,
    budget: FlipFlopBudget | None = None,
    archs: Sequence[str] = ("mamba",),
    layers: Sequence[int] = (1,),
    workers: int | None = None,
    progress: bool = False,
    device: str = "cpu",
) -> SweepResult:
    """Run (or resume) the flip-flop runs; one row per (arch, layers, seed) in ``out_dir/flip-flop.csv``."""
    budget = budget or (QUICK_FLIP_FLOP if quick else FULL_FLIP_FLOP)
    seeds = tuple(seeds or ((0,) if quick else (0, 1, 2)))
    jobs = []
    for arch in archs:
        arch = parse_arch(arch).name  # ARCH[-N][-neg]
        for n in layers:
            for s in seeds:
                params = {"length": budget.length, "d_model": budget.d_model, "lr": budget.lr,
                          "batch": budget.batch_size, "steps": budget.steps, "eval_every": budget.eval_every,
                          "n_val": budget.n_val}
                if device != "cpu":
                    params["device"] = device
                jobs.append(Job(language="flip_flop", arch=arch, layers=n, seed=s, params=tuple(params.items())))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return run_sweep(jobs, "automata_probe.experiments.reproduce_flipflop:flip_flop_job", out / "flip-flop.csv",
                     workers=workers, progress=progress)


def published_zero_step(name: str) -> int | None:
    """Training steps at which the published curve first reaches 0 error (evaluation k after ~100 (k + 1) steps)."""
    curve = PUBLISHED_FLIP_FLOP.get(name, ())
    k = next((k for k, err in curve if err == 0), None)
    return None if k is None else FLIP_FLOP_EVAL_EVERY * (k + 1)


def flip_flop_summary(rows: Sequence[dict[str, Any]], length: int = 512) -> list[dict[str, Any]]:
    """Per validation set: our final error and first step at 0 (per seed), the published step,
    and the read-to-write gaps that make the set hard."""
    ok = [r for r in rows if r.get("status") == "ok"]
    out = []
    for name, p in FLIP_FLOP_SETS.items():
        key = name.replace("FFL(", "ffl").replace(")", "")
        gaps = flip_flop_gaps(sample_flip_flop(200, length, p, 1))
        out.append({
            "set": name,
            "final_error": [r.get(f"error_{key}") for r in ok],
            "zero_step": [r.get(f"zero_step_{key}") or None for r in ok],
            "published_zero_step": published_zero_step(name),
            "gap_median": float(np.median(gaps)), "gap_p99": float(np.percentile(gaps, 99)),
        })
    return out
