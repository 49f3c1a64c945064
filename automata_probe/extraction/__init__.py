"""Extract a DFA from a model: from probes, by clustering, or by active learning.

Oracles answer membership queries (:mod:`.oracles`); the probe-based table
(:mod:`.tables`), k-means quantization (:mod:`.clustering`) and L*/KV through
AALpy (:mod:`.active`) each build a DFA. Running all of them on a trained
network is :func:`automata_probe.experiments.extraction.extract_all`.
"""

from .active import (
    ALGORITHMS,
    ActiveLearningResult,
    LearningBudget,
    dfa_from_aalpy,
    learn_dfa,
)
from .clustering import ClusterDiagnostic, ClusteringResult, extract_by_clustering
from .oracles import (
    DFAOracle,
    MembershipOracle,
    ModelOracle,
    acceptance_from_outputs,
    alive_from_outputs,
    prefix_acceptance,
)
from .tables import TableEstimate, estimate_table, extract_from_probe, tidy_dfa

__all__ = [
    "MembershipOracle",
    "DFAOracle",
    "ModelOracle",
    "acceptance_from_outputs",
    "alive_from_outputs",
    "prefix_acceptance",
    "TableEstimate",
    "estimate_table",
    "extract_from_probe",
    "tidy_dfa",
    "ClusterDiagnostic",
    "ClusteringResult",
    "extract_by_clustering",
    "ALGORITHMS",
    "LearningBudget",
    "ActiveLearningResult",
    "learn_dfa",
    "dfa_from_aalpy",
]
