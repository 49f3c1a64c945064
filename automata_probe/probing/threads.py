"""One thread budget for torch and the BLAS libraries while a probe or an intervention runs."""

from __future__ import annotations

import contextlib
from typing import Iterator

import torch

__all__ = ["thread_limit"]


@contextlib.contextmanager
def thread_limit(threads: int | None) -> Iterator[None]:
    """BLAS and torch threads limited to ``threads`` inside the block (None: unchanged)."""
    if threads is None:
        yield
        return
    import sklearn.linear_model  # noqa: F401  (load scipy's BLAS now: a limit only reaches loaded libraries)
    from threadpoolctl import threadpool_limits

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(threads)
        with threadpool_limits(limits=threads):
            yield
    finally:
        torch.set_num_threads(before)
