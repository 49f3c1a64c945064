"""Training on a fixed dataset for a number of epochs, as the papers' releases do.

:func:`fit` runs AdamW over a fixed training set (one seeded order, batches
padded to their longest word) for ``epochs`` epochs or ``max_steps`` steps,
evaluates the evaluation splits every ``eval_every`` steps and at the end,
and can stop once a monitored split reaches ``stop_at``. Losses, all over
the scored positions only (``mask``):

``mse``
    squared error between the raw outputs and the one-hot class (Sarrof et
    al.'s release: ``torch.nn.MSELoss`` on one-hot class targets, argmax scored);
``ce``
    cross-entropy over classes (Merrill et al.; flip-flop; language modelling);
``bce``
    binary cross-entropy with logits on multi-hot targets (our next set; every
    bit thresholded at 0).

:func:`strict_accuracy` scores a split: a word counts only if every scored
position is right. Unlike :func:`automata_probe.models.train`, which draws a
fresh batch at every step, a word here is seen once per epoch.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import ModelError, ParameterError
from ..progress import Progress, inner_progress_enabled

__all__ = ["FitConfig", "FitResult", "fit", "strict_accuracy", "LOSSES"]

log = logging.getLogger(__name__)

LOSSES = ("mse", "ce", "bce")


class _Data(Protocol):
    name: str
    tokens: np.ndarray
    targets: np.ndarray
    mask: np.ndarray


@dataclass(frozen=True, kw_only=True)
class FitConfig:
    """Hyperparameters of :func:`fit`.

    ``epochs`` bounds the passes over the training set and ``max_steps`` (if
    set) the optimizer steps; ``stop_at`` stops once the split named
    ``monitor`` reaches that strict accuracy at an evaluation;
    ``eval_every`` (steps) evaluates along the way (None: at the end only).
    """

    epochs: int
    batch_size: int = 32
    lr: float = 1e-3
    weight_decay: float = 0.1
    loss: str = "mse"
    seed: int = 0
    device: str = "cpu"
    grad_clip: float | None = None
    max_steps: int | None = None
    eval_every: int | None = None
    stop_at: float | None = None
    monitor: str | None = None
    threads: int | None = None

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ParameterError(f"{name} must be a positive integer, got {v!r}")
        if self.loss not in LOSSES:
            raise ParameterError(f"unknown loss {self.loss!r}; expected one of {', '.join(LOSSES)}")
        if not (isinstance(self.lr, (int, float)) and self.lr > 0 and math.isfinite(self.lr)):
            raise ParameterError(f"lr must be a positive number, got {self.lr!r}")
        if self.stop_at is not None and self.monitor is None:
            raise ParameterError("stop_at needs the split to monitor")


@dataclass(frozen=True, kw_only=True)
class FitResult:
    """What :func:`fit` returns: the final strict accuracy (and token accuracy)
    per evaluation split, the history of evaluations, steps and seconds."""

    strict: dict[str, float]
    token: dict[str, float]
    history: tuple[dict[str, Any], ...]
    steps: int
    epochs: float
    seconds: float
    stopped: str
    final_loss: float = field(default=float("nan"))


def _device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ModelError("device 'cuda' requested but CUDA is not available")
    return torch.device(name)


def _loss(out: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor, kind: str) -> torch.Tensor:
    if kind == "bce":
        return F.binary_cross_entropy_with_logits(out[mask], targets[mask])
    if kind == "ce":
        return F.cross_entropy(out[mask], targets[mask])
    one_hot = F.one_hot(targets[mask], out.shape[-1]).to(out.dtype)  # (P, C)
    return F.mse_loss(out[mask], one_hot)


def _correct(out: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor, kind: str) -> torch.Tensor:
    """``(B, T)`` bool: position right (True off the mask)."""
    if kind == "bce":
        right = ((out > 0) == (targets > 0.5)).all(dim=-1)
    else:
        right = out.argmax(dim=-1) == targets
    return right | ~mask


def _batches(n: int, size: int, order: np.ndarray | None = None) -> list[np.ndarray]:
    order = np.arange(n) if order is None else order
    return [order[i : i + size] for i in range(0, n, size)]


def _tensors(data: _Data, rows: np.ndarray, device: torch.device) -> tuple[torch.Tensor, ...]:
    width = int(data.mask[rows].any(axis=0).nonzero()[0].max(initial=0)) + 1  # trim the padding
    tokens = torch.from_numpy(data.tokens[rows, :width]).to(device)
    targets = torch.from_numpy(data.targets[rows, :width]).to(device)
    mask = torch.from_numpy(data.mask[rows, :width]).to(device)
    return tokens, targets, mask


@torch.no_grad()
def strict_accuracy(model: torch.nn.Module, data: _Data, *, loss: str, batch_size: int = 256,
                    device: str | torch.device = "cpu") -> tuple[float, float]:
    """``(strict, token)`` accuracy of ``model`` on ``data`` (words sorted by
    length into batches, so little padding is computed)."""
    dev = torch.device(device) if isinstance(device, str) else device
    was_training = model.training
    model.eval()
    lengths = data.mask.sum(axis=1)
    words = positions = right_words = right_positions = 0
    for rows in _batches(len(lengths), batch_size, np.argsort(lengths, kind="stable")):
        tokens, targets, mask = _tensors(data, rows, dev)
        right = _correct(model(tokens), targets, mask, loss)  # (B, T)
        right_words += int(right.all(dim=1).sum())
        right_positions += int((right & mask).sum())
        words += len(rows)
        positions += int(mask.sum())
    model.train(was_training)
    return right_words / max(words, 1), right_positions / max(positions, 1)


#: A stream of fresh batches: ``draw(rng, n) -> (tokens, targets, mask)``.
Draw = Callable[[np.random.Generator, int], tuple[np.ndarray, np.ndarray, np.ndarray]]


class _Stream:
    """A stream of fresh batches, seen as ``max_steps`` one-batch 'rows'."""

    def __init__(self, draw: Draw, seed: int) -> None:
        self.draw, self.rng = draw, np.random.default_rng([seed, 0xD4A])

    def batch(self, n: int, dev: torch.device) -> tuple[torch.Tensor, ...]:
        tokens, targets, mask = self.draw(self.rng, n)
        return tuple(torch.from_numpy(np.ascontiguousarray(x)).to(dev) for x in (tokens, targets, mask))


def fit(model: torch.nn.Module, train: _Data | Draw, evals: Sequence[_Data], config: FitConfig, *,
        on_eval: Callable[[dict[str, Any]], None] | None = None) -> FitResult:
    """Train ``model`` on ``train`` and score it on ``evals`` (see the module docstring).

    ``train`` is a fixed set (``tokens``, ``targets``, ``mask``) or a
    :data:`Draw` that returns a fresh batch each step (then ``max_steps``
    bounds the run and ``epochs`` is ignored).
    """
    stream = _Stream(train, config.seed) if callable(train) else None
    if stream is not None and config.max_steps is None:
        raise ParameterError("a stream of fresh batches needs max_steps")
    dev = _device(config.device)
    model.to(dev)
    old_threads = torch.get_num_threads()
    if config.threads is not None:
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    if stream is None:
        order = np.random.default_rng([config.seed, 0xF17]).permutation(len(train.tokens))
        batches = _batches(len(order), config.batch_size, order)
    else:
        batches = [np.arange(config.batch_size)] * int(config.max_steps)
    history: list[dict[str, Any]] = []
    step, t0, stopped, value = 0, time.perf_counter(), "epochs", float("nan")
    total = len(batches) * (1 if stream is not None else config.epochs)
    if config.max_steps is not None:
        total = min(total, int(config.max_steps))
    bar = Progress(total, desc="train", unit="step", every=0.1) if inner_progress_enabled() else None

    def evaluate() -> dict[str, Any]:
        entry: dict[str, Any] = {"step": step, "epoch": round(step / len(batches), 3), "loss": value}
        for split in evals:
            entry[split.name], entry[f"{split.name}_token"] = strict_accuracy(
                model, split, loss=config.loss, batch_size=max(config.batch_size, 128), device=dev)
        history.append(entry)
        if on_eval is not None:
            on_eval(entry)
        if bar is not None and evals:
            bar.set_postfix({f"{s.name} strict": f"{100 * entry[s.name]:.1f}%" for s in evals[:3]})
        return entry

    try:
        model.train()
        done = False
        for _ in range(config.epochs):
            for rows in batches:
                if stream is None:
                    tokens, targets, mask = _tensors(train, rows, dev)
                else:
                    tokens, targets, mask = stream.batch(config.batch_size, dev)
                loss = _loss(model(tokens), targets, mask, config.loss)  # model: (B, T, C)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if config.grad_clip is not None:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
                optimizer.step()
                step += 1
                value = float(loss.detach())
                if bar is not None:
                    bar.update(1)
                if not math.isfinite(value):
                    raise ModelError(f"training diverged: loss is {value} at step {step} (try a lower lr)")
                if config.eval_every and step % config.eval_every == 0:
                    entry = evaluate()
                    if config.stop_at is not None and entry[config.monitor] >= config.stop_at:
                        stopped, done = "reached", True
                        break
                if config.max_steps is not None and step >= config.max_steps:
                    stopped, done = "max_steps", True
                    break
            if done:
                break
        if not history or history[-1]["step"] != step:
            evaluate()
    finally:
        torch.set_num_threads(old_threads)
        if bar is not None:
            bar.close()
    final = history[-1]
    model.eval()
    return FitResult(
        strict={s.name: final[s.name] for s in evals},
        token={s.name: final[f"{s.name}_token"] for s in evals},
        history=tuple(history), steps=step, epochs=step / len(batches), seconds=time.perf_counter() - t0,
        stopped=stopped, final_loss=value,
    )
