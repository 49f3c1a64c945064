"""Dyck(8,10) and memory: Sarrof et al.'s bounded-Dyck experiment (after Yao et al. 2021).

A Mamba language model (1 or 2 layers, ``d_model`` = the "memory
dimension" 20-100) is trained on Dyck(8,10) words of lengths 1-700 and
scored on lengths 701-1400 (test, depth <= 10) and on a deeper test set
(test20 in the release: depth <= 15). Close accuracy: over positions with an
open bracket on the stack, the fraction where P(correct close) / P(any close)
> 0.8 (the release's ``reporter.py``).

The release trained its 1-layer models at lr 1e-4 and its 2-layer models at
1e-3 (:data:`~automata_probe.experiments.published.PUBLISHED_DYCK_MEMORY`);
here both depths run at both learning rates, so the table shows what depth
buys at a fixed learning rate and what the learning rate alone does.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from ..data.bounded_dyck import dyck_alphabet, dyck_lm_batch, sample_bounded_dyck
from ..data.tokens import Tokenizer
from ..errors import ParameterError
from ..models import ModelConfig, build_model
from .fixed_data import FitConfig, fit
from .protocols import Split
from .published import PUBLISHED_DYCK_MEMORY
from .sweep import Job, SweepResult, run_sweep

__all__ = ["DyckSetup", "close_accuracy", "dyck_job", "run_dyck_memory", "dyck_summary"]


@dataclass(frozen=True, kw_only=True)
class DyckSetup:
    """Lengths, depths and budget of the experiment (the release's by default)."""

    k: int = 8
    depth: int = 10
    deep: int = 15
    train_lengths: tuple[int, int] = (1, 700)
    test_lengths: tuple[int, int] = (701, 1400)
    train_tokens: int = 2_000_000
    n_test: int = 1000
    batch_size: int = 10
    epochs: int = 15

    def __post_init__(self) -> None:
        lo, hi = self.train_lengths
        tlo, thi = self.test_lengths
        if not 1 <= lo <= hi or not 1 <= tlo <= thi:
            raise ParameterError(f"impossible lengths: train {self.train_lengths}, test {self.test_lengths}")
        if tlo <= hi:
            raise ParameterError(f"test lengths {self.test_lengths} overlap the training lengths {self.train_lengths}")
        if not 1 <= self.depth <= self.deep:
            raise ParameterError(f"depths must satisfy 1 <= depth <= deep, got {self.depth} and {self.deep}")


QUICK_DYCK = DyckSetup(train_lengths=(1, 100), test_lengths=(101, 200), train_tokens=30_000, n_test=150,
                       batch_size=10, epochs=8)
FULL_DYCK = DyckSetup()


@lru_cache(maxsize=4)
def _data(setup: DyckSetup, seed: int) -> tuple[tuple[Split, np.ndarray], ...]:
    """``(split, close)`` for the training set, the test set and the deeper test set."""
    rng = np.random.default_rng([seed, 0xD7C])
    train: list[np.ndarray] = []
    while sum(len(w) for w in train) < setup.train_tokens:
        train += sample_bounded_dyck(256, setup.k, setup.depth, *setup.train_lengths, rng)
    out = []
    for name, words in (("fit", train),
                        ("test", sample_bounded_dyck(setup.n_test, setup.k, setup.depth, *setup.test_lengths, rng)),
                        ("deep", sample_bounded_dyck(setup.n_test, setup.k, setup.deep, *setup.test_lengths, rng))):
        tokens, targets, mask, close = dyck_lm_batch(words, setup.k)
        out.append((Split(name=name, words=(), tokens=tokens, targets=targets, mask=mask,
                          lo=min(map(len, words)), hi=max(map(len, words))), close))
    return tuple(out)


@torch.no_grad()
def close_accuracy(model: torch.nn.Module, split: Split, close: np.ndarray, k: int, *, batch_size: int = 50,
                   threshold: float = 0.8) -> float:
    """Over positions with a bracket open, the fraction where P(its close) / P(any close) > ``threshold``."""
    model.eval()
    right = total = 0
    for i in range(0, len(split.tokens), batch_size):
        rows = slice(i, i + batch_size)
        probs = torch.softmax(model(torch.from_numpy(split.tokens[rows])), dim=-1)  # (B, T, 2k + 1)
        want = torch.from_numpy(close[rows])  # (B, T)
        scored = want >= 0
        p_right = probs.gather(-1, want.clamp(min=0).unsqueeze(-1)).squeeze(-1)
        p_close = probs[..., k:2 * k].sum(-1)
        right += int(((p_right / p_close > threshold) & scored).sum())
        total += int(scored.sum())
    return right / max(total, 1)


def dyck_job(job: Job) -> dict[str, Any]:
    """Sweep job: train one language model; close accuracy on train, test and the deeper test."""
    setup = DyckSetup(**{k: tuple(v) if isinstance(v, list) else v for k, v in job.param("setup")})
    (fit_split, fit_close), (test, test_close), (deep, deep_close) = _data(setup, job.seed)
    d_model = int(job.param("d_model"))
    model = build_model(ModelConfig(arch="mamba", vocab_size=Tokenizer(alphabet=dyck_alphabet(setup.k)).vocab_size,
                                    n_outputs=2 * setup.k + 1, d_model=d_model, n_layers=job.layers), seed=job.seed)
    config = FitConfig(epochs=setup.epochs, batch_size=setup.batch_size, lr=float(job.param("lr")), loss="ce",
                       weight_decay=0.0, seed=job.seed, device=str(job.param("device", "cpu")), threads=1)
    result = fit(model, fit_split, [], config)
    sample = slice(0, min(len(fit_split.tokens), setup.n_test))
    fit_sample = Split(name="fit", words=(), tokens=fit_split.tokens[sample], targets=fit_split.targets[sample],
                       mask=fit_split.mask[sample], lo=fit_split.lo, hi=fit_split.hi)
    return {
        "lr": float(job.param("lr")), "d_model": d_model,
        "train_close": round(close_accuracy(model, fit_sample, fit_close[sample], setup.k), 4),
        "test_close": round(close_accuracy(model, test, test_close, setup.k), 4),
        "deep_close": round(close_accuracy(model, deep, deep_close, setup.k), 4),
        "steps": result.steps, "final_loss": round(result.final_loss, 4), "train_seconds": round(result.seconds, 1),
        "n_train_words": len(fit_split.tokens),
    }


def run_dyck_memory(
    out_dir: str | os.PathLike,
    *,
    quick: bool = False,
    hidden: Sequence[int] | None = None,
    layers: Sequence[int] = (1, 2),
    lrs: Sequence[float] = (1e-4, 1e-3),
    seeds: Sequence[int] | None = None,
    setup: DyckSetup | None = None,
    workers: int | None = None,
    progress: bool = False,
    device: str = "cpu",
) -> SweepResult:
    """Run (or resume) the memory sweep: every (layers, hidden size, lr, seed); ``out_dir/dyck-memory.csv``."""
    setup = setup or (QUICK_DYCK if quick else FULL_DYCK)
    hidden = tuple(hidden or ((20, 60) if quick else tuple(range(20, 101, 10))))
    seeds = tuple(seeds or ((0,) if quick else (0, 1, 2)))
    if min(hidden) < 1 or min(layers) < 1 or min(lrs) <= 0:
        raise ParameterError("hidden sizes, layers and learning rates must be positive")
    setup_items = tuple((f, list(v) if isinstance(v, tuple) else v) for f, v in vars(setup).items())
    jobs = []
    for n in layers:
        for d in hidden:
            for lr in lrs:
                for s in seeds:
                    params: dict[str, Any] = {"d_model": d, "lr": lr, "setup": setup_items}
                    if device != "cpu":
                        params["device"] = device
                    jobs.append(Job(language=f"dyck-{setup.k}-{setup.depth}", arch="mamba", layers=n, seed=s,
                                    params=tuple(params.items())))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return run_sweep(jobs, "automata_probe.experiments.reproduce_dyck:dyck_job", out / "dyck-memory.csv",
                     workers=workers, progress=progress)


def dyck_summary(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (layers, hidden, lr): mean close accuracy over seeds (test, deep), and the published run of
    that (layers, hidden) with its learning rate."""
    groups: dict[tuple[int, int, float], list[dict[str, Any]]] = {}
    for r in rows:
        if r.get("status") == "ok":
            groups.setdefault((int(r["layers"]), int(r["d_model"]), float(r["lr"])), []).append(r)
    out = []
    for (n, d, lr), rs in sorted(groups.items()):
        pub = PUBLISHED_DYCK_MEMORY.get((n, d), {})
        out.append({"layers": n, "hidden": d, "lr": lr, "seeds": len(rs),
                    "train": float(np.mean([r["train_close"] for r in rs])),
                    "test": float(np.mean([r["test_close"] for r in rs])),
                    "test_min": float(np.min([r["test_close"] for r in rs])),
                    "test_max": float(np.max([r["test_close"] for r in rs])),
                    "deep": float(np.mean([r["deep_close"] for r in rs])),
                    "paper_lr": pub.get("lr"), "paper_test": pub.get("test"), "paper_deep": pub.get("test20")})
    return out
