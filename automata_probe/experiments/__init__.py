"""Experiments: resumable sweeps of training jobs and the papers' reproductions."""

from .reproduce import (
    MERRILL_GROUPS,
    PUBLISHED_SARROF,
    SARROF_LANGUAGES,
    Budget,
    merrill_table,
    run_merrill,
    run_sarrof,
    sarrof_table,
)
from .sweep import Job, SweepResult, grid, read_results, run_sweep

__all__ = [
    "MERRILL_GROUPS",
    "PUBLISHED_SARROF",
    "SARROF_LANGUAGES",
    "Budget",
    "merrill_table",
    "run_merrill",
    "run_sarrof",
    "sarrof_table",
    "Job",
    "SweepResult",
    "grid",
    "read_results",
    "run_sweep",
]
