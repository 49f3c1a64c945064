"""Probing: read a DFA's states (or monoid elements, membership, next-sets) off a model's activations.

:func:`probe_model` fits a probe per site, with controls; ``docs/probing.md`` explains it.
"""

from __future__ import annotations

from .config import ProbeConfig
from .probe import probe_model
from .controls import ControlTask, control_window, make_control
from .labels import TARGETS, Labeler, make_labeler
from .report import BEST_SITE_RULE, BinScores, ProbeReport, Projection, Score, SiteReport
from .words import ProbeWords, resolve_source, sample_probe_words

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
    "BEST_SITE_RULE",
    "ProbeConfig",
    "probe_model",
]

