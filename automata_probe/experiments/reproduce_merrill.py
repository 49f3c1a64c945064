"""Merrill, Petty & Sabharwal 2024, Figure 3: the minimum depth that solves a word problem, against length.

For a group G, a length k, an architecture and a depth, one model is trained
on every sequence of length 2 (all ``|G|^2`` pairs) plus 80% of ``n_seqs``
distinct uniform sequences of length k, and tested on the other 20%: the
label at every position is the running product of the prefix (token
tagging), and a sequence counts only if every position is right
(full-sequence accuracy). There is no length generalization: train and test
share the length k. The figure plots, per group and architecture, the
smallest depth whose best seed passes ``threshold`` (90%) against k.

The depth search runs in rounds, each a resumable sweep into one CSV: depth 1
at every k, then depth 2 where depth 1 failed, and so on up to ``max_depth``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..automata import load_language
from ..data import Tokenizer
from ..errors import ParameterError
from ..models import ModelConfig, build_model
from .fixed_data import FitConfig, fit
from .protocols import Split
from .published import MERRILL_FINDINGS
from .arch_specs import parse_arch
from .sweep import Job, SweepResult, run_sweep

__all__ = ["published_min_depth", "DepthBudget", "DEPTH_GROUPS", "DEPTH_ARCHS", "depth_job", "depth_jobs", "run_merrill_depth",
           "min_depths", "word_problem_data"]

log = logging.getLogger(__name__)

#: Merrill et al.'s groups of order 60 (abelian, solvable, non-solvable) and S3.
DEPTH_GROUPS: tuple[str, ...] = ("group-Z60-all", "group-A4xZ5-all", "group-A5-all", "group-S3-all")
#: Mamba, Mamba with negative eigenvalues (Grazzi et al. 2024), the LSTM (Merrill's RNN), the Transformer.
DEPTH_ARCHS: tuple[str, ...] = ("mamba", "mamba-neg", "lstm", "transformer")
#: The longest k accepted (the data hold n_seqs x (k + 1) tokens per array).
MAX_K = 200


@dataclass(frozen=True, kw_only=True)
class DepthBudget:
    """Training budget of one (group, k, arch, depth, seed) model.

    Merrill et al.: 1M sequences, batch 512, AdamW lr 1e-4 (Transformer
    5e-5), weight decay 0.01, up to 500 epochs, stop at 99% validation
    accuracy; widths 512-2048. Ours are smaller (see ``reproduce merrill-depth``).
    """

    n_seqs: int = 100_000
    d_model: int = 128
    batch_size: int = 512
    lr: float = 1e-4
    lstm_lr: float = 1e-4
    transformer_lr: float = 5e-5
    weight_decay: float = 0.01
    epochs: int = 500
    max_steps: int | None = None
    stop_at: float = 0.99
    eval_every: int = 200

    def params(self, arch: str) -> dict[str, Any]:
        return {"n_seqs": self.n_seqs, "d_model": self.d_model, "batch": self.batch_size,
                "lr": {"transformer": self.transformer_lr, "lstm": self.lstm_lr}.get(arch, self.lr),
                "wd": self.weight_decay,
                "epochs": self.epochs, "max_steps": self.max_steps, "stop_at": self.stop_at,
                "eval_every": self.eval_every}


QUICK_DEPTH = DepthBudget(n_seqs=3000, d_model=64, batch_size=64, lr=1e-3, lstm_lr=3e-3, transformer_lr=1e-3,
                          epochs=60, max_steps=1000, eval_every=100)
FULL_DEPTH = DepthBudget()


def _split(name: str, idx: np.ndarray, states: np.ndarray) -> Split:
    n, k = idx.shape
    tokens = np.concatenate([np.full((n, 1), Tokenizer.BOS), idx + Tokenizer.OFFSET], axis=1)
    mask = np.ones((n, k + 1), dtype=bool)
    mask[:, 0] = False  # position 0 sees only BOS
    return Split(name=name, words=(), tokens=tokens.astype(np.int64), targets=states.astype(np.int64), mask=mask,
                 lo=k, hi=k)


@lru_cache(maxsize=4)
def word_problem_data(group: str, k: int, n_seqs: int, seed: int) -> tuple[Split, Split, int, int]:
    """``(train, test, vocab_size, n_states)``: all pairs plus 80% of ``n_seqs``
    distinct uniform length-``k`` sequences, and the other 20%."""
    dfa = load_language(group).dfa
    g = dfa.n_letters
    rng = np.random.default_rng([seed, k, 0x3E77])
    if g ** k <= n_seqs:
        seqs = np.array(np.unravel_index(np.arange(g ** k), (g,) * k)).T  # every sequence
    elif g ** k <= 50 * n_seqs:  # few sequences: draw their indices without replacement
        seqs = np.array(np.unravel_index(rng.choice(g ** k, size=n_seqs, replace=False), (g,) * k)).T
    else:  # many: draw, drop repeats, top up
        seqs = np.zeros((0, k), dtype=np.int64)
        while len(seqs) < n_seqs:
            more = rng.integers(0, g, size=(n_seqs - len(seqs) + 16, k))
            seqs = np.unique(np.concatenate([seqs, more]), axis=0)
        seqs = seqs[rng.permutation(len(seqs))[:n_seqs]]
    seqs = seqs[rng.permutation(len(seqs))]
    cut = int(round(0.8 * len(seqs)))
    pairs = np.array(np.unravel_index(np.arange(g * g), (g, g))).T
    train_k, test_k = seqs[:cut], seqs[cut:]
    if len(test_k) == 0:
        raise ParameterError(f"{group} has too few sequences of length {k} for a test set")
    parts = [_split("pairs", pairs, dfa.run_indices(pairs))]
    if k != 2:
        parts.append(_split("train", train_k, dfa.run_indices(train_k)))
    width = k + 1
    tokens = np.zeros((sum(len(p.tokens) for p in parts), width), dtype=np.int64)
    targets = np.full(tokens.shape, -1, dtype=np.int64)
    mask = np.zeros(tokens.shape, dtype=bool)
    row = 0
    for p in parts:
        n, w = p.tokens.shape
        tokens[row:row + n, :w], targets[row:row + n, :w], mask[row:row + n, :w] = p.tokens, p.targets, p.mask
        row += n
    train = Split(name="fit", words=(), tokens=tokens, targets=targets, mask=mask, lo=2, hi=k)
    test = _split("test", test_k, dfa.run_indices(test_k))
    return train, test, Tokenizer(alphabet=dfa.alphabet).vocab_size, dfa.n_states


def depth_jobs(groups: Sequence[str], archs: Sequence[str], lengths: Sequence[int], depths: Sequence[int],
               seeds: Sequence[int], budget: DepthBudget, device: str = "cpu") -> list[Job]:
    jobs = []
    for grp in groups:
        for arch in archs:
            arch = parse_arch(arch).name  # ARCH[-N][-neg] (DEPTH_ARCHS are the paper's)
            for k in lengths:
                for d in depths:
                    for s in seeds:
                        params = {"k": k, **budget.params(arch)}
                        if device != "cpu":
                            params["device"] = device
                        jobs.append(Job(language=grp, arch=arch, layers=d, seed=s, params=tuple(params.items())))
    return jobs


def depth_job(job: Job) -> dict[str, Any]:
    """Sweep job: train one model at one k and depth; full-sequence accuracy on held-out length-k sequences."""
    k = int(job.param("k"))
    train, test, vocab, n_states = word_problem_data(job.language, k, int(job.param("n_seqs")), job.seed)
    d_model = int(job.param("d_model"))
    fields: dict[str, Any] = {**parse_arch(job.arch).model_fields(d_model), "vocab_size": vocab,
                              "n_outputs": n_states, "d_model": d_model, "n_layers": job.layers}
    model = build_model(ModelConfig(**fields), seed=job.seed)
    max_steps = job.param("max_steps")
    config = FitConfig(epochs=int(job.param("epochs")), batch_size=int(job.param("batch")),
                       lr=float(job.param("lr")), weight_decay=float(job.param("wd")), loss="ce", seed=job.seed,
                       device=str(job.param("device", "cpu")), max_steps=int(max_steps) if max_steps else None,
                       eval_every=int(job.param("eval_every")), stop_at=float(job.param("stop_at")),
                       monitor="test", threads=1)
    result = fit(model, train, [test], config)
    return {"k": k, "acc": round(100 * result.strict["test"], 2), "token": round(100 * result.token["test"], 2),
            "n_train": len(train.tokens), "n_test": len(test.tokens), "steps": result.steps,
            "epochs_run": round(result.epochs, 2), "stopped": result.stopped,
            "train_seconds": round(result.seconds, 1)}


def _check(groups: Sequence[str], lengths: Sequence[int], max_depth: int) -> None:
    for grp in groups:
        rows = load_language(grp).dfa.transitions  # unknown names fail before any training
        if not all(len(set(column)) == len(rows) for column in zip(*rows)):
            raise ParameterError(f"{grp} is not a word problem (a letter does not permute the states); "
                                 "use a group, e.g. group-A5-all")
    if not lengths or min(lengths) < 2:
        raise ParameterError(f"lengths k start at 2 (the training set holds every pair), got {list(lengths)}")
    if max(lengths) > MAX_K:
        raise ParameterError(f"lengths k go up to {MAX_K} (Merrill et al. stop at 20), got {max(lengths)}")
    if max_depth < 1:
        raise ParameterError(f"--max-depth must be at least 1, got {max_depth}")


def run_merrill_depth(
    out_dir: str | os.PathLike,
    *,
    quick: bool = False,
    groups: Sequence[str] | None = None,
    archs: Sequence[str] | None = None,
    lengths: Sequence[int] | None = None,
    max_depth: int | None = None,
    seeds: Sequence[int] | None = None,
    budget: DepthBudget | None = None,
    threshold: float = 90.0,
    workers: int | None = None,
    progress: bool = False,
    device: str = "cpu",
) -> SweepResult:
    """Run (or resume) the depth search; rows in ``out_dir/merrill-depth.csv``.

    Round d trains depth d wherever no shallower depth passed ``threshold``
    (with the best seed). Returns every row of the searched jobs.
    """
    groups = tuple(groups or (("group-S3-all",) if quick else DEPTH_GROUPS))
    archs = tuple(archs or (("mamba", "lstm") if quick else DEPTH_ARCHS))
    lengths = tuple(lengths or ((2, 4, 6, 8) if quick else tuple(range(2, 21))))
    max_depth = max_depth or (3 if quick else 6)
    seeds = tuple(seeds or ((0,) if quick else (0, 1, 2)))
    budget = budget or (QUICK_DEPTH if quick else FULL_DEPTH)
    _check(groups, lengths, max_depth)
    path = Path(out_dir) / "merrill-depth.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    ran = skipped = 0
    open_cells = [(g, a, k) for g in groups for a in archs for k in lengths]
    for depth in range(1, max_depth + 1):
        jobs = [j for g, a, k in open_cells for j in depth_jobs([g], [a], [k], [depth], seeds, budget, device)]
        if not jobs:
            break
        result = run_sweep(jobs, "automata_probe.experiments.reproduce_merrill:depth_job", path, workers=workers,
                           progress=progress)
        rows.extend(result.rows)
        ran, skipped = ran + result.ran, skipped + result.skipped
        passed = {(r["language"], r["arch"], int(r["k"])) for r in result.rows
                  if r.get("status") == "ok" and float(r["acc"]) > threshold}
        open_cells = [c for c in open_cells if c not in passed]
    return SweepResult(path=path, rows=tuple(rows), ran=ran, skipped=skipped,
                       failed=sum(1 for r in rows if r.get("status") != "ok"))


def min_depths(rows: Sequence[dict[str, Any]], threshold: float = 90.0,
               max_depth: int | None = None) -> list[dict[str, Any]]:
    """Per (group, arch, k): the smallest depth whose best seed passes ``threshold``
    (None if none did), and the best accuracy at each depth tried."""
    best: dict[tuple[str, str, int], dict[int, float]] = {}
    for r in rows:
        if r.get("status") != "ok":
            continue
        cell = best.setdefault((r["language"], r["arch"], int(r["k"])), {})
        d = int(r["layers"])
        cell[d] = max(cell.get(d, 0.0), float(r["acc"]))
    out = []
    for (grp, arch, k), by_depth in sorted(best.items(), key=lambda kv: (DEPTH_GROUPS.index(kv[0][0])
                                                                        if kv[0][0] in DEPTH_GROUPS else 9,
                                                                        kv[0][1], kv[0][2])):
        passing = [d for d, acc in sorted(by_depth.items()) if acc > threshold]
        out.append({"group": grp, "arch": arch, "k": k, "min_depth": passing[0] if passing else None,
                    "tried": max(by_depth), "best_by_depth": dict(sorted(by_depth.items()))})
    return out


def published_min_depth(group: str, arch: str) -> str:
    """What Merrill et al.'s Figure 3 shows for this group and architecture, in words."""
    if arch == "lstm":
        return MERRILL_FINDINGS["rnn"]
    if arch == "mamba-neg":
        return ("not in the paper (Grazzi et al. 2025, Thm 2: real diagonal transitions never count modulo 3 or 5, "
                "so not S3, A4xZ5, A5 or Z60 at any depth)")
    if arch in ("mamba", "transformer"):
        if group.startswith("group-Z60"):
            return "shallow on Z60 (abelian)"
        return "grows with k"
    return "-"
