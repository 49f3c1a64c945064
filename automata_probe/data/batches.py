"""Batches: model inputs and per-position labels for ``B`` words, right-padded.

:func:`batch_from_indices` aligns tokens with DFA states (see
:mod:`automata_probe.data.tokens` for the convention); the other builders go
through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np

from ..automata.dfa import DFA
from ..automata.words import Word, format_word
from ..errors import DataError
from .lengths import LengthBin
from .sampling import RNGLike, sample_words
from .targets import check_task, targets_from_states
from .tokens import Tokenizer, check_indices, pad_words, tokens_from_indices

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = ["Batch", "batch_from_indices", "batch_from_words", "sample_batch", "words_of_batch"]


@dataclass(frozen=True, kw_only=True, eq=False)
class Batch:
    """Model inputs and per-position labels for ``B`` words, right-padded.

    Attributes
    ----------
    tokens
        ``(B, T)`` long, ``T = max L + 1``: ``[BOS, w1+2, ..., wL+2, PAD...]``.
    mask
        ``(B, T)`` bool, True on the ``L + 1`` real positions (PAD excluded).
    states
        ``(B, T)`` long, ``q_t`` at position ``t``; ``-1`` on padding.
    targets
        ``next``: ``(B, T, k+1)`` float; ``member``: ``(B, T, 1)`` float;
        ``state``: ``(B, T)`` long (``-1`` on padding).
    lengths
        ``(B,)`` long word lengths ``L``.
    task
        The task the targets are for.
    """

    tokens: "torch.Tensor"
    mask: "torch.Tensor"
    states: "torch.Tensor"
    targets: "torch.Tensor"
    lengths: "torch.Tensor"
    task: str

    def __post_init__(self) -> None:
        check_task(self.task)
        if self.tokens.shape != self.mask.shape or self.tokens.shape != self.states.shape:
            raise DataError(
                f"batch shapes differ: tokens {tuple(self.tokens.shape)}, mask {tuple(self.mask.shape)}, "
                f"states {tuple(self.states.shape)}"
            )

    @property
    def size(self) -> int:
        return int(self.tokens.shape[0])

    @property
    def n_positions(self) -> int:
        """Real (non-PAD) positions in the batch."""
        return int(self.mask.sum())

    def to(self, device: "torch.device | str") -> "Batch":
        return Batch(
            tokens=self.tokens.to(device),
            mask=self.mask.to(device),
            states=self.states.to(device),
            targets=self.targets.to(device),
            lengths=self.lengths.to(device),
            task=self.task,
        )


def batch_from_indices(dfa: DFA, indices: np.ndarray, lengths: np.ndarray, task: str) -> Batch:
    """Build a :class:`Batch` from letter indices: the one place that aligns
    tokens with DFA states.

    Parameters
    ----------
    indices
        ``(B, Lmax)`` letter indices (entries past a word's length are ignored).
    lengths
        ``(B,)`` word lengths.
    task
        One of :data:`TASKS`.
    """
    import torch

    check_task(task)
    idx, lengths = check_indices(indices, lengths)
    try:
        check_indices(idx, lengths, dfa.n_letters)
    except DataError:
        raise DataError(f"letter index outside 0..{dfa.n_letters - 1} in a batch for {dfa.name or 'the DFA'}") from None
    tokens, mask = tokens_from_indices(idx, lengths)  # (B, T) each
    T = tokens.shape[1]
    safe = np.where(mask[:, 1:], idx[:, : T - 1], 0)
    states = dfa.run_indices(safe) if idx.shape[0] else np.zeros((0, T), dtype=np.int64)  # (B, T): q_0..q_{T-1}
    states = np.where(mask, states, -1)
    targets = targets_from_states(dfa, states, task)
    return Batch(
        tokens=torch.from_numpy(tokens),
        mask=torch.from_numpy(mask),
        states=torch.from_numpy(states),
        targets=torch.from_numpy(targets),
        lengths=torch.from_numpy(lengths.copy()),
        task=task,
    )


def batch_from_words(dfa: DFA, words: Sequence[Word], task: str) -> Batch:
    """Build a :class:`Batch` from words (strings or letter sequences)."""
    idx, lengths = pad_words([dfa.encode(w) for w in words])
    return batch_from_indices(dfa, idx, lengths, task)


def sample_batch(
    dfa: DFA,
    bin: LengthBin | Sequence[int] | str,
    n: int,
    task: str,
    rng: RNGLike,
    *,
    source: str = "language",
) -> Batch:
    """Sample ``n`` words (see :func:`sample_words`) and build their batch."""
    idx, lengths = sample_words(dfa, bin, n, rng, source=source)
    return batch_from_indices(dfa, idx, lengths, task)


def words_of_batch(dfa: DFA, batch: Batch) -> list[str]:
    """Readable words of a batch (for logs and error messages)."""
    tok = Tokenizer.for_dfa(dfa)
    return [format_word(tok.decode(row.tolist()), dfa.alphabet) for row in batch.tokens]
