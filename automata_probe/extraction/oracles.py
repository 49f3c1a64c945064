"""Membership oracles: who answers "is this word accepted?".

:class:`DFAOracle` answers from a DFA (it stands in for a model in every
test); :class:`ModelOracle` answers from a network's outputs on
``[BOS] + word`` (:func:`acceptance_from_outputs`), caching every prefix.
:func:`prefix_acceptance` asks any oracle for the acceptance of every prefix
of some words, through the oracle's fast path when it has one.
"""

from __future__ import annotations

from typing import Any, Protocol, Sequence, runtime_checkable

import numpy as np

from ..automata.dfa import DFA
from ..automata.words import Word, split_word
from ..data import TASKS, Tokenizer, pad_words, tokens_from_indices
from ..errors import DataError

__all__ = [
    "Letters",
    "PrefixCache",
    "MembershipOracle",
    "DFAOracle",
    "ModelOracle",
    "acceptance_from_outputs",
    "alive_from_outputs",
    "prefix_acceptance",
]

#: A word as a tuple of letters (:func:`automata_probe.automata.dfa.split_word`).
Letters = tuple[str, ...]


class PrefixCache:
    """Known answers for words and all their prefixes, in a trie.

    A dictionary keyed by every prefix of every queried word holds ``L^2 / 2``
    letters for one word of length ``L``: at ``L = 250`` a few thousand words
    took gigabytes. The trie holds one node per distinct prefix, as rows of a
    numpy array: ``O(total letters)`` memory, about 13 bytes per node for a
    binary alphabet.

    Parameters
    ----------
    k
        Alphabet size; words are given as letter indices ``0..k-1``.
    """

    def __init__(self, k: int) -> None:
        self.k = int(k)
        self.clear()

    def clear(self) -> None:
        """Forget every answer."""
        self._children = np.full((1024, self.k), -1, dtype=np.int32)  # (capacity, k); -1: no child
        self._label = np.full(1024, -1, dtype=np.int8)  # (capacity,); -1 unknown, 0 rejected, 1 accepted
        self.n_nodes = 1  # node 0 is the empty word

    def __len__(self) -> int:
        """Nodes (distinct prefixes) stored."""
        return self.n_nodes

    @property
    def nbytes(self) -> int:
        return int(self._children.nbytes + self._label.nbytes)

    def _node(self, word: Sequence[int]) -> int:
        """The node of ``word``, or -1 when it was never stored."""
        node = 0
        children = self._children
        for a in word:
            node = int(children[node, a])
            if node < 0:
                return -1
        return node

    def _grow(self) -> None:
        cap = 2 * len(self._children)
        self._children = np.concatenate([self._children, np.full_like(self._children, -1)])[:cap]
        self._label = np.concatenate([self._label, np.full_like(self._label, -1)])[:cap]

    def get(self, word: Sequence[int]) -> int:
        """1 (accepted), 0 (rejected) or -1 (not known)."""
        node = self._node(word)
        return -1 if node < 0 else int(self._label[node])

    def prefixes(self, word: Sequence[int]) -> np.ndarray | None:
        """The ``(L + 1,)`` answers for every prefix of ``word``, or None when one is not known."""
        out = np.empty(len(word) + 1, dtype=bool)
        node = 0
        children, label = self._children, self._label
        for t in range(len(word) + 1):
            if label[node] < 0:
                return None
            out[t] = label[node] == 1
            if t < len(word):
                node = int(children[node, word[t]])
                if node < 0:
                    return None
        return out

    def put(self, word: Sequence[int], labels: np.ndarray) -> None:
        """Store the ``(L + 1,)`` answers for every prefix of ``word`` (length ``L``)."""
        node = 0
        self._label[0] = labels[0]
        for t, a in enumerate(word):
            nxt = int(self._children[node, a])
            if nxt < 0:
                if self.n_nodes == len(self._children):
                    self._grow()
                nxt = self.n_nodes
                self._children[node, a] = nxt
                self.n_nodes += 1
            self._label[nxt] = labels[t + 1]
            node = nxt

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
        """Letter indices ``(B, Lmax)`` and lengths ``(B,)``."""
        return pad_words([self.dfa.encode(w) for w in words])

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

    def hidden_states(self, words: Sequence[Word]) -> list[np.ndarray]:
        """The "activation" along each word: the one-hot DFA state, ``(L + 1, n_states)``
        per word (what a white-box search sees of a perfect model)."""
        eye = np.eye(self.dfa.n_states, dtype=np.float32)
        return [eye[np.asarray(self.dfa.run(w))] for w in words]


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
        The checkpoint's tokenizer: its ``alphabet`` orders the letters (the
        tokens themselves are :func:`automata_probe.data.tokens_from_indices`).
    task
        ``next``, ``member`` or ``state``.
    dfa
        The training DFA (needed for task ``state`` only).
    batch_size
        Words per forward pass.
    device
        Torch device for the forward passes.
    max_cache
        Cached prefixes kept at most (a :class:`PrefixCache`, about 13 bytes
        each); the cache is emptied when it would grow past this (answers are
        recomputed, never wrong).
    site
        The site whose activations :meth:`hidden_states` returns (default:
        the model's last site, e.g. ``final``).

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
        max_cache: int = 20_000_000,
        site: str | None = None,
    ) -> None:
        if task not in TASKS:
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
        self.cache = PrefixCache(len(self.alphabet))
        self.max_cache = int(max_cache)
        self.site = site
        self.n_forward_words = 0
        self._encoder = Tokenizer(alphabet=self.alphabet)  # word -> ids; unknown letters raise

    def _indices(self, word: Letters) -> np.ndarray:
        """``(L,)`` letter indices in alphabet order."""
        return self._encoder.encode(word)[1:] - Tokenizer.OFFSET

    def _forward(self, encoded: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Raw outputs ``(L + 1, n_outputs)`` for words given as letter indices."""
        import torch

        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))  # little padding per batch
        result: list[np.ndarray | None] = [None] * len(encoded)
        was_training = getattr(self.model, "training", False)
        if hasattr(self.model, "eval"):
            self.model.eval()
        try:
            with torch.no_grad():
                for s in range(0, len(order), self.batch_size):
                    chunk = order[s : s + self.batch_size]
                    tokens, _ = tokens_from_indices(*pad_words([encoded[i] for i in chunk]))  # (B, T)
                    out = self.model(torch.from_numpy(tokens).to(self.device))  # (B, T, n_out)
                    out = out.float().cpu().numpy()
                    for r, i in enumerate(chunk):
                        result[i] = out[r, : len(encoded[i]) + 1]
        finally:
            if was_training and hasattr(self.model, "train"):
                self.model.train()
        self.n_forward_words += len(encoded)
        return result  # type: ignore[return-value]

    def outputs(self, words: Sequence[Word]) -> list[np.ndarray]:
        """Raw outputs ``(L + 1, n_outputs)`` for each word (no caching)."""
        return self._forward([self._indices(split_word(w, self.alphabet)) for w in words])

    def prefix_readings(self, words: Sequence[Word]) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """For each word of length ``L``: the model's ``(L + 1,)`` acceptance of
        its prefixes, and where it still considers them alive
        (:func:`alive_from_outputs`). Fills the cache."""
        letters = [split_word(w, self.alphabet) for w in words]
        encoded = [self._indices(w) for w in letters]
        outs = self._forward(encoded)
        if len(self.cache) + sum(len(w) for w in letters) > self.max_cache:
            self.cache.clear()
        accepted, alive = [], []
        for idx, o in zip(encoded, outs):
            acc = acceptance_from_outputs(o, idx, self.task, self.dfa)  # (L+1,)
            self.cache.put(idx, acc)
            accepted.append(acc)
            alive.append(alive_from_outputs(o, idx, self.task))
        return accepted, alive

    def prefix_acceptance(self, words: Sequence[Word]) -> list[np.ndarray]:
        """For each word of length ``L``, the model's ``(L + 1,)`` acceptance of its prefixes
        (from the cache where every prefix is known, else from one forward pass)."""
        encoded = [self._indices(split_word(w, self.alphabet)) for w in words]
        out: list[np.ndarray | None] = [self.cache.prefixes(i) for i in encoded]
        missing = [j for j, a in enumerate(out) if a is None]
        if missing:
            for j, acc in zip(missing, self.prefix_readings([words[j] for j in missing])[0]):
                out[j] = acc
        return out  # type: ignore[return-value]

    def accepts_batch(self, words: Sequence[Word]) -> np.ndarray:
        letters = [split_word(w, self.alphabet) for w in words]
        encoded = [self._indices(w) for w in letters]
        known = np.fromiter((self.cache.get(i) for i in encoded), dtype=np.int8, count=len(encoded))
        missing = {letters[i] for i in np.flatnonzero(known < 0)}
        if missing:
            run = _maximal_words(missing)
            answers = {w: acc[-1] for w, acc in zip(run, self.prefix_acceptance(run))}
            for i in np.flatnonzero(known < 0):  # a prefix of a run word: its answer is on that run
                w = letters[i]
                known[i] = answers[w] if w in answers else self.cache.get(encoded[i])
        if (known < 0).any():  # the cache was emptied in between: ask those again, without it
            for i in np.flatnonzero(known < 0):
                known[i] = self.prefix_acceptance([letters[i]])[0][-1]
        return known.astype(bool)

    def hidden_states(self, words: Sequence[Word]) -> list[np.ndarray]:
        """The model's activation at :attr:`site` along each word: ``(L + 1, F)`` per word
        (row ``t`` after reading ``[BOS, w1..wt]``), through ``forward_sites``."""
        import torch

        site = self.site or self.model.site_names()[-1]
        encoded = [self._indices(split_word(w, self.alphabet)) for w in words]
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
        result: list[np.ndarray | None] = [None] * len(encoded)
        was_training = getattr(self.model, "training", False)
        self.model.eval()
        try:
            with torch.no_grad():
                for s in range(0, len(order), self.batch_size):
                    chunk = order[s : s + self.batch_size]
                    tokens, _ = tokens_from_indices(*pad_words([encoded[i] for i in chunk]))  # (B, T)
                    h = self.model.forward_sites(torch.from_numpy(tokens).to(self.device), sites=[site]).sites[site]
                    h = h.float().cpu().numpy()  # (B, T, F)
                    for r, i in enumerate(chunk):
                        result[i] = h[r, : len(encoded[i]) + 1]
        finally:
            if was_training:
                self.model.train()
        return result  # type: ignore[return-value]


def _maximal_words(words: set[Letters]) -> list[Letters]:
    """The words that are no prefix of another: running them answers every prefix."""
    covered: set[Letters] = set()
    run: list[Letters] = []
    for w in sorted(words, key=len, reverse=True):
        if w in covered:
            continue
        run.append(w)
        covered.update(w[:t] for t in range(len(w) + 1))
    return run


def prefix_acceptance(oracle: MembershipOracle, words: Sequence[Letters]) -> list[np.ndarray]:
    """Per-prefix acceptance ``(L + 1,)`` of each word, through the oracle's fast
    path (a ``prefix_acceptance`` method) when it has one."""
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
