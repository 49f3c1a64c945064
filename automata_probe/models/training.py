"""One training loop for every architecture, and the per-bin evaluation.

:func:`train` draws a fresh batch from the training lengths at every step (a
seeded numpy Generator, so no epoch is ever repeated), minimizes the task's
loss under the padding mask with AdamW and a warmup + cosine schedule,
evaluates on a validation bin every ``eval_every`` steps, stops early once the
validation strict accuracy has been 100% for ``early_stop_evals`` evaluations
in a row (or after ``patience`` evaluations without improvement), writes a
checkpoint every ``checkpoint_every`` steps and at the end, and can resume from
a checkpoint exactly where it stopped (weights, optimizer, step, RNG states).

Losses (all averaged over the real, non-PAD positions):

``next``
    binary cross-entropy with logits over the ``k + 1`` bits (letters that
    keep the word in the language, plus the end bit). Sarrof et al. used MSE
    on these multi-hot targets; BCE is the standard loss for independent
    binary labels and trains faster here. A position counts as right when
    every bit, thresholded at probability 0.5 (logit 0), is right.
``member``
    binary cross-entropy with logits on the one accept bit.
``state``
    cross-entropy over the DFA's states (argmax must match).

Evaluation (:func:`evaluate`) reports, per length bin, *strict* accuracy (a
string counts only if every position is right; the papers' metric) and
per-token accuracy. Validation and test words come from generators seeded by
``(seed, lo, hi)``, so the same bin always gets the same words.

Reproducibility: with the same seed, thread count and device, a CPU run gives
identical weights and metrics (torch's deterministic-algorithms mode is on,
warn-only, for the duration of :func:`train`).

Words are drawn uniformly among the language's words of a uniformly drawn
length (``source='language'``, as Sarrof et al.: positive strings with
per-prefix targets) for ``next``; ``member`` and ``state`` mix those with
uniform words (``source='mixed'``) so that rejected prefixes and the dead
state appear.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from .checkpoint import Checkpoint, save_checkpoint
from ..data import (
    SOURCES,
    TASKS,
    Batch,
    LengthBin,
    batch_from_indices,
    check_bins,
    n_outputs,
    sample_batch,
    sample_words,
)
from ..automata.dfa import DFA
from ..errors import AlphabetError, CheckpointError, DataError, ModelError

__all__ = [
    "TrainConfig",
    "TrainResult",
    "BinResult",
    "EvalReport",
    "train",
    "evaluate",
    "task_loss",
    "position_correct",
    "lr_at",
    "default_source",
    "resolve_language",
    "build_seeded_model",
]

log = logging.getLogger(__name__)

STOP_REASONS = ("converged", "patience", "max_steps", "interrupted")


def default_source(task: str) -> str:
    """Where training and evaluation words come from for ``task``."""
    return "language" if task == "next" else "mixed"


# ------------------------------------------------------------------ config
@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """Hyperparameters of a training run (saved in the checkpoint).

    Parameters
    ----------
    task
        ``"next"``, ``"member"`` or ``"state"``.
    train_lengths
        ``(lo, hi)`` word lengths to train on; None takes the language's
        experiment default.
    test_bins
        Bins evaluated at the end (and stored as the checkpoint's metrics);
        None takes the language's defaults.
    val_lengths
        Bin for early stopping; None means the training lengths (fresh words
        from a separate seed). Validating on a test bin would select on it.
    allow_overlap
        Allow test bins that overlap the training lengths.
    lr, weight_decay
        AdamW learning rate and weight decay (0.1 as Sarrof et al.); decay is
        not applied to biases, norms, embeddings, ``A_log`` and ``D``.
    batch_size, max_steps
        Words per step and the step budget.
    warmup_steps, min_lr_ratio
        Linear warmup, then cosine decay to ``min_lr_ratio * lr`` at
        ``max_steps``.
    grad_clip
        Gradient-norm clip (None: no clipping).
    eval_every, eval_n
        Validate every this many steps on this many words.
    early_stop_evals
        Stop once validation strict accuracy is 100% this many evaluations in
        a row (None: never).
    patience
        Stop after this many evaluations without a better validation strict
        accuracy (None: never).
    checkpoint_every
        Write a checkpoint every this many steps (None: only at the end).
    final_eval_n
        Words per bin in the final evaluation.
    source
        Word source (see :data:`~automata_probe.data.SOURCES`); None picks
        :func:`default_source`.
    seed
        Seeds the data stream, dropout and the evaluation words (the CLI
        also initializes the model with it).
    threads
        torch CPU threads during training (None: leave as is).
    device
        ``"cpu"``, ``"cuda"`` or ``"auto"``.
    """

    task: str = "next"
    train_lengths: tuple[int, int] | None = None
    test_bins: tuple[tuple[int, int], ...] | None = None
    val_lengths: tuple[int, int] | None = None
    allow_overlap: bool = False
    lr: float = 1e-3
    weight_decay: float = 0.1
    batch_size: int = 32
    max_steps: int = 2000
    warmup_steps: int = 50
    min_lr_ratio: float = 0.1
    grad_clip: float | None = 1.0
    eval_every: int = 50
    eval_n: int = 256
    early_stop_evals: int | None = 3
    patience: int | None = None
    checkpoint_every: int | None = 250
    final_eval_n: int = 1000
    source: str | None = None
    seed: int = 0
    threads: int | None = None
    device: str = "cpu"

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ModelError(f"unknown task {self.task!r}; expected one of {', '.join(TASKS)}")
        if self.source is not None and self.source not in SOURCES:
            raise DataError(f"unknown word source {self.source!r}; expected one of {', '.join(SOURCES)}")
        for name in ("batch_size", "max_steps", "eval_every", "eval_n", "final_eval_n"):
            _positive_int(name, getattr(self, name))
        for name in ("early_stop_evals", "patience", "checkpoint_every", "threads"):
            if getattr(self, name) is not None:
                _positive_int(name, getattr(self, name))
        if isinstance(self.warmup_steps, bool) or not isinstance(self.warmup_steps, int) or self.warmup_steps < 0:
            raise ModelError(f"warmup_steps must be a non-negative integer, got {self.warmup_steps!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ModelError(f"seed must be a non-negative integer, got {self.seed!r}")
        for name in ("lr",):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0 or not math.isfinite(v):
                raise ModelError(f"{name} must be a positive number, got {v!r}")
        for name in ("weight_decay", "min_lr_ratio"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not v >= 0:
                raise ModelError(f"{name} must be a non-negative number, got {v!r}")
        if self.grad_clip is not None and not self.grad_clip > 0:
            raise ModelError(f"grad_clip must be positive or None, got {self.grad_clip!r}")
        if self.device not in ("cpu", "cuda", "auto"):
            raise ModelError(f"device must be cpu, cuda or auto, got {self.device!r}")
        for name in ("train_lengths", "val_lengths"):
            v = getattr(self, name)
            if v is not None:
                b = LengthBin.of(v)
                object.__setattr__(self, name, (b.lo, b.hi))
        if self.test_bins is not None:
            bins = tuple(LengthBin.of(b) for b in self.test_bins)
            object.__setattr__(self, "test_bins", tuple((b.lo, b.hi) for b in bins))

    @property
    def word_source(self) -> str:
        return self.source if self.source is not None else default_source(self.task)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        for key in ("train_lengths", "val_lengths"):
            if d[key] is not None:
                d[key] = list(d[key])
        if d["test_bins"] is not None:
            d["test_bins"] = [list(b) for b in d["test_bins"]]
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "TrainConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ModelError(f"unknown train config field(s): {', '.join(unknown)}")
        kw = dict(d)
        for key in ("train_lengths", "val_lengths"):
            if kw.get(key) is not None:
                kw[key] = tuple(kw[key])
        if kw.get("test_bins") is not None:
            kw["test_bins"] = tuple(tuple(b) for b in kw["test_bins"])
        return cls(**kw)


def _positive_int(name: str, v: object) -> None:
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise ModelError(f"{name} must be a positive integer, got {v!r}")


def lr_at(step: int, config: TrainConfig) -> float:
    """Learning rate for optimizer step ``step`` (1-based): linear warmup over
    ``warmup_steps``, then cosine from ``lr`` to ``min_lr_ratio * lr`` at ``max_steps``."""
    if config.warmup_steps and step <= config.warmup_steps:
        return config.lr * step / config.warmup_steps
    span = max(config.max_steps - config.warmup_steps, 1)
    progress = min(max(step - config.warmup_steps, 0) / span, 1.0)
    floor = config.min_lr_ratio * config.lr
    return floor + (config.lr - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))


# ------------------------------------------------------------ loss/metrics
def task_loss(logits: torch.Tensor, batch: Batch) -> torch.Tensor:
    """Mean loss over real positions. ``logits`` is ``(B, T, n_outputs)``."""
    mask = batch.mask  # (B, T)
    if batch.task == "state":
        flat = logits[mask]  # (P, n_states)
        return F.cross_entropy(flat, batch.targets[mask])
    flat = logits[mask]  # (P, n_out)
    return F.binary_cross_entropy_with_logits(flat, batch.targets[mask])


def position_correct(logits: torch.Tensor, batch: Batch) -> torch.Tensor:
    """``(B, T)`` bool: the prediction at each position is right (False on PAD)."""
    if batch.task == "state":
        ok = logits.argmax(-1) == batch.targets  # (B, T)
    else:
        ok = ((logits > 0) == (batch.targets > 0.5)).all(-1)  # (B, T)
    return ok & batch.mask


def _strict_and_token(logits: torch.Tensor, batch: Batch) -> tuple[int, int, int]:
    ok = position_correct(logits, batch)  # (B, T)
    per_string = (ok | ~batch.mask).all(-1)  # (B,)
    return int(per_string.sum()), int(ok.sum()), int(batch.mask.sum())


# -------------------------------------------------------------- evaluation
@dataclass(frozen=True, kw_only=True)
class BinResult:
    """Accuracy on one length bin."""

    lo: int
    hi: int
    n: int
    strict: float
    token: float
    n_tokens: int

    @property
    def bin(self) -> LengthBin:
        return LengthBin(lo=self.lo, hi=self.hi)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, kw_only=True)
class EvalReport:
    """Per-bin strict and per-token accuracy of a model on a language."""

    language: str
    task: str
    seed: int
    bins: tuple[BinResult, ...]

    def __getitem__(self, key: LengthBin | tuple[int, int] | str) -> BinResult:
        b = LengthBin.of(key)
        for r in self.bins:
            if (r.lo, r.hi) == (b.lo, b.hi):
                return r
        raise KeyError(str(b))

    def to_dict(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "task": self.task,
            "seed": self.seed,
            "bins": [r.to_dict() for r in self.bins],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "EvalReport":
        return cls(
            language=d["language"],
            task=d["task"],
            seed=int(d["seed"]),
            bins=tuple(BinResult(**r) for r in d["bins"]),
        )

    def table(self) -> str:
        """A plain-text table: bin, strict %, token %, n."""
        rows = [("bin", "strict %", "token %", "n")]
        for r in self.bins:
            rows.append((f"{r.lo}-{r.hi}", f"{100 * r.strict:.2f}", f"{100 * r.token:.2f}", str(r.n)))
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        lines = []
        for j, row in enumerate(rows):
            cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])]
            lines.append("  ".join(cells))
            if j == 0:
                lines.append("  ".join("-" * w for w in widths))
        return "\n".join(lines)


def resolve_language(language: Any) -> tuple[str, DFA]:
    """``(name, dfa)`` of a :class:`~automata_probe.automata.languages.Language` or a DFA."""
    if isinstance(language, DFA):
        return language.name or "dfa", language
    dfa = getattr(language, "dfa", None)
    if not isinstance(dfa, DFA):
        raise DataError(f"{language!r} is neither a Language nor a DFA")
    return str(getattr(language, "name", dfa.name) or dfa.name or "language"), dfa


def _bin_rng(seed: int, b: LengthBin) -> np.random.Generator:
    return np.random.default_rng([seed, b.lo, b.hi, 0xE7A1])


def _model_device(model: torch.nn.Module) -> torch.device:
    try:
        return next(model.parameters()).device
    except StopIteration:  # pragma: no cover - parameterless model
        return torch.device("cpu")


@torch.no_grad()
def evaluate(
    model: torch.nn.Module,
    language: Any,
    bins: Sequence[LengthBin | tuple[int, int] | str],
    task: str,
    *,
    n_per_bin: int = 1000,
    seed: int = 0,
    batch_size: int = 256,
    source: str | None = None,
) -> EvalReport:
    """Strict and per-token accuracy of ``model`` on each length bin.

    Parameters
    ----------
    model
        Maps tokens ``(B, T)`` to logits ``(B, T, n_outputs)``.
    language
        A Language or a DFA; its alphabet order must be the model's tokenizer's.
    bins
        Length bins (lengths drawn uniformly among those with words).
    task
        The task the model's head predicts.
    n_per_bin
        Words per bin.
    seed
        Words of a bin depend only on ``(seed, lo, hi)``.
    batch_size
        Words per forward pass (sorted by length to limit padding).
    source
        Word source; None picks :func:`default_source`.

    Returns
    -------
    EvalReport
    """
    name, dfa = resolve_language(language)
    src = source or default_source(task)
    bins = [LengthBin.of(b) for b in bins]
    was_training = model.training
    model.eval()
    device = _model_device(model)
    results = []
    try:
        for b in bins:
            idx, lengths = sample_words(dfa, b, n_per_bin, _bin_rng(seed, b), source=src)
            order = np.argsort(lengths, kind="stable")
            strict = correct = total = 0
            for s in range(0, n_per_bin, batch_size):
                sel = order[s : s + batch_size]
                L = int(lengths[sel].max())
                batch = batch_from_indices(dfa, idx[sel, :L], lengths[sel], task).to(device)
                logits = model(batch.tokens)  # (B, T, n_out)
                _check_width(logits, dfa, task)
                s_ok, c, t = _strict_and_token(logits, batch)
                strict, correct, total = strict + s_ok, correct + c, total + t
            results.append(
                BinResult(
                    lo=b.lo,
                    hi=b.hi,
                    n=n_per_bin,
                    strict=strict / n_per_bin if n_per_bin else 0.0,
                    token=correct / total if total else 0.0,
                    n_tokens=total,
                )
            )
    finally:
        model.train(was_training)
    return EvalReport(language=name, task=task, seed=seed, bins=tuple(results))


def _check_width(logits: torch.Tensor, dfa: DFA, task: str) -> None:
    want = n_outputs(task, dfa)
    if logits.shape[-1] != want:
        raise ModelError(
            f"the model outputs {logits.shape[-1]} values per position but task {task!r} on "
            f"{dfa.name or 'this language'} needs {want}"
        )


# ------------------------------------------------------------------ train
@dataclass(frozen=True, kw_only=True, eq=False)
class TrainResult:
    """What :func:`train` returns.

    Attributes
    ----------
    model
        The trained model (train mode off).
    config
        The config with defaults resolved (lengths and bins filled in).
    steps
        Optimizer steps taken in total (including those before a resume).
    wall_time_s
        Seconds spent training (including before a resume).
    stopped
        ``"converged"``, ``"patience"``, ``"max_steps"`` or ``"interrupted"``.
    history
        One dict per validation: step, loss, strict, token, lr.
    report
        Final evaluation on the training lengths and the test bins (None when
        interrupted).
    checkpoint
        Path of the last checkpoint written, or None.
    last_checkpoint_step
        Step of that checkpoint (0 when none was written).
    """

    model: torch.nn.Module
    config: TrainConfig
    steps: int
    wall_time_s: float
    stopped: str
    history: tuple[dict[str, Any], ...]
    report: EvalReport | None
    checkpoint: Path | None
    last_checkpoint_step: int


def build_seeded_model(model_config: Any, seed: int) -> torch.nn.Module:
    """``build_model(model_config, seed=seed)``: the initialization depends on the seed only."""
    from . import build_model

    return build_model(model_config, seed=seed)


def _param_groups(model: torch.nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        leaf = name.rsplit(".", 1)[-1]
        skip = (
            p.ndim < 2
            or getattr(p, "_no_weight_decay", False)
            or leaf in ("A_log", "D")
            or "embed" in name
            or "norm" in name
        )
        (no_decay if skip else decay).append(p)
    return [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]


def _resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ModelError("device 'cuda' requested but CUDA is not available")
    return torch.device(name)


def _resolve_config(config: TrainConfig, language: Any) -> TrainConfig:
    experiment = getattr(language, "experiment", None)
    train_lengths = config.train_lengths
    if train_lengths is None:
        if experiment is None:
            raise DataError("no training lengths: pass TrainConfig.train_lengths or a Language with an experiment")
        train_lengths = tuple(experiment.train_lengths)
    test_bins = config.test_bins
    if test_bins is None:
        test_bins = tuple(tuple(b) for b in experiment.test_bins) if experiment is not None else ()
    return dataclasses.replace(config, train_lengths=train_lengths, test_bins=test_bins)


def train(
    model: torch.nn.Module,
    language: Any,
    config: TrainConfig,
    *,
    checkpoint_path: str | Path | None = None,
    resume: Checkpoint | None = None,
    progress: bool = False,
    on_eval: Callable[[int, EvalReport], None] | None = None,
) -> TrainResult:
    """Train ``model`` on ``language`` for ``config.task``.

    Parameters
    ----------
    model
        Any model mapping tokens ``(B, T)`` to ``(B, T, n_outputs)`` with
        ``n_outputs`` matching the task; build it with
        ``build_model(config, seed=...)`` for reproducible runs.
    language
        A Language (its experiment supplies default lengths) or a DFA.
    config
        Hyperparameters.
    checkpoint_path
        Where checkpoints go (every ``checkpoint_every`` steps and at the end);
        None writes none.
    resume
        A checkpoint of an earlier run of the same configuration: its weights,
        optimizer state, step, RNG states and counters are restored and
        training continues from the next step.
    progress
        Show a tqdm progress bar (loss, validation accuracy, tokens/s).
    on_eval
        Called with ``(step, report)`` after each validation.

    Returns
    -------
    TrainResult
        A Ctrl-C during training returns with ``stopped="interrupted"``; the
        last checkpoint on disk is left as it was (writes are atomic).
    """
    name, dfa = resolve_language(language)
    config = _resolve_config(config, language)
    train_bin = LengthBin.of(config.train_lengths)
    val_bin = LengthBin.of(config.val_lengths) if config.val_lengths is not None else train_bin
    test_bins = [LengthBin.of(b) for b in config.test_bins]
    check_bins(train_bin, test_bins, allow_overlap=config.allow_overlap)
    from ..data import lengths_with_words

    for b in [train_bin, val_bin, *test_bins]:
        if config.word_source == "uniform":
            continue
        lengths_with_words(dfa, b)  # raises DataError naming the bin
    want = n_outputs(config.task, dfa)
    model_cfg = getattr(model, "config", None)
    if model_cfg is not None and getattr(model_cfg, "n_outputs", want) != want:
        raise ModelError(
            f"the model has {model_cfg.n_outputs} outputs but task {config.task!r} on {name} needs {want}"
        )
    from ..data import Tokenizer

    vocab = Tokenizer(alphabet=dfa.alphabet).vocab_size
    if model_cfg is not None and getattr(model_cfg, "vocab_size", vocab) < vocab:
        raise ModelError(f"the model reads {model_cfg.vocab_size} token ids but {name} needs {vocab}")

    device = _resolve_device(config.device)
    model.to(device)
    optimizer = torch.optim.AdamW(_param_groups(model, config.weight_decay), lr=config.lr)
    data_rng = np.random.default_rng([config.seed, 0xDA7A])
    step = 0
    elapsed = 0.0
    history: list[dict[str, Any]] = []
    perfect_streak = 0
    best_strict = -1.0
    evals_since_best = 0
    if resume is None:
        torch.manual_seed(config.seed)
    else:
        step, elapsed, history, perfect_streak, best_strict, evals_since_best = _restore(
            resume, model, optimizer, data_rng, config, name, dfa
        )
    last_ckpt: Path | None = None
    last_ckpt_step = 0
    src = config.word_source
    old_threads = torch.get_num_threads()
    if config.threads is not None:
        torch.set_num_threads(config.threads)
    # deterministic kernels where torch has them; warn (not fail) where it has none
    old_det = (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled())
    torch.use_deterministic_algorithms(True, warn_only=True)

    def checkpoint(metrics: Mapping[str, Any] | None = None) -> None:
        nonlocal last_ckpt, last_ckpt_step
        if checkpoint_path is None:
            return
        last_ckpt = save_checkpoint(
            checkpoint_path,
            model=model,
            language_name=name,
            alphabet=dfa.alphabet,
            dfa=dfa,
            task=config.task,
            train_config=config.to_dict(),
            metadata={"steps": step, "wall_time_s": elapsed, "seed": config.seed},
            metrics=metrics if metrics is not None else (history[-1] if history else {}),
            optimizer_state=optimizer.state_dict(),
            training_state={
                "step": step,
                "wall_time_s": elapsed,
                "torch_rng": torch.get_rng_state(),
                "numpy_rng": data_rng.bit_generator.state,
                "history": list(history),
                "perfect_streak": perfect_streak,
                "best_strict": best_strict,
                "evals_since_best": evals_since_best,
            },
        )
        last_ckpt_step = step

    bar = None
    postfix: dict[str, str] = {}
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=config.max_steps, initial=step, desc=f"train {name}", unit="step", dynamic_ncols=True)
    stopped = "max_steps"
    model.train()
    t_window, tok_window = time.perf_counter(), 0
    try:
        try:
            while step < config.max_steps:
                t0 = time.perf_counter()
                batch = sample_batch(dfa, train_bin, config.batch_size, config.task, data_rng, source=src).to(device)
                lr = lr_at(step + 1, config)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                logits = model(batch.tokens)  # (B, T, n_out)
                loss = task_loss(logits, batch)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if config.grad_clip is not None:
                    torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
                optimizer.step()
                step += 1
                elapsed += time.perf_counter() - t0
                tok_window += batch.n_positions
                loss_value = float(loss.detach())
                if not math.isfinite(loss_value):
                    raise ModelError(f"training diverged: loss is {loss_value} at step {step} (try a lower lr)")
                if bar is not None:
                    now = time.perf_counter()
                    if now - t_window > 0.5 or step == 1:
                        postfix["loss"] = f"{loss_value:.4f}"
                        postfix["tok/s"] = f"{tok_window / max(now - t_window, 1e-9):,.0f}"
                        bar.set_postfix(postfix, refresh=False)
                        t_window, tok_window = now, 0
                    bar.update(1)
                if step % config.eval_every == 0 or step == config.max_steps:
                    t1 = time.perf_counter()
                    rep = evaluate(model, dfa, [val_bin], config.task, n_per_bin=config.eval_n,
                                   seed=config.seed + 1, source=src)
                    elapsed += time.perf_counter() - t1
                    r = rep.bins[0]
                    history.append({"step": step, "loss": loss_value, "lr": lr, "val_strict": r.strict,
                                    "val_token": r.token})
                    log.info("step %d loss %.5f val strict %.4f token %.4f", step, loss_value, r.strict, r.token)
                    if bar is not None:
                        postfix["val strict"] = f"{100 * r.strict:.1f}%"
                        postfix["val token"] = f"{100 * r.token:.2f}%"
                        bar.set_postfix(postfix)
                    if on_eval is not None:
                        on_eval(step, rep)
                    perfect_streak = perfect_streak + 1 if r.strict == 1.0 else 0
                    if r.strict > best_strict:
                        best_strict, evals_since_best = r.strict, 0
                    else:
                        evals_since_best += 1
                    if config.early_stop_evals is not None and perfect_streak >= config.early_stop_evals:
                        stopped = "converged"
                    elif config.patience is not None and evals_since_best >= config.patience:
                        stopped = "patience"
                if config.checkpoint_every is not None and step % config.checkpoint_every == 0 and stopped == "max_steps":
                    checkpoint()
                if stopped != "max_steps":
                    break
        except KeyboardInterrupt:
            stopped = "interrupted"
            log.warning("interrupted at step %d; last checkpoint at step %d", step, last_ckpt_step)
        finally:
            if bar is not None:
                bar.close()
        report = None
        if stopped != "interrupted":
            report = evaluate(model, dfa, [train_bin, *test_bins], config.task, n_per_bin=config.final_eval_n,
                              seed=config.seed + 2, source=src)
            checkpoint(report.to_dict())
    finally:
        if config.threads is not None:
            torch.set_num_threads(old_threads)
        torch.use_deterministic_algorithms(old_det[0], warn_only=old_det[1])
    model.eval()
    return TrainResult(
        model=model,
        config=config,
        steps=step,
        wall_time_s=elapsed,
        stopped=stopped,
        history=tuple(history),
        report=report,
        checkpoint=last_ckpt,
        last_checkpoint_step=last_ckpt_step,
    )


def _restore(
    ckpt: Checkpoint,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    data_rng: np.random.Generator,
    config: TrainConfig,
    name: str,
    dfa: DFA,
) -> tuple[int, float, list[dict[str, Any]], int, float, int]:
    if ckpt.training_state is None or ckpt.optimizer_state is None:
        raise CheckpointError(f"checkpoint {ckpt.path} has no optimizer/training state to resume from")
    if tuple(ckpt.alphabet) != tuple(dfa.alphabet):
        raise AlphabetError(
            f"checkpoint {ckpt.path} was trained on alphabet {{{', '.join(ckpt.alphabet)}}}, "
            f"{name} has {{{', '.join(dfa.alphabet)}}}"
        )
    if ckpt.task != config.task:
        raise CheckpointError(f"checkpoint {ckpt.path} was trained for task {ckpt.task!r}, not {config.task!r}")
    try:
        model.load_state_dict(ckpt.state_dict, strict=True)
        optimizer.load_state_dict(ckpt.optimizer_state)
    except (RuntimeError, ValueError, KeyError) as e:
        raise CheckpointError(f"checkpoint {ckpt.path} does not fit this model: {str(e).splitlines()[0]}") from None
    st = ckpt.training_state
    try:
        torch.set_rng_state(st["torch_rng"])
        data_rng.bit_generator.state = st["numpy_rng"]
        return (
            int(st["step"]),
            float(st["wall_time_s"]),
            list(st["history"]),
            int(st["perfect_streak"]),
            float(st["best_strict"]),
            int(st["evals_since_best"]),
        )
    except (KeyError, TypeError, ValueError) as e:
        raise CheckpointError(f"checkpoint {ckpt.path} has an unreadable training state: {e}") from None
