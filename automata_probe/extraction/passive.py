"""Passive state merging from the model's own labels: RPNI or EDSM through AALpy.

A model that is right on 99.9% of words is no small DFA, and an active learner
asked to match it exactly either grows without end or stops at a budget. The
route the field takes then is passive: label a sample of words at the lengths
the model was trained on *with the model's answers* (every prefix of every
word, one forward pass each), and merge the states of the prefix tree while
the labels allow (RPNI, Oncina & Garcia 1992; EDSM, Lang et al. 1998, through
AALpy). The result agrees with the model on the sample; how far it agrees
beyond is measured by :func:`~automata_probe.extraction.fidelity.fidelity`
(the error rate against the model per length and bin).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ..automata.dfa import DFA
from ..errors import DataError
from .active import dfa_from_aalpy, require_aalpy
from .oracles import Letters, MembershipOracle, prefix_acceptance
from .tables import tidy_dfa

__all__ = ["PASSIVE_ALGORITHMS", "PassiveResult", "learn_passive"]

log = logging.getLogger(__name__)

#: The passive learners, by name.
PASSIVE_ALGORITHMS = ("rpni", "edsm")


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
        ``"rpni"`` (AALpy's generalized state merging) or ``"edsm"``
        (evidence-driven; slower, often smaller).
    max_labels
        Distinct prefixes at most; longer samples are cut (shortest words first).

    Raises
    ------
    AutomataProbeError
        When AALpy is not installed.
    DataError
        An unknown algorithm or an empty sample.
    """
    if algorithm not in PASSIVE_ALGORITHMS:
        raise DataError(f"unknown passive algorithm {algorithm!r}; expected one of {', '.join(PASSIVE_ALGORITHMS)}")
    if not words:
        raise DataError("passive learning needs at least one word")
    learning_algs = require_aalpy()
    t0 = time.perf_counter()
    sample = sorted({tuple(w) for w in words}, key=lambda w: (len(w), w))
    labels: dict[Letters, bool] = {}
    for w, acc in zip(sample, prefix_acceptance(oracle, sample)):
        if len(labels) + len(w) + 1 > max_labels:
            break
        for t in range(len(w) + 1):
            labels[w[:t]] = bool(np.asarray(acc)[t])
    data = [[w, a] for w, a in labels.items()]
    if algorithm == "rpni":
        learnt = learning_algs.run_RPNI(data, "dfa", algorithm="gsm", input_completeness="sink_state",
                                        print_info=False)
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
