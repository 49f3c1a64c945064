"""Evaluation: strict and per-token accuracy of a model per length bin.

*Strict* accuracy counts a word only if every position is right (the papers'
metric). The words of a bin depend only on ``(seed, source, n, lo, hi)``, so
the same settings always draw the same words. Training validates with seed
``seed + 1`` (:func:`validation_seed`) and writes its final table with seed
``seed + 2`` (:func:`final_table_seed`); ``automata-probe evaluate`` defaults to
the words of that final table (:func:`final_table_words`), so it reproduces the
checkpoint's stored figures.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import torch

from ..automata.dfa import DFA
from ..automata.language import Language, language_and_dfa
from ..data import SOURCES, Batch, LengthBin, batch_from_indices, default_source, n_outputs, sample_words, stored_source
from ..errors import DataError, ModelError

__all__ = [
    "BinResult",
    "EvalReport",
    "EvalWords",
    "evaluate",
    "position_correct",
    "eval_words",
    "final_table_seed",
    "final_table_words",
    "validation_seed",
]


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


# ------------------------------------------------------------------- words
def validation_seed(seed: int) -> int:
    """Seed of training's validation words for a run with seed ``seed``."""
    return seed + 1


def final_table_seed(seed: int) -> int:
    """Seed of the words of training's final table (the checkpoint's metrics)."""
    return seed + 2


@dataclass(frozen=True, kw_only=True)
class EvalWords:
    """Which words an evaluation draws: seed, word source and words per bin.

    With the same language and bin, the same three draw the same words.
    """

    seed: int
    source: str
    n: int

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise DataError(f"unknown word source {self.source!r}; expected one of {', '.join(SOURCES)}")
        for name in ("seed", "n"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < (1 if name == "n" else 0):
                raise DataError(f"{name} must be a {'positive' if name == 'n' else 'non-negative'} integer, got {v!r}")

    def describe(self) -> str:
        """``"seed 2, source language, 1000 per bin"``."""
        return f"seed {self.seed}, source {self.source}, {self.n} per bin"


def final_table_words(train_config: Mapping[str, Any], metrics: Mapping[str, Any], task: str) -> EvalWords | None:
    """The words of a checkpoint's final table, from what the checkpoint stores.

    Parameters
    ----------
    train_config, metrics
        The checkpoint's ``train_config`` and ``metrics`` dicts.
    task
        The checkpoint's task (fixes the default word source).

    Returns
    -------
    EvalWords or None
        The seed, source and n of the stored final table when ``metrics`` is
        one (older reports lack the source: it is the training source);
        otherwise what training's final table would use (a run interrupted
        before it); None when the checkpoint was not trained here.
    """
    source = stored_source(train_config.get("source"), task)
    if "bins" in metrics and "seed" in metrics and metrics["bins"]:
        return EvalWords(seed=int(metrics["seed"]), source=str(metrics.get("source") or source),
                         n=int(metrics["bins"][0]["n"]))
    if "seed" in train_config:
        return EvalWords(seed=final_table_seed(int(train_config["seed"])), source=source,
                         n=int(train_config.get("final_eval_n", 1000)))
    return None


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
    """Per-bin strict and per-token accuracy of a model on a language.

    ``seed`` and ``source`` say which words were drawn (``source`` is None in
    reports stored before it was recorded).
    """

    language: str
    task: str
    seed: int
    bins: tuple[BinResult, ...]
    source: str | None = None

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
            "source": self.source,
            "bins": [r.to_dict() for r in self.bins],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "EvalReport":
        return cls(
            language=d["language"],
            task=d["task"],
            seed=int(d["seed"]),
            bins=tuple(BinResult(**r) for r in d["bins"]),
            source=d.get("source"),
        )

    @property
    def words(self) -> EvalWords | None:
        """The seed, source and n of the words (None if the source was not recorded
        or the bins drew different numbers of words)."""
        ns = {r.n for r in self.bins}
        if self.source is None or len(ns) != 1:
            return None
        return EvalWords(seed=self.seed, source=self.source, n=ns.pop())

    def words_line(self) -> str:
        """One line naming the words: ``"words: seed 2, source language, 1000 per bin"``."""
        w = self.words
        if w is not None:
            return f"words: {w.describe()}"
        ns = sorted({r.n for r in self.bins})
        return f"words: seed {self.seed}, source {self.source or 'not recorded'}, {'/'.join(map(str, ns))} per bin"

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


def eval_words(dfa: DFA, b: LengthBin, n: int, *, seed: int, source: str) -> tuple[np.ndarray, np.ndarray]:
    """The ``n`` evaluation words of bin ``b``: ``(indices, lengths)``, fixed by ``(seed, source, n, lo, hi)``."""
    return sample_words(dfa, b, n, np.random.default_rng([seed, b.lo, b.hi, 0xE7A1]), source=source)


def _model_device(model: torch.nn.Module) -> torch.device:
    try:
        return next(model.parameters()).device
    except StopIteration:  # pragma: no cover - parameterless model
        return torch.device("cpu")


@torch.no_grad()
def evaluate(
    model: torch.nn.Module,
    language: Language | DFA,
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
    name, dfa = language_and_dfa(language)
    src = source or default_source(task)
    bins = [LengthBin.of(b) for b in bins]
    was_training = model.training
    model.eval()
    device = _model_device(model)
    results = []
    try:
        for b in bins:
            idx, lengths = eval_words(dfa, b, n_per_bin, seed=seed, source=src)
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
    return EvalReport(language=name, task=task, seed=seed, bins=tuple(results), source=src)


def _check_width(logits: torch.Tensor, dfa: DFA, task: str) -> None:
    want = n_outputs(task, dfa)
    if logits.shape[-1] != want:
        raise ModelError(
            f"the model outputs {logits.shape[-1]} values per position but task {task!r} on "
            f"{dfa.name or 'this language'} needs {want}"
        )
