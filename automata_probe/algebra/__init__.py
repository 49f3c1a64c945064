"""Algebra: the syntactic monoid, star-freeness with certificates, groups, circuit classes, predictions."""

from .core import (
    CITATIONS,
    Certificate,
    Classification,
    GroupInfo,
    Monoid,
    Prediction,
    classify,
    is_star_free,
    transition_monoid,
)
from .expectations import check_expectations

__all__ = [
    "CITATIONS",
    "Certificate",
    "Classification",
    "GroupInfo",
    "Monoid",
    "Prediction",
    "classify",
    "is_star_free",
    "transition_monoid",
    "check_expectations",
]
