"""The control task (Hewitt & Liang 2019): a fixed random function of the last few letters.

A probe scores well on it only by memorizing window -> label, so it measures
what the probe adds on top of the representation; selectivity = accuracy -
control accuracy (``docs/probing.md`` says why this control and not others).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data import check_indices
from ..errors import DataError

__all__ = ["ControlTask", "make_control", "control_window"]

_CONTROL_TYPES_PER_CLASS = 4
_CONTROL_MAX_WINDOW = 12
_CONTROL_MAX_TYPES = 1 << 20


def control_window(n_letters: int, n_classes: int) -> int:
    """The default control window ``m``: the smallest ``m >= 2`` with
    ``k^m >= 4 * n_classes`` (capped so the type table stays small)."""
    m = 2
    while n_letters**m < _CONTROL_TYPES_PER_CLASS * n_classes and m < _CONTROL_MAX_WINDOW:
        if (n_letters + 1) ** (m + 1) > _CONTROL_MAX_TYPES:
            break
        m += 1
    return m


def _window_types(indices: np.ndarray, lengths: np.ndarray, window: int, k: int) -> np.ndarray:
    """``(B, Lmax + 1)`` type id of the last ``window`` letters of each prefix
    (digits base ``k + 1``, 0 = before the first letter; ``-1`` past the end)."""
    B, Lmax = indices.shape
    letters = np.zeros((B, Lmax + window), dtype=np.int64)  # (B, m + Lmax): m start markers, then w_1..w_Lmax
    letters[:, window:] = indices + 1
    # w_s sits in column window + s - 1, so the window w_{t-m+1..t} of
    # position t is columns t .. t + m - 1 (oldest letter = most significant digit)
    out = np.zeros((B, Lmax + 1), dtype=np.int64)  # (B, Lmax+1)
    for j in range(window):
        out = out * (k + 1) + letters[:, j : j + Lmax + 1]
    past = np.arange(Lmax + 1)[None, :] > lengths[:, None]
    out[past] = -1
    return out


@dataclass(frozen=True, kw_only=True, eq=False)
class ControlTask:
    """Control labels: a fixed random function of the prefix's last ``window`` letters.

    Attributes
    ----------
    window
        ``m``, letters looked back (the current one included).
    n_letters
        ``k``.
    mapping
        ``((k + 1) ** m,)`` class of each window type.
    n_classes
        Same as the probed task.
    seed
        The seed the function was drawn with.
    """

    window: int
    n_letters: int
    mapping: np.ndarray
    n_classes: int
    seed: int

    def __post_init__(self) -> None:
        if self.window < 1:
            raise DataError(f"control window {self.window} must be at least 1")
        mapping = np.asarray(self.mapping, dtype=np.int64)
        if mapping.shape != ((self.n_letters + 1) ** self.window,):
            n_types = (self.n_letters + 1) ** self.window
            raise DataError(f"control mapping has shape {mapping.shape}, expected ({n_types},)")
        mapping.setflags(write=False)
        object.__setattr__(self, "mapping", mapping)

    @property
    def n_types(self) -> int:
        return int(self.mapping.shape[0])

    def labels(self, indices: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """``(B, Lmax + 1)`` control label of each prefix (``-1`` past the end)."""
        idx, lengths = check_indices(indices, lengths, self.n_letters)
        types = _window_types(idx, lengths, self.window, self.n_letters)
        return np.where(types >= 0, self.mapping[np.maximum(types, 0)], -1)


def make_control(
    indices: np.ndarray,
    lengths: np.ndarray,
    labels: np.ndarray,
    *,
    n_letters: int,
    n_classes: int,
    seed: int,
    window: int | None = None,
) -> ControlTask:
    """Draw the control function with the class distribution of ``labels``.

    Window types, weighted by how often they occur in the training positions,
    are assigned to classes by inverse CDF in a random order, so each class's
    share of the positions matches the task's up to one type's weight; types
    never seen in training get a class drawn from the task's distribution.

    Parameters
    ----------
    indices, lengths
        The probe's *training* words (``(B, Lmax)`` letter indices, ``(B,)``).
    labels
        ``(B, Lmax + 1)`` task labels of those words (``-1`` past the end).
    n_letters, n_classes
        ``k`` and the task's number of classes.
    seed
        Fixes the function.
    window
        ``m``; default :func:`control_window`.
    """
    idx, lengths = check_indices(indices, lengths, n_letters)
    m = control_window(n_letters, n_classes) if window is None else int(window)
    n_types = (n_letters + 1) ** m
    types = _window_types(idx, lengths, m, n_letters)
    labels = np.asarray(labels, dtype=np.int64)
    real = types >= 0
    type_freq = np.bincount(types[real], minlength=n_types).astype(np.float64)
    class_freq = np.bincount(labels[real], minlength=n_classes).astype(np.float64)
    total = class_freq.sum()
    if total == 0:
        raise DataError("no positions to draw the control task's class distribution from")
    class_p = class_freq / total
    rng = np.random.default_rng([int(seed), 0xC0])
    type_order = rng.permutation(n_types)
    class_order = rng.permutation(n_classes)
    edges = np.cumsum(class_p[class_order])  # class CDF in a random class order
    w = type_freq[type_order]
    mids = (np.cumsum(w) - w / 2) / total  # midpoint of each type's mass
    slot = np.minimum(np.searchsorted(edges, mids, side="right"), n_classes - 1)
    mapping = np.empty(n_types, dtype=np.int64)
    mapping[type_order] = class_order[slot]
    unseen = type_freq == 0
    mapping[unseen] = rng.choice(n_classes, size=int(unseen.sum()), p=class_p)
    return ControlTask(window=m, n_letters=n_letters, mapping=mapping, n_classes=n_classes, seed=int(seed))
