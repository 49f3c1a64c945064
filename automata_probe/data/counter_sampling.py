"""Exact uniform sampling from counter languages, and their per-position targets.

Counting: ``N(c, r)``, the number of accepted completions of length ``r``
from configuration ``c``, satisfies ``N(c, 0) = [c accepts]`` and
``N(c, r) = sum_a N(step(c, a), r - 1)``. It is memoized over (configuration,
``r``) with Python integers (exact at every length) and pruned by
``sum(counters) > r`` (each step lowers the counters by at most one in
total, which :func:`_check_countable` checks), so Dyck-1 and Boolean-n cost
``O(L^2)`` entries for all lengths up to ``L`` together. Words are drawn
forwards, letter ``a`` with probability ``N(step(c, a), r - 1) / N(c, r)``
(exact integer arithmetic).

A shuffle of machines over disjoint alphabets (``machine.parts``) is counted
through its components: with ``N_i(l)`` words of length ``l`` in component
``i``, the shuffle has ``sum over l_1 + ... + l_n = L`` of
``L! / (l_1! ... l_n!) * prod N_i(l_i)`` words; a uniform word is a draw of
``(l_1, ..., l_n)`` from those weights, a uniform word of each component, and
a uniform interleaving. A language with one word per length (a^n b^n ...)
is enumerated.
"""

from __future__ import annotations

import random
from functools import lru_cache
from math import comb
from typing import Sequence

import numpy as np

from ..automata.counter import Config, CounterLanguage, CounterMachine
from ..errors import DataError
from .lengths import LengthBin
from .sampling import RNGLike

__all__ = [
    "count_counter_words",
    "counter_lengths_with_words",
    "sample_counter_words",
    "counter_run",
    "counter_patterns",
]

#: (configuration, r) entries the memo may hold before :class:`DataError`.
MAX_MEMO = 4_000_000


class _Counts:
    """Memoized ``N(config, r)`` for one machine."""

    def __init__(self, machine: CounterMachine) -> None:
        _check_countable(machine)
        self.machine = machine
        self.memo: dict[tuple[Config, int], int] = {}

    def successors(self, config: Config) -> list[Config | None]:
        return [self.machine.step(config, a) for a in self.machine.alphabet]

    def count(self, config: Config | None, r: int) -> int:
        if config is None or sum(config[1]) > r:
            return 0
        key = (config, r)
        if key in self.memo:
            return self.memo[key]
        stack = [key]
        while stack:
            c, rr = stack[-1]
            if (c, rr) in self.memo:
                stack.pop()
                continue
            if rr == 0:
                self.memo[(c, 0)] = int(self.machine.accepts_config(c))
                stack.pop()
                continue
            succ = [s for s in self.successors(c) if s is not None and sum(s[1]) <= rr - 1]
            missing = [(s, rr - 1) for s in succ if (s, rr - 1) not in self.memo]
            if missing:
                stack.extend(missing)
                continue
            self.memo[(c, rr)] = sum(self.memo[(s, rr - 1)] for s in succ)
            stack.pop()
            if len(self.memo) > MAX_MEMO:
                raise DataError(f"counting the words of {self.machine.name} of length {r} needs more than "
                                f"{MAX_MEMO} entries")
        return self.memo[key]

    def sample(self, length: int, rnd: random.Random) -> list[int]:
        config: Config | None = self.machine.start_config
        total = self.count(config, length)
        if total == 0:
            raise DataError(f"{self.machine.name} has no words of length {length}")
        out = []
        for r in range(length, 0, -1):
            pick = rnd.randrange(total)
            for i, s in enumerate(self.successors(config)):
                n = self.count(s, r - 1)
                if pick < n:
                    out.append(i)
                    config, total = s, n
                    break
                pick -= n
        return out


def _check_countable(machine: CounterMachine) -> None:
    for r in machine.rules:
        if sum(-d for d in r.delta if d < 0) > 1:
            raise DataError(f"{machine.name}: a rule lowers the counters by more than one; the pruning "
                            f"of the counting does not hold")


@lru_cache(maxsize=64)
def _counts(machine: CounterMachine) -> _Counts:
    return _Counts(machine)


def _block_word(lang: CounterLanguage, length: int) -> list[int] | None:
    k = lang.machine.n_letters
    if length % k or length == 0:
        return None
    return [i for i in range(k) for _ in range(length // k)]


_SHUFFLE_TABLES: dict[int, tuple[CounterMachine, tuple[tuple[int, ...], ...]]] = {}


def _shuffle_table(machine: CounterMachine, length: int) -> tuple[tuple[int, ...], ...]:
    """``T[i][l]``: interleavings of words of the first ``i`` components of total length ``l``
    (one table per machine, grown to the longest length asked for)."""
    held = _SHUFFLE_TABLES.get(id(machine))
    if held is not None and held[0] is machine and len(held[1][0]) > length:
        return held[1]
    length = max(length, 2 * (len(held[1][0]) - 1) if held is not None and held[0] is machine else length)
    table = _build_shuffle_table(machine, length)
    _SHUFFLE_TABLES[id(machine)] = (machine, table)
    return table


def _build_shuffle_table(machine: CounterMachine, length: int) -> tuple[tuple[int, ...], ...]:
    parts = [_counts(p) for p in machine.parts]
    comp = [[p.count(p.machine.start_config, l) for l in range(length + 1)] for p in parts]
    table = [tuple([1] + [0] * length)]
    for i in range(len(parts)):
        prev = table[-1]
        table.append(tuple(sum(comb(l, j) * prev[l - j] * comp[i][j] for j in range(l + 1))
                           for l in range(length + 1)))
    return tuple(table)


def count_counter_words(lang: CounterLanguage | CounterMachine, length: int) -> int:
    """The number of words of ``length`` in the language (exact)."""
    machine = lang.machine if isinstance(lang, CounterLanguage) else lang
    if isinstance(lang, CounterLanguage) and lang.one_word_per_length:
        return int(_block_word(lang, length) is not None)
    if machine.parts:
        return _shuffle_table(machine, length)[-1][length]
    return _counts(machine).count(machine.start_config, length)


def counter_lengths_with_words(lang: CounterLanguage, bin: LengthBin | Sequence[int] | str) -> np.ndarray:
    """The lengths in ``bin`` at which the language has words; :class:`DataError` if none."""
    b = LengthBin.of(bin)
    ok = [n for n in b.lengths if count_counter_words(lang, n) > 0]
    if not ok:
        raise DataError(f"{lang.name} has no words of length {b}")
    return np.asarray(ok, dtype=np.int64)


def _sample_one(lang: CounterLanguage, length: int, rnd: random.Random) -> list[int]:
    machine = lang.machine
    if lang.one_word_per_length:
        word = _block_word(lang, length)
        if word is None:
            raise DataError(f"{lang.name} has no words of length {length}")
        return word
    if not machine.parts:
        return _counts(machine).sample(length, rnd)
    table = _shuffle_table(machine, length)
    sizes, rest = [], length
    for i in range(len(machine.parts), 0, -1):  # draw l_i from the last component back
        pick = rnd.randrange(table[i][rest])
        comp = _counts(machine.parts[i - 1])
        for j in range(rest + 1):
            w = comb(rest, j) * table[i - 1][rest - j] * comp.count(comp.machine.start_config, j)
            if pick < w:
                sizes.append(j)
                rest -= j
                break
            pick -= w
    sizes.reverse()
    offset, streams = 0, []
    for part, size in zip(machine.parts, sizes):
        streams.append([offset + x for x in _counts(part).sample(size, rnd)] if size else [])
        offset += part.n_letters
    owners = [i for i, s in enumerate(streams) for _ in s]
    rnd.shuffle(owners)  # a uniform interleaving
    pos = [0] * len(streams)
    out = []
    for i in owners:
        out.append(streams[i][pos[i]])
        pos[i] += 1
    return out


def sample_counter_words(
    lang: CounterLanguage, bin: LengthBin | Sequence[int] | str, n: int, rng: RNGLike
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` words, each uniform among the language's words of a length drawn
    uniformly from the lengths in ``bin`` that have words.

    Returns ``(n, max_len)`` int64 letter indices (0 past a word's end) and ``(n,)`` lengths.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise DataError(f"number of words {n!r} is not a non-negative integer")
    if rng is None:
        raise DataError("sampling needs a seed or a numpy Generator (got None)")
    g = np.random.default_rng(rng)
    lengths = g.choice(counter_lengths_with_words(lang, bin), size=n)
    rnd = random.Random(int(g.integers(2**63)))
    idx = np.zeros((n, int(lengths.max(initial=0))), dtype=np.int64)
    for i, length in enumerate(lengths):
        idx[i, :length] = _sample_one(lang, int(length), rnd)
    return idx, lengths


def counter_run(machine: CounterMachine, indices: np.ndarray, lengths: np.ndarray) -> list[list[Config | None]]:
    """Configurations ``c_0 .. c_L`` of each word (letter indices, as the samplers return)."""
    letters = machine.alphabet
    out = []
    for row, length in zip(np.asarray(indices), np.asarray(lengths)):
        configs: list[Config | None] = [machine.start_config]
        for i in row[: int(length)]:
            configs.append(machine.step(configs[-1], letters[int(i)]))
        out.append(configs)
    return out


def counter_patterns(machine: CounterMachine, indices: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-position next sets and counters of a batch of words.

    Returns
    -------
    patterns
        ``(B, T, k + 1)`` bool, ``T = max L + 1``: the letters with a rule and
        the accept bit at positions ``0..L`` (False on padding).
    counters
        ``(B, T, n_counters)`` int64 counter values (``-1`` on padding and
        after a rejected letter).
    """
    runs = counter_run(machine, indices, lengths)
    T = int(np.max(lengths, initial=0)) + 1
    patterns = np.zeros((len(runs), T, machine.n_letters + 1), dtype=bool)
    counters = np.full((len(runs), T, machine.n_counters), -1, dtype=np.int64)
    cache: dict[Config | None, tuple[bool, ...]] = {}
    for b, configs in enumerate(runs):
        for t, c in enumerate(configs):
            if c not in cache:
                cache[c] = machine.next_pattern(c)
            patterns[b, t] = cache[c]
            if c is not None:
                counters[b, t] = c[1]
    return patterns, counters
