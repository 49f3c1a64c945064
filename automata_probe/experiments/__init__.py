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
from .reproduce_dyck import DyckSetup, run_dyck_memory
from .reproduce_flipflop import FlipFlopBudget, run_flip_flop
from .reproduce_merrill import DepthBudget, min_depths, run_merrill_depth
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
    "DyckSetup",
    "run_dyck_memory",
    "FlipFlopBudget",
    "run_flip_flop",
    "DepthBudget",
    "min_depths",
    "run_merrill_depth",
    "Job",
    "SweepResult",
    "grid",
    "read_results",
    "run_sweep",
]
