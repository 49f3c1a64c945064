"""Token ids and the one place where words become model inputs.

Alignment (the convention every other module relies on)::

    word          w1 w2 ... wL                      (L letters)
    tokens        BOS w1 w2 ... wL                  (L + 1 positions, t = 0..L)
    states        q0  q1 q2 ... qL                  q_t = delta*(q0, w1..wt)
    output t      sees tokens[0..t], predicts from q_t

so the model's output at position ``t`` is read against the DFA state after
the first ``t`` letters; the empty word has tokens ``[BOS]`` and states ``[q0]``.
:func:`tokens_from_indices` builds the padded token matrix for a batch of
words; :func:`pad_words` turns words into the letter-index matrix it reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Iterable, Sequence

import numpy as np

from ..automata.dfa import DFA
from ..automata.words import Word, split_word
from ..errors import AlphabetError, DataError

__all__ = ["Tokenizer", "pad_words", "tokens_from_indices", "check_indices"]


@dataclass(frozen=True, kw_only=True)
class Tokenizer:
    """Token ids: ``PAD = 0``, ``BOS = 1``, letter ``alphabet[i]`` is ``2 + i``.

    Parameters
    ----------
    alphabet
        Ordered letters (the DFA's alphabet order).
    """

    alphabet: tuple[str, ...]

    PAD: ClassVar[int] = 0
    BOS: ClassVar[int] = 1
    OFFSET: ClassVar[int] = 2

    def __post_init__(self) -> None:
        letters = tuple(self.alphabet)
        if not letters:
            raise AlphabetError("the tokenizer's alphabet is empty")
        if len(set(letters)) != len(letters):
            raise AlphabetError(f"the tokenizer's alphabet {letters} repeats a letter")
        object.__setattr__(self, "alphabet", letters)

    @classmethod
    def for_dfa(cls, dfa: DFA) -> "Tokenizer":
        return cls(alphabet=dfa.alphabet)

    @property
    def vocab_size(self) -> int:
        """``len(alphabet) + 2`` (PAD and BOS included)."""
        return len(self.alphabet) + self.OFFSET

    def encode(self, word: Word) -> np.ndarray:
        """Model input for one word: ``[BOS, w1 + 2, ..., wL + 2]`` (length L + 1)."""
        letters = split_word(word, self.alphabet)
        index = {a: i for i, a in enumerate(self.alphabet)}
        out = np.empty(len(letters) + 1, dtype=np.int64)
        out[0] = self.BOS
        for t, a in enumerate(letters):
            try:
                out[t + 1] = index[a] + self.OFFSET
            except KeyError:
                raise AlphabetError(
                    f"letter {a!r} at position {t} is not in the alphabet {{{', '.join(self.alphabet)}}}"
                ) from None
        return out

    def decode(self, tokens: Iterable[int]) -> tuple[str, ...]:
        """Letters of a token sequence; BOS and PAD are skipped."""
        out = []
        for tok in tokens:
            tok = int(tok)
            if tok in (self.PAD, self.BOS):
                continue
            i = tok - self.OFFSET
            if not 0 <= i < len(self.alphabet):
                raise AlphabetError(f"token id {tok} is outside the vocabulary of size {self.vocab_size}")
            out.append(self.alphabet[i])
        return tuple(out)


def pad_words(encoded: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Letter-index arrays of several words as one ``(B, Lmax)`` matrix (0 past
    each word's end) and their ``(B,)`` lengths."""
    lengths = np.asarray([len(e) for e in encoded], dtype=np.int64)
    indices = np.zeros((len(encoded), int(lengths.max(initial=0))), dtype=np.int64)
    for i, e in enumerate(encoded):
        indices[i, : len(e)] = e
    return indices, lengths


def check_indices(indices: np.ndarray, lengths: np.ndarray, k: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(indices, lengths)`` as int64 arrays, checked: ``(B, Lmax)`` and ``(B,)``,
    lengths in ``0..Lmax`` and (given ``k``) letters in ``0..k-1`` inside each word."""
    idx = np.asarray(indices, dtype=np.int64)
    lengths = np.asarray(lengths, dtype=np.int64)
    if idx.ndim != 2 or lengths.shape != (idx.shape[0],):
        raise DataError(f"letter indices {idx.shape} and lengths {lengths.shape} do not describe words")
    if lengths.size and (lengths.min() < 0 or lengths.max() > idx.shape[1]):
        raise DataError(f"word lengths must lie in 0..{idx.shape[1]}")
    if k is not None and idx.size:
        real = np.arange(idx.shape[1])[None, :] < lengths[:, None]
        if ((idx < 0) | (idx >= k))[real].any():
            raise DataError(f"letter index outside 0..{k - 1}")
    return idx, lengths


def tokens_from_indices(indices: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Model inputs for a batch of words given as letter indices.

    Returns ``tokens`` ``(B, T)`` with ``T = max L + 1``: ``[BOS, w1 + 2, ...,
    wL + 2, PAD, ...]``, and ``mask`` ``(B, T)``, True on the ``L + 1`` real
    positions. Letters past a word's length are ignored.
    """
    idx, lengths = check_indices(indices, lengths)
    B = idx.shape[0]
    T = int(lengths.max(initial=0)) + 1
    mask = np.arange(T)[None, :] <= lengths[:, None]  # (B, T): positions 0..L
    tokens = np.full((B, T), Tokenizer.PAD, dtype=np.int64)  # (B, T)
    tokens[:, 0] = Tokenizer.BOS
    tokens[:, 1:] = np.where(mask[:, 1:], idx[:, : T - 1] + Tokenizer.OFFSET, Tokenizer.PAD)
    return tokens, mask
