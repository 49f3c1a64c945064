"""Probing: read a DFA's states (or monoid elements, membership, next-sets) off a model's activations.

:func:`probe_model` fits a probe per site, with controls; :func:`intervene`
asks whether the model uses what the probe reads (interchange interventions,
DAS, steering, free-running); ``docs/probing.md`` explains both.
"""

from __future__ import annotations

from .config import ProbeConfig
from .probe import probe_model
from .controls import ControlTask, control_window, make_control
from .labels import TARGETS, Labeler, make_labeler
from .report import BEST_SITE_RULE, BinScores, ProbeReport, Projection, Score, SiteReport
from .words import ProbeWords, resolve_source, sample_probe_words
from .causal import InterventionConfig, intervene
from .causal_report import MODES, CausalScore, FreeRunCurve, Heatmap, InterventionReport, SiteProbe
from .targets import BUILTIN_PARTITIONS, check_target, parse_target
from .triples import Triples, sample_triples

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
    "check_target",
    "parse_target",
    "BUILTIN_PARTITIONS",
    "InterventionConfig",
    "intervene",
    "InterventionReport",
    "CausalScore",
    "SiteProbe",
    "Heatmap",
    "FreeRunCurve",
    "MODES",
    "Triples",
    "sample_triples",
]

