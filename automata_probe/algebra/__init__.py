"""Algebra: the syntactic monoid, star-freeness with certificates, groups, circuit classes, predictions,
Green's relations, varieties decided with evidence, and the Krohn-Rhodes (holonomy) decomposition."""

from .certificates import Certificate
from .classification import Classification, classify, is_star_free
from .equations import EquationViolation
from .expectations import check_expectations
from .green import DClass, GreenRelations, green_relations
from .groups import GroupInfo
from .holonomy import EmulationCheck, Holonomy, HolonomyComponent, HolonomyLevel, holonomy
from .monoid import Monoid, transition_monoid
from .predictions import CITATIONS, Prediction
from .varieties import decide_varieties
from .verdicts import CLASSES, ClassVerdict, Varieties

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
    "Varieties",
    "classify",
    "decide_varieties",
    "green_relations",
    "holonomy",
    "is_star_free",
    "transition_monoid",
    "check_expectations",
]
