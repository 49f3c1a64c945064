"""Passive state merging from the model's own labels: RPNI or EDSM through AALpy.

A model that is right on 99.9% of words is no small DFA, and an active learner
asked to match it exactly either grows without end or stops at a budget. The
route the field takes then is passive: label a sample of words at the lengths
the model was trained on *with the model's answers* (every prefix of every
word, one forward pass each), and merge the states of the prefix tree while
the labels allow (RPNI, Oncina & Garcia 1992; EDSM, Lang et al. 1998, through
AALpy). Those agree with the model on every word of the sample, so where the
model errs (a few long words) they grow states to follow it. The
``tolerant`` route merges in the same red-blue framework but accepts a merge
whose conflicting labels are at most ``tolerance`` of the labels it compares
(noise-tolerant state merging in the spirit of Sebban, Janodet & Tantini's
Blue*, 2004), and labels each state by majority: the small automaton closest
to the model on the sample. How far any result agrees with the model beyond
the sample is measured by :func:`~automata_probe.extraction.fidelity.fidelity`
(the error rate against the model per length and bin).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from ..automata.dfa import DFA
from ..errors import DataError
from .active import dfa_from_aalpy, require_aalpy
from .oracles import Letters, MembershipOracle, prefix_acceptance
from .tables import tidy_dfa

__all__ = ["PASSIVE_ALGORITHMS", "PassiveResult", "MergingTimeout", "learn_passive", "tolerant_merge"]

log = logging.getLogger(__name__)

#: The passive learners, by name.
PASSIVE_ALGORITHMS = ("rpni", "edsm", "tolerant")


class MergingTimeout(DataError):
    """State merging ran past its time budget (labels that no small automaton fits
    make RPNI promote state after state)."""


@dataclass(frozen=True, kw_only=True)
class PassiveResult:
    """Outcome of :func:`learn_passive`.

    Attributes
    ----------
    dfa
        The merged automaton (minimal, canonical; missing transitions go to a
        rejecting dead state).
    algorithm
        ``rpni`` or ``edsm``.
    n_words
        Sample words the model labelled.
    n_labels
        Distinct labelled prefixes the merging used.
    seconds
        Wall time (labelling included).
    """

    dfa: DFA
    algorithm: str
    n_words: int
    n_labels: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {"algorithm": self.algorithm, "states": self.dfa.n_states, "n_words": self.n_words,
                "n_labels": self.n_labels, "seconds": self.seconds}


def learn_passive(
    oracle: MembershipOracle,
    words: Sequence[Sequence[str]],
    *,
    algorithm: str = "rpni",
    max_labels: int = 200_000,
    tolerance: float = 0.01,
    seconds: float | None = None,
    name: str = "",
) -> PassiveResult:
    """Merge states from the model's labels on ``words`` and all their prefixes.

    Parameters
    ----------
    oracle
        The model (its answers are the labels).
    words
        The sample, normally words at the training lengths (the language's,
        uniform ones and near-misses).
    algorithm
        ``"rpni"`` (AALpy's generalized state merging), ``"edsm"``
        (evidence-driven; slower, often smaller) or ``"tolerant"``
        (:func:`tolerant_merge`; needs no AALpy).
    max_labels
        Distinct prefixes at most; longer samples are cut (shortest words first).
    tolerance
        For ``tolerant``: the largest fraction of conflicting labels a merge may
        bring (0: no conflict, as RPNI).
    seconds
        Time budget of the merging (``rpni`` and ``tolerant``; None: none).

    Raises
    ------
    AutomataProbeError
        When AALpy is not installed.
    DataError
        An unknown algorithm or an empty sample.
    MergingTimeout
        The merging ran past ``seconds``.
    """
    if algorithm not in PASSIVE_ALGORITHMS:
        raise DataError(f"unknown passive algorithm {algorithm!r}; expected one of {', '.join(PASSIVE_ALGORITHMS)}")
    if not words:
        raise DataError("passive learning needs at least one word")
    if not 0 <= tolerance < 0.5:
        raise DataError(f"tolerance must lie in [0, 0.5), got {tolerance}")
    t0 = time.perf_counter()
    sample = sorted({tuple(w) for w in words}, key=lambda w: (len(w), w))
    labels: dict[Letters, bool] = {}
    for w, acc in zip(sample, prefix_acceptance(oracle, sample)):
        if len(labels) + len(w) + 1 > max_labels:
            break
        for t in range(len(w) + 1):
            labels[w[:t]] = bool(np.asarray(acc)[t])
    data = [[w, a] for w, a in labels.items()]
    deadline = None if seconds is None else t0 + seconds
    if algorithm == "tolerant":
        dfa = tidy_dfa(tolerant_merge(labels, oracle.alphabet, tolerance=tolerance, deadline=deadline), name)
    else:
        learning_algs = require_aalpy()
        if algorithm == "rpni":
            learnt = _rpni(data, deadline)
        else:
            learnt = learning_algs.run_EDSM(data, "dfa", input_completeness="sink_state", print_info=False)
        if learnt is None:  # only when the data contradict themselves, which one oracle's labels cannot
            raise DataError(f"{algorithm}: the labels are inconsistent")
        dfa = tidy_dfa(dfa_from_aalpy(learnt, oracle.alphabet), name)
    result = PassiveResult(dfa=dfa, algorithm=algorithm, n_words=len(sample), n_labels=len(labels),
                           seconds=time.perf_counter() - t0)
    log.info("%s: %d states from %d labelled prefixes of %d words in %.1fs", algorithm, dfa.n_states,
             len(labels), len(sample), result.seconds)
    return result


def _rpni(data: list, deadline: float | None) -> Any:
    """AALpy's GSM RPNI, stopped with :class:`MergingTimeout` past ``deadline``
    (checked before every merge attempt)."""
    from aalpy.learning_algs.deterministic_passive.GsmRPNI import GsmRPNI

    rpni = GsmRPNI(data, "dfa", False)
    if rpni.root_node is None:
        return None
    attempt = rpni._partition_from_merge  # AALpy's own method; we only time it

    def timed(red: Any, blue: Any) -> Any:
        if deadline is not None and time.perf_counter() > deadline:
            raise MergingTimeout("rpni: time budget spent while merging (the labels fit no small automaton)")
        return attempt(red, blue)

    rpni._partition_from_merge = timed
    learnt = rpni.run_rpni()
    if not learnt.is_input_complete():
        learnt.make_input_complete("sink_state")
    return learnt


# ------------------------------------------------------------ tolerant merging
class _Tree:
    """The prefix tree of the labelled words, then the automaton it is merged into.

    ``children[n][a]`` is a node or -1; ``acc[n]``, ``rej[n]`` weigh the labels
    merged into ``n`` (a label weighs the number of prefixes at or below its
    node, so that short prefixes, shared by many words, count for more). Merges mutate these lists and log what they changed, so
    a tentative merge is undone by replaying the log backwards.
    """

    def __init__(self, labels: Mapping[Letters, bool], alphabet: Sequence[str]) -> None:
        self.k = len(alphabet)
        index = {a: i for i, a in enumerate(alphabet)}
        self.children: list[list[int]] = [[-1] * self.k]
        self.depth = [0]
        label_of: list[int] = [-1]
        weight: list[int] = [0]
        for w, label in sorted(labels.items(), key=lambda x: len(x[0])):
            node = 0
            for a in w:
                i = index[a]
                nxt = self.children[node][i]
                if nxt < 0:
                    nxt = len(self.children)
                    self.children[node][i] = nxt
                    self.children.append([-1] * self.k)
                    label_of.append(-1)
                    weight.append(0)
                    self.depth.append(self.depth[node] + 1)
                node = nxt
            label_of[node] = int(label)
        # a label weighs as many words as pass through its node: a short prefix is
        # shared by many words (and stands for a larger share of its length) than a long one
        for n in range(len(self.children) - 1, -1, -1):
            weight[n] += 1
            for c in self.children[n]:
                if c >= 0:
                    weight[n] += weight[c]
        self.acc = [weight[n] if label_of[n] == 1 else 0 for n in range(len(label_of))]
        self.rej = [weight[n] if label_of[n] == 0 else 0 for n in range(len(label_of))]

    def fold(self, red: int, blue: int, log: list[tuple[int, int, int, int]]) -> tuple[int, int]:
        """Merge the subtree of ``blue`` into ``red``: (agreeing, newly conflicting) label mass."""
        agree = conflict = 0
        stack = [(red, blue)]
        acc, rej, children = self.acc, self.rej, self.children
        while stack:
            x, y = stack.pop()
            ax, rx, ay, ry = acc[x], rej[x], acc[y], rej[y]
            agree += min(ax, ay) + min(rx, ry)
            conflict += min(ax + ay, rx + ry) - min(ax, rx) - min(ay, ry)
            log.append((0, x, ax, rx))
            acc[x], rej[x] = ax + ay, rx + ry
            cx_row, cy_row = children[x], children[y]
            for a in range(self.k):
                cy = cy_row[a]
                if cy < 0:
                    continue
                cx = cx_row[a]
                if cx < 0:
                    log.append((1, x, a, -1))
                    cx_row[a] = cy
                else:
                    stack.append((cx, cy))
        return agree, conflict

    def undo(self, log: list[tuple[int, int, int, int]]) -> None:
        for kind, x, u, v in reversed(log):
            if kind == 0:
                self.acc[x], self.rej[x] = u, v
            else:
                self.children[x][u] = v


def tolerant_merge(
    labels: Mapping[Letters, bool], alphabet: Sequence[str], *, tolerance: float = 0.01,
    deadline: float | None = None,
) -> DFA:
    """Red-blue state merging that tolerates a fraction of conflicting labels.

    Start from the prefix tree of the labelled words; take the shallowest
    blue node (a child of the automaton built so far that is not in it) and
    score its merge into every red one by folding its subtree in: the label
    weight it brings together that agrees, and the weight that newly
    conflicts. A merge is allowed when its conflicts are at most
    ``tolerance`` of the weight it compares; the allowed merge with the most
    agreement is made (EDSM's evidence), and a blue node with none becomes
    red. Each
    state accepts when most of its labels say so; a transition the data
    never took goes to a rejecting dead state.

    ``tolerance=0`` is evidence-driven merging that never contradicts the data.
    Past ``deadline`` (a ``time.perf_counter()`` value) it raises
    :class:`MergingTimeout`.
    """
    tree = _Tree(labels, alphabet)
    k = tree.k
    red = [0]
    is_red = {0}
    while True:
        # the shallowest blue node (a child of a red one that is not red), as in RPNI's order
        frontier = [(tree.depth[c], c, r, a) for r in red for a, c in enumerate(tree.children[r])
                    if c >= 0 and c not in is_red]
        if not frontier:
            break
        if deadline is not None and time.perf_counter() > deadline:
            raise MergingTimeout(f"tolerant merging: time budget spent with {len(red)} states")
        _, b, p, a = min(frontier)
        best: tuple[int, int] | None = None  # (score, red)
        for r in red:
            log: list[tuple[int, int, int, int]] = [(1, p, a, b)]
            tree.children[p][a] = r
            agree, conflict = tree.fold(r, b, log)
            tree.undo(log)
            if conflict <= tolerance * (agree + conflict) and (best is None or agree - conflict > best[0]):
                best = (agree - conflict, r)
        if best is None:
            red.append(b)
            is_red.add(b)
            continue
        tree.children[p][a] = best[1]
        tree.fold(best[1], b, [])
    # the red states and their transitions are the automaton
    index = {n: i for i, n in enumerate(red)}
    dead = len(red)
    rows = [tuple(index.get(tree.children[n][a], dead) for a in range(k)) for n in red] + [(dead,) * k]
    accepting = frozenset(i for i, n in enumerate(red) if tree.acc[n] > tree.rej[n])
    return DFA(alphabet=tuple(alphabet), transitions=tuple(rows), start=0, accepting=accepting).minimize()
