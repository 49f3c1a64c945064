"""Exact, seeded sampling of words from a DFA.

:func:`sample_in_language` draws uniformly among the accepted words of a
length: the number ``c_j(q)`` of accepted continuations of length ``j`` from
each state is counted backwards with Python integers (no overflow at any
length), and letters are drawn forwards with probability
``c_{j-1}(delta(q, a)) / c_j(q)``. The draw is vectorized over words: each
step compares a 53-bit uniform integer with thresholds
``floor(C_a * 2^53 / C)`` precomputed exactly from the integer counts, and in
the rare case (probability below ``k * 2^-53`` per step) where those 53 bits
cannot decide, more random bits are drawn and the comparison is made with
exact integers. The result is exactly uniform, not merely to float precision.

Word sources (:data:`SOURCES`): the language (uniform among its words of each
length), all words (uniform over Sigma^L), or half and half.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

import numpy as np

from ..automata.dfa import DFA
from ..errors import DataError
from .lengths import LengthBin

__all__ = [
    "SOURCES",
    "RNGLike",
    "default_source",
    "sample_in_language",
    "sample_uniform",
    "sample_lengths",
    "sample_words",
    "lengths_with_words",
]

#: Where the words of a dataset come from: the language (uniform among its
#: words of each length), all words (uniform over Sigma^L), or half and half.
SOURCES = ("language", "uniform", "mixed")

#: Anything :func:`numpy.random.default_rng` accepts: a seed or a Generator.
RNGLike = int | np.random.Generator | None

_BITS = 53  # bits of the fast-path uniform draw (fits int64 exactly)
_ONE = 1 << _BITS


def _rng(rng: RNGLike) -> np.random.Generator:
    if rng is None:
        raise DataError("sampling needs a seed or a numpy Generator (got None)")
    return np.random.default_rng(rng)


def default_source(task: str) -> str:
    """Where training and evaluation words come from for ``task``: the
    language's own words for ``next`` (Sarrof et al.); uniform words for
    ``state`` (Merrill et al.'s word problems: uniform sequences, so the
    running product is close to uniform; drawing half the words from the
    language made half of them end at the identity); ``mixed`` for
    ``member``, so that rejected prefixes and the dead state appear. For the
    ``state`` task on a DFA with a dead state, pass ``source="mixed"``."""
    if task == "next":
        return "language"
    return "uniform" if task == "state" else "mixed"


def stored_source(source: str | None, task: str) -> str:
    """The word source a checkpoint's training config names. Checkpoints
    store it resolved; one that stores None was written when the default was
    the language's words for ``next`` and ``mixed`` for every other task
    (before ``state`` defaulted to uniform words), so None means that."""
    if source is not None:
        return source
    return "language" if task == "next" else "mixed"


# ------------------------------------------------------- exact count tables
class _CountTable:
    """Exact counts of accepted continuations and the sampling thresholds.

    ``counts[j][q]`` is the number of words of length ``j`` leading from ``q``
    to an accepting state (Python ints). For ``j >= 1``, ``thresh[j, q, b]``
    (``b = 0..k-2``) is ``floor(C_{b+1} * 2^53 / C)`` with ``C_a`` the
    cumulative count of letters ``< a`` and ``C = counts[j][q]``;
    ``inexact[j, q, b]`` is True when that division has a remainder.
    """

    def __init__(self, dfa: DFA) -> None:
        self.dfa = dfa
        self.rows = dfa.table.tolist()
        self.k = dfa.n_letters
        self.n = dfa.n_states
        accept = [int(x) for x in dfa.accept_mask]
        self.counts: list[list[int]] = [accept]
        width = max(self.k - 1, 0)
        self.thresh = np.zeros((1, self.n, width), dtype=np.int64)
        self.inexact = np.zeros((1, self.n, width), dtype=bool)

    @property
    def max_length(self) -> int:
        return len(self.counts) - 1

    def extend(self, max_length: int) -> None:
        start = len(self.counts)
        if max_length < start:
            return
        k, n, rows = self.k, self.n, self.rows
        width = max(k - 1, 0)
        new_t = np.zeros((max_length + 1 - start, n, width), dtype=np.int64)
        new_x = np.zeros((max_length + 1 - start, n, width), dtype=bool)
        for j in range(start, max_length + 1):
            prev = self.counts[j - 1]
            cur = [0] * n
            for q in range(n):
                acc = 0
                cum = []
                for r in rows[q]:
                    acc += prev[r]
                    cum.append(acc)
                cur[q] = acc
                if acc and width:
                    for b in range(width):
                        hi, rem = divmod(cum[b] << _BITS, acc)
                        new_t[j - start, q, b] = hi
                        new_x[j - start, q, b] = rem != 0
            self.counts.append(cur)
        self.thresh = np.concatenate([self.thresh, new_t])
        self.inexact = np.concatenate([self.inexact, new_x])

    def cumulative(self, remaining: int, state: int) -> list[int]:
        """``[C_1, ..., C_k]``: accepted continuations of length ``remaining``
        from ``state`` whose first letter is ``< a``, for ``a = 1..k``."""
        prev = self.counts[remaining - 1]
        out, acc = [], 0
        for r in self.rows[state]:
            acc += prev[r]
            out.append(acc)
        return out

    def count(self, length: int, state: int | None = None) -> int:
        self.extend(length)
        return self.counts[length][self.dfa.start if state is None else state]


@lru_cache(maxsize=32)
def _table(dfa: DFA) -> _CountTable:
    return _CountTable(dfa)


def _count_table(dfa: DFA, max_length: int) -> _CountTable:
    t = _table(dfa)
    t.extend(max_length)
    return t


def _resolve_exact(cum: Sequence[int], total: int, m: int, rng: np.random.Generator) -> int:
    """Letter index for a uniform ``U`` in ``[m / 2^53, (m + 1) / 2^53)``.

    The letter is the number of thresholds ``cum[b] / total`` (b = 0..k-2)
    that are ``<= U``. Bits of ``U`` are drawn 62 at a time until no threshold
    falls inside the interval, so the outcome has exactly the right law.
    """
    num, bits = m, _BITS
    width = len(cum) - 1
    while True:
        lo = sum(1 for b in range(width) if (cum[b] << bits) <= num * total)
        hi = sum(1 for b in range(width) if (cum[b] << bits) < (num + 1) * total)
        if lo == hi:
            return lo
        num = (num << 62) | int(rng.integers(0, 1 << 62))
        bits += 62


def _sample_paths(dfa: DFA, lengths: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Uniform accepted words with the given lengths, as ``(n, max(lengths))``
    letter indices (entries past a word's length are 0). Lengths must have words."""
    n = lengths.shape[0]
    L = int(lengths.max()) if n else 0
    out = np.zeros((n, L), dtype=np.int64)  # (n, L)
    if n == 0 or L == 0:
        return out
    table = _count_table(dfa, L)
    k = dfa.n_letters
    if k == 1:
        return out
    delta = dfa.table
    thresh, inexact = table.thresh, table.inexact
    q = np.full(n, dfa.start, dtype=np.int64)  # (n,)
    rows = np.arange(n)
    for t in range(L):
        alive = lengths > t
        if not alive.all():
            rows = np.flatnonzero(alive)
            if rows.size == 0:
                break
        qa = q[rows]
        j = lengths[rows] - t  # remaining length, >= 1
        th = thresh[j, qa]  # (r, k-1)
        m = rng.integers(0, _ONE, size=rows.size, dtype=np.int64)  # (r,)
        letter = (th <= m[:, None]).sum(axis=1)  # (r,)
        tie = ((th == m[:, None]) & inexact[j, qa]).any(axis=1)
        if tie.any():  # probability < k * 2^-53 per step
            for i in np.flatnonzero(tie):
                cums = table.cumulative(int(j[i]), int(qa[i]))
                letter[i] = _resolve_exact(cums, cums[-1], int(m[i]), rng)
        out[rows, t] = letter
        q[rows] = delta[qa, letter]
    return out


def lengths_with_words(dfa: DFA, bin: LengthBin | Sequence[int] | str) -> np.ndarray:
    """The lengths in ``bin`` at which the language has at least one word.

    Raises
    ------
    DataError
        If there are none.
    """
    b = LengthBin.of(bin)
    table = _count_table(dfa, b.hi)
    ok = [n for n in b.lengths if table.counts[n][dfa.start] > 0]
    if not ok:
        raise DataError(f"language {dfa.name or '(unnamed)'} has no words of length {b}")
    return np.asarray(ok, dtype=np.int64)


def sample_in_language(dfa: DFA, length: int, n: int, rng: RNGLike) -> np.ndarray:
    """``n`` words of length ``length``, uniform among the accepted ones.

    Parameters
    ----------
    dfa
        The language.
    length
        Word length ``L >= 0``.
    n
        Number of words (drawn independently, with replacement).
    rng
        Seed or numpy Generator.

    Returns
    -------
    numpy.ndarray
        ``(n, L)`` int64 letter indices (alphabet order).

    Raises
    ------
    DataError
        If the language has no word of that length.
    """
    _check_count(n)
    lengths_with_words(dfa, LengthBin(lo=length, hi=length))
    return _sample_paths(dfa, np.full(n, length, dtype=np.int64), _rng(rng))


def sample_uniform(dfa: DFA, length: int, n: int, rng: RNGLike) -> np.ndarray:
    """``n`` words of length ``length``, uniform over all ``k^L`` words.

    Returns ``(n, L)`` int64 letter indices.
    """
    _check_count(n)
    LengthBin(lo=length, hi=length)  # validates the length
    return _rng(rng).integers(0, dfa.n_letters, size=(n, length), dtype=np.int64)


def _check_count(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise DataError(f"number of words {n!r} is not a non-negative integer")


def sample_lengths(dfa: DFA, bin: LengthBin | Sequence[int] | str, n: int, rng: RNGLike, *, source: str = "language") -> np.ndarray:
    """``n`` lengths, uniform over the lengths in ``bin`` (for ``source='language'``
    only those at which the language has words)."""
    _check_count(n)
    b = LengthBin.of(bin)
    if source == "uniform":
        choices = np.arange(b.lo, b.hi + 1, dtype=np.int64)
    else:
        choices = lengths_with_words(dfa, b)
    return _rng(rng).choice(choices, size=n)


def sample_words(
    dfa: DFA, bin: LengthBin | Sequence[int] | str, n: int, rng: RNGLike, *, source: str = "language"
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` words with lengths uniform in ``bin``.

    Parameters
    ----------
    source
        ``"language"``: uniform among accepted words of the drawn length (only
        lengths with words are drawn); ``"uniform"``: uniform over all words of
        the drawn length; ``"mixed"``: each word is one or the other with
        probability 1/2.

    Returns
    -------
    indices, lengths
        ``(n, max_len)`` int64 letter indices (0 past each word's end) and
        ``(n,)`` lengths.
    """
    if source not in SOURCES:
        raise DataError(f"unknown word source {source!r}; expected one of {', '.join(SOURCES)}")
    g = _rng(rng)
    b = LengthBin.of(bin)
    if source == "language":
        lengths = sample_lengths(dfa, b, n, g, source="language")
        return _sample_paths(dfa, lengths, g), lengths
    if source == "uniform":
        lengths = sample_lengths(dfa, b, n, g, source="uniform")
        idx = g.integers(0, dfa.n_letters, size=(n, int(lengths.max(initial=0))), dtype=np.int64)
        return _pad_zero(idx, lengths), lengths
    from_lang = g.random(n) < 0.5
    n_lang = int(from_lang.sum())
    li, ll = sample_words(dfa, b, n_lang, g, source="language")
    ui, ul = sample_words(dfa, b, n - n_lang, g, source="uniform")
    lengths = np.empty(n, dtype=np.int64)
    lengths[from_lang], lengths[~from_lang] = ll, ul
    idx = np.zeros((n, int(lengths.max(initial=0))), dtype=np.int64)
    idx[np.flatnonzero(from_lang), : li.shape[1]] = li
    idx[np.flatnonzero(~from_lang), : ui.shape[1]] = ui
    return idx, lengths


def _pad_zero(idx: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    idx[np.arange(idx.shape[1])[None, :] >= lengths[:, None]] = 0
    return idx
