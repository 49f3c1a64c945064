"""Exact, seeded data from a DFA: words, tokens, per-position targets, batches.

Alignment (the one convention every other module relies on)::

    word          w1 w2 ... wL                      (L letters)
    tokens        BOS w1 w2 ... wL                  (L + 1 positions, t = 0..L)
    states        q0  q1 q2 ... qL                  q_t = delta*(q0, w1..wt)
    output t      sees tokens[0..t], predicts from q_t

so the model's output at position ``t`` is read against the DFA state after
the first ``t`` letters; the empty word has tokens ``[BOS]`` and states
``[q0]``. :func:`batch_from_indices` is the only place that builds this
alignment.

Tasks (targets per position, computed from ``q_t``):

``next``
    ``k + 1`` bits: bit ``a`` is 1 when ``delta(q_t, a)`` is not dead (some
    continuation with ``a`` is still accepted), the last bit is 1 when ``q_t``
    accepts (the word may end here). The character-prediction task of
    Bhattamishra et al. (2020) and Sarrof et al. (2024).
``member``
    one bit: ``q_t`` accepts.
``state``
    the class ``q_t`` itself (the word problem of Merrill et al. 2024).

Sampling is exact. :func:`sample_in_language` draws uniformly among the
accepted words of a length: the number ``c_j(q)`` of accepted continuations of
length ``j`` from each state is counted backwards with Python integers (no
overflow at any length), and letters are drawn forwards with probability
``c_{j-1}(delta(q, a)) / c_j(q)``. The draw is vectorized over words: each
step compares a 53-bit uniform integer with thresholds
``floor(C_a * 2^53 / C)`` precomputed exactly from the integer counts, and in
the rare case (probability below ``k * 2^-53`` per step) where those 53 bits
cannot decide, more random bits are drawn and the comparison is made with
exact integers. The result is exactly uniform, not merely to float precision.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, ClassVar, Iterable, Sequence

import numpy as np

from ..automata.dfa import DFA, Word, format_word
from ..errors import AlphabetError, DataError

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = [
    "TASKS",
    "SOURCES",
    "Tokenizer",
    "align_alphabet",
    "LengthBin",
    "Batch",
    "n_outputs",
    "sample_in_language",
    "sample_uniform",
    "sample_lengths",
    "sample_words",
    "lengths_with_words",
    "check_bins",
    "targets_from_states",
    "batch_from_indices",
    "batch_from_words",
    "sample_batch",
    "words_of_batch",
    "RNGLike",
]

log = logging.getLogger(__name__)

#: The per-position prediction tasks.
TASKS = ("next", "member", "state")
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


def _check_task(task: str) -> str:
    if task not in TASKS:
        raise DataError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    return task


def n_outputs(task: str, dfa: DFA) -> int:
    """Width of the model's output for ``task``: ``k + 1``, ``1`` or ``n_states``."""
    _check_task(task)
    if task == "next":
        return dfa.n_letters + 1
    if task == "member":
        return 1
    return dfa.n_states


# --------------------------------------------------------------- tokenizer
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
        letters = _split(self.alphabet, word)
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


def align_alphabet(dfa: DFA, alphabet: Sequence[str], *, what: str = "the model") -> DFA:
    """``dfa`` with its letters in the order of ``alphabet`` (a tokenizer's).

    Raises
    ------
    AlphabetError
        If the two alphabets are not the same set of letters.
    """
    alphabet = tuple(alphabet)
    if set(alphabet) != set(dfa.alphabet) or len(alphabet) != len(dfa.alphabet):
        raise AlphabetError(
            f"alphabet mismatch: {what} reads {{{', '.join(alphabet)}}} but {dfa.name or 'the language'} "
            f"has {{{', '.join(dfa.alphabet)}}}"
        )
    if alphabet == dfa.alphabet:
        return dfa
    perm = [dfa.letter_index[a] for a in alphabet]
    return DFA(
        alphabet=alphabet,
        transitions=tuple(tuple(row[j] for j in perm) for row in dfa.transitions),
        start=dfa.start,
        accepting=dfa.accepting,
        name=dfa.name,
        state_labels=dfa.state_labels,
    )


def _split(alphabet: tuple[str, ...], word: Word) -> tuple[str, ...]:
    if isinstance(word, str):
        if all(len(a) == 1 for a in alphabet):
            return tuple(word)
        return tuple(word.split())
    return tuple(word)


# ------------------------------------------------------------ length bins
@dataclass(frozen=True, kw_only=True)
class LengthBin:
    """Word lengths ``lo..hi`` (both inclusive).

    Parameters
    ----------
    lo, hi
        Smallest and largest length; ``0 <= lo <= hi``.
    """

    lo: int
    hi: int

    def __post_init__(self) -> None:
        for name, v in (("lo", self.lo), ("hi", self.hi)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise DataError(f"length bin bound {name}={v!r} is not an integer")
        object.__setattr__(self, "lo", int(self.lo))
        object.__setattr__(self, "hi", int(self.hi))
        if self.lo < 0:
            raise DataError(f"length bin {self.lo}-{self.hi} has a negative length")
        if self.lo > self.hi:
            raise DataError(f"length bin {self.lo}-{self.hi} is empty (lo > hi)")

    @classmethod
    def of(cls, value: "LengthBin | Sequence[int] | str") -> "LengthBin":
        """A bin from ``(lo, hi)``, ``"lo-hi"``, ``"n"`` or a bin."""
        if isinstance(value, LengthBin):
            return value
        if isinstance(value, str):
            text = value.strip()
            parts = text.split("-") if "-" in text[1:] else [text]
            if text.startswith("-"):
                raise DataError(f"length bin {value!r} has a negative length")
            try:
                nums = [int(p) for p in parts]
            except ValueError:
                raise DataError(f"length bin {value!r} is not of the form LO-HI") from None
            if len(nums) == 1:
                nums = nums * 2
            if len(nums) != 2:
                raise DataError(f"length bin {value!r} is not of the form LO-HI")
            return cls(lo=nums[0], hi=nums[1])
        try:
            lo, hi = value
        except (TypeError, ValueError):
            raise DataError(f"length bin {value!r} is not a pair (lo, hi)") from None
        return cls(lo=lo, hi=hi)

    @property
    def lengths(self) -> range:
        return range(self.lo, self.hi + 1)

    def __contains__(self, length: object) -> bool:
        return isinstance(length, (int, np.integer)) and self.lo <= length <= self.hi

    def overlaps(self, other: "LengthBin") -> bool:
        return self.lo <= other.hi and other.lo <= self.hi

    def __str__(self) -> str:
        return f"{self.lo}-{self.hi}"


def check_bins(train: LengthBin, bins: Sequence[LengthBin], *, allow_overlap: bool = False) -> None:
    """Raise :class:`DataError` if an evaluation bin overlaps the training lengths.

    Parameters
    ----------
    train
        Training lengths.
    bins
        Evaluation bins.
    allow_overlap
        Accept overlapping bins (e.g. to evaluate at training lengths).
    """
    if allow_overlap:
        return
    train = LengthBin.of(train)
    bad = [LengthBin.of(b) for b in bins if LengthBin.of(b).overlaps(train)]
    if bad:
        names = ", ".join(str(b) for b in bad)
        raise DataError(
            f"evaluation bin(s) {names} overlap the training lengths {train} "
            "(pass allow_overlap to evaluate there anyway)"
        )


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


# ---------------------------------------------------------------- targets
def _next_table(dfa: DFA) -> np.ndarray:
    """``(n_states, k + 1)`` float32: letters that avoid the dead state, then the end bit."""
    live_next = dfa.live_mask[dfa.table]  # (n, k)
    return np.concatenate([live_next, dfa.accept_mask[:, None]], axis=1).astype(np.float32)


def targets_from_states(dfa: DFA, states: np.ndarray, task: str) -> np.ndarray:
    """Per-position targets from DFA states (``-1`` marks padding).

    Returns ``(..., k + 1)`` float32 for ``next``, ``(..., 1)`` float32 for
    ``member`` and ``(...)`` int64 state ids for ``state`` (``-1`` stays
    ``-1``). Padding positions are zero for the float tasks.
    """
    _check_task(task)
    states = np.asarray(states, dtype=np.int64)
    pad = states < 0
    safe = np.where(pad, 0, states)
    if task == "state":
        return states.copy()
    if task == "next":
        out = _next_table(dfa)[safe]  # (..., k+1)
    else:
        out = dfa.accept_mask[safe].astype(np.float32)[..., None]  # (..., 1)
    out[pad] = 0.0
    return out


# ------------------------------------------------------------------ batches
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
        _check_task(self.task)
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

    _check_task(task)
    idx = np.asarray(indices, dtype=np.int64)
    lengths = np.asarray(lengths, dtype=np.int64)
    if idx.ndim != 2 or lengths.shape != (idx.shape[0],):
        raise DataError(f"indices {idx.shape} and lengths {lengths.shape} do not describe a batch")
    if lengths.size and (lengths.min() < 0 or lengths.max() > idx.shape[1]):
        raise DataError(f"word lengths must lie in 0..{idx.shape[1]}")
    B = idx.shape[0]
    T = int(lengths.max(initial=0)) + 1
    idx = idx[:, : T - 1]
    mask = np.arange(T)[None, :] <= lengths[:, None]  # (B, T): positions 0..L
    letters_mask = mask[:, 1:]  # (B, T-1): letter t+1 present
    if idx.size and ((idx < 0) | (idx >= dfa.n_letters))[letters_mask].any():
        raise DataError(f"letter index outside 0..{dfa.n_letters - 1} in a batch for {dfa.name or 'the DFA'}")
    safe = np.where(letters_mask, idx, 0)
    tokens = np.full((B, T), Tokenizer.PAD, dtype=np.int64)  # (B, T)
    tokens[:, 0] = Tokenizer.BOS
    tokens[:, 1:] = np.where(letters_mask, safe + Tokenizer.OFFSET, Tokenizer.PAD)
    states = dfa.run_indices(safe) if B else np.zeros((0, T), dtype=np.int64)  # (B, T): q_0..q_{T-1}
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
    encoded = [dfa.encode(w) for w in words]
    lengths = np.asarray([len(e) for e in encoded], dtype=np.int64)
    idx = np.zeros((len(encoded), int(lengths.max(initial=0))), dtype=np.int64)
    for i, e in enumerate(encoded):
        idx[i, : len(e)] = e
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
    return [format_word(tok.decode(row.tolist())) for row in batch.tokens]

