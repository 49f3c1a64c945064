"""Fidelity: does an extracted automaton compute what the model computes?

An extraction is a claim about the model, so it is scored against the model
before it is compared with the truth (Weiss et al. 2018 call this agreement
with the network; Wang et al. 2018 fidelity). :func:`fidelity` asks the model
(any :class:`~automata_probe.extraction.oracles.MembershipOracle`) and the
automaton about

- every word of length ``0..n`` while there are at most ``exact_cap`` of them
  (exact agreement per length), and
- per length bin beyond (the training lengths and the longer bins), a seeded
  sample: uniform words, words of the reference language (the truth) and of
  the automaton's own language, and near-misses of both
  (:mod:`~automata_probe.extraction.search`), with a Wilson 95% interval.

Every prefix of every word is compared, so the shortest disagreeing prefix is
found, then shortened by deleting letters while it stays a disagreement
(:func:`~automata_probe.extraction.search.shrink_word`). A disagreement at an
enumerated length is the shortest there is; beyond, it is the shortest found.
The model is asked once per word: a
:class:`~automata_probe.extraction.oracles.ModelOracle` caches every prefix,
so scoring several automata on the shared sample costs one pass.
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from ..automata.dfa import DFA
from ..automata.words import format_word
from ..errors import AlphabetError, DataError
from .oracles import Letters, MembershipOracle, prefix_acceptance
from .search import bin_words, language_words, near_misses, shrink_word

__all__ = ["BinAgreement", "Fidelity", "FidelityPlan", "fidelity", "wilson_interval", "exact_length", "percent"]

log = logging.getLogger(__name__)


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a proportion (95% for ``z = 1.96``); ``(0, 1)`` when ``n = 0``."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = 0.0 if successes == 0 else max(0.0, centre - half)
    hi = 1.0 if successes == n else min(1.0, centre + half)
    return lo, hi


def percent(x: float) -> str:
    """``99.42%``; never rounds a disagreement away (``99.9917%``, not ``100.00%``)."""
    if x == 1:
        return "100%"
    for digits in (2, 4, 6):
        text = f"{100 * x:.{digits}f}"
        if not text.startswith("100"):
            return text + "%"
    return f"{100 * x:.8f}%"


def exact_length(k: int, cap: int) -> int:
    """The largest ``n`` with ``k^n <= cap`` (every word up to it is enumerated)."""
    if k <= 1:
        return 64
    n = 0
    while k ** (n + 1) <= cap:
        n += 1
    return n


@dataclass(frozen=True, kw_only=True)
class FidelityPlan:
    """Which words :func:`fidelity` checks.

    Attributes
    ----------
    bins
        Length bins sampled beyond the enumerated lengths, each ``(lo, hi)``;
        parts at or below the enumerated lengths are dropped.
    labels
        A name per bin (``train``, ``longer``), shown in reports.
    exact_cap
        Every word of length ``n`` is checked while ``k^n <= exact_cap``.
    words_per_bin
        Sampled words per bin (shared sample plus the automaton's own words).
    shrink_words
        Candidate words at most spent shortening the first disagreement.
    """

    bins: tuple[tuple[int, int], ...] = ((1, 60), (61, 120))
    labels: tuple[str, ...] = ()
    exact_cap: int = 1 << 14
    words_per_bin: int = 1200
    shrink_words: int = 1000

    def __post_init__(self) -> None:
        object.__setattr__(self, "bins", tuple((int(lo), int(hi)) for lo, hi in self.bins))
        labels = tuple(self.labels) or tuple("train" if i == 0 else "longer" for i in range(len(self.bins)))
        if len(labels) != len(self.bins):
            raise DataError(f"{len(labels)} labels for {len(self.bins)} bins")
        object.__setattr__(self, "labels", labels)
        for lo, hi in self.bins:
            if not 0 <= lo <= hi:
                raise DataError(f"bad length bin {lo}-{hi}")
        for name in ("exact_cap", "words_per_bin"):
            if getattr(self, name) < 1:
                raise DataError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.shrink_words < 0:
            raise DataError(f"shrink_words must be >= 0, got {self.shrink_words}")

    @property
    def max_length(self) -> int:
        return max((hi for _, hi in self.bins), default=0)

    def exact_up_to(self, k: int) -> int:
        """The longest length enumerated for an alphabet of ``k`` letters."""
        return min(exact_length(k, self.exact_cap), self.max_length)

    def planned_words(self, k: int) -> int:
        """Words :func:`fidelity` checks (extra words and shrinking aside)."""
        n = self.exact_up_to(k)
        return k**n + self.words_per_bin * sum(1 for lo, hi in self.bins if max(lo, n + 1) <= hi)


@dataclass(frozen=True, kw_only=True, eq=False)
class BinAgreement:
    """Agreement of the automaton with the model on the words of one length or bin.

    ``exact`` rows cover every word of one length (``lo == hi``); sampled rows
    give counts per source (``uniform``, ``language``, ``near-miss``, ``own``,
    ``own near-miss``) as ``(words, disagreements)``.
    """

    lo: int
    hi: int
    label: str
    n_words: int
    disagreements: int
    exact: bool
    by_source: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def agreement(self) -> float:
        return 1.0 - self.disagreements / self.n_words if self.n_words else float("nan")

    @property
    def interval(self) -> tuple[float, float]:
        """95% interval of the agreement (a point when exact)."""
        if self.exact:
            return self.agreement, self.agreement
        return wilson_interval(self.n_words - self.disagreements, self.n_words)

    @property
    def span(self) -> str:
        return str(self.lo) if self.lo == self.hi else f"{self.lo}-{self.hi}"

    def describe(self) -> str:
        """``99.42% [98.80, 99.72] at 15-60 (train; 7 of 1200 words disagree)``."""
        pct = percent(self.agreement)
        if self.exact:
            return f"{pct} at {self.span} ({self.disagreements} of all {self.n_words} words disagree)"
        lo, hi = self.interval
        return (f"{pct} [{percent(lo)}, {percent(hi)}] at {self.span} ({self.label}; "
                f"{self.disagreements} of {self.n_words} words disagree)")

    def to_dict(self) -> dict[str, Any]:
        return {
            "lo": self.lo, "hi": self.hi, "label": self.label, "n_words": self.n_words,
            "disagreements": self.disagreements, "agreement": self.agreement, "exact": self.exact,
            "interval": list(self.interval), "by_source": {k: list(v) for k, v in self.by_source.items()},
        }


@dataclass(frozen=True, kw_only=True, eq=False)
class Fidelity:
    """How faithful an automaton is to the model (:func:`fidelity`).

    Attributes
    ----------
    name
        The automaton's name.
    exact_up_to
        Every word of length ``0..exact_up_to`` was checked.
    rows
        One exact row per enumerated length, then one sampled row per bin.
    disagreement
        The shortest disagreement found (shrunk), or None.
    disagreement_is_shortest
        True when no shorter disagreement exists (it lies within the
        enumerated lengths).
    model_accepts
        The model's answer on ``disagreement`` (None when there is none).
    disagreement_source
        Where it was found: ``exact`` (the enumerated lengths), a sample
        source (``uniform``, ``language``, ``near-miss``, ``own``,
        ``own near-miss``), ``extra``, with ``prefix of`` when it is a
        proper prefix of such a word and ``, shrunk`` when letters were
        deleted; ``""`` when there is none.
    extra_words
        Further words checked (e.g. known counterexamples), with the count of
        disagreements among them.
    test_words, seconds
        Words checked in all, and the wall time.
    alphabet
        The automaton's alphabet (prints words unambiguously).
    not_scored, budget
        The bins (or their remaining lengths) left unscored because the time
        budget of ``budget`` seconds was spent; a bin cut short keeps its row
        with the words it scored.
    """

    name: str
    exact_up_to: int
    rows: tuple[BinAgreement, ...]
    disagreement: Letters | None
    disagreement_is_shortest: bool
    model_accepts: bool | None
    disagreement_source: str = ""
    extra_words: tuple[int, int] = (0, 0)
    test_words: int = 0
    seconds: float = 0.0
    alphabet: tuple[str, ...] | None = None
    not_scored: tuple[tuple[int, int], ...] = ()
    budget: float | None = None

    @property
    def faithful(self) -> bool:
        """No disagreement was found on any word checked."""
        return self.disagreement is None

    @property
    def max_length(self) -> int:
        return max([self.exact_up_to] + [r.hi for r in self.rows])

    @property
    def exact_rows(self) -> tuple[BinAgreement, ...]:
        return tuple(r for r in self.rows if r.exact)

    @property
    def sampled_rows(self) -> tuple[BinAgreement, ...]:
        return tuple(r for r in self.rows if not r.exact)

    def where(self) -> str:
        """``bbbbbbbbbbbbb (13 letters, the model accepts; shortest)``."""
        if self.disagreement is None:
            return "-"
        w = self.disagreement
        qual = "shortest" if self.disagreement_is_shortest else "shortest found"
        return (f"{format_word(w, self.alphabet)} ({len(w)} letters, the model {'accepts' if self.model_accepts else 'rejects'}; "
                f"{qual}, {self.disagreement_source})")

    def summary(self) -> str:
        """One line: agreement everywhere checked, or where it stops."""
        bad = [r for r in self.exact_rows if r.disagreements]
        if not bad:
            parts = [f"agrees on every word up to length {self.exact_up_to}"]
        else:
            first = bad[0].lo
            shown = ", ".join(f"{r.disagreements} of the {r.n_words} words of length {r.lo}" for r in bad[:3])
            more = f" and at {len(bad) - 3} more lengths" if len(bad) > 3 else ""
            parts = [f"agrees on every word up to length {first - 1}; disagrees on {shown}{more}"]
        parts += [r.describe() for r in self.sampled_rows]
        if self.not_scored:
            spans = ", ".join(f"{lo}-{hi}" for lo, hi in self.not_scored)
            parts.append(f"not scored: lengths {spans} (time budget of {self.budget:g} s spent)")
        if self.disagreement is not None:
            parts.append(f"first disagreement {self.where()}")
        return "; ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "faithful": self.faithful,
            "exact_up_to": self.exact_up_to,
            "rows": [r.to_dict() for r in self.rows],
            "disagreement": None if self.disagreement is None else list(self.disagreement),
            "disagreement_text": None if self.disagreement is None else format_word(self.disagreement, self.alphabet),
            "disagreement_is_shortest": self.disagreement_is_shortest,
            "model_accepts": self.model_accepts,
            "disagreement_source": self.disagreement_source,
            "extra_words": list(self.extra_words),
            "test_words": self.test_words,
            "seconds": self.seconds,
            "not_scored": [list(b) for b in self.not_scored],
            "budget": self.budget,
            "summary": self.summary(),
        }


# ------------------------------------------------------------------ scoring
def _disagreeing_prefix(dfa: DFA, word: Letters, got: np.ndarray) -> Letters | None:
    want = dfa.accept_mask[dfa.run(word)]  # (L + 1,)
    bad = np.flatnonzero(want != np.asarray(got, dtype=bool))
    return None if bad.size == 0 else word[: int(bad[0])]


def _enumerated(
    dfa: DFA, oracle: MembershipOracle, n: int, on_progress: Callable[[int], None] | None = None
) -> tuple[list[BinAgreement], Letters | None]:
    """Exact rows for lengths ``0..n`` from the ``k^n`` words of length ``n`` and their prefixes
    (asked in chunks, reporting the words done after each)."""
    k = dfa.n_letters
    idx = np.array(list(itertools.product(range(k), repeat=n)), dtype=np.int64).reshape(k**n, n)  # (k^n, n)
    words = [tuple(dfa.alphabet[i] for i in row) for row in idx]
    parts = []
    for s in range(0, len(words), 1024):
        parts += [np.asarray(a, dtype=bool) for a in prefix_acceptance(oracle, words[s : s + 1024])]
        if on_progress is not None:
            on_progress(min(s + 1024, len(words)))
    got = np.stack(parts)  # (k^n, n + 1)
    want = dfa.accept_mask[dfa.run_indices(idx)]  # (k^n, n + 1)
    bad = got != want  # (k^n, n + 1)
    rows, first = [], None
    for m in range(n + 1):
        distinct = np.arange(0, k**n, k ** (n - m))  # one row per word of length m (its first extension)
        d = int(bad[distinct, m].sum())
        rows.append(BinAgreement(lo=m, hi=m, label="exact", n_words=k**m, disagreements=d, exact=True))
        if d and first is None:
            first = words[int(distinct[np.flatnonzero(bad[distinct, m])[0]])][:m]
    return rows, first


def _sampled_words(
    dfa: DFA, lo: int, hi: int, n: int, seed: int, b: int, references: Sequence[DFA]
) -> dict[str, list[Letters]]:
    """The shared sample of a bin (same for every automaton scored with the
    same seed and references) and the automaton's own words."""
    shared_n = n - n // 3 if references else n
    words = bin_words(dfa.alphabet, lo, hi, shared_n, np.random.default_rng([seed, b]), references)
    if references:
        rng = np.random.default_rng([seed, b, 1])
        own = language_words(dfa, lo, hi, (n // 3) - (n // 3) // 2, rng)
        words["own"] = own
        words["own near-miss"] = near_misses(own[: (n // 3) // 2] or [], dfa.alphabet, rng) if own else []
    return words


def _score_bin(
    dfa: DFA, oracle: MembershipOracle, words: dict[str, list[Letters]], lo: int, hi: int, label: str,
    deadline: float | None = None,
) -> tuple[BinAgreement, list[tuple[Letters, str]]]:
    """(the bin's row, the first disagreeing prefix of each disagreeing word, with its source).

    Past ``deadline`` (a ``time.perf_counter()`` value) the words are asked in
    chunks of 128 and the row holds the words asked before the time ran out.
    """
    flat = [w for ws in words.values() for w in ws]
    if deadline is None:
        got = prefix_acceptance(oracle, flat)
    else:
        got = []
        for s in range(0, len(flat), 128):
            got += prefix_acceptance(oracle, flat[s : s + 128])
            if time.perf_counter() > deadline:
                break
    found: list[tuple[Letters, str]] = []
    by_source: dict[str, tuple[int, int]] = {}
    i = 0
    for src, ws in words.items():
        d = 0
        ws = ws[: max(0, len(got) - i)]
        for w in ws:
            acc = np.asarray(got[i], dtype=bool)
            i += 1
            p = _disagreeing_prefix(dfa, w, acc)
            if p is not None:
                found.append((p, src if len(p) == len(w) else f"prefix of {src}"))
                d += int(dfa.accepts(w) != bool(acc[-1]))
        if ws:
            by_source[src] = (len(ws), d)
    n = sum(c for c, _ in by_source.values())
    d = sum(x for _, x in by_source.values())
    return BinAgreement(lo=lo, hi=hi, label=label, n_words=n, disagreements=d, exact=False,
                        by_source=by_source), found


def fidelity(
    dfa: DFA,
    oracle: MembershipOracle,
    plan: FidelityPlan | None = None,
    *,
    references: Sequence[DFA] = (),
    extra_words: Sequence[Letters] = (),
    seed: int = 0,
    on_progress: Callable[[int], None] | None = None,
    seconds: float | None = None,
) -> Fidelity:
    """Score ``dfa`` against the model behind ``oracle``: agreement per length and bin.

    Parameters
    ----------
    dfa
        The automaton (an extraction, or the truth to score the model itself).
    oracle
        The model (:class:`~automata_probe.extraction.oracles.ModelOracle`) or
        any membership oracle over the same alphabet.
    plan
        The bins, the enumeration cap and the sample sizes.
    references
        Languages whose words (and near-misses) make up a third of each bin's
        shared sample, normally the truth; with references, another third of
        each bin is the automaton's own words and their near-misses.
    extra_words
        Words checked besides (known counterexamples of the model).
    seed
        Seeds the sample; automata scored with the same seed and references
        share the uniform, reference and near-miss words.
    on_progress
        Called with the number of words done after each part.
    seconds
        Time budget for the sampled bins (None: none). When it is spent, the
        bin being scored keeps the words scored so far and the later bins are
        listed in :attr:`Fidelity.not_scored`; the enumerated lengths are
        always scored in full.

    Returns
    -------
    Fidelity
    """
    plan = plan or FidelityPlan()
    if set(oracle.alphabet) != set(dfa.alphabet):
        raise AlphabetError(
            f"alphabets differ: {dfa.name or 'the automaton'} has {{{', '.join(dfa.alphabet)}}}, "
            f"the model has {{{', '.join(oracle.alphabet)}}}"
        )
    t0 = time.perf_counter()
    n_exact = plan.exact_up_to(dfa.n_letters)
    rows, first = _enumerated(dfa, oracle, n_exact, on_progress)
    done = dfa.n_letters**n_exact
    found = [] if first is None else [(first, "exact")]
    deadline = None if seconds is None else t0 + seconds
    not_scored: list[tuple[int, int]] = []
    for b, ((lo, hi), label) in enumerate(zip(plan.bins, plan.labels)):
        lo = max(lo, n_exact + 1)
        if lo > hi:
            continue
        if deadline is not None and time.perf_counter() > deadline:
            not_scored.append((lo, hi))
            continue
        words = _sampled_words(dfa, lo, hi, plan.words_per_bin, seed, b, references)
        row, bad = _score_bin(dfa, oracle, words, lo, hi, label, deadline)
        rows.append(row)
        found += bad
        done += row.n_words
        if on_progress is not None:
            on_progress(done)
    n_extra_bad = 0
    if extra_words:
        extra = [tuple(w) for w in extra_words]
        for w, acc in zip(extra, prefix_acceptance(oracle, extra)):
            p = _disagreeing_prefix(dfa, w, acc)
            if p is not None:
                found.append((p, "extra" if len(p) == len(w) else "prefix of extra"))
                n_extra_bad += 1
    best, source = min(found, key=lambda f: (len(f[0]), f[0])) if found else (None, "")
    shortest = best is not None and len(best) <= n_exact
    if best is not None and not shortest and plan.shrink_words:
        def still_fails(cands: Sequence[Letters]) -> np.ndarray:
            got = np.asarray(oracle.accepts_batch(list(cands)), dtype=bool)
            return got != np.array([dfa.accepts(c) for c in cands], dtype=bool)

        shrunk = shrink_word(best, still_fails, max_words=plan.shrink_words)
        source += ", shrunk" if len(shrunk) < len(best) else ""
        best = shrunk
    model_accepts = None if best is None else bool(oracle.accepts_batch([best])[0])
    result = Fidelity(
        name=dfa.name or "automaton", exact_up_to=n_exact, rows=tuple(rows), disagreement=best,
        disagreement_is_shortest=shortest, model_accepts=model_accepts, disagreement_source=source,
        extra_words=(len(extra_words), n_extra_bad), test_words=done + len(extra_words),
        seconds=time.perf_counter() - t0, alphabet=tuple(dfa.alphabet), not_scored=tuple(not_scored),
        budget=seconds,
    )
    log.info("fidelity of %s to the model: %s", result.name, result.summary())
    return result
