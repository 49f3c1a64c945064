"""Interchange triples (u, v, w): a base prefix, a source prefix of another class, a continuation that tells them apart.

An interchange intervention runs the base ``u``, replaces an activation at
u's last position by the one the source ``v`` produced at its last position,
and continues with ``w``. :func:`sample_triples` draws

- ``u`` and ``v`` with lengths uniform in a bin: for the ``language`` source
  uniform among the language's *prefixes* of that length (words that can
  still be completed into the language: what a model trained on the
  language's words reads), for ``uniform`` uniform words, for ``mixed`` one
  or the other with probability 1/2; ``v``
  with a different class than ``u`` under the target (and, for a quotient
  with a normal complement, the same complement class, so that v is exactly
  "u with its class replaced");
- ``w`` uniform among the continuations of length in ``w_lengths`` that keep
  the automaton from ``q_v`` live (uniform letters when it has no dead state
  or ``q_v`` is dead), kept only when the task's outputs along ``w`` from
  ``q_u`` differ from those from every *candidate* state: the states of
  v's class (just ``q_v`` for the ``state`` target). So the unpatched run,
  if it follows the automaton, fails the test, and a patched run passes only
  by following the class of v.

Outputs are compared as integer *codes* per position: the next-set bits
packed into an integer for the ``next`` task, the accept bit for ``member``,
the state for ``state`` (:func:`dfa_codes`, :func:`model_codes`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ..automata.dfa import DFA
from ..data import SOURCES, next_patterns
from ..errors import DataError
from .labels import Labeler

__all__ = ["Triples", "sample_triples", "dfa_codes", "dfa_targets", "model_codes"]


def dfa_codes(dfa: DFA, states: np.ndarray, task: str) -> np.ndarray:
    """Integer code of the task's output at each state (``-1`` stays ``-1``)."""
    states = np.asarray(states, dtype=np.int64)
    if task == "state":
        return states.copy()
    if task == "member":
        table = dfa.accept_mask.astype(np.int64)
    else:
        bits = next_patterns(dfa).astype(np.int64)  # (n, k+1)
        table = bits @ (1 << np.arange(bits.shape[1], dtype=np.int64))
    return np.where(states >= 0, table[np.maximum(states, 0)], -1)


def dfa_targets(dfa: DFA, states: np.ndarray, task: str) -> np.ndarray:
    """What the task head is trained toward at each state: ``(..., k+1)`` / ``(..., 1)`` bits or ``(...)`` states."""
    states = np.asarray(states, dtype=np.int64)
    safe = np.maximum(states, 0)
    if task == "state":
        return states.copy()
    if task == "member":
        return dfa.accept_mask[safe].astype(np.float32)[..., None]
    return next_patterns(dfa)[safe].astype(np.float32)


def model_codes(logits, task: str) -> np.ndarray:
    """Integer code of a model's prediction, ``(..., n_outputs)`` logits -> ``(...)`` (a torch or numpy array)."""
    x = logits.detach().cpu().numpy() if hasattr(logits, "detach") else np.asarray(logits)
    if task == "state":
        return x.argmax(-1).astype(np.int64)
    bits = (x > 0).astype(np.int64)
    return bits @ (1 << np.arange(bits.shape[-1], dtype=np.int64))


@dataclass(frozen=True, kw_only=True, eq=False)
class Triples:
    """Interchange triples as letter indices (tokenizer order), row-aligned.

    Attributes
    ----------
    u, v, w
        ``(n, Lmax)`` letter indices (0 past each word's end).
    u_len, v_len, w_len
        ``(n,)`` lengths (``w_len >= 1``).
    node_u, node_v
        ``(n,)`` the labeler's node after u and after v.
    candidates
        ``(n, c)`` DFA states the patched run may follow along w (``-1``
        pads): the states of v's class.
    """

    u: np.ndarray
    u_len: np.ndarray
    v: np.ndarray
    v_len: np.ndarray
    w: np.ndarray
    w_len: np.ndarray
    node_u: np.ndarray
    node_v: np.ndarray
    candidates: np.ndarray

    @property
    def n(self) -> int:
        return int(self.u_len.shape[0])

    def take(self, rows: np.ndarray) -> "Triples":
        """The triples ``rows`` (columns trimmed to the longest word kept)."""
        rows = np.asarray(rows, dtype=np.int64)
        out = {}
        for f in fields(self):
            a = getattr(self, f.name)[rows]
            out[f.name] = a
        for word in ("u", "v", "w"):
            width = int(out[f"{word}_len"].max(initial=0))
            out[word] = out[word][:, :width]
        return Triples(**out)


class _LiveSampler:
    """Uniform continuations of a given length that keep the DFA live (uniform letters if it cannot die)."""

    def __init__(self, dfa: DFA, max_len: int):
        self.dfa = dfa
        live = dfa.live_mask.astype(np.float64)  # (n,)
        self.dead = not bool(live.all())
        counts = [live]
        for _ in range(max_len):
            c = counts[-1][dfa.table].sum(1) * live  # (n,): live words one letter longer
            counts.append(c / max(float(c.max()), 1.0))  # rescaled; only ratios are used
        self.counts = counts

    def sample(self, q: int, length: int, rng: np.random.Generator) -> np.ndarray:
        k = self.dfa.n_letters
        if not self.dead or not self.dfa.live_mask[q]:
            return rng.integers(0, k, size=length)
        out = np.empty(length, dtype=np.int64)
        for t in range(length):
            weights = self.counts[length - t - 1][self.dfa.table[q]]  # (k,)
            if not weights.sum() > 0:  # no continuation of this length stays live (a finite language): any letter
                weights = np.ones(k)
            a = int(rng.choice(k, p=weights / weights.sum()))
            out[t] = a
            q = int(self.dfa.table[q, a])
        return out


def _run(dfa: DFA, q: np.ndarray, word: np.ndarray) -> np.ndarray:
    """States (len(q), len(word)) after each letter of ``word`` from each start state in ``q``."""
    out = np.empty((len(q), len(word)), dtype=np.int64)
    for t, a in enumerate(word):
        q = dfa.table[q, a]
        out[:, t] = q
    return out


def sample_triples(
    labeler: Labeler,
    *,
    task: str,
    lengths: tuple[int, int],
    n: int,
    w_lengths: tuple[int, int],
    seed: int | np.random.Generator,
    source: str,
    tries: int = 8,
) -> Triples:
    """``n`` interchange triples with prefix lengths in ``lengths`` (see the module docstring).

    Parameters
    ----------
    labeler
        The target's labels (nodes, classes, the DFA).
    task
        The model's task (``next``, ``member``, ``state``): what "outputs" means.
    lengths, w_lengths
        Inclusive ranges of the prefixes' and of the continuations' lengths.
    n
        Triples wanted.
    seed
        Seed or generator.
    source
        Word source of the prefixes (``language``, ``mixed``, ``uniform``).
    tries
        Continuations drawn per pair before another source prefix is tried.

    Raises
    ------
    DataError
        When too few pairs can be told apart (e.g. a target with one class
        among the words of ``source``).
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng([int(seed), 0x17])
    dfa = labeler.dfa
    lo, hi = w_lengths
    if lo < 1 or hi < lo:
        raise DataError(f"continuation lengths must be a range of at least 1, got {lo}-{hi}")
    pool = max(4 * n, 64)
    sampler = _LiveSampler(dfa, max(hi, lengths[1]))
    idx, lens = _prefixes(dfa, lengths, pool, rng, source, sampler)
    nodes = labeler.nodes(idx, lens)[np.arange(pool), lens]  # (pool,)
    cls = labeler.node_class[nodes]
    comp = labeler.complement[nodes] if labeler.complement is not None else None
    state = labeler.states_of_nodes[nodes]
    members = {c: np.unique(labeler.states_of_nodes[labeler.node_class == c]) for c in np.unique(labeler.node_class)}
    rows_u, rows_v, ws, cands = [], [], [], []
    order = rng.permutation(pool)
    for i in order:
        if len(rows_u) == n:
            break
        ok = cls != cls[i]
        if comp is not None:
            ok &= comp == comp[i]
        choices = np.flatnonzero(ok)
        if not choices.size:
            continue
        for j in rng.permutation(choices)[:4]:
            cand = np.asarray([state[j]]) if comp is not None else members[int(cls[j])]
            w = _distinguishing(dfa, task, int(state[i]), int(state[j]), cand, sampler, (lo, hi), rng, tries)
            if w is not None:
                rows_u.append(i), rows_v.append(j), ws.append(w), cands.append(cand)
                break
    if len(rows_u) < max(1, n // 4):
        raise DataError(f"only {len(rows_u)} of {n} interchange pairs for target {labeler.target!r} of "
                        f"{dfa.name or 'the DFA'} with prefixes of length {lengths[0]}-{lengths[1]} "
                        f"({source} words): the classes are too few or too alike there (try --words mixed)")
    rows_u, rows_v = np.asarray(rows_u), np.asarray(rows_v)
    w_len = np.asarray([len(w) for w in ws], dtype=np.int64)
    w_idx = np.zeros((len(ws), int(w_len.max())), dtype=np.int64)
    for r, w in enumerate(ws):
        w_idx[r, : len(w)] = w
    width = max(len(c) for c in cands)
    cand_arr = np.full((len(cands), width), -1, dtype=np.int64)
    for r, c in enumerate(cands):
        cand_arr[r, : len(c)] = c
    u_len, v_len = lens[rows_u], lens[rows_v]
    return Triples(
        u=idx[rows_u][:, : int(u_len.max(initial=0))], u_len=u_len,
        v=idx[rows_v][:, : int(v_len.max(initial=0))], v_len=v_len,
        w=w_idx, w_len=w_len, node_u=nodes[rows_u], node_v=nodes[rows_v], candidates=cand_arr,
    )


def _prefixes(dfa: DFA, lengths: tuple[int, int], n: int, rng: np.random.Generator, source: str,
              sampler: _LiveSampler) -> tuple[np.ndarray, np.ndarray]:
    """``n`` prefixes with lengths uniform in ``lengths``: live words (``language``), uniform words, or a mix."""
    if source not in SOURCES:
        raise DataError(f"unknown word source {source!r}; expected one of {', '.join(SOURCES)}")
    lens = rng.integers(lengths[0], lengths[1] + 1, size=n).astype(np.int64)
    live = {"language": np.ones(n, bool), "uniform": np.zeros(n, bool), "mixed": rng.random(n) < 0.5}[source]
    if not dfa.live_mask[dfa.start]:
        live[:] = False  # the empty language: no prefix can be completed
    idx = np.zeros((n, int(lens.max(initial=0))), dtype=np.int64)
    for r in range(n):
        word = sampler.sample(dfa.start, int(lens[r]), rng) if live[r] else rng.integers(0, dfa.n_letters, lens[r])
        idx[r, : lens[r]] = word
    return idx, lens


def _distinguishing(dfa: DFA, task: str, q_u: int, q_v: int, candidates: np.ndarray, sampler: _LiveSampler,
                    w_lengths: tuple[int, int], rng: np.random.Generator, tries: int) -> np.ndarray | None:
    """A continuation from q_v on which q_u's outputs differ from every candidate's, or None."""
    for _ in range(tries):
        w = sampler.sample(q_v, int(rng.integers(w_lengths[0], w_lengths[1] + 1)), rng)
        codes = dfa_codes(dfa, _run(dfa, np.concatenate([[q_u], candidates]), w), task)  # (1 + c, |w|)
        if (codes[1:] != codes[0]).any(axis=1).all():
            return w
    return None
