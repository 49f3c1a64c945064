"""Algebra: the syntactic monoid, star-freeness with certificates, groups, circuit classes, predictions,
Green's relations, varieties decided with evidence, and the Krohn-Rhodes (holonomy) decomposition.

The names below are loaded from their modules on first use (PEP 562):
``is-star-free`` imports the monoid and its classification, not Green's
relations, the varieties or the holonomy decomposition.
"""

from .._lazy import lazy_exports

#: Public name -> the module of this package that defines it.
_HOMES = {
    "Certificate": "certificates",
    "Classification": "classification",
    "classify": "classification",
    "is_star_free": "classification",
    "EquationViolation": "equations",
    "check_expectations": "expectations",
    "DClass": "green",
    "GreenRelations": "green",
    "green_relations": "green",
    "GroupInfo": "groups",
    "EmulationCheck": "cascade",
    "Holonomy": "cascade",
    "HolonomyComponent": "cascade",
    "HolonomyLevel": "cascade",
    "holonomy": "cascade",
    "Monoid": "monoid",
    "NonRegularCertificate": "nonregular",
    "non_regular_certificate": "nonregular",
    "transition_monoid": "monoid",
    "CITATIONS": "predictions",
    "Prediction": "predictions",
    "predict_model": "predictions",
    "TrackingFacts": "tracking",
    "CountingWitness": "tracking",
    "tracking_facts": "tracking",
    "decide_varieties": "varieties",
    "CLASSES": "verdicts",
    "ClassVerdict": "verdicts",
    "Varieties": "verdicts",
}

__all__ = [
    "CITATIONS",
    "CLASSES",
    "Certificate",
    "ClassVerdict",
    "Classification",
    "DClass",
    "EmulationCheck",
    "EquationViolation",
    "GreenRelations",
    "GroupInfo",
    "Holonomy",
    "HolonomyComponent",
    "HolonomyLevel",
    "Monoid",
    "Prediction",
    "predict_model",
    "TrackingFacts",
    "CountingWitness",
    "tracking_facts",
    "Varieties",
    "classify",
    "decide_varieties",
    "green_relations",
    "holonomy",
    "is_star_free",
    "transition_monoid",
    "check_expectations",
    "NonRegularCertificate",
    "non_regular_certificate",
]


__getattr__, __dir__ = lazy_exports(__name__, _HOMES, __all__)
