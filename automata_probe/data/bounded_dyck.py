"""Dyck(k, m) as a language-modelling corpus, as Yao et al. (2021) and Sarrof et al.'s release draw it.

The sampler is the release's probabilistic automaton (``DyckPDFA`` in
``bounded_dyck_expt``, after Hewitt et al. 2020): with an empty stack each of
the ``k`` open brackets has weight ``1/k`` and END weight 1; at depth ``m``
only the matching close bracket; in between each open bracket ``1/k`` and
the matching close 1 (so close with probability 1/2). END before
``min_length`` is redrawn; a word longer than ``max_length`` is redrawn.

Letters: ``(a .. (h`` (open), ``a) .. h)`` (close), ``END``; the model's BOS
is the release's START. For "close accuracy" each position carries the
matching close bracket of the stack top after it (-1 on an empty stack).
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError
from .tokens import Tokenizer

__all__ = ["dyck_alphabet", "sample_bounded_dyck", "dyck_lm_batch"]


def dyck_alphabet(k: int) -> tuple[str, ...]:
    """``(a .. , a) .., END`` for ``k`` bracket types."""
    if not 1 <= k <= 26:
        raise DataError(f"bracket types k must be in 1..26, got {k}")
    ids = [chr(ord("a") + i) for i in range(k)]
    return tuple(f"({x}" for x in ids) + tuple(f"{x})" for x in ids) + ("END",)


def sample_bounded_dyck(n: int, k: int, depth: int, min_length: int, max_length: int,
                        rng: np.random.Generator | int) -> list[np.ndarray]:
    """``n`` words (letter indices in :func:`dyck_alphabet` order, END last), lengths in ``[min_length, max_length]``
    counting END."""
    if depth < 1 or min_length < 1 or max_length < min_length:
        raise DataError(f"impossible Dyck({k},{depth}) request: lengths [{min_length}, {max_length}]")
    g = np.random.default_rng(rng)
    end = 2 * k
    out: list[np.ndarray] = []
    while len(out) < n:
        word: list[int] = []
        stack: list[int] = []
        ok = True
        while True:
            u = g.random()
            if len(stack) == depth:
                word.append(k + stack.pop())
            elif u < 0.5:  # an open bracket, each with weight 1/k out of 2
                b = int(g.integers(k))
                word.append(b)
                stack.append(b)
            elif stack:
                word.append(k + stack.pop())
            elif len(word) < min_length:
                continue  # END too early: redraw (as the release: its words end after min_length letters)
            else:
                word.append(end)
                break
            if len(word) >= max_length:
                ok = False
                break
        if ok:
            out.append(np.asarray(word, dtype=np.int64))
    return out


def dyck_lm_batch(words: list[np.ndarray], k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Language-modelling arrays for words ending in END.

    Returns ``tokens`` ``(n, T)`` (BOS and every letter but the last), ``targets``
    ``(n, T)`` the next letter (-1 on padding), ``mask`` ``(n, T)`` and
    ``close`` ``(n, T)``: the close bracket the stack top asks for after the
    prefix (-1 where the stack is empty: not scored by close accuracy).
    """
    n, T = len(words), max(len(w) for w in words)
    tokens = np.zeros((n, T), dtype=np.int64)
    targets = np.full((n, T), -1, dtype=np.int64)
    close = np.full((n, T), -1, dtype=np.int64)
    mask = np.zeros((n, T), dtype=bool)
    for i, w in enumerate(words):
        L = len(w)
        tokens[i, 0] = Tokenizer.BOS
        tokens[i, 1:L] = w[:-1] + Tokenizer.OFFSET
        targets[i, :L] = w
        mask[i, :L] = True
        stack: list[int] = []
        for t, x in enumerate(w[:-1], start=1):
            if x < k:
                stack.append(int(x))
            elif x < 2 * k:
                stack.pop()
            if stack:
                close[i, t] = k + stack[-1]
    return tokens, targets, mask, close
