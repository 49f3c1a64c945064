"""Probe a sequence model for an automaton's states, with the controls a reviewer asks for.

:func:`probe_model` samples words, runs the model, reads every site's
activations at every real position (``t = 0..L`` for a word of length ``L``,
aligned with the DFA run ``q_0..q_L``, see :mod:`automata_probe.data`), fits a
:class:`~automata_probe.probing.estimators.LinearProbe` per site and reports held-out
accuracy at the training lengths and at each longer bin, with:

- the **majority-class** baseline (the most frequent training label);
- the **same architecture untrained**: ``build_model(config, seed=seed)``
  (for a model trained with the same seed, the trained model's own
  initialization), probed exactly like the trained model. A random
  network is a reservoir: it keeps a decodable trace of the recent tokens, so
  on a language whose state is a function of the last few letters (Tomita 4:
  the number of trailing 0s, plus the dead state) an untrained model can probe
  well. That is a finding about the language, not a bug in the probe;
- a **control task** (Hewitt & Liang 2019, "Designing and Interpreting Probes
  with Control Tasks") and **selectivity** = accuracy - control accuracy;
- optionally an :class:`~automata_probe.probing.estimators.MLPProbe` for the
  linear/non-linear gap;
- a confusion matrix between true and predicted classes, accuracy by prefix
  length, and a 2-D PCA of one site's activations coloured by class.

Every number is computed for each seed in ``seeds`` (the seed fixes the words,
the untrained model's weights, the control labels and the probes) and
reported as mean and standard deviation over seeds.

Targets (labels per position ``t``, from the DFA the user names, which may
differ from the training language when the alphabets are the same set)
-----------------------------------------------------------------------
``state``   the state ``q_t`` of the *minimal* DFA (canonical numbering);
``monoid``  the syntactic monoid element of the prefix ``w_1..w_t``
            (:func:`automata_probe.algebra.transition_monoid` of the minimal
            DFA); finer than the state: the prefix's whole transformation;
``member``  whether ``q_t`` accepts (2 classes);
``next``    the set of letters that keep the word alive after ``q_t`` plus
            the end bit (the k-hot next-set of the training task), as a class
            id per distinct pattern.

All four are computed by a :class:`Labeler`: a deterministic automaton over
the model's alphabet with a class per node.

Words
-----
Words come from :func:`automata_probe.data.sample_words`. By default
(``source="auto"``) a probe asks about the distribution the model was trained
on: when the probed automaton is the checkpoint's own training language, the
words come from the checkpoint's training word source (``"language"`` for the
``next`` task, as Sarrof et al.: only positive strings; ``"mixed"`` for
``member`` and ``state``); otherwise, and for a bare model, ``"mixed"``.
``source="mixed"``: each word is, with probability 1/2, uniform among the
probed language's words of its length and otherwise uniform over all ``k^L``
words (lengths uniform in the bin). Uniform words alone would sit in the dead
state for most positions of most languages (a uniform word of length 50
almost surely contains ``000``); in-language words alone never visit the dead
state. The mixture visits every state, so for a model trained on positive
strings it asks an out-of-distribution question: does the model still know,
many letters later, that a prefix died? (A tomita4 model trained on positive
strings mostly does not: see the README.) ``source="language"`` restricts the
probe to in-language words (the dead state and, for prefix-closed languages,
every rejecting state are then absent), ``source="uniform"`` to uniform words.
If the language has no word in a bin, that bin falls back to uniform words.
Splits are by sequence: the training words, the held-out words at training
lengths and each longer bin are disjoint sets of *distinct* words; no word
(hence no position of it) is in two of them.

The control task
----------------
Hewitt & Liang give every word *type* a random label; a probe then scores
well on the control only by memorizing type -> label, so the control measures
what the probe can express on top of the representation, and selectivity
says how much of the real accuracy needs the representation to encode the
linguistic structure. Here the types must be surface features of the prefix
the model could carry, with enough of them that reading their labels takes
real capacity:

    control(w_1..w_t) = f(w_{t-m+1} .. w_t)

the last ``m`` letters (with a start marker in place of letters before
``w_1``, so short prefixes are their own types), under a fixed random function
``f`` onto the task's classes. ``m`` is the smallest window, at least 2, with
``k^m >= 4 * n_classes`` (about four types per class, Hewitt & Liang had
thousands of types for ~45 tags), so that ``f`` is an arbitrary, non-linear
(XOR-like) function of several recent tokens. The labels use the same classes
as the task, with a matched distribution: types (weighted by how often they
occur in the training positions) are assigned to classes by inverse CDF in a
random order, so each class's share of the positions matches the task's up
to one type's weight; types never seen in training get a class drawn from
the task's distribution.

Why not simpler or other controls:

- a random function of the current token alone is readable from any
  embedding (at most ``k`` types, each a linear region of the one-hot input):
  the control would be near 100% everywhere and measure nothing;
- a random DFA of the same size is a different automaton the model was never
  trained on; a low score there conflates "the probe cannot memorize" with
  "the model does not track that automaton", which is not the question a
  control task answers (and random DFAs often synchronize on short words, so
  their state is itself a function of recent letters).

With a window of ``m`` letters the control is also the right foil for the
reservoir effect above: a site that keeps only the last few letters scores
about as well on the control as on a state that depends only on those letters
(low selectivity, e.g. Tomita 4), and a site that tracks long-range state
(Tomita 7's "how many blocks so far") beats the control (high selectivity).
For a one-letter alphabet the window only sees ``min(t, m)``, so the control
is weak there.

Wide sites
----------
Sites wider than ``max_features`` (Mamba's SSM state has ``ED * N`` features,
2048 for d_model 64) are reduced before probing to their top
``max_features`` principal components (covariance of the standardized
training rows). The map is linear, so the probe stays linear (restricted to
that subspace); the report records the widths.
"""

from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from ..automata.dfa import DFA, format_word
from ..errors import DataError, ModelError

if TYPE_CHECKING:  # pragma: no cover
    import torch

    from ..automata import Language

__all__ = [
    "TARGETS",
    "Labeler",
    "make_labeler",
    "ControlTask",
    "make_control",
    "control_window",
    "ProbeWords",
    "sample_probe_words",
    "resolve_source",
    "Score",
    "BinScores",
    "SiteReport",
    "Projection",
    "ProbeReport",
    "probe_model",
]

log = logging.getLogger(__name__)

#: What a probe can be asked to read.
TARGETS = ("state", "monoid", "member", "next")

_CONTROL_TYPES_PER_CLASS = 4
_CONTROL_MAX_WINDOW = 12
_CONTROL_MAX_TYPES = 1 << 20


def _check_target(target: str) -> str:
    if target not in TARGETS:
        raise DataError(f"unknown probe target {target!r}; expected one of {', '.join(TARGETS)}")
    return target


# ------------------------------------------------------------------ labels
@dataclass(frozen=True, kw_only=True, eq=False)
class Labeler:
    """Per-position labels as a deterministic automaton with a class per node.

    Attributes
    ----------
    target
        One of :data:`TARGETS`.
    alphabet
        The letters, in the order of the letter indices it reads (the
        model's tokenizer order).
    table
        ``(n_nodes, k)`` transitions.
    start
        The node of the empty prefix.
    node_class
        ``(n_nodes,)`` class of each node.
    class_names
        Display name of each class.
    dfa
        The minimal DFA (aligned to ``alphabet``) the labels come from.
    """

    target: str
    alphabet: tuple[str, ...]
    table: np.ndarray
    start: int
    node_class: np.ndarray
    class_names: tuple[str, ...]
    dfa: DFA

    def __post_init__(self) -> None:
        _check_target(self.target)
        table = np.asarray(self.table, dtype=np.int64)
        cls = np.asarray(self.node_class, dtype=np.int64)
        if table.ndim != 2 or table.shape[1] != len(self.alphabet):
            raise DataError(f"labeler table has shape {table.shape} for {len(self.alphabet)} letters")
        if cls.shape != (table.shape[0],):
            raise DataError(f"labeler has {cls.shape} node classes for {table.shape[0]} nodes")
        if cls.size and (cls.min() < 0 or cls.max() >= len(self.class_names)):
            raise DataError("labeler node classes fall outside its class names")
        table.setflags(write=False)
        cls.setflags(write=False)
        object.__setattr__(self, "table", table)
        object.__setattr__(self, "node_class", cls)

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def nodes(self, indices: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """``(B, Lmax + 1)`` nodes visited (``-1`` past each word's end)."""
        idx, lengths = _check_indices(indices, lengths, len(self.alphabet))
        B, Lmax = idx.shape
        out = np.full((B, Lmax + 1), -1, dtype=np.int64)  # (B, Lmax+1)
        node = np.full(B, self.start, dtype=np.int64)
        out[:, 0] = node
        for t in range(Lmax):
            alive = lengths > t
            node = np.where(alive, self.table[node, np.where(alive, idx[:, t], 0)], node)
            out[:, t + 1] = np.where(alive, node, -1)
        return out

    def labels(self, indices: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """``(B, Lmax + 1)`` class of each prefix ``w_1..w_t`` (``-1`` past the end).

        Column ``t`` is the label after ``t`` letters; a word of length ``L``
        has ``L + 1`` labels.
        """
        nodes = self.nodes(indices, lengths)
        return np.where(nodes >= 0, self.node_class[np.maximum(nodes, 0)], -1)

    def word_labels(self, word: Sequence[str] | str) -> np.ndarray:
        """The ``L + 1`` labels of one word given as letters."""
        idx = self.dfa.encode(word)
        return self.labels(idx[None, :], np.asarray([len(idx)]))[0]


def _check_indices(indices: np.ndarray, lengths: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    idx = np.asarray(indices, dtype=np.int64)
    lengths = np.asarray(lengths, dtype=np.int64)
    if idx.ndim != 2 or lengths.shape != (idx.shape[0],):
        raise DataError(f"letter indices {idx.shape} and lengths {lengths.shape} do not describe words")
    if lengths.size and (lengths.min() < 0 or lengths.max() > idx.shape[1]):
        raise DataError(f"word lengths must lie in 0..{idx.shape[1]}")
    real = np.arange(idx.shape[1])[None, :] < lengths[:, None]
    if idx.size and ((idx < 0) | (idx >= k))[real].any():
        raise DataError(f"letter index outside 0..{k - 1}")
    return idx, lengths


def make_labeler(
    dfa: DFA,
    target: str = "state",
    *,
    alphabet: Sequence[str] | None = None,
    max_monoid: int = 200_000,
    what: str = "the model",
) -> Labeler:
    """Build the labels for ``target`` from ``dfa``.

    Parameters
    ----------
    dfa
        The automaton to probe for (it is minimized here).
    target
        ``"state"``, ``"monoid"``, ``"member"`` or ``"next"``.
    alphabet
        The model's letters in tokenizer order (default: the DFA's). It must
        be the same set as the DFA's alphabet.
    max_monoid
        Cap for the ``monoid`` target
        (:class:`~automata_probe.errors.MonoidTooLargeError` past it).
    what
        How the model is named in an alphabet error.

    Raises
    ------
    AlphabetError
        The alphabets are different sets (the message names both).
    """
    from ..automata.dfa import align_alphabet

    _check_target(target)
    letters = tuple(alphabet) if alphabet is not None else dfa.alphabet
    aligned = align_alphabet(dfa, letters, what=what)
    minimal = aligned.minimize()
    name = dfa.name or "dfa"
    minimal = minimal.with_name(name)
    n, k = minimal.n_states, minimal.n_letters
    if target == "state":
        return Labeler(
            target=target,
            alphabet=letters,
            table=minimal.table,
            start=minimal.start,
            node_class=np.arange(n),
            class_names=tuple(_state_name(minimal, q) for q in range(n)),
            dfa=minimal,
        )
    if target == "member":
        return Labeler(
            target=target,
            alphabet=letters,
            table=minimal.table,
            start=minimal.start,
            node_class=minimal.accept_mask.astype(np.int64),
            class_names=("reject", "accept"),
            dfa=minimal,
        )
    if target == "next":
        live_next = minimal.live_mask[minimal.table]  # (n, k)
        patterns = np.concatenate([live_next, minimal.accept_mask[:, None]], axis=1)  # (n, k+1)
        ids: dict[bytes, int] = {}
        names: list[str] = []
        cls = np.empty(n, dtype=np.int64)
        for q in range(n):
            key = patterns[q].tobytes()
            if key not in ids:
                ids[key] = len(names)
                allowed = [letters[i] for i in range(k) if patterns[q, i]]
                if patterns[q, k]:
                    allowed.append("END")
                names.append("{" + ",".join(allowed) + "}")
            cls[q] = ids[key]
        return Labeler(
            target=target,
            alphabet=letters,
            table=minimal.table,
            start=minimal.start,
            node_class=cls,
            class_names=tuple(names),
            dfa=minimal,
        )
    # monoid: the right Cayley graph of the transition monoid of the minimal DFA
    from ..algebra import transition_monoid

    monoid = transition_monoid(minimal, max_monoid=max_monoid)
    cayley = np.asarray(monoid.cayley, dtype=np.int64)  # (m, k): element of w.a from element of w
    order = monoid.dfa.alphabet
    if order != letters:  # columns follow the monoid's alphabet order
        cayley = cayley[:, [order.index(a) for a in letters]]
    return Labeler(
        target=target,
        alphabet=letters,
        table=cayley,
        start=0,  # element 0 is the identity (the empty word)
        node_class=np.arange(monoid.size),
        class_names=tuple(format_word(w) for w in monoid.words),
        dfa=minimal,
    )


def _state_name(dfa: DFA, q: int) -> str:
    name = dfa.label(q)
    return f"{name} (dead)" if q in dfa.dead_states and "dead" not in name else name


# ----------------------------------------------------------------- control
def control_window(n_letters: int, n_classes: int) -> int:
    """The default control window ``m``: the smallest ``m >= 2`` with
    ``k^m >= 4 * n_classes`` (capped so the type table stays small)."""
    m = 2
    while n_letters**m < _CONTROL_TYPES_PER_CLASS * n_classes and m < _CONTROL_MAX_WINDOW:
        if (n_letters + 1) ** (m + 1) > _CONTROL_MAX_TYPES:
            break
        m += 1
    return m


def _window_types(indices: np.ndarray, lengths: np.ndarray, window: int, k: int) -> np.ndarray:
    """``(B, Lmax + 1)`` type id of the last ``window`` letters of each prefix
    (digits base ``k + 1``, 0 = before the first letter; ``-1`` past the end)."""
    B, Lmax = indices.shape
    letters = np.zeros((B, Lmax + window), dtype=np.int64)  # (B, m + Lmax): m start markers, then w_1..w_Lmax
    letters[:, window:] = indices + 1
    # w_s sits in column window + s - 1, so the window w_{t-m+1..t} of
    # position t is columns t .. t + m - 1 (oldest letter = most significant digit)
    out = np.zeros((B, Lmax + 1), dtype=np.int64)  # (B, Lmax+1)
    for j in range(window):
        out = out * (k + 1) + letters[:, j : j + Lmax + 1]
    past = np.arange(Lmax + 1)[None, :] > lengths[:, None]
    out[past] = -1
    return out


@dataclass(frozen=True, kw_only=True, eq=False)
class ControlTask:
    """Control labels: a fixed random function of the prefix's last ``window`` letters.

    Attributes
    ----------
    window
        ``m``, letters looked back (the current one included).
    n_letters
        ``k``.
    mapping
        ``((k + 1) ** m,)`` class of each window type.
    n_classes
        Same as the probed task.
    seed
        The seed the function was drawn with.
    """

    window: int
    n_letters: int
    mapping: np.ndarray
    n_classes: int
    seed: int

    def __post_init__(self) -> None:
        if self.window < 1:
            raise DataError(f"control window {self.window} must be at least 1")
        mapping = np.asarray(self.mapping, dtype=np.int64)
        if mapping.shape != ((self.n_letters + 1) ** self.window,):
            n_types = (self.n_letters + 1) ** self.window
            raise DataError(f"control mapping has shape {mapping.shape}, expected ({n_types},)")
        mapping.setflags(write=False)
        object.__setattr__(self, "mapping", mapping)

    @property
    def n_types(self) -> int:
        return int(self.mapping.shape[0])

    def labels(self, indices: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """``(B, Lmax + 1)`` control label of each prefix (``-1`` past the end)."""
        idx, lengths = _check_indices(indices, lengths, self.n_letters)
        types = _window_types(idx, lengths, self.window, self.n_letters)
        return np.where(types >= 0, self.mapping[np.maximum(types, 0)], -1)


def make_control(
    indices: np.ndarray,
    lengths: np.ndarray,
    labels: np.ndarray,
    *,
    n_letters: int,
    n_classes: int,
    seed: int,
    window: int | None = None,
) -> ControlTask:
    """Draw the control function with the class distribution of ``labels``.

    Parameters
    ----------
    indices, lengths
        The probe's *training* words (``(B, Lmax)`` letter indices, ``(B,)``).
    labels
        ``(B, Lmax + 1)`` task labels of those words (``-1`` past the end).
    n_letters, n_classes
        ``k`` and the task's number of classes.
    seed
        Fixes the function.
    window
        ``m``; default :func:`control_window`.
    """
    idx, lengths = _check_indices(indices, lengths, n_letters)
    m = control_window(n_letters, n_classes) if window is None else int(window)
    n_types = (n_letters + 1) ** m
    types = _window_types(idx, lengths, m, n_letters)
    labels = np.asarray(labels, dtype=np.int64)
    real = types >= 0
    type_freq = np.bincount(types[real], minlength=n_types).astype(np.float64)
    class_freq = np.bincount(labels[real], minlength=n_classes).astype(np.float64)
    total = class_freq.sum()
    if total == 0:
        raise DataError("no positions to draw the control task's class distribution from")
    class_p = class_freq / total
    rng = np.random.default_rng([int(seed), 0xC0])
    type_order = rng.permutation(n_types)
    class_order = rng.permutation(n_classes)
    edges = np.cumsum(class_p[class_order])  # class CDF in a random class order
    w = type_freq[type_order]
    mids = (np.cumsum(w) - w / 2) / total  # midpoint of each type's mass
    slot = np.minimum(np.searchsorted(edges, mids, side="right"), n_classes - 1)
    mapping = np.empty(n_types, dtype=np.int64)
    mapping[type_order] = class_order[slot]
    unseen = type_freq == 0
    mapping[unseen] = rng.choice(n_classes, size=int(unseen.sum()), p=class_p)
    return ControlTask(window=m, n_letters=n_letters, mapping=mapping, n_classes=n_classes, seed=int(seed))


# ------------------------------------------------------------------- words
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
    from ..data import sample_words

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
    lengths, and testing it in each longer bin (see the module docstring).

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
    """
    from ..data import SOURCES

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
    all_lengths: list[int] = []
    split: list[int] = []
    for s, (b, n) in enumerate(sets):
        words, lens = _draw_distinct(dfa, b, n, rng, seen, what, source)
        all_words += words
        all_lengths += lens
        split += [s] * len(words)
    Lmax = max(all_lengths)
    indices = np.zeros((len(all_words), Lmax), dtype=np.int64)
    for i, w in enumerate(all_words):
        indices[i, : len(w)] = w
    return ProbeWords(
        indices=indices,
        lengths=np.asarray(all_lengths, dtype=np.int64),
        split=np.asarray(split, dtype=np.int64),
        bins=tuple(b for b, _ in sets),
    )


# ------------------------------------------------------------------ report
def _finite(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


@dataclass(frozen=True, kw_only=True)
class Score:
    """A number measured once per seed: the values, their mean and standard deviation.

    ``std`` is the sample standard deviation (``ddof=1``; 0 for one seed).
    """

    values: tuple[float, ...]
    mean: float = field(init=False)
    std: float = field(init=False)

    def __post_init__(self) -> None:
        vals = tuple(float(v) for v in self.values)
        if not vals:
            raise DataError("a score needs at least one value")
        object.__setattr__(self, "values", vals)
        arr = np.asarray(vals)
        object.__setattr__(self, "mean", float(arr.mean()))
        object.__setattr__(self, "std", float(arr.std(ddof=1)) if len(vals) > 1 else 0.0)

    def to_dict(self) -> dict[str, Any]:
        return {"mean": _finite(self.mean), "std": _finite(self.std), "values": [_finite(v) for v in self.values]}

    def __format__(self, spec: str) -> str:
        spec = spec or ".3f"
        if len(self.values) == 1:
            return format(self.mean, spec)
        return f"{format(self.mean, spec)}±{format(self.std, spec)}"


def _score_or_none(values: list[float] | None) -> Score | None:
    return Score(values=tuple(values)) if values else None


@dataclass(frozen=True, kw_only=True)
class BinScores:
    """Held-out scores in one length bin.

    Attributes
    ----------
    lengths
        ``(lo, hi)`` word lengths.
    at_train_lengths
        True for the held-out words at the training lengths.
    n_words, n_positions
        Per seed (seed order).
    accuracy
        Linear probe on the trained model.
    majority
        Always predicting the most frequent training label.
    untrained, control, selectivity, mlp
        None when not computed (``controls=False``, ``mlp=False``).
        ``selectivity`` is accuracy - control accuracy, per seed.
    """

    lengths: tuple[int, int]
    at_train_lengths: bool
    n_words: tuple[int, ...]
    n_positions: tuple[int, ...]
    accuracy: Score
    majority: Score
    untrained: Score | None = None
    control: Score | None = None
    selectivity: Score | None = None
    mlp: Score | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "lengths": list(self.lengths),
            "at_train_lengths": self.at_train_lengths,
            "n_words": list(self.n_words),
            "n_positions": list(self.n_positions),
        }
        for name in ("accuracy", "majority", "untrained", "control", "selectivity", "mlp"):
            s = getattr(self, name)
            out[name] = s.to_dict() if s is not None else None
        return out


@dataclass(frozen=True, kw_only=True)
class SiteReport:
    """Everything measured at one site.

    Attributes
    ----------
    site
        Stable site name (``embed``, ``layers.0.resid``, ...).
    n_features
        Width of the site.
    n_probe_features
        Width the probe saw (``min(n_features, max_features)``).
    bins
        ``bins[0]``: held-out words at the training lengths; then one per
        longer bin.
    train_accuracy
        The probe's accuracy on its own training positions.
    confusion
        ``confusion[i][j]``: held-out positions at the training lengths with
        true class ``i`` predicted ``j``, summed over seeds.
    confusion_longer
        The same over all longer bins.
    accuracy_by_length
        ``[t]``: held-out accuracy at prefix length ``t`` (all held-out sets
        and seeds pooled), None where no position has that length.
    positions_by_length
        ``[t]``: how many held-out positions that accuracy is over.
    """

    site: str
    n_features: int
    n_probe_features: int
    bins: tuple[BinScores, ...]
    train_accuracy: Score
    confusion: tuple[tuple[int, ...], ...]
    confusion_longer: tuple[tuple[int, ...], ...]
    accuracy_by_length: tuple[float | None, ...]
    positions_by_length: tuple[int, ...] = ()

    @property
    def at_train(self) -> BinScores:
        return self.bins[0]

    @property
    def longer(self) -> tuple[BinScores, ...]:
        return self.bins[1:]

    def to_dict(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "n_features": self.n_features,
            "n_probe_features": self.n_probe_features,
            "bins": [b.to_dict() for b in self.bins],
            "train_accuracy": self.train_accuracy.to_dict(),
            "confusion": [list(r) for r in self.confusion],
            "confusion_longer": [list(r) for r in self.confusion_longer],
            "accuracy_by_length": [_finite(a) if a is not None else None for a in self.accuracy_by_length],
            "positions_by_length": list(self.positions_by_length),
        }


def _site_rank(site: SiteReport) -> tuple[float, float]:
    longer = [b.accuracy.mean for b in site.longer]
    return site.at_train.accuracy.mean, float(np.mean(longer)) if longer else 0.0


@dataclass(frozen=True, kw_only=True)
class Projection:
    """A 2-D PCA of one site's held-out activations (first seed), for plotting.

    Attributes
    ----------
    site
        The site.
    points
        ``(n, 2)`` coordinates, as tuples.
    labels
        ``(n,)`` true class of each point.
    explained_variance
        Fraction of the variance of the probe's input features along each axis.
    """

    site: str
    points: tuple[tuple[float, float], ...]
    labels: tuple[int, ...]
    explained_variance: tuple[float, float]

    def __post_init__(self) -> None:
        if len(self.points) != len(self.labels):
            raise DataError(f"projection has {len(self.points)} points and {len(self.labels)} labels")

    def to_dict(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "points": [[round(x, 6), round(y, 6)] for x, y in self.points],
            "labels": list(self.labels),
            "explained_variance": list(self.explained_variance),
        }


@dataclass(frozen=True, kw_only=True)
class ProbeReport:
    """The result of :func:`probe_model`.

    Attributes
    ----------
    model
        A short description (architecture and size).
    checkpoint
        The checkpoint path ("" when a model object was probed).
    language
        The language the model was trained on ("" when unknown).
    dfa
        Name of the probed DFA.
    target
        The probed target.
    class_names
        Name of each class.
    seeds
        The seeds, in order (every :class:`Score` lists values in this order).
    n_train, n_test
        Words asked for per set.
    train_lengths, test_bins
        The length ranges.
    source
        Where the words came from (``"mixed"``, ``"language"``, ``"uniform"``).
    controls, mlp
        What was computed.
    control_window
        ``m`` of the control task (None without controls).
    max_features
        Sites wider than this were PCA-reduced (None: never).
    sites
        One :class:`SiteReport` per site, in model order.
    projection
        PCA of the best site's activations (None if there were no positions).
    """

    model: str
    checkpoint: str
    language: str
    dfa: str
    target: str
    class_names: tuple[str, ...]
    seeds: tuple[int, ...]
    n_train: int
    n_test: int
    train_lengths: tuple[int, int]
    test_bins: tuple[tuple[int, int], ...]
    source: str
    controls: bool
    mlp: bool
    control_window: int | None
    max_features: int | None
    sites: tuple[SiteReport, ...]
    projection: Projection | None = None

    def __post_init__(self) -> None:
        _check_target(self.target)
        if not self.sites:
            raise DataError("a probe report needs at least one site")

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def site(self, name: str) -> SiteReport:
        for s in self.sites:
            if s.site == name:
                return s
        raise KeyError(name)

    @property
    def best_site(self) -> SiteReport:
        """The site with the highest mean held-out accuracy at the training lengths;
        ties go to the higher mean over the longer bins, then to the earlier site."""
        return max(self.sites, key=_site_rank)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (NaN becomes None)."""
        return {
            "model": self.model,
            "checkpoint": self.checkpoint,
            "language": self.language,
            "dfa": self.dfa,
            "target": self.target,
            "class_names": list(self.class_names),
            "seeds": list(self.seeds),
            "n_train": self.n_train,
            "n_test": self.n_test,
            "train_lengths": list(self.train_lengths),
            "test_bins": [list(b) for b in self.test_bins],
            "source": self.source,
            "controls": self.controls,
            "mlp": self.mlp,
            "control_window": self.control_window,
            "max_features": self.max_features,
            "sites": [s.to_dict() for s in self.sites],
            "projection": self.projection.to_dict() if self.projection is not None else None,
        }

    def table(self) -> str:
        """A plain-text table, one row per site: held-out accuracy per bin, the
        majority baseline and, with controls, the untrained model, the control
        task and selectivity (mean±std over seeds)."""
        report = self
        lo, hi = report.train_lengths
        header = ["site", f"acc@{lo}-{hi}"] + [f"acc@{a}-{b}" for a, b in report.test_bins] + ["majority"]
        if report.controls:
            header += ["untrained", "control", "selectivity"]
        if report.mlp:
            header += ["mlp"]
        rows = [header]
        for s in report.sites:
            b0 = s.at_train
            row = [s.site if s.n_probe_features == s.n_features else f"{s.site} ({s.n_features}->{s.n_probe_features})"]
            row += [f"{b.accuracy}" for b in s.bins]
            row.append(f"{b0.majority}")
            if report.controls:
                row += [f"{b0.untrained}", f"{b0.control}", f"{b0.selectivity:+.3f}" if len(report.seeds) == 1
                        else f"{b0.selectivity.mean:+.3f}±{b0.selectivity.std:.3f}"]
            if report.mlp:
                row.append(f"{b0.mlp}")
            rows.append(row)
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        out = []
        for j, r in enumerate(rows):
            out.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
            if j == 0:
                out.append("  ".join("-" * w for w in widths))
        return "\n".join(out)

    def to_json(self, path: str | os.PathLike[str] | None = None, *, indent: int | None = 1) -> str:
        """The report as JSON text; also written to ``path`` when given."""
        text = json.dumps(self.to_dict(), indent=indent)
        if path is not None:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text + "\n")
        return text


# ------------------------------------------------------------------ probing
@dataclass
class _Acc:
    """Per-site accumulators across seeds (internal, mutable)."""

    n_sets: int
    n_classes: int
    n_features: int = 0
    n_probe_features: int = 0
    train_acc: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        def per_set() -> list[list[float]]:
            return [[] for _ in range(self.n_sets)]

        self.acc = per_set()
        self.majority = per_set()
        self.untrained = per_set()
        self.control = per_set()
        self.mlp = per_set()
        self.n_words = per_set()
        self.n_positions = per_set()
        c = self.n_classes
        self.confusion = np.zeros((c, c), dtype=np.int64)
        self.confusion_longer = np.zeros((c, c), dtype=np.int64)
        self.correct_by_t = np.zeros(0, dtype=np.int64)
        self.count_by_t = np.zeros(0, dtype=np.int64)
        self.projection: Projection | None = None

    def add_by_length(self, position: np.ndarray, correct: np.ndarray) -> None:
        n = int(position.max(initial=-1)) + 1
        if n > self.count_by_t.size:
            self.correct_by_t = np.pad(self.correct_by_t, (0, n - self.correct_by_t.size))
            self.count_by_t = np.pad(self.count_by_t, (0, n - self.count_by_t.size))
        self.correct_by_t[:n] += np.bincount(position, weights=correct, minlength=n).astype(np.int64)
        self.count_by_t[:n] += np.bincount(position, minlength=n)


class _Reducer:
    """Standardize, then keep the top ``k`` principal components (fit on training rows)."""

    def __init__(self, X_train: np.ndarray, k: int | None, rng: np.random.Generator, max_rows: int = 4096):
        self.mu = X_train.mean(axis=0, dtype=np.float64).astype(np.float32)
        sd = X_train.std(axis=0, dtype=np.float64)
        sd[sd < 1e-12] = 1.0
        self.sd = sd.astype(np.float32)
        F = X_train.shape[1]
        self.basis: np.ndarray | None = None
        if k is not None and F > k:
            rows = X_train
            if rows.shape[0] > max_rows:
                rows = X_train[rng.choice(X_train.shape[0], max_rows, replace=False)]
            Z = (rows - self.mu) / self.sd  # (n, F)
            cov = (Z.T @ Z).astype(np.float64) / max(Z.shape[0] - 1, 1)  # (F, F)
            _, vecs = np.linalg.eigh(cov)
            self.basis = np.ascontiguousarray(vecs[:, ::-1][:, :k].astype(np.float32))  # (F, k) top components

    @property
    def width(self) -> int:
        return int(self.basis.shape[1]) if self.basis is not None else int(self.mu.shape[0])

    def __call__(self, X: np.ndarray) -> np.ndarray:
        Z = (X - self.mu) / self.sd
        return Z @ self.basis if self.basis is not None else Z


def _pca2(X: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
    """2-D PCA coordinates of ``X`` (n, F) and the explained variance ratios."""
    Z = X - X.mean(axis=0)
    cov = (Z.T @ Z).astype(np.float64) / max(Z.shape[0] - 1, 1)
    vals, vecs = np.linalg.eigh(cov)
    vals, vecs = vals[::-1], vecs[:, ::-1]
    total = float(vals.sum()) or 1.0
    k = min(2, vecs.shape[1])
    pts = Z @ vecs[:, :k].astype(Z.dtype)
    if k < 2:
        pts = np.concatenate([pts, np.zeros((pts.shape[0], 2 - k), dtype=pts.dtype)], axis=1)
    ratios = [float(v) / total for v in vals[:2]] + [0.0] * (2 - min(2, len(vals)))
    # fix the sign of each axis so the picture does not flip between runs
    for j in range(2):
        if pts.shape[0] and pts[np.argmax(np.abs(pts[:, j])), j] < 0:
            pts[:, j] = -pts[:, j]
    return pts, (ratios[0], ratios[1])


def _resolve_model(
    model_or_checkpoint: Any, alphabet: Sequence[str] | None, dfa: DFA
) -> tuple["torch.nn.Module", Any, tuple[str, ...], str, str, Mapping[str, Any]]:
    """(model, config or None, alphabet, language name, checkpoint path, train_config)."""
    import torch

    from ..models.checkpoint import Checkpoint, load_checkpoint

    ckpt = model_or_checkpoint
    if isinstance(ckpt, (str, os.PathLike)):
        ckpt = load_checkpoint(ckpt)
    if isinstance(ckpt, Checkpoint):
        model = ckpt.build_model()
        return model, ckpt.config, tuple(ckpt.alphabet), ckpt.language_name, ckpt.path, ckpt.train_config
    if isinstance(ckpt, torch.nn.Module):
        letters = tuple(alphabet) if alphabet is not None else dfa.alphabet
        return ckpt, getattr(ckpt, "config", None), letters, "", "", {}
    raise ModelError(f"cannot probe a {type(ckpt).__name__}: pass a checkpoint path, a Checkpoint or a model")


def resolve_source(source: str, dfa: DFA, language_name: str, train_config: Mapping[str, Any]) -> str:
    """The word source ``source="auto"`` stands for (any other source is returned as it is).

    The checkpoint's training word source when ``dfa`` is its training
    language (same name) and it was trained here; ``"mixed"`` otherwise.
    """
    from ..data import SOURCES

    if source != "auto":
        if source not in SOURCES:
            raise DataError(f"unknown word source {source!r}; expected auto or one of {', '.join(SOURCES)}")
        return source
    if language_name and dfa.name == language_name and train_config.get("task"):
        from ..data import default_source

        trained = train_config.get("source") or default_source(str(train_config["task"]))
        if trained in SOURCES:
            return trained
    return "mixed"


def _describe(model: Any, config: Any) -> str:
    if config is None:
        return type(model).__name__
    parts = [config.arch, f"d_model={config.d_model}", f"n_layers={config.n_layers}"]
    if config.arch == "mamba":
        parts.append(f"d_state={config.d_state}")
    return " ".join(parts)


def _lengths_pair(value: Any, what: str) -> tuple[int, int]:
    try:
        lo, hi = value
        lo, hi = int(lo), int(hi)
    except (TypeError, ValueError):
        raise DataError(f"{what} must be a pair (lo, hi), not {value!r}") from None
    if lo < 0 or hi < lo:
        raise DataError(f"{what} {lo}-{hi} is not a valid length range")
    return lo, hi


def _site_groups(sites: Sequence[str], widths: Mapping[str, int], n_rows: int, budget_bytes: int) -> list[list[str]]:
    """Sites batched so one group's float32 activations fit in ``budget_bytes``."""
    groups: list[list[str]] = []
    used = 0
    for s in sites:
        need = 4 * n_rows * widths[s]
        if groups and used + need <= budget_bytes:
            groups[-1].append(s)
            used += need
        else:
            groups.append([s])
            used = need
    return groups


def probe_model(
    model_or_checkpoint: Any,
    dfa: "DFA | Language",
    *,
    target: str = "state",
    sites: Sequence[str] | None = None,
    n_train: int = 300,
    n_test: int = 200,
    train_lengths: tuple[int, int] | None = None,
    test_bins: Sequence[tuple[int, int]] | None = None,
    seeds: Sequence[int] = (0, 1, 2),
    source: str = "auto",
    controls: bool = True,
    mlp: bool = False,
    C: float = 1.0,
    max_iter: int = 500,
    max_features: int | None = 256,
    max_train_positions: int = 20_000,
    batch_size: int = 64,
    pca_site: str | None = None,
    alphabet: Sequence[str] | None = None,
    memory_budget_mb: int = 768,
    threads: int | None = 1,
) -> ProbeReport:
    """Probe every site of a model for ``target`` labels from ``dfa``.

    Parameters
    ----------
    model_or_checkpoint
        A checkpoint path, a :class:`~automata_probe.models.checkpoint.Checkpoint`,
        or a model (``forward_sites`` and ``config`` for the untrained control).
    dfa
        The DFA (or :class:`~automata_probe.automata.Language`) to probe for;
        its alphabet must be the model's as a set.
    target
        ``"state"`` (default), ``"monoid"``, ``"member"`` or ``"next"``.
    sites
        Site names (default: all, in forward order).
    n_train, n_test
        Distinct words to fit the probe on, and per test set.
    train_lengths, test_bins
        Length ranges; default: the checkpoint's training config, then the
        language's experiment.
    seeds
        One full repetition per seed (words, untrained weights, control, probes).
    source
        Where words come from: ``"auto"`` (default: the checkpoint's training
        word source when ``dfa`` is its training language, else ``"mixed"``;
        see the module docstring), ``"mixed"``, ``"language"`` (only the
        probed language's words; the dead state is never visited) or
        ``"uniform"``. The report's ``source`` is the one used.
    controls
        Compute the untrained model, the control task and selectivity.
    mlp
        Also fit an :class:`~automata_probe.probing.estimators.MLPProbe`.
    C, max_iter
        :class:`~automata_probe.probing.estimators.LinearProbe` hyperparameters.
    max_features
        Sites wider than this are reduced to their top principal components
        (None: never).
    max_train_positions
        Fit each probe on at most this many training positions (a seeded
        subsample of the training words' positions).
    batch_size
        Words per forward call.
    pca_site
        Site for the 2-D projection (default: the best site).
    alphabet
        The model's letters in tokenizer order, when a bare model is passed.
    memory_budget_mb
        Sites are collected in groups whose activations fit in this budget.
    threads
        BLAS and torch threads while probing (restored afterwards); None
        leaves them as they are. One thread is the default because the work
        is many small solves, where several threads mostly wait on each
        other (on a loaded 2-core machine, L-BFGS steps ran ~50x slower with
        two BLAS threads than with one).

    Returns
    -------
    ProbeReport

    Raises
    ------
    AlphabetError
        The model's and the DFA's alphabets differ.
    CheckpointError
        A checkpoint that cannot be loaded.
    ModelError
        An unknown site, or controls asked of a model without a config.
    DataError
        Bad counts or lengths.
    """
    kwargs = dict(
        target=target, sites=sites, n_train=n_train, n_test=n_test, train_lengths=train_lengths,
        test_bins=test_bins, seeds=seeds, source=source, controls=controls, mlp=mlp, C=C, max_iter=max_iter,
        max_features=max_features, max_train_positions=max_train_positions, batch_size=batch_size,
        pca_site=pca_site, alphabet=alphabet, memory_budget_mb=memory_budget_mb,
    )
    if threads is None:
        return _probe_model(model_or_checkpoint, dfa, **kwargs)
    import sklearn.linear_model  # noqa: F401  (load scipy's BLAS now: a limit only reaches loaded libraries)
    import torch
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(int(threads))
        with threadpool_limits(limits=int(threads)):
            return _probe_model(model_or_checkpoint, dfa, **kwargs)
    finally:
        torch.set_num_threads(before)


def _probe_model(
    model_or_checkpoint: Any,
    dfa: "DFA | Language",
    *,
    target: str,
    sites: Sequence[str] | None,
    n_train: int,
    n_test: int,
    train_lengths: tuple[int, int] | None,
    test_bins: Sequence[tuple[int, int]] | None,
    seeds: Sequence[int],
    source: str,
    controls: bool,
    mlp: bool,
    C: float,
    max_iter: int,
    max_features: int | None,
    max_train_positions: int,
    batch_size: int,
    pca_site: str | None,
    alphabet: Sequence[str] | None,
    memory_budget_mb: int,
) -> ProbeReport:
    from .activations import collect_from_indices, resolve_sites
    from .estimators import LinearProbe, MLPProbe

    _check_target(target)
    seeds = tuple(int(s) for s in seeds)
    if not seeds:
        raise DataError("probe_model needs at least one seed")
    language = None
    if not isinstance(dfa, DFA):
        language = dfa
        dfa = language.dfa
    model, config, letters, language_name, ckpt_path, train_config = _resolve_model(model_or_checkpoint, alphabet, dfa)
    source = resolve_source(source, dfa, language_name, train_config)
    if controls and config is None:
        raise ModelError("the untrained control needs the model's config (model.config); pass controls=False")
    if train_lengths is None:
        train_lengths = train_config.get("train_lengths") or (language.experiment.train_lengths if language else None)
        if train_lengths is None:
            raise DataError("no training lengths: pass train_lengths (the checkpoint and language give none)")
    train_lengths = _lengths_pair(train_lengths, "train_lengths")
    if test_bins is None:
        test_bins = train_config.get("test_bins") or (language.experiment.test_bins if language else ())
    test_bins = tuple(_lengths_pair(b, f"test bin {b!r}") for b in test_bins)
    what = f"the model ({language_name})" if language_name else "the model"
    labeler = make_labeler(dfa, target, alphabet=letters, what=what)
    n_classes = labeler.n_classes
    site_list = resolve_sites(model, sites)
    if pca_site is not None and pca_site not in site_list:
        raise ModelError(f"pca_site {pca_site!r} is not among the probed sites: {', '.join(site_list)}")
    n_sets = 2 + len(test_bins)
    accs = {s: _Acc(n_sets=n_sets, n_classes=n_classes) for s in site_list}
    one_word = collect_from_indices(model, np.zeros((1, 1), np.int64), np.ones(1, np.int64), sites=site_list)
    widths = {s: v.shape[1] for s, v in one_word.features.items()}
    window: int | None = None
    log.info("probing %s for %s of %s at %d sites, seeds %s", ckpt_path or "model", target, dfa.name,
             len(site_list), seeds)

    for si, seed in enumerate(seeds):
        words = sample_probe_words(
            labeler.dfa, n_train=n_train, n_test=n_test, train_lengths=train_lengths, test_bins=test_bins, seed=seed,
            source=source,
        )
        mask = np.arange(words.indices.shape[1] + 1)[None, :] <= words.lengths[:, None]  # (B, Lmax+1)
        y = labeler.labels(words.indices, words.lengths)[mask]  # (N,) word-major, like the activation rows
        sequence = np.repeat(np.arange(len(words.lengths)), words.lengths + 1)
        position = np.concatenate([np.arange(L + 1) for L in words.lengths])
        row_set = words.split[sequence]  # (N,) 0 = probe training rows
        train_rows = np.flatnonzero(row_set == 0)
        rng = np.random.default_rng([seed, 0x7A])
        if train_rows.size > max_train_positions:
            train_rows = np.sort(rng.choice(train_rows, max_train_positions, replace=False))
        set_rows = [np.flatnonzero(row_set == k) for k in range(n_sets)]
        majority_class = int(np.bincount(y[set_rows[0]], minlength=n_classes).argmax())
        y_control = None
        if controls:
            train_words = words.words(0)
            lab2d = labeler.labels(words.indices[train_words], words.lengths[train_words])
            task_ctl = make_control(
                words.indices[train_words], words.lengths[train_words], lab2d,
                n_letters=len(letters), n_classes=n_classes, seed=seed,
            )
            window = task_ctl.window
            y_control = task_ctl.labels(words.indices, words.lengths)[mask]
        runs: list[tuple[str, Any]] = [("trained", model)]
        if controls:
            from ..models import build_model

            untrained = build_model(config, seed=seed)
            untrained.eval()
            try:
                untrained.to(next(model.parameters()).device)
            except StopIteration:  # pragma: no cover - parameterless model
                pass
            runs.append(("untrained", untrained))
        n_rows = int(y.shape[0])
        for kind, m in runs:
            for group in _site_groups(site_list, widths, n_rows, memory_budget_mb << 20):
                acts = collect_from_indices(m, words.indices, words.lengths, sites=group, batch_size=batch_size)
                for site in group:
                    X = acts.features[site]
                    reducer = _Reducer(X[train_rows], max_features, np.random.default_rng([seed, 0xDC]))
                    Xr = reducer(X)  # (N, F') float32
                    probe = LinearProbe(C=C, max_iter=max_iter, random_state=seed).fit(Xr[train_rows], y[train_rows])
                    a = accs[site]
                    if kind == "untrained":
                        for k in range(1, n_sets):
                            r = set_rows[k]
                            a.untrained[k].append(float((probe.predict(Xr[r]) == y[r]).mean()))
                        continue
                    a.n_features, a.n_probe_features = X.shape[1], reducer.width
                    a.train_acc.append(float((probe.predict(Xr[train_rows]) == y[train_rows]).mean()))
                    held = np.flatnonzero(row_set >= 1)
                    pred_held = probe.predict(Xr[held])
                    pred = np.full(n_rows, -1, dtype=np.int64)
                    pred[held] = pred_held
                    for k in range(1, n_sets):
                        r = set_rows[k]
                        a.n_words[k].append(int((words.split == k).sum()))
                        a.n_positions[k].append(int(r.size))
                        a.acc[k].append(float((pred[r] == y[r]).mean()))
                        a.majority[k].append(float((y[r] == majority_class).mean()))
                    a.add_by_length(position[held], (pred_held == y[held]).astype(np.int64))
                    r1 = set_rows[1]
                    a.confusion += np.bincount(
                        y[r1] * n_classes + pred[r1], minlength=n_classes**2
                    ).reshape(n_classes, n_classes)
                    rl = np.flatnonzero(row_set >= 2)
                    if rl.size:
                        a.confusion_longer += np.bincount(
                            y[rl] * n_classes + pred[rl], minlength=n_classes**2
                        ).reshape(n_classes, n_classes)
                    if y_control is not None:
                        ctl = LinearProbe(C=C, max_iter=max_iter, random_state=seed)
                        ctl.fit(Xr[train_rows], y_control[train_rows])
                        for k in range(1, n_sets):
                            r = set_rows[k]
                            a.control[k].append(float((ctl.predict(Xr[r]) == y_control[r]).mean()))
                    if mlp:
                        mp = MLPProbe(random_state=seed).fit(Xr[train_rows], y[train_rows])
                        for k in range(1, n_sets):
                            r = set_rows[k]
                            a.mlp[k].append(float((mp.predict(Xr[r]) == y[r]).mean()))
                    if si == 0 and r1.size:
                        pick = r1 if r1.size <= 2000 else np.sort(rng.choice(r1, 2000, replace=False))
                        pts, ratios = _pca2(Xr[pick].astype(np.float64))
                        a.projection = Projection(
                            site=site,
                            points=tuple((float(p[0]), float(p[1])) for p in pts),
                            labels=tuple(int(v) for v in y[pick]),
                            explained_variance=ratios,
                        )
                del acts

    bins_spec = [(train_lengths, True)] + [(b, False) for b in test_bins]
    site_reports = []
    for site in site_list:
        a = accs[site]
        bins = []
        for k in range(1, n_sets):
            lengths, at_train = bins_spec[k - 1]
            sel = None
            if controls:
                sel = [acc - ctl for acc, ctl in zip(a.acc[k], a.control[k])]
            bins.append(
                BinScores(
                    lengths=tuple(lengths),
                    at_train_lengths=at_train,
                    n_words=tuple(a.n_words[k]),
                    n_positions=tuple(a.n_positions[k]),
                    accuracy=Score(values=tuple(a.acc[k])),
                    majority=Score(values=tuple(a.majority[k])),
                    untrained=_score_or_none(a.untrained[k] if controls else None),
                    control=_score_or_none(a.control[k] if controls else None),
                    selectivity=_score_or_none(sel),
                    mlp=_score_or_none(a.mlp[k] if mlp else None),
                )
            )
        by_t = tuple(
            (float(c) / float(n)) if n else None for c, n in zip(a.correct_by_t, a.count_by_t)
        )
        site_reports.append(
            SiteReport(
                site=site,
                n_features=a.n_features,
                n_probe_features=a.n_probe_features,
                bins=tuple(bins),
                train_accuracy=Score(values=tuple(a.train_acc)),
                confusion=tuple(tuple(int(v) for v in row) for row in a.confusion),
                confusion_longer=tuple(tuple(int(v) for v in row) for row in a.confusion_longer),
                accuracy_by_length=by_t,
                positions_by_length=tuple(int(n) for n in a.count_by_t),
            )
        )
    best = max(site_reports, key=_site_rank)
    projection = accs[pca_site or best.site].projection
    return ProbeReport(
        model=_describe(model, config),
        checkpoint=ckpt_path,
        language=language_name or (language.name if language is not None else ""),
        dfa=dfa.name or "dfa",
        target=target,
        class_names=labeler.class_names,
        seeds=seeds,
        n_train=int(n_train),
        n_test=int(n_test),
        train_lengths=train_lengths,
        test_bins=test_bins,
        source=source,
        controls=bool(controls),
        mlp=bool(mlp),
        control_window=window,
        max_features=max_features,
        sites=tuple(site_reports),
        projection=projection,
    )
