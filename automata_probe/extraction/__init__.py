"""Extract a DFA from a model: from probes, by clustering, or by active learning.

Three methods, kept apart the way AALpy keeps them apart (what is learnt, how
it is queried, how it is checked):

* **queried**: a :class:`MembershipOracle` answers "is this word accepted?".
  :class:`DFAOracle` answers from a DFA (it stands in for a model in every
  test); :class:`ModelOracle` answers from a network's outputs on
  ``[BOS] + word`` (:func:`acceptance_from_outputs`).
* **learnt**:

  - :func:`extract_from_probe`: given a predicted state for every position of
    every word (from a linear probe), the transition table is the majority
    vote over observed ``(state, letter) -> state`` steps and a state accepts
    when the model's own acceptance output says so at most positions decoded
    as that state; unobserved transitions go to a dead state; then minimize.
  - :func:`extract_by_clustering`: the same construction on k-means clusters
    of hidden states, with no labels at all (quantization in the style of
    Omlin & Giles 1996, "Extraction of rules from discrete-time recurrent
    neural networks"); ``k`` is the smallest value whose table is consistent
    (see :func:`extract_by_clustering`).
  - :func:`learn_dfa`: L* (Angluin 1987) or Kearns-Vazirani through AALpy
    (Muskardin et al. 2022), the oracle answering membership queries through a
    cached system-under-learning wrapper.

* **checked**: active learning needs an equivalence oracle; ours tests every
  word up to a length and random walks from every hypothesis state, a
  bounded number of words per round, rounds and membership queries
  (:class:`LearningBudget`), so the cost is bounded even when the model's
  language is not regular. The final check against the truth is exact:
  :func:`automata_probe.compare.compare`.

:func:`extract_all` runs every method on a trained model (the probe is a
:class:`~automata_probe.probing.estimators.LinearProbe` on activations from
:mod:`automata_probe.probing.activations`) and compares each result, and the model
itself, with the truth.

AALpy is optional: ``pip install automata-probe[learn]``.
"""

from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Protocol, Sequence, runtime_checkable

import numpy as np

from ..automata.dfa import DFA, Word, format_word
from ..errors import AlphabetError, AutomataProbeError, DataError

if TYPE_CHECKING:  # pragma: no cover
    from ..compare import Comparison, ModelComparison

__all__ = [
    "MembershipOracle",
    "DFAOracle",
    "ModelOracle",
    "acceptance_from_outputs",
    "alive_from_outputs",
    "TableEstimate",
    "estimate_table",
    "extract_from_probe",
    "ClusterDiagnostic",
    "ClusteringResult",
    "extract_by_clustering",
    "LearningBudget",
    "ActiveLearningResult",
    "learn_dfa",
    "dfa_from_aalpy",
    "METHODS",
    "MethodResult",
    "ExtractionReport",
    "extraction_words",
    "hidden_states",
    "extract_all",
]

log = logging.getLogger(__name__)

Letters = tuple[str, ...]


def _letters(word: Word, alphabet: Sequence[str]) -> Letters:
    """A word as a tuple of letters (strings split per character when every
    letter is one character, on whitespace otherwise)."""
    if isinstance(word, str):
        if all(len(a) == 1 for a in alphabet):
            return tuple(word)
        return tuple(word.split())
    return tuple(word)


# =================================================================== oracles
@runtime_checkable
class MembershipOracle(Protocol):
    """Answers membership queries for a language over ``alphabet``.

    ``accepts_batch(words)`` returns a boolean array with one entry per word
    (words are sequences of letters; the empty word is ``()``).
    """

    alphabet: tuple[str, ...]

    def accepts_batch(self, words: Sequence[Sequence[str]]) -> np.ndarray: ...


class DFAOracle:
    """A DFA answering membership queries: the stand-in for a model in tests.

    Parameters
    ----------
    dfa
        The automaton that answers.

    Attributes
    ----------
    n_queries
        Number of words asked so far (counting repeats).
    """

    def __init__(self, dfa: DFA) -> None:
        self.dfa = dfa
        self.alphabet = dfa.alphabet
        self.n_queries = 0

    def _encode(self, words: Sequence[Word]) -> tuple[np.ndarray, np.ndarray]:
        enc = [self.dfa.encode(_letters(w, self.alphabet)) for w in words]
        lengths = np.asarray([len(e) for e in enc], dtype=np.int64)
        idx = np.zeros((len(enc), int(lengths.max(initial=0))), dtype=np.int64)  # (B, Lmax)
        for i, e in enumerate(enc):
            idx[i, : len(e)] = e
        return idx, lengths

    def prefix_acceptance(self, words: Sequence[Word]) -> list[np.ndarray]:
        """For each word of length ``L``, the ``(L + 1,)`` acceptance of its prefixes."""
        self.n_queries += len(words)
        idx, lengths = self._encode(words)
        states = self.dfa.run_indices(idx) if len(words) else np.zeros((0, 1), dtype=np.int64)
        acc = self.dfa.accept_mask[states]  # (B, Lmax+1); entries past L are ignored
        return [acc[i, : lengths[i] + 1].copy() for i in range(len(words))]

    def accepts_batch(self, words: Sequence[Word]) -> np.ndarray:
        self.n_queries += len(words)
        idx, lengths = self._encode(words)
        if not len(words):
            return np.zeros(0, dtype=bool)
        states = self.dfa.run_indices(idx)  # (B, Lmax+1)
        return self.dfa.accept_mask[states[np.arange(len(words)), lengths]]


def acceptance_from_outputs(
    outputs: np.ndarray, letters: np.ndarray, task: str, dfa: DFA | None = None
) -> np.ndarray:
    """The model's acceptance of every prefix of one word, from its outputs.

    Parameters
    ----------
    outputs
        ``(L + 1, n_outputs)`` raw outputs (logits) at positions ``0..L``.
    letters
        ``(L,)`` letter indices of the word (alphabet order).
    task
        ``member``: the single output, logit > 0. ``state``: the argmax state
        is accepting in ``dfa``. ``next``: the prefix ``w1..wt`` is accepted
        when the end bit at ``t`` is on *and* every letter read so far was
        predicted possible (bit ``w_{s+1}`` on at every ``s < t``).
    dfa
        The training DFA; required for ``state``.

    Returns
    -------
    Boolean array ``(L + 1,)``.

    Notes
    -----
    Why not the end bit alone for ``next``: a model trained on the language's
    own words never sees a prefix in the dead state, and for a prefix-closed
    language (Tomita 4, every accepted word's prefixes are accepted) the end
    bit is 1 at every training position, so a model may keep it on forever.
    What the ``next`` task does teach is which letters may follow; a word
    leaves the language exactly when a letter outside the predicted set is
    read (the character-prediction criterion of Gers & Schmidhuber 2001 and
    Bhattamishra et al. 2020).
    """
    out = np.asarray(outputs)
    if task == "next":
        return alive_from_outputs(out, letters, task) & (out[:, -1] > 0)
    _check_outputs(out, letters)
    if task == "member":
        return out[:, 0] > 0
    if task == "state":
        if dfa is None:
            raise DataError("reading acceptance from a state head needs the training DFA")
        pred = out.argmax(axis=-1)
        return dfa.accept_mask[np.clip(pred, 0, dfa.n_states - 1)]
    raise DataError(f"unknown task {task!r}; expected next, member or state")


def _check_outputs(out: np.ndarray, letters: np.ndarray) -> np.ndarray:
    idx = np.asarray(letters, dtype=np.int64)
    if out.ndim != 2 or out.shape[0] != len(idx) + 1:
        raise DataError(f"outputs of shape {out.shape} do not fit a word of {len(idx)} letters")
    return idx


def alive_from_outputs(outputs: np.ndarray, letters: np.ndarray, task: str) -> np.ndarray:
    """Where the model itself still considers the word continuable: ``(L + 1,)`` bool.

    For ``next``: position ``t`` is alive when every letter read so far was
    predicted possible (bit ``w_{s+1}`` on at every ``s < t``); the first
    position is always alive. Other tasks have no such signal: all True.
    """
    out = np.asarray(outputs)
    idx = _check_outputs(out, letters)
    if task != "next":
        return np.ones(len(idx) + 1, dtype=bool)
    k = out.shape[1] - 1
    if idx.size and (idx.min() < 0 or idx.max() >= k):
        raise DataError(f"letter index outside 0..{k - 1}")
    allowed = out[np.arange(len(idx)), idx] > 0  # (L,): letter w_{t+1} predicted possible at t
    return np.concatenate([[True], np.logical_and.accumulate(allowed)])  # (L+1,)


class ModelOracle:
    """A trained network answering membership queries.

    The word ``w`` is fed as ``[BOS] + w``; the answer is read from the
    outputs along the word (see :func:`acceptance_from_outputs`: the member
    output or state head at the last position; for ``next``, the end bit at
    the last position and the predicted letter bits along the way). A causal model's output at
    position ``t`` depends only on the prefix ``w1..wt``, so one forward pass
    answers for every prefix; all of them are cached, and a batch of queries
    only runs the words that are not prefixes of other queried words.

    Parameters
    ----------
    model
        A model with ``forward(tokens (B, T)) -> (B, T, n_outputs)``.
    tokenizer
        The checkpoint's tokenizer (``encode(word)`` gives ``[BOS, ...]``).
    task
        ``next``, ``member`` or ``state``.
    dfa
        The training DFA (needed for task ``state`` only).
    batch_size
        Words per forward pass.
    device
        Torch device for the forward passes.
    max_cache
        Cached answers kept at most; the cache is emptied when it would grow
        past this (answers are recomputed, never wrong).

    Attributes
    ----------
    n_forward_words
        Words actually run through the model (cache misses).
    """

    def __init__(
        self,
        model: Any,
        tokenizer: Any,
        task: str,
        *,
        dfa: DFA | None = None,
        batch_size: int = 256,
        device: str = "cpu",
        max_cache: int = 2_000_000,
    ) -> None:
        if task not in ("next", "member", "state"):
            raise DataError(f"unknown task {task!r}; expected next, member or state")
        if task == "state" and dfa is None:
            raise DataError("a model trained on the state task needs its training DFA to answer membership")
        self.model = model
        self.tokenizer = tokenizer
        self.task = task
        self.dfa = dfa
        self.alphabet = tuple(tokenizer.alphabet)
        self.batch_size = int(batch_size)
        self.device = device
        self.cache: dict[Letters, bool] = {}
        self.max_cache = int(max_cache)
        self.n_forward_words = 0

    def outputs(self, words: Sequence[Word]) -> list[np.ndarray]:
        """Raw outputs ``(L + 1, n_outputs)`` for each word (no caching)."""
        import torch

        seqs = [self.tokenizer.encode(_letters(w, self.alphabet)) for w in words]
        order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))  # little padding per batch
        result: list[np.ndarray | None] = [None] * len(seqs)
        was_training = getattr(self.model, "training", False)
        if hasattr(self.model, "eval"):
            self.model.eval()
        try:
            with torch.no_grad():
                for s in range(0, len(order), self.batch_size):
                    chunk = order[s : s + self.batch_size]
                    T = max(len(seqs[i]) for i in chunk)
                    tokens = np.full((len(chunk), T), self.tokenizer.PAD, dtype=np.int64)  # (B, T)
                    for r, i in enumerate(chunk):
                        tokens[r, : len(seqs[i])] = seqs[i]
                    out = self.model(torch.from_numpy(tokens).to(self.device))  # (B, T, n_out)
                    out = out.float().cpu().numpy()
                    for r, i in enumerate(chunk):
                        result[i] = out[r, : len(seqs[i])]
        finally:
            if was_training and hasattr(self.model, "train"):
                self.model.train()
        self.n_forward_words += len(seqs)
        return result  # type: ignore[return-value]

    def prefix_readings(self, words: Sequence[Word]) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """For each word of length ``L``: the model's ``(L + 1,)`` acceptance of
        its prefixes, and where it still considers them alive
        (:func:`alive_from_outputs`). Fills the cache."""
        letters = [_letters(w, self.alphabet) for w in words]
        outs = self.outputs(letters)
        if len(self.cache) + sum(len(w) + 1 for w in letters) > self.max_cache:
            self.cache.clear()
        accepted, alive = [], []
        index = {a: i for i, a in enumerate(self.alphabet)}
        for w, o in zip(letters, outs):
            idx = np.fromiter((index[a] for a in w), dtype=np.int64, count=len(w))
            acc = acceptance_from_outputs(o, idx, self.task, self.dfa)  # (L+1,)
            for t in range(len(w) + 1):
                self.cache[w[:t]] = bool(acc[t])
            accepted.append(acc)
            alive.append(alive_from_outputs(o, idx, self.task))
        return accepted, alive

    def prefix_acceptance(self, words: Sequence[Word]) -> list[np.ndarray]:
        """For each word of length ``L``, the model's ``(L + 1,)`` acceptance of its prefixes."""
        return self.prefix_readings(words)[0]

    def accepts_batch(self, words: Sequence[Word]) -> np.ndarray:
        letters = [_letters(w, self.alphabet) for w in words]
        missing = {w for w in letters if w not in self.cache}
        if missing:
            # run only the maximal words: every prefix comes with them
            covered: set[Letters] = set()
            run: list[Letters] = []
            for w in sorted(missing, key=len, reverse=True):
                if w in covered:
                    continue
                run.append(w)
                covered.update(w[:t] for t in range(len(w) + 1))
            self.prefix_acceptance(run)
        return np.fromiter((self.cache[w] for w in letters), dtype=bool, count=len(letters))


def _prefix_acceptance(oracle: MembershipOracle, words: Sequence[Letters]) -> list[np.ndarray]:
    """Per-prefix acceptance through the oracle's fast path when it has one."""
    fast = getattr(oracle, "prefix_acceptance", None)
    if fast is not None:
        return list(fast(words))
    flat = [w[:t] for w in words for t in range(len(w) + 1)]
    acc = np.asarray(oracle.accepts_batch(flat), dtype=bool)
    out, s = [], 0
    for w in words:
        out.append(acc[s : s + len(w) + 1])
        s += len(w) + 1
    return out


# ============================================= tables from per-position labels
@dataclass(frozen=True, kw_only=True, eq=False)
class TableEstimate:
    """A transition table estimated by majority from labelled runs.

    Attributes
    ----------
    dfa
        The DFA read off the table, *before* minimization: state ``i`` is the
        ``i``-th distinct label (``labels[i]``), plus a trailing dead state
        when some ``(state, letter)`` pair was never observed.
    labels
        The original label of each non-dead state.
    transition_consistency
        Fraction of observed steps ``(s, a) -> s'`` that agree with the
        majority successor of ``(s, a)`` (1.0 when there are no steps).
    acceptance_consistency
        Fraction of positions whose acceptance output agrees with the majority
        acceptance of their state.
    observed_steps
        Number of steps counted.
    unobserved
        Number of ``(state, letter)`` pairs never observed (sent to the dead state).
    """

    dfa: DFA
    labels: tuple[int, ...]
    transition_consistency: float
    acceptance_consistency: float
    observed_steps: int
    unobserved: int

    @property
    def consistency(self) -> float:
        """The smaller of the two consistencies."""
        return min(self.transition_consistency, self.acceptance_consistency)


def _check_runs(
    label_seqs: Sequence[np.ndarray], words: Sequence[Word], accept: Sequence[np.ndarray], alphabet: Sequence[str]
) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    if not (len(label_seqs) == len(words) == len(accept)):
        raise DataError(
            f"{len(label_seqs)} label sequences, {len(words)} words and {len(accept)} acceptance sequences: "
            "expected one of each per word"
        )
    if not words:
        raise DataError("no words to extract an automaton from")
    index = {a: i for i, a in enumerate(alphabet)}
    enc, labs, accs = [], [], []
    for n, (lab, w, acc) in enumerate(zip(label_seqs, words, accept)):
        letters = _letters(w, alphabet)
        try:
            e = np.fromiter((index[a] for a in letters), dtype=np.int64, count=len(letters))
        except KeyError as err:
            raise AlphabetError(f"word {n} has letter {err.args[0]!r}, which is not in the alphabet") from None
        lab = np.asarray(lab)
        acc = np.asarray(acc, dtype=bool)
        if lab.shape[0] != len(letters) + 1 or acc.shape[0] != len(letters) + 1:
            raise DataError(
                f"word {n} has {len(letters)} letters, so {len(letters) + 1} positions, but "
                f"{lab.shape[0]} labels and {acc.shape[0]} acceptance values"
            )
        enc.append(e)
        labs.append(lab)
        accs.append(acc)
    return enc, labs, accs


def estimate_table(
    state_sequences: Sequence[np.ndarray],
    words: Sequence[Word],
    accept_predictions: Sequence[np.ndarray],
    alphabet: Sequence[str],
    *,
    alive: Sequence[np.ndarray] | None = None,
) -> TableEstimate:
    """Majority-vote transition table and acceptance from labelled runs.

    Parameters
    ----------
    state_sequences
        For each word of length ``L``, ``L + 1`` integer labels: the (predicted)
        state at positions ``0..L`` (position 0 is before any letter).
    words
        The words (strings or letter sequences).
    accept_predictions
        For each word, ``L + 1`` booleans: the model's own acceptance output
        at each position (the end bit or membership output).
    alphabet
        The letters, in order.
    alive
        Optional, for each word ``L + 1`` booleans: False where the model
        itself has declared the prefix dead (a ``next``-task model that
        predicted the letter just read impossible, see
        :func:`alive_from_outputs`). Such positions are the dead state
        whatever their label says; steps out of them and their acceptance are
        not counted.

    Notes
    -----
    The start state is the most frequent label at position 0. Ties in a vote
    go to the smallest label; an acceptance tie rejects. Pairs never observed
    go to an added rejecting dead state (the same one the ``alive`` mask
    sends positions to).
    """
    letters = tuple(alphabet)
    enc, labs, accs = _check_runs(state_sequences, words, accept_predictions, letters)
    if alive is None:
        lives = [np.ones(len(x), dtype=bool) for x in labs]
    else:
        if len(alive) != len(labs):
            raise DataError(f"{len(alive)} alive masks for {len(labs)} words")
        lives = [np.asarray(a, dtype=bool) for a in alive]
        for n, (a, x) in enumerate(zip(lives, labs)):
            if a.shape != (len(x),):
                raise DataError(f"word {n} has {len(x)} positions but an alive mask of shape {a.shape}")
    live_labels = np.concatenate([x[a] for x, a in zip(labs, lives)])
    if live_labels.size == 0:
        raise DataError("every position is dead: no state to read a table from")
    uniq = np.unique(live_labels)
    m, k = len(uniq), len(letters)
    dead = m  # the added dead state
    ids = [np.where(a, np.searchsorted(uniq, np.where(a, x, uniq[0])), dead) for x, a in zip(labs, lives)]
    steps = np.zeros((m + 1, k, m + 1), dtype=np.int64)  # (state, letter, next); row `dead` unused
    acc_votes = np.zeros((m + 1, 2), dtype=np.int64)  # (state, [reject, accept])
    first = np.zeros(m + 1, dtype=np.int64)
    for s, e, a in zip(ids, enc, accs):
        first[s[0]] += 1
        src = s[:-1] != dead
        if len(e):
            np.add.at(steps, (s[:-1][src], e[src], s[1:][src]), 1)
        live = s != dead
        np.add.at(acc_votes, (s[live], a[live].astype(np.int64)), 1)
    steps, acc_votes = steps[:m], acc_votes[:m]
    observed = steps.sum(axis=2)  # (m, k)
    best = steps.argmax(axis=2)  # (m, k)
    agree = int(steps.max(axis=2).sum())
    n_steps = int(observed.sum())
    unobserved = int((observed == 0).sum())
    table = np.where(observed > 0, best, dead)
    rows = [tuple(int(x) for x in r) for r in table]
    accepting = {int(q) for q in np.flatnonzero(acc_votes[:, 1] > acc_votes[:, 0])}
    state_labels = [str(x) for x in uniq.tolist()]
    if (table == dead).any() or first[dead] > 0:
        rows.append((dead,) * k)
        state_labels.append("dead")
    start = int(first.argmax())
    dfa = DFA(
        alphabet=letters,
        transitions=tuple(rows),
        start=start,
        accepting=frozenset(accepting),
        state_labels=tuple(state_labels),
    )
    n_votes = int(acc_votes.sum())
    return TableEstimate(
        dfa=dfa,
        labels=tuple(int(x) if np.issubdtype(uniq.dtype, np.integer) else x for x in uniq.tolist()),
        transition_consistency=agree / n_steps if n_steps else 1.0,
        acceptance_consistency=int(acc_votes.max(axis=1).sum()) / n_votes if n_votes else 1.0,
        observed_steps=n_steps,
        unobserved=unobserved,
    )


def _tidy(dfa: DFA, name: str = "") -> DFA:
    """Minimal, canonical, states labelled ``q0, q1, ...`` and ``dead``."""
    m = dfa.minimize()
    dead = m.dead
    labels = tuple("dead" if q == dead else f"q{q}" for q in range(m.n_states))
    return DFA(
        alphabet=m.alphabet, transitions=m.transitions, start=m.start, accepting=m.accepting,
        name=name or m.name, state_labels=labels,
    )


def extract_from_probe(
    state_predictions: Sequence[np.ndarray],
    words: Sequence[Word],
    accept_predictions: Sequence[np.ndarray],
    alphabet: Sequence[str],
    *,
    alive: Sequence[np.ndarray] | None = None,
    name: str = "",
) -> DFA:
    """The minimal DFA read off probe-decoded states (see :func:`estimate_table`,
    which also explains ``alive``).

    Given a DFA's true run as ``state_predictions`` and its true acceptance as
    ``accept_predictions`` on words that exercise every transition, this
    returns exactly that DFA, minimized; a few wrong labels are outvoted.
    """
    est = estimate_table(state_predictions, words, accept_predictions, alphabet, alive=alive)
    log.info(
        "probe table: %d labels, transition consistency %.4f, acceptance consistency %.4f, %d unobserved",
        len(est.labels),
        est.transition_consistency,
        est.acceptance_consistency,
        est.unobserved,
    )
    return _tidy(est.dfa, name)


# ================================================================ clustering
@dataclass(frozen=True, kw_only=True)
class ClusterDiagnostic:
    """One candidate ``k`` of :func:`extract_by_clustering`."""

    k: int
    transition_consistency: float
    acceptance_consistency: float
    inertia: float
    states: int  # of the minimized DFA

    def to_dict(self) -> dict[str, Any]:
        return {
            "k": self.k,
            "transition_consistency": self.transition_consistency,
            "acceptance_consistency": self.acceptance_consistency,
            "inertia": self.inertia,
            "states": self.states,
        }


@dataclass(frozen=True, kw_only=True)
class ClusteringResult:
    """The DFA from clustering, the chosen ``k`` and every ``k`` tried."""

    dfa: DFA
    k: int
    diagnostics: tuple[ClusterDiagnostic, ...]
    criterion: str
    met_threshold: bool


def extract_by_clustering(
    hidden: Sequence[np.ndarray],
    words: Sequence[Word],
    accept_predictions: Sequence[np.ndarray],
    alphabet: Sequence[str],
    *,
    k_range: Iterable[int] = range(2, 21),
    seed: int = 0,
    threshold: float = 0.99,
    max_points: int = 20_000,
    n_init: int = 4,
    alive: Sequence[np.ndarray] | None = None,
    name: str = "",
) -> ClusteringResult:
    """Quantize hidden states with k-means and read a DFA off the clusters.

    For each ``k`` in ``k_range`` (ascending) the hidden vectors of all
    positions are clustered (k-means fit on at most ``max_points`` vectors
    drawn with ``seed``, then every vector assigned), and the table is built
    as in :func:`estimate_table`.

    **Criterion**: the smallest ``k`` whose table is consistent, i.e. at least
    ``threshold`` of the observed steps agree with their majority successor
    *and* at least ``threshold`` of the positions agree with their cluster's
    majority acceptance. Too few clusters merge states that go to different
    places or differ in acceptance, which breaks one of the two; extra
    clusters split states, which minimization undoes. If no ``k`` meets the
    threshold, the ``k`` with the largest smaller-of-the-two consistency wins
    (ties to the smaller ``k``) and ``met_threshold`` is False.

    Parameters
    ----------
    hidden
        For each word of length ``L``, an ``(L + 1, F)`` array of hidden
        vectors (position 0 is the state before any letter).
    words, accept_predictions, alphabet, alive
        As in :func:`estimate_table`; positions that are not alive are the
        dead state and are left out of the clustering.
    """
    from sklearn.cluster import KMeans

    ks = sorted({int(k) for k in k_range})
    if not ks or ks[0] < 1:
        raise DataError(f"k_range must hold positive cluster counts, got {ks}")
    if not 0 < threshold <= 1:
        raise DataError(f"threshold must lie in (0, 1], got {threshold}")
    feats = [np.asarray(h, dtype=np.float64) for h in hidden]
    if len(feats) != len(words):
        raise DataError(f"{len(feats)} hidden-state arrays for {len(words)} words")
    for n, (h, w) in enumerate(zip(feats, words)):
        L = len(_letters(w, alphabet))
        if h.ndim != 2 or h.shape[0] != L + 1:
            raise DataError(f"word {n} has {L + 1} positions but hidden states of shape {h.shape}")
    lives = [np.ones(len(h), dtype=bool) for h in feats] if alive is None else [np.asarray(a, bool) for a in alive]
    if len(lives) != len(feats) or any(a.shape != (len(h),) for a, h in zip(lives, feats)):
        raise DataError("the alive masks do not match the hidden states (one (L + 1,) mask per word)")
    live_all = np.concatenate(lives)
    X = np.concatenate(feats, axis=0)[live_all]  # (P_alive, F)
    if len(X) == 0:
        raise DataError("every position is dead: nothing to cluster")
    rng = np.random.default_rng(seed)
    fit_idx = rng.choice(len(X), size=min(max_points, len(X)), replace=False)
    X_fit = X[np.sort(fit_idx)]
    n_distinct = len(np.unique(X_fit, axis=0))
    if n_distinct < ks[0]:
        # fewer distinct live vectors than the smallest k (a model that calls
        # almost every prefix dead): each distinct vector is its own cluster
        log.info("only %d distinct live hidden vectors; clustering with k=%d", n_distinct, n_distinct)
        ks = [n_distinct]
    diagnostics: list[ClusterDiagnostic] = []
    results: dict[int, DFA] = {}
    chosen: int | None = None
    splits = np.cumsum([len(h) for h in feats])[:-1]
    for k in ks:
        if k > n_distinct:
            log.info("k=%d exceeds the %d distinct hidden vectors; stopping", k, n_distinct)
            break
        km = KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit(X_fit)
        labels = np.full(len(live_all), -1, dtype=np.int64)  # -1: dead positions (ignored)
        labels[live_all] = km.predict(X)
        est = estimate_table(np.split(labels, splits), words, accept_predictions, alphabet, alive=lives)
        dfa = _tidy(est.dfa, name)
        results[k] = dfa
        diagnostics.append(
            ClusterDiagnostic(
                k=k,
                transition_consistency=est.transition_consistency,
                acceptance_consistency=est.acceptance_consistency,
                inertia=float(km.inertia_),
                states=dfa.n_states,
            )
        )
        log.info(
            "k=%d: transition consistency %.4f, acceptance consistency %.4f, %d states",
            k,
            est.transition_consistency,
            est.acceptance_consistency,
            dfa.n_states,
        )
        if est.consistency >= threshold:
            chosen = k
            break
    if not diagnostics:
        raise DataError("no cluster count in k_range fits the hidden states")
    met = chosen is not None
    if chosen is None:
        best = max(diagnostics, key=lambda d: (min(d.transition_consistency, d.acceptance_consistency), -d.k))
        chosen = best.k
    return ClusteringResult(
        dfa=results[chosen],
        k=chosen,
        diagnostics=tuple(diagnostics),
        criterion=f"smallest k with transition and acceptance consistency >= {threshold:g}",
        met_threshold=met,
    )


# =========================================================== active learning
@dataclass(frozen=True, kw_only=True)
class LearningBudget:
    """Bounds on the cost of :func:`learn_dfa`.

    The equivalence oracle: each equivalence query tests (1) every word of
    length ``<= exhaustive_length`` (all prefixes of the words of exactly that
    length) and (2) for every hypothesis state, ``walks_per_state`` words: the
    state's shortest access word followed by a random suffix of length
    ``1..walk_length``. Every prefix of every test word is compared, and the
    shortest disagreeing prefix is returned. Cost per round: at most
    ``k^exhaustive_length + walks_per_state * n_states`` words.

    The learner: at most ``max_rounds`` equivalence queries and
    ``max_queries`` distinct membership queries (a model that is not a small
    DFA makes L* ask without end); a hypothesis with more than ``max_states``
    states is not tested further. When a budget runs out, the last
    hypothesis is returned and the result says it did not converge.

    ``exhaustive_length=None`` picks the largest length with at most
    ``exhaustive_words`` words.
    """

    exhaustive_length: int | None = None
    exhaustive_words: int = 2048
    walks_per_state: int = 200
    walk_length: int = 30
    max_rounds: int = 30
    max_states: int = 100
    max_queries: int = 5000

    def __post_init__(self) -> None:
        for f in ("exhaustive_words", "walks_per_state", "walk_length", "max_rounds", "max_states", "max_queries"):
            if getattr(self, f) < 1:
                raise DataError(f"{f} must be >= 1, got {getattr(self, f)}")
        if self.exhaustive_length is not None and self.exhaustive_length < 0:
            raise DataError(f"exhaustive_length must be >= 0, got {self.exhaustive_length}")

    def length_for(self, k: int) -> int:
        if self.exhaustive_length is not None:
            return self.exhaustive_length
        n = 0
        while k ** (n + 1) <= self.exhaustive_words:
            n += 1
        return n


@dataclass(frozen=True, kw_only=True)
class ActiveLearningResult:
    """Outcome of :func:`learn_dfa`.

    Attributes
    ----------
    dfa
        The learnt DFA (minimal, canonical).
    algorithm
        ``"lstar"`` or ``"kv"``.
    rounds
        Equivalence queries asked.
    membership_queries
        Distinct words the learner asked the oracle (cache misses of the
        system-under-learning wrapper).
    test_words
        Words the equivalence oracle ran, all rounds together.
    converged
        The last hypothesis passed the equivalence test; False when a budget
        (rounds or states) stopped learning.
    """

    dfa: DFA
    algorithm: str
    rounds: int
    membership_queries: int
    test_words: int
    converged: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "algorithm": self.algorithm,
            "states": self.dfa.n_states,
            "rounds": self.rounds,
            "membership_queries": self.membership_queries,
            "test_words": self.test_words,
            "converged": self.converged,
        }


def _require_aalpy() -> Any:
    try:
        import aalpy  # noqa: F401
        from aalpy import learning_algs
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise AutomataProbeError(
            f"active learning needs AALpy ({e}); install automata-probe[learn]"
        ) from None
    return learning_algs


def dfa_from_aalpy(automaton: Any, alphabet: Sequence[str], *, name: str = "") -> DFA:
    """Convert an AALpy ``Dfa`` to a minimal :class:`DFA` over ``alphabet``.

    Missing transitions (a partial hypothesis) go to a rejecting dead state.
    The initial state's ``is_accepting`` decides the empty word.
    """
    letters = tuple(alphabet)
    states = list(automaton.states)
    index = {id(s): i for i, s in enumerate(states)}
    n = len(states)
    rows, need_dead = [], False
    for s in states:
        row = []
        for a in letters:
            t = s.transitions.get(a)
            if t is None:
                need_dead = True
                row.append(n)
            else:
                row.append(index[id(t)])
        rows.append(tuple(row))
    if need_dead:
        rows.append((n,) * len(letters))
    dfa = DFA(
        alphabet=letters,
        transitions=tuple(rows),
        start=index[id(automaton.initial_state)],
        accepting=frozenset(i for i, s in enumerate(states) if s.is_accepting),
        name=name,
    )
    return dfa.minimize()


@lru_cache(maxsize=1)
def _aalpy_classes() -> tuple[type, type]:
    """The SUL and equivalence-oracle classes (AALpy is imported lazily)."""
    _require_aalpy()
    from aalpy.base import SUL, Oracle

    class OracleSUL(SUL):
        """A :class:`MembershipOracle` as an AALpy system under learning.

        ``step(None)`` answers the empty word (AALpy's convention for DFAs);
        answers are cached per word, and ``query`` asks all prefixes at once.
        """

        def __init__(self, oracle: MembershipOracle, max_queries: int) -> None:
            super().__init__()
            self.oracle = oracle
            self.max_queries = max_queries
            self.cache: dict[Letters, bool] = {}
            self._prefix: list[str] = []

        def ask(self, words: Sequence[Letters]) -> list[bool]:
            missing = list(dict.fromkeys(w for w in words if w not in self.cache))
            if missing and len(self.cache) + len(missing) > self.max_queries:
                raise _QueryBudgetExhausted(len(self.cache))
            if missing:
                answers = np.asarray(self.oracle.accepts_batch(missing), dtype=bool)
                self.cache.update(zip(missing, answers.tolist()))
            return [self.cache[w] for w in words]

        def pre(self) -> None:
            self._prefix = []

        def post(self) -> None:
            pass

        def step(self, letter: Any) -> bool:
            if letter is not None:
                self._prefix.append(letter)
            return self.ask([tuple(self._prefix)])[0]

        def query(self, word: tuple) -> list:
            self.pre()
            self.num_queries += 1
            word = tuple(word)
            if not word:
                out = self.ask([()])
            else:
                self.num_steps += len(word)
                out = self.ask([word[: t + 1] for t in range(len(word))])
            self.post()
            return out

    class BudgetEqOracle(Oracle):
        """Bounded-cost equivalence oracle; see :class:`LearningBudget`."""

        def __init__(
            self, alphabet: list, sul: Any, oracle: MembershipOracle, budget: LearningBudget, seed: int
        ) -> None:
            super().__init__(alphabet, sul)
            self.oracle = oracle
            self.budget = budget
            self.rng = np.random.default_rng(seed)
            self.letters = tuple(alphabet)
            self.rounds = 0
            self.test_words = 0
            self.converged = False
            self.last_hypothesis: DFA | None = None
            n = budget.length_for(len(self.letters))
            grid = np.indices((len(self.letters),) * n).reshape(n, -1).T if n else np.zeros((1, 0), int)
            self.exhaustive = [tuple(self.letters[i] for i in row) for row in grid]

        def find_cex(self, hypothesis: Any) -> tuple | None:
            self.rounds += 1
            hyp = dfa_from_aalpy(hypothesis, self.letters)
            self.last_hypothesis = hyp
            if hyp.n_states > self.budget.max_states:
                log.warning(
                    "hypothesis has %d states > max_states=%d; stopping", hyp.n_states, self.budget.max_states
                )
                self.converged = False
                return None
            tests = list(self.exhaustive)
            for u in _access_words(hyp):
                lens = self.rng.integers(1, self.budget.walk_length + 1, size=self.budget.walks_per_state)
                for L in lens:
                    v = self.rng.integers(0, len(self.letters), size=int(L))
                    tests.append(u + tuple(self.letters[i] for i in v))
            self.test_words += len(tests)
            got = _prefix_acceptance(self.oracle, tests)
            best: Letters | None = None
            for w, acc in zip(tests, got):
                want = hyp.accept_mask[hyp.run(w)]  # (L+1,)
                bad = np.flatnonzero(want != np.asarray(acc, dtype=bool))
                if bad.size:
                    cex = w[: int(bad[0])]
                    if best is None or len(cex) < len(best):
                        best = cex
            self.converged = best is None
            if best is not None:
                log.debug("round %d: counterexample %s", self.rounds, format_word(best))
            return best

    return OracleSUL, BudgetEqOracle


class _QueryBudgetExhausted(Exception):
    """Raised inside AALpy's loop when the membership-query budget is spent."""


def _access_words(dfa: DFA) -> list[Letters]:
    """The shortest (BFS, alphabet order) word reaching each reachable state."""
    access: dict[int, Letters] = {dfa.start: ()}
    queue = [dfa.start]
    for q in queue:
        for i, r in enumerate(dfa.transitions[q]):
            if r not in access:
                access[r] = access[q] + (dfa.alphabet[i],)
                queue.append(r)
    return [access[q] for q in queue]


def learn_dfa(
    oracle: MembershipOracle,
    *,
    algorithm: str = "lstar",
    budget: LearningBudget | None = None,
    seed: int = 0,
    name: str = "",
) -> ActiveLearningResult:
    """Learn a DFA from membership queries with L* or KV (through AALpy).

    Parameters
    ----------
    oracle
        Answers membership queries (:class:`DFAOracle`, :class:`ModelOracle`).
    algorithm
        ``"lstar"`` (Angluin's L*, Rivest-Schapire counterexample processing)
        or ``"kv"`` (Kearns-Vazirani).
    budget
        Bounds on the equivalence oracle (default :class:`LearningBudget()`).
    seed
        Seeds the equivalence oracle's random walks (and Python's ``random``
        for AALpy's internals, restored afterwards).

    Raises
    ------
    AutomataProbeError
        When AALpy is not installed.
    """
    if algorithm not in ("lstar", "kv"):
        raise DataError(f"unknown learning algorithm {algorithm!r}; expected lstar or kv")
    learning_algs = _require_aalpy()
    budget = budget or LearningBudget()
    OracleSUL, BudgetEqOracle = _aalpy_classes()
    letters = list(oracle.alphabet)
    sul = OracleSUL(oracle, budget.max_queries)
    eq = BudgetEqOracle(letters, sul, oracle, budget, seed)
    state = random.getstate()
    random.seed(seed)
    exhausted = False
    try:
        run = learning_algs.run_Lstar if algorithm == "lstar" else learning_algs.run_KV
        hypothesis = run(
            letters,
            sul,
            eq,
            automaton_type="dfa",
            max_learning_rounds=budget.max_rounds,
            print_level=0,
        )
        learnt = dfa_from_aalpy(hypothesis, letters)
    except _QueryBudgetExhausted:
        exhausted = True
        if eq.last_hypothesis is None:
            raise DataError(
                f"{algorithm} spent its budget of {budget.max_queries} membership queries before its first "
                "hypothesis; raise max_queries"
            ) from None
        log.warning("%s: membership-query budget of %d spent; returning the last hypothesis",
                    algorithm, budget.max_queries)
        learnt = eq.last_hypothesis
    finally:
        random.setstate(state)
    dfa = _tidy(learnt, name)
    result = ActiveLearningResult(
        dfa=dfa,
        algorithm=algorithm,
        rounds=eq.rounds,
        membership_queries=len(sul.cache),
        test_words=eq.test_words,
        converged=eq.converged and not exhausted,
    )
    log.info(
        "%s: %d states after %d rounds, %d membership queries, %d test words%s",
        algorithm,
        dfa.n_states,
        result.rounds,
        result.membership_queries,
        result.test_words,
        "" if result.converged else " (budget reached)",
    )
    return result


# ============================================================ on a network
#: The extraction methods, in the order reports list them.
METHODS = ("probe", "cluster", "lstar", "kv")


@dataclass(frozen=True, kw_only=True, eq=False)
class MethodResult:
    """One extraction method applied to a model, checked against the truth.

    Attributes
    ----------
    method
        ``probe``, ``cluster``, ``lstar`` or ``kv``.
    dfa
        The extracted DFA (minimal).
    seconds
        Wall time of the method (queries and fitting included).
    comparison
        :func:`automata_probe.compare.compare` of the truth with ``dfa``:
        equivalence, shortest counterexample, exact disagreement per length,
        the state mapping.
    details
        Method-specific plain values (probe site and accuracy, chosen k,
        query counts, ...).
    """

    method: str
    dfa: DFA
    seconds: float
    comparison: "Comparison"
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def states(self) -> int:
        return self.dfa.n_states

    @property
    def equivalent(self) -> bool:
        return self.comparison.equivalent

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "states": self.states,
            "seconds": self.seconds,
            "equivalent": self.equivalent,
            "comparison": self.comparison.to_dict(),
            "details": dict(self.details),
        }


@dataclass(frozen=True, kw_only=True, eq=False)
class ExtractionReport:
    """All methods on one model, plus the model itself against the truth.

    Attributes
    ----------
    truth
        The ground-truth DFA (minimal).
    results
        One :class:`MethodResult` per method run.
    model
        The network itself (its acceptance output) against the truth, per
        length (:func:`automata_probe.compare.compare_model`).
    n_words
        Words whose activations fed the probe and the clustering.
    """

    truth: DFA
    results: tuple[MethodResult, ...]
    model: "ModelComparison"
    n_words: int

    def result(self, method: str) -> MethodResult:
        for r in self.results:
            if r.method == method:
                return r
        raise KeyError(method)

    def to_dict(self) -> dict[str, Any]:
        return {
            "truth": self.truth.name,
            "truth_states": self.truth.n_states,
            "n_words": self.n_words,
            "results": [r.to_dict() for r in self.results],
            "model": self.model.to_dict(),
        }


def extraction_words(
    dfa: DFA, *, n_words: int, max_length: int, exhaustive_words: int, seed: int
) -> list[Letters]:
    """Words whose runs feed the probe and the clustering.

    Every word up to the length with at most ``exhaustive_words`` words (so
    every short transition is seen, the dead state included), then
    ``n_words`` sampled words with lengths uniform in ``1..max_length``, half
    uniform among the language's words and half uniform among all words
    (:func:`automata_probe.data.sample_words` with ``source="mixed"``).
    """
    from ..data import sample_words

    k = dfa.n_letters
    words: list[Letters] = []
    n, total = 0, 1
    words.append(())
    while total + k ** (n + 1) <= exhaustive_words:
        n += 1
        total += k**n
        grid = np.indices((k,) * n).reshape(n, -1).T
        words.extend(tuple(dfa.alphabet[i] for i in row) for row in grid)
    if n_words > 0 and max_length >= 1:
        idx, lengths = sample_words(dfa, (1, max_length), n_words, seed, source="mixed")
        words.extend(tuple(dfa.alphabet[i] for i in idx[j, : lengths[j]]) for j in range(len(lengths)))
    return words


def hidden_states(
    model: Any, tokenizer: Any, words: Sequence[Letters], *, sites: Sequence[str] | None = None,
    batch_size: int = 128,
) -> dict[str, list[np.ndarray]]:
    """Activations per site: for each word of length ``L`` an ``(L + 1, F)`` array.

    A per-word view of :func:`automata_probe.probing.activations.collect_activations`
    (row ``t`` is the activation after reading ``[BOS, w1..wt]``, aligned
    with ``q_t``).
    """
    from ..probing.activations import collect_activations

    acts = collect_activations(model, list(words), tokenizer, sites=sites, batch_size=batch_size)
    cuts = np.cumsum(np.asarray(acts.lengths) + 1)[:-1]
    return {site: np.split(acts[site], cuts) for site in acts.sites}


def _fit_probe_per_site(
    acts: dict[str, list[np.ndarray]], labels: list[np.ndarray], seed: int, max_rows: int
) -> tuple[str, Any, dict[str, float]]:
    """Fit a linear probe on each site (80% of words), score on the rest; return the best."""
    from ..probing.estimators import LinearProbe

    rng = np.random.default_rng(seed)
    n = len(labels)
    perm = rng.permutation(n)
    cut = min(max(1, int(0.8 * n)), n - 1) if n > 1 else 1
    train = np.sort(perm[:cut])
    test = np.sort(perm[cut:]) if cut < n else train  # a single word: score on it
    y_tr = np.concatenate([labels[i] for i in train])
    y_te = np.concatenate([labels[i] for i in test])
    rows = rng.choice(len(y_tr), size=min(max_rows, len(y_tr)), replace=False)
    scores: dict[str, float] = {}
    probes: dict[str, Any] = {}
    for site, hs in acts.items():
        X_tr = np.concatenate([hs[i] for i in train])[rows]
        X_te = np.concatenate([hs[i] for i in test])
        probe = LinearProbe(random_state=seed).fit(X_tr, y_tr[rows])
        scores[site] = float(probe.score(X_te, y_te))
        probes[site] = probe
        log.info("probe on %s: held-out accuracy %.4f", site, scores[site])
    best = max(scores, key=lambda s: (scores[s], -list(scores).index(s)))
    return best, probes[best], scores


def _reduce(hs: list[np.ndarray], components: int, seed: int) -> list[np.ndarray]:
    """Standardize and project to at most ``components`` principal components."""
    from sklearn.decomposition import PCA

    X = np.concatenate(hs)  # (P, F)
    mu, sd = X.mean(axis=0), X.std(axis=0)
    sd[sd == 0] = 1.0
    Z = (X - mu) / sd
    if Z.shape[1] > components:
        rng = np.random.default_rng(seed)
        fit = Z[rng.choice(len(Z), size=min(len(Z), 5000), replace=False)]
        Z = PCA(n_components=components, random_state=seed).fit(fit).transform(Z)
    return np.split(Z, np.cumsum([len(h) for h in hs])[:-1])


def extract_all(
    source: Any,
    language: Any = None,
    *,
    methods: Sequence[str] = METHODS,
    tokenizer: Any = None,
    task: str | None = None,
    max_length: int = 20,
    seed: int = 0,
    n_words: int = 600,
    word_max_length: int = 24,
    exhaustive_words: int = 512,
    k_range: Iterable[int] = range(2, 17),
    cluster_sites: Sequence[str] | None = None,
    pca_components: int = 32,
    budget: LearningBudget | None = None,
    probe_rows: int = 3000,
    device: str = "cpu",
) -> ExtractionReport:
    """Run the extraction methods on a model and compare each result with the truth.

    Parameters
    ----------
    source
        A :class:`~automata_probe.models.checkpoint.Checkpoint`, a path to one, or a
        model (then give ``tokenizer`` and ``task``).
    language
        The truth: a :class:`~automata_probe.automata.Language`, a DFA, or
        None for the checkpoint's own language.
    methods
        Any of :data:`METHODS`.
    max_length
        Comparisons (exact, over the product automaton) cover lengths ``0..max_length``;
        the model itself is compared per length up to it too.
    seed
        Seeds the word sample, the probe split, k-means and the equivalence oracle.
    n_words, word_max_length, exhaustive_words
        The words whose activations feed the probe and the clustering
        (:func:`extraction_words`).
    k_range
        Cluster counts tried (ascending; the smallest consistent one wins).
    cluster_sites
        Sites the clustering may use (default: every site but ``embed``); the
        site whose clustering is consistent at the smallest ``k`` wins (ties:
        higher consistency), so no label is used to pick it.
    pca_components
        Activations are standardized and reduced to this many principal
        components before k-means.
    budget
        The active learners' equivalence oracle budget.

    Notes
    -----
    The probe is a :class:`~automata_probe.probing.estimators.LinearProbe` fit per site
    on 80% of the words (by word, at most ``probe_rows`` positions) with the
    truth's states as labels; the site with the best held-out accuracy is
    used and its predictions on every position feed :func:`extract_from_probe`.
    Acceptance always comes from the model's own output.
    """
    from ..compare import compare, compare_model

    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise DataError(f"unknown extraction method {unknown[0]!r}; expected one of {', '.join(METHODS)}")
    model, tokenizer, task, train_dfa, truth = _resolve_source(source, language, tokenizer, task)
    truth = truth.minimize().with_name(truth.name or "truth")
    # letters travel by name everywhere below, so only the set has to match
    if set(tokenizer.alphabet) != set(truth.alphabet):
        raise AlphabetError(
            f"alphabets differ: the model reads {{{', '.join(tokenizer.alphabet)}}}, {truth.name} is over "
            f"{{{', '.join(truth.alphabet)}}}"
        )
    oracle = ModelOracle(model, tokenizer, task, dfa=train_dfa, device=device)
    results: list[MethodResult] = []
    words: list[Letters] = []
    acts: dict[str, list[np.ndarray]] = {}
    accept: list[np.ndarray] = []
    alive: list[np.ndarray] = []
    if "probe" in methods or "cluster" in methods:
        words = extraction_words(
            truth, n_words=n_words, max_length=word_max_length, exhaustive_words=exhaustive_words, seed=seed
        )
        t0 = time.perf_counter()
        accept, alive = oracle.prefix_readings(words)
        acts = hidden_states(model, tokenizer, words)
        shared = time.perf_counter() - t0
        log.info("activations of %d words at %d sites in %.1fs", len(words), len(acts), shared)
    else:
        shared = 0.0

    def finish(method: str, dfa: DFA, t0: float, details: dict[str, Any]) -> None:
        dfa = _tidy(dfa, method)
        seconds = time.perf_counter() - t0 + (shared if method in ("probe", "cluster") else 0.0)
        results.append(
            MethodResult(
                method=method,
                dfa=dfa,
                seconds=seconds,
                comparison=compare(truth, dfa, max_length=max_length),
                details=details,
            )
        )

    if "probe" in methods:
        t0 = time.perf_counter()
        labels = [np.asarray(truth.run(w)) for w in words]
        site, probe, scores = _fit_probe_per_site(acts, labels, seed, probe_rows)
        hs = acts[site]
        pred = np.split(probe.predict(np.concatenate(hs)), np.cumsum([len(h) for h in hs])[:-1])
        est = estimate_table(pred, words, accept, truth.alphabet, alive=alive)
        finish(
            "probe",
            est.dfa.minimize(),
            t0,
            {
                "site": site,
                "probe_accuracy": scores[site],
                "site_accuracies": scores,
                "transition_consistency": est.transition_consistency,
                "acceptance_consistency": est.acceptance_consistency,
            },
        )
    if "cluster" in methods:
        t0 = time.perf_counter()
        sites = list(cluster_sites) if cluster_sites is not None else [s for s in acts if s != "embed"]
        missing = [s for s in sites if s not in acts]
        if missing:
            raise DataError(f"unknown site {missing[0]!r}; the model has {', '.join(acts)}")
        best: tuple[tuple, str, ClusteringResult] | None = None
        per_site: dict[str, dict[str, Any]] = {}
        for s in sites:
            try:
                res = extract_by_clustering(
                    _reduce(acts[s], pca_components, seed), words, accept, truth.alphabet, k_range=k_range,
                    seed=seed, max_points=5000, alive=alive,
                )
            except DataError as e:  # e.g. a collapsed site with fewer distinct vectors than any k
                per_site[s] = {"error": str(e)}
                continue
            last = next(d for d in res.diagnostics if d.k == res.k)
            cons = min(last.transition_consistency, last.acceptance_consistency)
            per_site[s] = {"k": res.k, "consistency": cons, "met_threshold": res.met_threshold}
            key = (res.met_threshold, -res.k, cons)
            if best is None or key > best[0]:
                best = (key, s, res)
        if best is None:
            raise DataError(f"clustering: no site's hidden states fit any k in {list(k_range)} ({', '.join(sites)})")
        _, site, res = best
        finish(
            "cluster",
            res.dfa,
            t0,
            {
                "site": site,
                "k": res.k,
                "met_threshold": res.met_threshold,
                "criterion": res.criterion,
                "per_site": per_site,
                "diagnostics": [d.to_dict() for d in res.diagnostics],
            },
        )
    for algorithm in ("lstar", "kv"):
        if algorithm in methods:
            t0 = time.perf_counter()
            learnt = learn_dfa(oracle, algorithm=algorithm, budget=budget, seed=seed)
            finish(algorithm, learnt.dfa, t0, learnt.to_dict())
    model_cmp = compare_model(truth, oracle, max_length, seed=seed)
    return ExtractionReport(truth=truth, results=tuple(results), model=model_cmp, n_words=len(words))


def _resolve_source(source: Any, language: Any, tokenizer: Any, task: str | None) -> tuple[Any, Any, str, DFA | None, DFA]:
    """(model, tokenizer, task, training DFA, truth DFA) from a checkpoint or a model."""
    from ..models.checkpoint import Checkpoint, load_checkpoint

    ckpt = None
    if isinstance(source, (str, Path)):
        ckpt = load_checkpoint(source)
    elif isinstance(source, Checkpoint):
        ckpt = source
    if ckpt is not None:
        model = ckpt.build_model()
        tokenizer = tokenizer or ckpt.tokenizer
        task = task or ckpt.task
        train_dfa = ckpt.dfa
    else:
        model = source
        if tokenizer is None or task is None:
            raise DataError("extracting from a bare model needs its tokenizer and task")
        train_dfa = None
    truth: DFA | None
    if language is None:
        if ckpt is None:
            raise DataError("extracting from a bare model needs the true language")
        if ckpt.dfa is not None:
            truth = ckpt.dfa.with_name(ckpt.language_name)
        else:
            from ..automata import load_language

            lang = load_language(ckpt.language_name)
            truth = lang.dfa.with_name(lang.name)
    elif isinstance(language, DFA):
        truth = language
    else:  # a Language
        truth = language.dfa.with_name(language.name)
    if train_dfa is None:
        train_dfa = truth
    return model, tokenizer, task, train_dfa, truth
