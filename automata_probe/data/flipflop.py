"""Flip-flop language modelling as Liu et al. (2023, arXiv:2306.00946) define the experiment.

A sequence is ``T / 2`` instruction-bit pairs over ``{w, r, i, 0, 1}``: the
first instruction is ``w``, the last ``r``, the others i.i.d. with
``P(i) = p`` and ``P(w) = P(r) = (1 - p) / 2`` (the distribution FFL(p));
the bit after ``w`` or ``i`` is uniform, the bit after ``r`` repeats the bit
of the latest ``w``. FFL(0.8) is the training distribution, FFL(0.98) the
sparse and FFL(0.1) the dense test (long and short gaps between a write and
its read). Only read bits are scored.

Model inputs follow Sarrof et al.'s release: the bit after each ``r`` is
hidden (replaced by ``-``) and is the per-position target; the
suite's ``flip_flop`` language is the set of such strings, and a uniform
sampler over it is the dense regime (:func:`flip_flop_gaps` measures this).
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError
from .tokens import Tokenizer

__all__ = ["FLIP_FLOP_ALPHABET", "sample_flip_flop", "flip_flop_batch", "flip_flop_gaps"]

#: Letters: instructions, bits, and the hidden read bit.
FLIP_FLOP_ALPHABET = ("w", "r", "i", "0", "1", "-")
_W, _R, _I, _ZERO, _ONE, _HIDDEN = range(6)


def sample_flip_flop(n: int, length: int, p_ignore: float, rng: np.random.Generator | int) -> np.ndarray:
    """``n`` sequences of FFL(``p_ignore``), ``(n, length)`` letter indices
    (``FLIP_FLOP_ALPHABET`` order, read bits shown)."""
    if length < 4 or length % 2:
        raise DataError(f"a flip-flop sequence is an even number of tokens, at least 4; got T = {length}")
    if not 0 <= p_ignore < 1:
        raise DataError(f"FFL(p) needs 0 <= p < 1, got {p_ignore}")
    g = np.random.default_rng(rng)
    pairs = length // 2
    p_rw = (1 - p_ignore) / 2
    ins = g.choice([_W, _R, _I], size=(n, pairs), p=[p_rw, p_rw, p_ignore])
    ins[:, 0], ins[:, -1] = _W, _R
    bits = g.integers(0, 2, size=(n, pairs))
    is_write = ins == _W
    # index of the latest write at or before each pair (the first pair is a write)
    last = np.maximum.accumulate(np.where(is_write, np.arange(pairs)[None, :], 0), axis=1)
    remembered = np.take_along_axis(bits, last, axis=1)
    bits = np.where(ins == _R, remembered, bits)
    out = np.empty((n, length), dtype=np.int64)
    out[:, 0::2] = ins
    out[:, 1::2] = bits + _ZERO
    return out


def flip_flop_batch(seqs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Model inputs and targets: ``tokens`` ``(n, T + 1)`` (BOS, letters, the
    read bits hidden), ``targets`` ``(n, T + 1)`` the read bit (0/1) at its
    position and -1 elsewhere, ``mask`` the read-bit positions."""
    n, length = seqs.shape
    after_read = np.zeros_like(seqs, dtype=bool)
    after_read[:, 1:] = seqs[:, :-1] == _R
    letters = np.where(after_read, _HIDDEN, seqs)
    tokens = np.concatenate([np.full((n, 1), Tokenizer.BOS), letters + Tokenizer.OFFSET], axis=1)
    targets = np.full((n, length + 1), -1, dtype=np.int64)
    mask = np.zeros((n, length + 1), dtype=bool)
    mask[:, 1:] = after_read
    targets[:, 1:] = np.where(after_read, seqs - _ZERO, -1)
    return tokens.astype(np.int64), targets, mask


def flip_flop_gaps(seqs: np.ndarray) -> np.ndarray:
    """Instructions between each read and the write it recalls (what makes FFL(0.98) hard)."""
    ins = seqs[:, 0::2]
    pairs = ins.shape[1]
    last = np.maximum.accumulate(np.where(ins == _W, np.arange(pairs)[None, :], 0), axis=1)
    reads = ins == _R
    return (np.arange(pairs)[None, :] - last)[reads]
