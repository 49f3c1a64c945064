"""A transition table read off labelled runs: the probe-based extraction.

Given a (predicted) state for every position of every word, the transition
table is the majority vote over observed ``(state, letter) -> state`` steps
and a state accepts when the model's own acceptance output says so at most
positions labelled with it; unobserved transitions go to a dead state
(:func:`estimate_table`). :func:`extract_from_probe` minimizes the result;
:func:`tidy_dfa` is the canonical form every extraction method returns.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..automata.dfa import DFA
from ..automata.words import Word, split_word
from ..errors import AlphabetError, DataError

__all__ = ["TableEstimate", "estimate_table", "extract_from_probe", "tidy_dfa"]

log = logging.getLogger(__name__)


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


@dataclass(frozen=True, kw_only=True, eq=False)
class _Votes:
    """Counts over all runs; ``m`` labels, state ``m`` is the dead state."""

    steps: np.ndarray  # (m, k, m + 1): observed (state, letter) -> next
    accept: np.ndarray  # (m, 2): [reject, accept] votes per state
    first: np.ndarray  # (m + 1,): the state at position 0


def _check_runs(
    label_seqs: Sequence[np.ndarray], words: Sequence[Word], accept: Sequence[np.ndarray], alphabet: Sequence[str]
) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """(letter indices, labels, acceptance) per word, checked to fit together."""
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
        letters = split_word(w, alphabet)
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


def _alive_masks(alive: Sequence[np.ndarray] | None, labs: Sequence[np.ndarray]) -> list[np.ndarray]:
    """One ``(L + 1,)`` bool mask per word (all True when ``alive`` is None)."""
    if alive is None:
        return [np.ones(len(x), dtype=bool) for x in labs]
    if len(alive) != len(labs):
        raise DataError(f"{len(alive)} alive masks for {len(labs)} words")
    lives = [np.asarray(a, dtype=bool) for a in alive]
    for n, (a, x) in enumerate(zip(lives, labs)):
        if a.shape != (len(x),):
            raise DataError(f"word {n} has {len(x)} positions but an alive mask of shape {a.shape}")
    return lives


def _count_votes(
    ids: Sequence[np.ndarray], enc: Sequence[np.ndarray], accs: Sequence[np.ndarray], m: int, k: int
) -> _Votes:
    """Count steps, acceptance and start states over runs of state ids ``0..m`` (``m`` dead)."""
    dead = m
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
    return _Votes(steps=steps[:m], accept=acc_votes[:m], first=first)


def _read_table(votes: _Votes, uniq: np.ndarray, letters: tuple[str, ...]) -> TableEstimate:
    """The majority DFA and its consistencies (ties: smallest label; acceptance ties reject)."""
    m, k = len(uniq), len(letters)
    dead = m
    observed = votes.steps.sum(axis=2)  # (m, k)
    best = votes.steps.argmax(axis=2)  # (m, k)
    n_steps = int(observed.sum())
    table = np.where(observed > 0, best, dead)
    rows = [tuple(int(x) for x in r) for r in table]
    accepting = {int(q) for q in np.flatnonzero(votes.accept[:, 1] > votes.accept[:, 0])}
    state_labels = [str(x) for x in uniq.tolist()]
    if (table == dead).any() or votes.first[dead] > 0:
        rows.append((dead,) * k)
        state_labels.append("dead")
    dfa = DFA(
        alphabet=letters,
        transitions=tuple(rows),
        start=int(votes.first.argmax()),
        accepting=frozenset(accepting),
        state_labels=tuple(state_labels),
    )
    n_votes = int(votes.accept.sum())
    return TableEstimate(
        dfa=dfa,
        labels=tuple(int(x) if np.issubdtype(uniq.dtype, np.integer) else x for x in uniq.tolist()),
        transition_consistency=int(votes.steps.max(axis=2).sum()) / n_steps if n_steps else 1.0,
        acceptance_consistency=int(votes.accept.max(axis=1).sum()) / n_votes if n_votes else 1.0,
        observed_steps=n_steps,
        unobserved=int((observed == 0).sum()),
    )


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
        :func:`~automata_probe.extraction.oracles.alive_from_outputs`). Such
        positions are the dead state whatever their label says; steps out of
        them and their acceptance are not counted.

    Notes
    -----
    The start state is the most frequent label at position 0. Ties in a vote
    go to the smallest label; an acceptance tie rejects. Pairs never observed
    go to an added rejecting dead state (the same one the ``alive`` mask
    sends positions to).
    """
    letters = tuple(alphabet)
    enc, labs, accs = _check_runs(state_sequences, words, accept_predictions, letters)
    lives = _alive_masks(alive, labs)
    live_labels = np.concatenate([x[a] for x, a in zip(labs, lives)])
    if live_labels.size == 0:
        raise DataError("every position is dead: no state to read a table from")
    uniq = np.unique(live_labels)
    dead = len(uniq)  # the added dead state
    ids = [np.where(a, np.searchsorted(uniq, np.where(a, x, uniq[0])), dead) for x, a in zip(labs, lives)]
    return _read_table(_count_votes(ids, enc, accs, len(uniq), len(letters)), uniq, letters)


def tidy_dfa(dfa: DFA, name: str = "") -> DFA:
    """Minimal, canonical, states labelled ``q0, q1, ...`` and ``dead``: the
    form in which every extraction method returns its DFA."""
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
    return tidy_dfa(est.dfa, name)
