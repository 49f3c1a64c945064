"""Job functions for tests/experiments/test_sweep.py (importable from worker processes)."""

import os


def square(job):
    if job.param("fail"):
        raise ValueError(f"asked to fail on {job.language}")
    return {"value": job.seed**2, "pid": os.getpid()}


def with_new_column(job):
    return {"value": job.seed, "extra": job.language.upper()}
