"""The probe's words: disjoint sets of distinct words per seed, and which word source to use.

Splits are by sequence, so no word (hence no position of it) is in two sets;
``docs/probing.md`` explains the sources and why ``mixed`` is the default for
models not trained on positive strings only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from ..automata.dfa import DFA
from ..data import SOURCES, pad_words, sample_words, stored_source
from ..errors import DataError

__all__ = ["ProbeWords", "sample_probe_words", "resolve_source"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True, eq=False)
class ProbeWords:
    """Disjoint sets of distinct words for one seed.

    Attributes
    ----------
    indices
        ``(B, Lmax)`` letter indices of all words (tokenizer order), 0-padded.
    lengths
        ``(B,)`` word lengths.
    split
        ``(B,)`` which set each word is in: 0 = probe training words,
        1 = held-out words at the training lengths, ``1 + i`` = test bin ``i``.
    bins
        The length bin of each set (set 0 and 1 share the training lengths).
    """

    indices: np.ndarray
    lengths: np.ndarray
    split: np.ndarray
    bins: tuple[tuple[int, int], ...]

    def words(self, which: int) -> np.ndarray:
        return np.flatnonzero(self.split == which)


def _word_keys(indices: np.ndarray, lengths: np.ndarray) -> list[bytes]:
    return [int(L).to_bytes(4, "little") + indices[i, :L].tobytes() for i, L in enumerate(lengths)]


def _draw_distinct(
    dfa: DFA, bin: tuple[int, int], n: int, rng: np.random.Generator, seen: set[bytes], what: str, source: str
) -> tuple[list[np.ndarray], list[int]]:
    """``n`` distinct words (not in ``seen``; added to it) from ``source``."""
    words: list[np.ndarray] = []
    lengths: list[int] = []
    for _ in range(20):
        need = n - len(words)
        if need <= 0:
            break
        try:
            idx, lens = sample_words(dfa, bin, max(need + need // 4, 8), rng, source=source)
        except DataError:
            if source == "uniform":
                raise
            log.warning("%s has no words of length %d-%d; probing there with uniform words", what, *bin)
            source = "uniform"
            continue
        for key, i in zip(_word_keys(idx, lens), range(len(lens))):
            if key in seen:
                continue
            seen.add(key)
            words.append(idx[i, : lens[i]].copy())
            lengths.append(int(lens[i]))
            if len(words) == n:
                break
    if len(words) < n:
        log.warning("only %d distinct words of length %d-%d (asked for %d)", len(words), bin[0], bin[1], n)
    if not words:
        raise DataError(f"no words of length {bin[0]}-{bin[1]} left for the probe")
    return words, lengths


def sample_probe_words(
    dfa: DFA,
    *,
    n_train: int,
    n_test: int,
    train_lengths: tuple[int, int],
    test_bins: Sequence[tuple[int, int]],
    seed: int,
    source: str = "mixed",
) -> ProbeWords:
    """Distinct words for training the probe, testing it at the training
    lengths, and testing it in each longer bin (see ``docs/probing.md``).

    Parameters
    ----------
    dfa
        The probed DFA, aligned to the model's alphabet order.
    n_train, n_test
        Words in the training set and in each test set.
    train_lengths, test_bins
        Inclusive length ranges.
    seed
        Fixes every word.
    source
        ``"mixed"`` (default: half in-language, half uniform words),
        ``"language"`` or ``"uniform"`` (see :data:`automata_probe.data.SOURCES`).
        A bin where the language has no word falls back to uniform words.
    """
    if source not in SOURCES:
        raise DataError(f"unknown word source {source!r}; expected one of {', '.join(SOURCES)}")
    for name, v in (("n_train", n_train), ("n_test", n_test)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise DataError(f"{name} must be a positive integer, got {v!r}")
    rng = np.random.default_rng([int(seed), 0x5A])
    seen: set[bytes] = set()
    what = dfa.name or "the language"
    sets = [(tuple(train_lengths), n_train), (tuple(train_lengths), n_test)]
    sets += [(tuple(b), n_test) for b in test_bins]
    all_words: list[np.ndarray] = []
    split: list[int] = []
    for s, (b, n) in enumerate(sets):
        words, _ = _draw_distinct(dfa, b, n, rng, seen, what, source)
        all_words += words
        split += [s] * len(words)
    indices, lengths = pad_words(all_words)  # (B, Lmax), (B,)
    return ProbeWords(
        indices=indices,
        lengths=lengths,
        split=np.asarray(split, dtype=np.int64),
        bins=tuple(b for b, _ in sets),
    )


def resolve_source(source: str, dfa: DFA, language_name: str, train_config: Mapping[str, Any]) -> str:
    """The word source ``source="auto"`` stands for (any other source is returned as it is).

    The checkpoint's training word source when ``dfa`` is its training
    language (same name) and it was trained here; ``"mixed"`` otherwise.
    """
    if source != "auto":
        if source not in SOURCES:
            raise DataError(f"unknown word source {source!r}; expected auto or one of {', '.join(SOURCES)}")
        return source
    if language_name and dfa.name == language_name and train_config.get("task"):
        trained = stored_source(train_config.get("source"), str(train_config["task"]))
        if trained in SOURCES:
            return trained
    return "mixed"
