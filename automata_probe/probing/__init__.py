"""Probing: read a DFA's states (or monoid elements, membership, next-sets) off a model's activations.

:func:`probe_model` fits a probe per site, with controls; ``docs/probing.md`` explains it.
"""

from __future__ import annotations

from typing import Any

from .config import ProbeConfig
from .controls import ControlTask, control_window, make_control
from .labels import TARGETS, Labeler, make_labeler
from .report import BinScores, ProbeReport, Projection, Score, SiteReport
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
    "ProbeConfig",
    "probe_model",
]


def __getattr__(name: str) -> Any:
    # probe_model needs torch (through activations and models); loading it on first
    # use keeps `import automata_probe.probing` torch-free, so the CLI can build its
    # parser (probe's --target choices) before torch is imported and
    # cli.prefer_huge_pages still takes effect.
    if name == "probe_model":
        from .probe import probe_model

        return probe_model
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
