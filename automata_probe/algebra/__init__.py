"""Algebra: the syntactic monoid, star-freeness with certificates, groups, circuit classes, predictions."""

from .certificates import Certificate
from .classification import Classification, classify, is_star_free
from .expectations import check_expectations
from .groups import GroupInfo
from .monoid import Monoid, transition_monoid
from .nonregular import NonRegularCertificate, non_regular_certificate
from .predictions import CITATIONS, Prediction

__all__ = [
    "CITATIONS",
    "Certificate",
    "Classification",
    "GroupInfo",
    "Monoid",
    "NonRegularCertificate",
    "non_regular_certificate",
    "Prediction",
    "classify",
    "is_star_free",
    "transition_monoid",
    "check_expectations",
]
