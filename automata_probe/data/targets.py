"""Per-position targets, computed from the DFA state ``q_t`` after ``t`` letters.

``next``
    ``k + 1`` bits: bit ``a`` is 1 when ``delta(q_t, a)`` is not dead (some
    continuation with ``a`` is still accepted), the last bit is 1 when ``q_t``
    accepts (the word may end here). The character-prediction task of
    Bhattamishra et al. (2020) and Sarrof et al. (2024).
``member``
    one bit: ``q_t`` accepts.
``state``
    the class ``q_t`` itself (the word problem of Merrill et al. 2024).
"""

from __future__ import annotations

import numpy as np

from ..automata.dfa import DFA
from ..errors import DataError

__all__ = ["TASKS", "check_task", "n_outputs", "next_patterns", "targets_from_states"]

#: The per-position prediction tasks.
TASKS = ("next", "member", "state")


def check_task(task: str) -> str:
    if task not in TASKS:
        raise DataError(f"unknown task {task!r}; expected one of {', '.join(TASKS)}")
    return task


def n_outputs(task: str, dfa: DFA) -> int:
    """Width of the model's output for ``task``: ``k + 1``, ``1`` or ``n_states``."""
    check_task(task)
    if task == "next":
        return dfa.n_letters + 1
    if task == "member":
        return 1
    return dfa.n_states


def next_patterns(dfa: DFA) -> np.ndarray:
    """``(n_states, k + 1)`` bool: for each state, the letters that avoid the dead
    state, then the end bit (the ``next`` target of every state)."""
    live_next = dfa.live_mask[dfa.table]  # (n, k)
    return np.concatenate([live_next, dfa.accept_mask[:, None]], axis=1)


def targets_from_states(dfa: DFA, states: np.ndarray, task: str) -> np.ndarray:
    """Per-position targets from DFA states (``-1`` marks padding).

    Returns ``(..., k + 1)`` float32 for ``next``, ``(..., 1)`` float32 for
    ``member`` and ``(...)`` int64 state ids for ``state`` (``-1`` stays
    ``-1``). Padding positions are zero for the float tasks.
    """
    check_task(task)
    states = np.asarray(states, dtype=np.int64)
    pad = states < 0
    safe = np.where(pad, 0, states)
    if task == "state":
        return states.copy()
    if task == "next":
        out = next_patterns(dfa).astype(np.float32)[safe]  # (..., k+1)
    else:
        out = dfa.accept_mask[safe].astype(np.float32)[..., None]  # (..., 1)
    out[pad] = 0.0
    return out
