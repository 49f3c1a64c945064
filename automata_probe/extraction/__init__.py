"""Extract a DFA from a model: from probes, by clustering, by active or passive learning.

Oracles answer membership queries (:mod:`.oracles`); the probe-based table
(:mod:`.tables`), k-means quantization (:mod:`.clustering`), L*/KV/L# through
AALpy (:mod:`.active`, with equivalence queries searched where the model is
used, :mod:`.equivalence` and :mod:`.search`) and RPNI/EDSM from the model's
labels (:mod:`.passive`) each build a DFA; :mod:`.fidelity` scores any DFA
against the model. Running all of them on a trained network is
:func:`automata_probe.experiments.extraction.extract_all`.
"""

from .active import (
    ALGORITHMS,
    ActiveLearningResult,
    dfa_from_aalpy,
    learn_dfa,
)
from .clustering import ClusterDiagnostic, ClusteringResult, extract_by_clustering
from .equivalence import STAGES, CounterexampleSearch, LearningBudget
from .fidelity import BinAgreement, Fidelity, FidelityPlan, fidelity, wilson_interval
from .oracles import (
    DFAOracle,
    MembershipOracle,
    ModelOracle,
    PrefixCache,
    acceptance_from_outputs,
    alive_from_outputs,
    prefix_acceptance,
)
from .passive import PASSIVE_ALGORITHMS, PassiveResult, learn_passive, tolerant_merge
from .search import bin_words, characterizing_suffixes, near_misses, shrink_word
from .tables import TableEstimate, estimate_table, extract_from_probe, tidy_dfa

__all__ = [
    "MembershipOracle",
    "DFAOracle",
    "ModelOracle",
    "PrefixCache",
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
    "CounterexampleSearch",
    "STAGES",
    "ActiveLearningResult",
    "learn_dfa",
    "dfa_from_aalpy",
    "PASSIVE_ALGORITHMS",
    "PassiveResult",
    "learn_passive",
    "tolerant_merge",
    "BinAgreement",
    "Fidelity",
    "FidelityPlan",
    "fidelity",
    "wilson_interval",
    "bin_words",
    "near_misses",
    "characterizing_suffixes",
    "shrink_word",
]
