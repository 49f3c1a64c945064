"""One training loop for every architecture.

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

Validation and the final table use :func:`~automata_probe.models.evaluation.evaluate`.

Reproducibility: with the same seed, thread count and device, a CPU run gives
identical weights and metrics (torch's deterministic-algorithms mode is on,
warn-only, for the duration of :func:`train`).

Words are drawn uniformly among the language's words of a uniformly drawn
length (``source='language'``, as Sarrof et al.: positive strings with
per-prefix targets) for ``next``; ``member`` mixes those with uniform words
(``source='mixed'``) so that rejected prefixes and the dead state appear;
``state`` draws uniform words (Merrill et al.'s word problems).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import numpy as np
import torch
import torch.nn.functional as F

from ..automata.dfa import DFA
from ..automata.language import Language, language_and_dfa
from ..data import SOURCES, TASKS, Batch, LengthBin, Tokenizer, check_bins, default_source, lengths_with_words
from ..data import n_outputs, sample_batch
from ..errors import AlphabetError, CheckpointError, DataError, ModelError
from ..progress import Progress
from .checkpoint import Checkpoint, interrupts_deferred, save_checkpoint
from .evaluation import EvalReport, evaluate, final_table_seed, validation_seed

__all__ = ["TrainConfig", "TrainResult", "train", "task_loss", "lr_at", "STOP_REASONS"]

log = logging.getLogger(__name__)

STOP_REASONS = ("converged", "patience", "max_steps", "interrupted")


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


def _resolve_config(config: TrainConfig, language: Language | DFA) -> TrainConfig:
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


@dataclass
class _Progress:
    """What a checkpoint must hold to resume exactly where training stopped."""

    step: int = 0
    wall_time_s: float = 0.0
    history: list[dict[str, Any]] = field(default_factory=list)
    perfect_streak: int = 0
    best_strict: float = -1.0
    evals_since_best: int = 0

    def record(self, entry: dict[str, Any], config: TrainConfig) -> str | None:
        """Add one validation; the stop reason it triggers, or None."""
        self.history.append(entry)
        strict = entry["val_strict"]
        self.perfect_streak = self.perfect_streak + 1 if strict == 1.0 else 0
        if strict > self.best_strict:
            self.best_strict, self.evals_since_best = strict, 0
        else:
            self.evals_since_best += 1
        if config.early_stop_evals is not None and self.perfect_streak >= config.early_stop_evals:
            return "converged"
        if config.patience is not None and self.evals_since_best >= config.patience:
            return "patience"
        return None

    def to_state(self, data_rng: np.random.Generator) -> dict[str, Any]:
        return {
            "step": self.step,
            "wall_time_s": self.wall_time_s,
            "torch_rng": torch.get_rng_state(),
            "numpy_rng": data_rng.bit_generator.state,
            "history": list(self.history),
            "perfect_streak": self.perfect_streak,
            "best_strict": self.best_strict,
            "evals_since_best": self.evals_since_best,
        }

    @classmethod
    def from_state(cls, st: Mapping[str, Any], data_rng: np.random.Generator, where: str) -> "_Progress":
        try:
            torch.set_rng_state(st["torch_rng"])
            data_rng.bit_generator.state = st["numpy_rng"]
            return cls(
                step=int(st["step"]),
                wall_time_s=float(st["wall_time_s"]),
                history=list(st["history"]),
                perfect_streak=int(st["perfect_streak"]),
                best_strict=float(st["best_strict"]),
                evals_since_best=int(st["evals_since_best"]),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise CheckpointError(f"checkpoint {where} has an unreadable training state: {e}") from None


@dataclass(frozen=True)
class _Bins:
    train: LengthBin
    val: LengthBin
    test: tuple[LengthBin, ...]


def _check_lengths(config: TrainConfig, dfa: DFA) -> _Bins:
    """The bins of a resolved config, checked: no test bin overlaps training
    (unless allowed) and every bin has words to draw."""
    train_bin = LengthBin.of(config.train_lengths)
    val_bin = LengthBin.of(config.val_lengths) if config.val_lengths is not None else train_bin
    test_bins = tuple(LengthBin.of(b) for b in config.test_bins)
    check_bins(train_bin, test_bins, allow_overlap=config.allow_overlap)
    if config.word_source != "uniform":
        for b in [train_bin, val_bin, *test_bins]:
            lengths_with_words(dfa, b)  # raises DataError naming the bin
    return _Bins(train=train_bin, val=val_bin, test=test_bins)


def _check_model_fits(model: torch.nn.Module, task: str, name: str, dfa: DFA) -> None:
    """The model's head and vocabulary fit the task on this language."""
    want = n_outputs(task, dfa)
    model_cfg = getattr(model, "config", None)
    if model_cfg is not None and getattr(model_cfg, "n_outputs", want) != want:
        raise ModelError(f"the model has {model_cfg.n_outputs} outputs but task {task!r} on {name} needs {want}")
    vocab = Tokenizer(alphabet=dfa.alphabet).vocab_size
    if model_cfg is not None and getattr(model_cfg, "vocab_size", vocab) < vocab:
        raise ModelError(f"the model reads {model_cfg.vocab_size} token ids but {name} needs {vocab}")


@contextlib.contextmanager
def _torch_settings(threads: int | None) -> Iterator[None]:
    """Thread count and deterministic kernels for the run, restored afterwards.

    Deterministic kernels where torch has them; warn (not fail) where it has none.
    """
    old_threads = torch.get_num_threads()
    old_det = (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled())
    if threads is not None:
        torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        if threads is not None:
            torch.set_num_threads(old_threads)
        torch.use_deterministic_algorithms(old_det[0], warn_only=old_det[1])


class _Run:
    """One call of :func:`train`: the model, its optimizer, the data stream and
    the checkpoints, with one method per step of the loop."""

    def __init__(self, model: torch.nn.Module, name: str, dfa: DFA, config: TrainConfig,
                 checkpoint_path: str | Path | None) -> None:
        self.model, self.name, self.dfa, self.config = model, name, dfa, config
        self.device = _resolve_device(config.device)
        model.to(self.device)
        self.optimizer = torch.optim.AdamW(_param_groups(model, config.weight_decay), lr=config.lr)
        self.data_rng = np.random.default_rng([config.seed, 0xDA7A])
        self.progress = _Progress()
        self.checkpoint_path = checkpoint_path
        self.last_checkpoint: Path | None = None
        self.last_checkpoint_step = 0

    def restore(self, ckpt: Checkpoint) -> None:
        """Weights, optimizer, RNG states and counters of an earlier run of this configuration."""
        if ckpt.training_state is None or ckpt.optimizer_state is None:
            raise CheckpointError(f"checkpoint {ckpt.path} has no optimizer/training state to resume from")
        if tuple(ckpt.alphabet) != tuple(self.dfa.alphabet):
            raise AlphabetError(
                f"checkpoint {ckpt.path} was trained on alphabet {{{', '.join(ckpt.alphabet)}}}, "
                f"{self.name} has {{{', '.join(self.dfa.alphabet)}}}"
            )
        if ckpt.task != self.config.task:
            raise CheckpointError(
                f"checkpoint {ckpt.path} was trained for task {ckpt.task!r}, not {self.config.task!r}"
            )
        try:
            self.model.load_state_dict(ckpt.state_dict, strict=True)
            self.optimizer.load_state_dict(ckpt.optimizer_state)
        except (RuntimeError, ValueError, KeyError) as e:
            first = str(e).splitlines()[0]
            raise CheckpointError(f"checkpoint {ckpt.path} does not fit this model: {first}") from None
        self.progress = _Progress.from_state(ckpt.training_state, self.data_rng, ckpt.path)

    def save(self, metrics: Mapping[str, Any] | None = None) -> None:
        """Write a checkpoint (nothing without a checkpoint path)."""
        if self.checkpoint_path is None:
            return
        p = self.progress
        with interrupts_deferred():  # Ctrl-C waits for the file and the step it records
            self._save(p, metrics)

    def _save(self, p: "_Progress", metrics: Mapping[str, Any] | None) -> None:
        self.last_checkpoint = save_checkpoint(
            self.checkpoint_path,
            model=self.model,
            language_name=self.name,
            alphabet=self.dfa.alphabet,
            dfa=self.dfa,
            task=self.config.task,
            train_config={**self.config.to_dict(), "source": self.config.word_source},  # resolved: defaults change
            metadata={"steps": p.step, "wall_time_s": p.wall_time_s, "seed": self.config.seed},
            metrics=metrics if metrics is not None else (p.history[-1] if p.history else {}),
            optimizer_state=self.optimizer.state_dict(),
            training_state=p.to_state(self.data_rng),
        )
        self.last_checkpoint_step = p.step

    def step(self, train_bin: LengthBin) -> tuple[float, float, int]:
        """One optimizer step on a fresh batch: ``(loss, lr, positions)``."""
        config = self.config
        t0 = time.perf_counter()
        batch = sample_batch(self.dfa, train_bin, config.batch_size, config.task, self.data_rng,
                             source=config.word_source).to(self.device)
        lr = lr_at(self.progress.step + 1, config)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        logits = self.model(batch.tokens)  # (B, T, n_out)
        loss = task_loss(logits, batch)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if config.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), config.grad_clip)
        self.optimizer.step()
        self.progress.step += 1
        self.progress.wall_time_s += time.perf_counter() - t0
        value = float(loss.detach())
        if not math.isfinite(value):
            raise ModelError(f"training diverged: loss is {value} at step {self.progress.step} (try a lower lr)")
        return value, lr, batch.n_positions

    def validate(self, val_bin: LengthBin, loss: float, lr: float) -> tuple[EvalReport, str | None]:
        """Strict accuracy on the validation bin; the stop reason it triggers, or None."""
        config = self.config
        t1 = time.perf_counter()
        rep = evaluate(self.model, self.dfa, [val_bin], config.task, n_per_bin=config.eval_n,
                       seed=validation_seed(config.seed), source=config.word_source)
        self.progress.wall_time_s += time.perf_counter() - t1
        r = rep.bins[0]
        entry = {"step": self.progress.step, "loss": loss, "lr": lr, "val_strict": r.strict, "val_token": r.token}
        log.info("step %d loss %.5f val strict %.4f token %.4f", self.progress.step, loss, r.strict, r.token)
        return rep, self.progress.record(entry, config)

    def loop(self, bins: _Bins, bar: "_Bar", on_eval: Callable[[int, EvalReport], None] | None) -> str:
        """Steps until the budget, early stop or Ctrl-C; returns the stop reason."""
        config = self.config
        try:
            while self.progress.step < config.max_steps:
                loss, lr, positions = self.step(bins.train)
                step = self.progress.step
                bar.on_step(step, loss, positions)
                stopped = None
                if step % config.eval_every == 0 or step == config.max_steps:
                    rep, stopped = self.validate(bins.val, loss, lr)
                    bar.on_eval(rep.bins[0])
                    if on_eval is not None:
                        on_eval(step, rep)
                if stopped is not None:
                    return stopped
                if config.checkpoint_every is not None and step % config.checkpoint_every == 0:
                    self.save()
            return "max_steps"
        except KeyboardInterrupt:
            log.warning("interrupted at step %d; last checkpoint at step %d", self.progress.step,
                        self.last_checkpoint_step)
            return "interrupted"
        finally:
            bar.close()

    def final_report(self, bins: _Bins) -> EvalReport:
        """Evaluate on the training lengths and the test bins, and write the last checkpoint."""
        config = self.config
        report = evaluate(self.model, self.dfa, [bins.train, *bins.test], config.task,
                          n_per_bin=config.final_eval_n, seed=final_table_seed(config.seed),
                          source=config.word_source)
        self.save(report.to_dict())
        return report


class _Bar:
    """The progress of a run (loss, validation accuracy, tokens/s): a bar on a
    terminal, a line every 5% in a log (:class:`~automata_probe.progress.Progress`)."""

    def __init__(self, enabled: bool, total: int, initial: int, name: str) -> None:
        self.bar = Progress(total, initial=initial, desc=f"train {name}", unit="step") if enabled else None
        self.t_window, self.tok_window = time.perf_counter(), 0

    def on_step(self, step: int, loss: float, positions: int) -> None:
        if self.bar is None:
            return
        self.tok_window += positions
        now = time.perf_counter()
        if now - self.t_window > 0.5 or step == 1:
            tok_s = self.tok_window / max(now - self.t_window, 1e-9)
            self.bar.set_postfix({"loss": f"{loss:.4f}", "tok/s": f"{tok_s:,.0f}"})
            self.t_window, self.tok_window = now, 0
        self.bar.update(1)

    def on_eval(self, r: Any) -> None:
        if self.bar is not None:
            self.bar.set_postfix({"val strict": f"{100 * r.strict:.1f}%", "val token": f"{100 * r.token:.2f}%"})

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def train(
    model: torch.nn.Module,
    language: Language | DFA,
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
        Show progress (loss, validation accuracy, tokens/s): a bar on a terminal,
        a line every 5% when stderr is a file or a pipe.
    on_eval
        Called with ``(step, report)`` after each validation.

    Returns
    -------
    TrainResult
        A Ctrl-C during training returns with ``stopped="interrupted"``; the
        last checkpoint on disk is left as it was (writes are atomic).
    """
    name, dfa = language_and_dfa(language)
    config = _resolve_config(config, language)
    bins = _check_lengths(config, dfa)
    _check_model_fits(model, config.task, name, dfa)
    run = _Run(model, name, dfa, config, checkpoint_path)
    if resume is None:
        torch.manual_seed(config.seed)
    else:
        run.restore(resume)
    with _torch_settings(config.threads):
        model.train()
        bar = _Bar(progress, config.max_steps, run.progress.step, name)
        stopped = run.loop(bins, bar, on_eval)
        report = None if stopped == "interrupted" else run.final_report(bins)
    model.eval()
    return TrainResult(
        model=model,
        config=config,
        steps=run.progress.step,
        wall_time_s=run.progress.wall_time_s,
        stopped=stopped,
        history=tuple(run.progress.history),
        report=report,
        checkpoint=run.last_checkpoint,
        last_checkpoint_step=run.last_checkpoint_step,
    )
