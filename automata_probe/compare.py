"""Compare two automata, or a model with an automaton, exactly where possible.

:func:`compare` answers, for a ground-truth DFA and another DFA over the same
alphabet: are the languages equal, what is the shortest word on which they
disagree, how many words of each length ``n = 0..N`` they disagree on (exact
integers from the product automaton, rate = count / k^n), how many states each
has once minimized, and which state of one corresponds to which state of the
other.

The state mapping comes from *co-occurrence*: run both automata side by side
and count how often truth state ``p`` and other state ``q`` are visited at the
same time. Either over every word of length ``0..m`` (exact, by dynamic
programming over the product automaton; each length is weighted equally, so
length ``n`` contributes ``count_n(p, q) / k^n``), or over every position of
the runs on given data words. The matrix is matched one-to-one with the
Hungarian algorithm (``scipy.optimize.linear_sum_assignment``), maximizing the
co-occurrence mass on matched pairs. Two equivalent minimal DFAs are isomorphic
and the matching is the isomorphism.

:func:`compare_model` compares a membership oracle (normally a trained network,
see :class:`automata_probe.extraction.oracles.ModelOracle`) with the truth per length:
exactly by enumerating all ``k^n`` words while ``k^n`` is at most a cap, and on
a seeded uniform sample of words beyond (each row says which).
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from .automata.dfa import (
    DFA,
    align_alphabet,
    check_same_alphabet,
    disagreement_counts,
    find_counterexample,
)
from .automata.words import format_word
from .errors import AlphabetError, DataError
from .extraction.oracles import MembershipOracle

__all__ = [
    "Comparison",
    "StateMapping",
    "LengthResult",
    "ModelComparison",
    "compare",
    "compare_model",
    "state_mapping",
    "cooccurrence",
]

log = logging.getLogger(__name__)

#: Default: words of length up to this are all enumerated by compare_model.
DEFAULT_EXACT_CAP = 1 << 14
#: Default number of sampled words per length beyond the cap.
DEFAULT_SAMPLES = 2000


# ------------------------------------------------------------------ mapping
@dataclass(frozen=True, kw_only=True)
class StateMapping:
    """A one-to-one matching of truth states to other states.

    Attributes
    ----------
    pairs
        ``(truth_state, other_state)`` pairs chosen by the assignment, sorted by
        truth state. States left over when the counts differ are unmatched.
    cooccurrence
        The ``(n_truth, n_other)`` co-occurrence matrix as nested tuples of
        floats (see the module docstring for the weighting).
    purity
        Fraction of the co-occurrence mass on which an other-state's majority
        truth state is right: ``sum_q max_p C[p, q] / sum C``. 1.0 means every
        state of the other automaton sits inside one truth state.
    matched_fraction
        Fraction of the mass on the matched pairs. 1.0 with equal state
        counts means the mapping is a bijection that the runs never violate.
    is_bijection
        Equal state counts, every state visited, and no mass off the matching.
    source
        What was counted, e.g. ``"all words of length <= 12"``.
    """

    pairs: tuple[tuple[int, int], ...]
    cooccurrence: tuple[tuple[float, ...], ...]
    purity: float
    matched_fraction: float
    is_bijection: bool
    source: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "pairs", tuple((int(p), int(q)) for p, q in self.pairs))
        object.__setattr__(
            self, "cooccurrence", tuple(tuple(float(x) for x in row) for row in self.cooccurrence)
        )

    def truth_to_other(self) -> dict[int, int]:
        """Truth state -> other state."""
        return dict(self.pairs)

    def other_to_truth(self) -> dict[int, int]:
        """Other state -> truth state."""
        return {q: p for p, q in self.pairs}

    def describe(self, truth: DFA | None = None, other: DFA | None = None) -> str:
        """``q0->q2, q1->q0, ...`` using the automata's state labels when given."""

        def lab(d: DFA | None, q: int) -> str:
            return d.label(q) if d is not None else f"q{q}"

        return ", ".join(f"{lab(truth, p)}->{lab(other, q)}" for p, q in self.pairs)

    def to_dict(self) -> dict[str, Any]:
        return {
            "pairs": [list(p) for p in self.pairs],
            "cooccurrence": [list(r) for r in self.cooccurrence],
            "purity": self.purity,
            "matched_fraction": self.matched_fraction,
            "is_bijection": self.is_bijection,
            "source": self.source,
        }


def cooccurrence(
    truth: DFA, other: DFA, *, length: int | None = None, data_words: Sequence[Any] | None = None
) -> tuple[np.ndarray, str]:
    """Co-occurrence matrix ``C[p, q]`` of truth state ``p`` and other state ``q``.

    Exactly one of ``length`` (all words of length ``0..length``, each length
    weighted equally) and ``data_words`` (every position of every run, the
    ``L + 1`` states of a word of length ``L``) must be given.

    Returns
    -------
    matrix
        Float array ``(truth.n_states, other.n_states)``.
    source
        A short description of what was counted.
    """
    if (length is None) == (data_words is None):
        raise DataError("give exactly one of length and data_words")
    check_same_alphabet(truth, other)
    other = align_alphabet(other, truth.alphabet)
    C = np.zeros((truth.n_states, other.n_states), dtype=np.float64)  # (n_truth, n_other)
    if data_words is not None:
        words = list(data_words)
        for w in words:
            idx = truth.encode(w)
            a = truth.run_indices(idx)  # (L+1,)
            b = other.run_indices(idx)  # (L+1,)
            np.add.at(C, (a, b), 1.0)
        return C, f"{len(words)} data words"
    if length < 0:
        raise DataError(f"length must be >= 0, got {length}")
    # distribution over product states, one length at a time (probabilities:
    # the mass at length n is count_n / k^n, so every length weighs 1)
    k = truth.n_letters
    t1, t2 = truth.table, other.table
    P = np.zeros_like(C)
    P[truth.start, other.start] = 1.0
    for n in range(length + 1):
        C += P
        if n == length:
            break
        nxt = np.zeros_like(P)
        ps, qs = np.nonzero(P)
        for i in range(k):
            np.add.at(nxt, (t1[ps, i], t2[qs, i]), P[ps, qs] / k)
        P = nxt
    return C, f"all words of length <= {length}"


def state_mapping(
    truth: DFA, other: DFA, *, length: int = 12, data_words: Sequence[Any] | None = None
) -> StateMapping:
    """Match truth states to other states one-to-one from their co-occurrence.

    Parameters
    ----------
    truth, other
        DFAs over the same alphabet (as sets). States are taken as given (not
        minimized), so a renumbered copy maps by its permutation.
    length
        Count over all words of length ``0..length`` (ignored with ``data_words``).
    data_words
        Count over the runs on these words instead.
    """
    from scipy.optimize import linear_sum_assignment

    if data_words is not None:
        C, source = cooccurrence(truth, other, data_words=data_words)
    else:
        C, source = cooccurrence(truth, other, length=length)
    total = float(C.sum())
    rows, cols = linear_sum_assignment(C, maximize=True)
    pairs = sorted(zip(rows.tolist(), cols.tolist()))
    matched = float(C[rows, cols].sum())
    purity = float(C.max(axis=0).sum() / total) if total > 0 else 0.0
    matched_fraction = matched / total if total > 0 else 0.0
    off = total - matched
    visited_truth = (C.sum(axis=1) > 0).all()
    visited_other = (C.sum(axis=0) > 0).all()
    is_bijection = bool(
        truth.n_states == other.n_states
        and visited_truth
        and visited_other
        and off <= 1e-12 * max(total, 1.0)
    )
    return StateMapping(
        pairs=tuple(pairs),
        cooccurrence=tuple(map(tuple, C.tolist())),
        purity=purity,
        matched_fraction=matched_fraction,
        is_bijection=is_bijection,
        source=source,
    )


# --------------------------------------------------------------- comparison
@dataclass(frozen=True, kw_only=True)
class Comparison:
    """Everything :func:`compare` finds out about two DFAs.

    Attributes
    ----------
    truth_name, other_name
        Display names.
    equivalent
        The two languages are equal.
    counterexample
        The shortest word on which they disagree (first in BFS order), or None.
    truth_accepts_counterexample
        Whether the truth accepts that word (None when equivalent).
    max_length
        ``N``: disagreement counts cover lengths ``0..N``.
    disagreements
        Exact number of words of each length on which they disagree.
    truth_states, other_states
        State counts of the minimal DFAs (dead state included).
    mapping
        State-to-state matching between the DFAs as given.
    verdict
        One line, e.g. ``"equivalent; 4 states each; mapping is a bijection"``.
    """

    truth_name: str
    other_name: str
    alphabet: tuple[str, ...]
    equivalent: bool
    counterexample: tuple[str, ...] | None
    truth_accepts_counterexample: bool | None
    max_length: int
    disagreements: tuple[int, ...]
    truth_states: int
    other_states: int
    mapping: StateMapping
    verdict: str = field(default="")

    def __post_init__(self) -> None:
        object.__setattr__(self, "disagreements", tuple(int(c) for c in self.disagreements))
        if len(self.disagreements) != self.max_length + 1:
            raise DataError(
                f"{len(self.disagreements)} disagreement counts for lengths 0..{self.max_length}"
            )
        if self.equivalent != (self.counterexample is None):
            raise DataError("equivalent must be True exactly when there is no counterexample")
        if not self.verdict:
            object.__setattr__(self, "verdict", _verdict(self))

    @property
    def totals(self) -> tuple[int, ...]:
        """``k^n`` for each length ``n``."""
        k = len(self.alphabet)
        return tuple(k**n for n in range(self.max_length + 1))

    @property
    def rates(self) -> tuple[float, ...]:
        """Disagreement rate per length: count / k^n."""
        return tuple(c / t for c, t in zip(self.disagreements, self.totals))

    @property
    def first_disagreement_length(self) -> int | None:
        return None if self.counterexample is None else len(self.counterexample)

    def to_dict(self) -> dict[str, Any]:
        return {
            "truth": self.truth_name,
            "other": self.other_name,
            "alphabet": list(self.alphabet),
            "equivalent": self.equivalent,
            "counterexample": None if self.counterexample is None else list(self.counterexample),
            "counterexample_text": None if self.counterexample is None else format_word(self.counterexample, self.alphabet),
            "truth_accepts_counterexample": self.truth_accepts_counterexample,
            "max_length": self.max_length,
            "disagreements": list(self.disagreements),
            "rates": list(self.rates),
            "truth_states": self.truth_states,
            "other_states": self.other_states,
            "mapping": self.mapping.to_dict(),
            "verdict": self.verdict,
        }


def _verdict(c: Comparison) -> str:
    if c.truth_states == c.other_states:
        states = f"{c.truth_states} states each"
    else:
        states = f"{c.truth_states} states (truth) vs {c.other_states}"
    if c.equivalent:
        bij = "mapping is a bijection" if c.mapping.is_bijection else "mapping is not a bijection"
        return f"equivalent; {states}; {bij}"
    assert c.counterexample is not None
    who = "truth accepts, other rejects" if c.truth_accepts_counterexample else "truth rejects, other accepts"
    rates = c.rates
    worst = max(range(len(rates)), key=lambda n: rates[n])
    tail = (
        f"; worst rate {rates[worst]:.3g} at length {worst}"
        if rates[worst] > 0
        else f"; no disagreement up to length {c.max_length}"
    )
    return (
        f"not equivalent; shortest counterexample {format_word(c.counterexample, c.alphabet)!s} "
        f"(length {len(c.counterexample)}, {who}); {states}{tail}"
    )


def compare(
    truth: DFA,
    other: DFA,
    *,
    max_length: int = 30,
    data_words: Sequence[Any] | None = None,
    mapping_length: int | None = None,
) -> Comparison:
    """Compare ``other`` with the ground truth ``truth``.

    Parameters
    ----------
    truth, other
        DFAs whose alphabets are equal as sets (letter order may differ).
    max_length
        Exact disagreement counts for every length ``0..max_length``.
    data_words
        Words whose runs define the state mapping; default: all words up to
        ``mapping_length``.
    mapping_length
        Length bound of the exact co-occurrence count (default
        ``min(max_length, 12)``; every length weighs the same, so longer adds
        little).

    Raises
    ------
    AlphabetError
        When the alphabets differ as sets.
    """
    check_same_alphabet(truth, other)
    if max_length < 0:
        raise DataError(f"max_length must be >= 0, got {max_length}")
    aligned = align_alphabet(other, truth.alphabet)
    cex = find_counterexample(truth, aligned)
    counts = disagreement_counts(truth, aligned, max_length)
    m_len = min(max_length, 12) if mapping_length is None else mapping_length
    mapping = state_mapping(truth, aligned, length=m_len, data_words=data_words)
    result = Comparison(
        truth_name=truth.name or "truth",
        other_name=other.name or "other",
        alphabet=truth.alphabet,
        equivalent=cex is None,
        counterexample=cex,
        truth_accepts_counterexample=None if cex is None else truth.accepts(cex),
        max_length=max_length,
        disagreements=tuple(counts),
        truth_states=truth.minimize().n_states,
        other_states=aligned.minimize().n_states,
        mapping=mapping,
    )
    log.info("compare %s vs %s: %s", result.truth_name, result.other_name, result.verdict)
    return result


# ------------------------------------------------------------ model vs truth
@dataclass(frozen=True, kw_only=True)
class LengthResult:
    """Agreement of a model with the truth at one length.

    ``exact`` is True when all ``k^n`` words were evaluated, False when
    ``n_words`` were sampled uniformly (with replacement) among them.
    """

    length: int
    n_words: int
    disagreements: int
    exact: bool

    def __post_init__(self) -> None:
        if self.n_words <= 0:
            raise DataError(f"length {self.length}: no words evaluated")
        if not 0 <= self.disagreements <= self.n_words:
            raise DataError(f"length {self.length}: {self.disagreements} disagreements of {self.n_words}")

    @property
    def rate(self) -> float:
        return self.disagreements / self.n_words

    def to_dict(self) -> dict[str, Any]:
        return {
            "length": self.length,
            "n_words": self.n_words,
            "disagreements": self.disagreements,
            "rate": self.rate,
            "exact": self.exact,
        }


@dataclass(frozen=True, kw_only=True)
class ModelComparison:
    """A model (through its membership oracle) against the truth, per length.

    Attributes
    ----------
    per_length
        One :class:`LengthResult` per length ``0..max_length``.
    counterexample
        The first disagreeing word found at the smallest length with a
        disagreement (the shortest counterexample overall when that length was
        enumerated exactly), or None when none was found.
    counterexample_is_shortest
        True when every length up to the counterexample's was exact.
    alphabet
        The truth's alphabet (prints the counterexample unambiguously).
    """

    truth_name: str
    per_length: tuple[LengthResult, ...]
    counterexample: tuple[str, ...] | None
    counterexample_is_shortest: bool
    verdict: str = field(default="")
    alphabet: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if not self.verdict:
            object.__setattr__(self, "verdict", _model_verdict(self))

    @property
    def rates(self) -> tuple[float, ...]:
        return tuple(r.rate for r in self.per_length)

    @property
    def exact(self) -> tuple[bool, ...]:
        return tuple(r.exact for r in self.per_length)

    def to_dict(self) -> dict[str, Any]:
        return {
            "truth": self.truth_name,
            "per_length": [r.to_dict() for r in self.per_length],
            "counterexample": None if self.counterexample is None else list(self.counterexample),
            "counterexample_is_shortest": self.counterexample_is_shortest,
            "verdict": self.verdict,
        }


def _model_verdict(m: ModelComparison) -> str:
    n_exact = sum(r.exact for r in m.per_length)
    n_max = m.per_length[-1].length if m.per_length else -1
    cover = f"exact up to length {n_exact - 1}" if n_exact else "sampled only"
    if n_exact < len(m.per_length):
        cover += f", sampled to {n_max}"
    if m.counterexample is None:
        return f"no disagreement found up to length {n_max} ({cover})"
    qual = "shortest" if m.counterexample_is_shortest else "first found"
    worst = max(m.per_length, key=lambda r: r.rate)
    return (
        f"disagrees; {qual} counterexample {format_word(m.counterexample, m.alphabet)} "
        f"(length {len(m.counterexample)}); worst rate {worst.rate:.3g} at length {worst.length} ({cover})"
    )


def compare_model(
    truth: DFA,
    oracle: MembershipOracle,
    max_length: int,
    *,
    exact_cap: int = DEFAULT_EXACT_CAP,
    samples: int = DEFAULT_SAMPLES,
    seed: int = 0,
    batch_size: int = 4096,
) -> ModelComparison:
    """Compare a membership oracle with the truth at every length ``0..max_length``.

    Lengths with ``k^n <= exact_cap`` are enumerated completely (exact rate);
    longer lengths draw ``samples`` words uniformly at random (seeded) and are
    marked ``exact=False``.

    Parameters
    ----------
    truth
        The ground-truth DFA.
    oracle
        Anything with ``alphabet`` and ``accepts_batch(words) -> bool array``.
    max_length
        Largest length compared.
    exact_cap, samples, seed
        Enumeration cap, sample size per longer length, and the sampling seed.
    """
    if set(oracle.alphabet) != set(truth.alphabet):
        raise AlphabetError(
            f"alphabets differ: {truth.name or 'the truth'} has {{{', '.join(truth.alphabet)}}}, "
            f"the model has {{{', '.join(oracle.alphabet)}}}"
        )
    if max_length < 0:
        raise DataError(f"max_length must be >= 0, got {max_length}")
    rng = np.random.default_rng(seed)
    letters = truth.alphabet
    k = len(letters)
    words: dict[int, np.ndarray] = {}
    exact: dict[int, bool] = {}
    for n in range(max_length + 1):  # sample in ascending length: the seed fixes every draw
        exact[n] = k**n <= exact_cap
        if exact[n]:
            words[n] = np.array(list(itertools.product(range(k), repeat=n)), dtype=np.int64).reshape(k**n, n)
        else:
            words[n] = rng.integers(0, k, size=(samples, n))
    # longest exact length first: an oracle that caches prefixes (ModelOracle)
    # then answers every shorter length from its cache
    order = sorted((n for n in exact if exact[n]), reverse=True) + [n for n in exact if not exact[n]]
    bad: dict[int, np.ndarray] = {}
    for n in order:
        idx = words[n]
        want = truth.accept_mask[truth.run_indices(idx)[:, -1]]  # (B,)
        got = np.empty(len(idx), dtype=bool)
        for s in range(0, len(idx), batch_size):
            chunk = [tuple(letters[i] for i in row) for row in idx[s : s + batch_size]]
            got[s : s + batch_size] = np.asarray(oracle.accepts_batch(chunk), dtype=bool)
        bad[n] = np.flatnonzero(got != want)
    per_length = [
        LengthResult(length=n, n_words=len(words[n]), disagreements=int(bad[n].size), exact=exact[n])
        for n in range(max_length + 1)
    ]
    cex: tuple[str, ...] | None = None
    cex_shortest = False
    first = next((n for n in range(max_length + 1) if bad[n].size), None)
    if first is not None:
        cex = tuple(letters[i] for i in words[first][bad[first][0]])
        cex_shortest = all(exact[n] for n in range(first + 1))
    result = ModelComparison(
        truth_name=truth.name or "truth",
        per_length=tuple(per_length),
        counterexample=cex,
        counterexample_is_shortest=cex_shortest,
        alphabet=tuple(truth.alphabet),
    )
    log.info("model vs %s: %s", result.truth_name, result.verdict)
    return result
