"""Where to look for disagreements between a model and an automaton.

A model is used on long words, mostly the language's own, and it fails where
a counter runs out or a letter is forgotten: at lengths and in words that
uniform sampling of short words never reaches. The test words here are
therefore drawn per length bin from three sources (:func:`bin_words`):
uniform words, words of a reference language (the truth, the hypothesis), and
*near-misses*, such words one edit away (:func:`near_misses`), which probe
the language's border. :func:`characterizing_suffixes` gives the hypothesis's
distinguishing suffixes for W-method tests (Chow 1978; Vasilevskii 1973), and
:func:`shrink_word` shortens a disagreement while it stays one (delta
debugging, Zeller & Hildebrandt 2002), so that a learner and a reader get a
short counterexample.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from ..automata.dfa import DFA
from ..data import sample_words
from ..errors import DataError
from .oracles import Letters

__all__ = [
    "SOURCES",
    "uniform_words",
    "language_words",
    "near_misses",
    "bin_words",
    "characterizing_suffixes",
    "access_words",
    "shrink_word",
]

#: The sources of :func:`bin_words`, in the order their words are listed.
SOURCES = ("uniform", "language", "near-miss")


def _as_letters(idx: np.ndarray, lengths: np.ndarray, alphabet: Sequence[str]) -> list[Letters]:
    return [tuple(alphabet[i] for i in idx[j, : lengths[j]]) for j in range(len(lengths))]


def uniform_words(alphabet: Sequence[str], lo: int, hi: int, n: int, rng: np.random.Generator) -> list[Letters]:
    """``n`` words, lengths uniform in ``lo..hi``, letters uniform."""
    lengths = rng.integers(lo, hi + 1, size=n)
    return [tuple(alphabet[i] for i in rng.integers(0, len(alphabet), size=int(L))) for L in lengths]


def language_words(dfa: DFA, lo: int, hi: int, n: int, rng: np.random.Generator) -> list[Letters]:
    """``n`` words of ``dfa``'s language, lengths uniform among ``lo..hi`` (those
    with words), uniform among the words of each length; ``[]`` when the
    language has no word there."""
    if n <= 0:
        return []
    try:
        idx, lengths = sample_words(dfa, (lo, hi), n, rng, source="language")
    except DataError:  # no word of these lengths
        return []
    return _as_letters(idx, lengths, dfa.alphabet)


def near_misses(words: Sequence[Letters], alphabet: Sequence[str], rng: np.random.Generator) -> list[Letters]:
    """Each word with one random edit: a letter changed, inserted or deleted
    (one third each; the empty word gets an insertion)."""
    out = []
    k = len(alphabet)
    for w in words:
        kind = int(rng.integers(0, 3)) if w else 1
        i = int(rng.integers(0, len(w) + (kind == 1)))
        if kind == 0:  # substitute: another letter
            a = alphabet[(alphabet.index(w[i]) + int(rng.integers(1, k))) % k] if k > 1 else w[i]
            out.append(w[:i] + (a,) + w[i + 1 :])
        elif kind == 1:
            out.append(w[:i] + (alphabet[int(rng.integers(0, k))],) + w[i:])
        else:
            out.append(w[:i] + w[i + 1 :])
    return out


def bin_words(
    alphabet: Sequence[str],
    lo: int,
    hi: int,
    n: int,
    rng: np.random.Generator,
    references: Sequence[DFA] = (),
) -> dict[str, list[Letters]]:
    """About ``n`` test words with lengths in ``lo..hi``, by source.

    A third from the languages of ``references`` (shared equally), a third
    near-misses of those language words, the rest uniform words (uniform
    words and their near-misses stand in when no reference has words
    there). A near-miss may leave the bin by one letter.
    """
    if lo > hi or lo < 0:
        raise DataError(f"bad length bin {lo}-{hi}")
    lang: list[Letters] = []
    for j, ref in enumerate(references):
        share = (n // 3) // len(references) + (j < (n // 3) % len(references))
        lang += language_words(ref, lo, hi, share, rng)
    uni = uniform_words(alphabet, lo, hi, n - n // 3 - len(lang), rng)  # uniform words fill what is missing
    base = lang if lang else uni
    picks = rng.integers(0, len(base), size=n // 3) if base else np.zeros(0, dtype=np.int64)
    near = near_misses([base[int(i)] for i in picks], tuple(alphabet), rng)
    return {"uniform": uni, "language": lang, "near-miss": near}


def access_words(dfa: DFA) -> list[Letters]:
    """The shortest word (BFS, alphabet order) reaching each reachable state, in BFS order."""
    access: dict[int, Letters] = {dfa.start: ()}
    queue = [dfa.start]
    for q in queue:
        for i, r in enumerate(dfa.transitions[q]):
            if r not in access:
                access[r] = access[q] + (dfa.alphabet[i],)
                queue.append(r)
    return [access[q] for q in queue]


def characterizing_suffixes(dfa: DFA) -> list[Letters]:
    """A set of suffixes that tells every two states of the minimal ``dfa`` apart
    (the empty word included): for each pair, a shortest word on which
    exactly one of them accepts. Breadth-first over pairs of states, so the
    cost is ``O(n^2 k)``."""
    m = dfa.minimize()
    n, k = m.n_states, m.n_letters
    acc = m.accept_mask
    table = m.table  # (n, k)
    # sep[p, q]: a shortest separating suffix, filled backwards from pairs that differ now
    sep: dict[tuple[int, int], Letters] = {}
    frontier = [(p, q) for p in range(n) for q in range(p + 1, n) if acc[p] != acc[q]]
    for pair in frontier:
        sep[pair] = ()
    preds: dict[tuple[int, int], list[tuple[tuple[int, int], int]]] = {}
    for p in range(n):
        for q in range(p + 1, n):
            for a in range(k):
                r, s = int(table[p, a]), int(table[q, a])
                if r != s:
                    preds.setdefault((min(r, s), max(r, s)), []).append(((p, q), a))
    while frontier:
        nxt = []
        for pair in frontier:
            for before, a in preds.get(pair, ()):
                if before not in sep:
                    sep[before] = (m.alphabet[a],) + sep[pair]
                    nxt.append(before)
        frontier = nxt
    return sorted(set(sep.values()) | {()}, key=lambda w: (len(w), w))


def shrink_word(
    word: Letters, still_fails: Callable[[Sequence[Letters]], np.ndarray], *, max_words: int = 2000
) -> Letters:
    """A shorter word that still fails, found by deleting blocks of letters.

    ``still_fails(words)`` answers for a batch of candidate words. Blocks of
    half the word, then a quarter, ..., then single letters are tried; each
    pass asks one batch and keeps the shortest candidate that still fails
    (ddmin-style). Stops when no single deletion fails or after ``max_words``
    candidates. The result is 1-minimal (no single letter can be removed)
    unless the budget ran out.
    """
    best = tuple(word)
    asked = 0
    size = max(1, len(best) // 2)
    while best and asked < max_words:
        starts = range(0, len(best), size)
        cands = list(dict.fromkeys(best[:s] + best[s + size :] for s in starts))[: max_words - asked]
        asked += len(cands)
        fails = np.asarray(still_fails(cands), dtype=bool)
        if fails.any():
            best = min((c for c, f in zip(cands, fails) if f), key=len)
            size = min(size, max(1, len(best) // 2))
        elif size > 1:
            size = max(1, size // 2)
        else:
            break
    return best
