"""Timing helpers shared by the training-throughput benchmarks (bench_mamba.py, bench_arch.py).

One training step is forward + cross-entropy on every position + backward +
AdamW. Implementations are timed in interleaved rounds (one step of each per
round), so load from other processes falls on all of them alike; the median
wall time and the median CPU time (user + sys of this process, which load
from others inflates much less) are reported.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True, kw_only=True)
class Timing:
    """Median seconds of one call: wall clock and this process's CPU time."""

    wall: float
    cpu: float


def make_step(model: nn.Module, seq: int, *, batch: int, vocab: int, n_out: int,
              seed: int = 0) -> Callable[[], None]:
    """A closure running one forward + backward + AdamW step of ``model`` on a fixed random batch."""
    gen = torch.Generator().manual_seed(seed)
    tokens = torch.randint(0, vocab, (batch, seq), generator=gen)
    targets = torch.randint(0, n_out, (batch, seq), generator=gen)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)

    def step() -> None:
        logits = model(tokens)  # (B, L, n_out)
        loss = F.cross_entropy(logits.reshape(-1, n_out), targets.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    return step


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """Run ``fn`` once; its (wall, CPU) seconds."""
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def interleaved(calls: dict[str, Callable[[], object]], *, rounds: int, warmup: int = 1) -> dict[str, Timing]:
    """Median wall and CPU seconds of each call, over ``rounds`` rounds that run every call once in turn."""
    for _ in range(warmup):
        for fn in calls.values():
            fn()
    walls: dict[str, list[float]] = {label: [] for label in calls}
    cpus: dict[str, list[float]] = {label: [] for label in calls}
    for _ in range(rounds):
        for label, fn in calls.items():
            w, c = timed(fn)
            walls[label].append(w)
            cpus[label].append(c)
    return {label: Timing(wall=statistics.median(walls[label]), cpu=statistics.median(cpus[label]))
            for label in calls}


def add_arguments(p: argparse.ArgumentParser, *, threads: int, steps_help: str = "timed rounds") -> None:
    """The options every throughput benchmark takes: --steps, --warmup, --seqs, --threads."""
    p.add_argument("--steps", type=int, default=3, help=steps_help)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--seqs", type=int, nargs="+", default=[64, 256])
    p.add_argument("--threads", type=int, default=threads)


def load_average() -> str:
    """The 1-minute load average, for the header of a table taken on a shared machine."""
    try:
        with open("/proc/loadavg") as f:
            return f.read().split()[0]
    except OSError:
        return "unknown"
