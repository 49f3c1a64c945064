"""Vectorized operations on batches of transformations (internal).

A transformation of the states ``0..n-1`` is a row ``y`` with ``y[q]`` the
state reached from ``q``; a batch is an ``(m, n)`` array of rows. Products
read left to right: ``u then v`` is the row ``v[u[q]]``.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from ..errors import DFAError

__all__ = [
    "chunks",
    "compose",
    "fixed_point_counts",
    "group_mask",
    "idempotent_powers",
    "layer_bounds",
    "nontrivial_group_mask",
    "periodic_mask",
    "small_dtype",
    "stable_indices",
    "stable_indices_reference",
]

#: Rows per chunk in vectorized per-element computations (keeps temporaries small).
_CHUNK_CELLS = 1 << 21


def chunks(rows: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """``(start, rows[start:stop])`` pieces of about ``_CHUNK_CELLS`` cells."""
    m, n = rows.shape
    step = max(1, _CHUNK_CELLS // max(n, 1))
    for start in range(0, m, step):
        yield start, rows[start : start + step]


def layer_bounds(parents: np.ndarray) -> list[tuple[int, int]]:
    """BFS layers ``[start, stop)`` of ids (layer 0 is the identity alone)."""
    bounds = [(0, 1)]
    m = parents.shape[0]
    start = 1
    while start < m:
        # the next layer holds every id whose parent lies in the previous layer
        prev_stop = bounds[-1][1]
        stop = start + int(np.searchsorted(parents[start:], prev_stop, side="left"))
        if stop == start:  # pragma: no cover - internal invariant of BFS order
            raise DFAError("monoid parents are not in breadth-first order")
        bounds.append((start, stop))
        start = stop
    return bounds


def compose(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Row-wise product ``u then v``: ``out[i, q] = v[i, u[i, q]]``."""
    m, n = u.shape
    offsets = (np.arange(m, dtype=np.intp) * n)[:, None]
    return v.ravel()[u.astype(np.intp) + offsets]


#: Steps of plain iteration before the rows still moving switch to powers
#: ``y^(2^j)`` (most elements stabilize within a few steps; a shift on a long
#: path, as in D_n, takes up to ``n``).
_DIRECT_STEPS = 8


def stable_indices(rows: np.ndarray) -> np.ndarray:
    """Least ``k`` with ``y^k = y^(k+1)`` per row, -1 for rows with a cycle of
    length > 1.

    Plain iteration for a few steps, then binary lifting over the powers
    ``y^(2^j)`` for the rows still moving: ``O(n log n)`` per row where the
    plain iteration (:func:`stable_indices_reference`) costs ``O(n k)``.
    Chunk by chunk: the temporaries stay near ``_CHUNK_CELLS`` cells whatever
    the number of rows.
    """
    out = np.empty(rows.shape[0], dtype=np.int32)
    for start, chunk in chunks(rows):
        out[start : start + chunk.shape[0]] = _stable_indices_chunk(chunk)
    return out


def _stable_indices_chunk(rows: np.ndarray) -> np.ndarray:
    out, moving = _iterate(rows, _DIRECT_STEPS)
    if moving.size:
        if rows.shape[1] <= _DIRECT_STEPS:  # a transformation of n points stabilizes within n - 1 steps
            out[moving] = -1
        else:
            out[moving] = _lifted_indices(rows[moving])
    return out


def stable_indices_reference(rows: np.ndarray) -> np.ndarray:
    """:func:`stable_indices` by plain iteration only (up to ``n`` steps per row)."""
    out, _ = _iterate(rows, rows.shape[1])
    return out


def _iterate(rows: np.ndarray, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Stable indices of the rows that stabilize within ``steps`` steps (-1
    elsewhere), and the indices of the rows still moving."""
    m, n = rows.shape
    out = np.full(m, -1, dtype=np.int32)
    if m == 0:
        return out, np.zeros(0, dtype=np.intp)
    offsets = (np.arange(m, dtype=np.intp) * n)[:, None]
    flat = (rows.astype(np.intp) + offsets).ravel()  # y in offset form
    cur = np.arange(n, dtype=np.intp)[None, :] + offsets  # y^0 in offset form
    active = np.arange(m)
    for j in range(min(steps, n)):
        nxt = flat[cur]
        stable = (nxt == cur).all(axis=1)
        out[active[stable]] = j
        keep = ~stable
        if not keep.any():
            return out, np.zeros(0, dtype=np.intp)
        active, cur = active[keep], nxt[keep]
    return out, active


def _offset_form(y: np.ndarray) -> np.ndarray:
    """``(m, n)`` rows as flat indices ``i * n + y[i, q]`` (intp): in this form
    ``z.ravel()[w]`` is the row-wise product ``w then z``, one gather."""
    m, n = y.shape
    return y.astype(np.intp) + (np.arange(m, dtype=np.intp) * n)[:, None]


def _lifted_indices(rows: np.ndarray) -> np.ndarray:
    """Stable indices of rows with ``y != y^2`` by binary lifting: the powers
    ``y^(2^j)`` for ``2^J > n``, then the largest ``a < 2^J`` with ``y^a !=
    y^(a+1)`` bit by bit from the top (the predicate is monotone in ``a``)."""
    m, n = rows.shape
    J = n.bit_length()  # 2^J > n: an aperiodic y is stable at y^(2^J)
    out = np.empty(m, dtype=np.int32)
    step = max(1, _CHUNK_CELLS // ((J + 3) * max(n, 1)))
    for start in range(0, m, step):
        y = _offset_form(rows[start : start + step])
        flat_y = y.ravel()
        powers = [y]  # powers[j] = y^(2^j), offset form
        for _ in range(J):
            powers.append(powers[-1].ravel()[powers[-1]])
        top = powers[J]
        periodic = (flat_y[top] != top).any(axis=1)
        acc = np.zeros(y.shape[0], dtype=np.int64)
        cur = (np.arange(y.shape[0], dtype=np.intp) * n)[:, None] + np.arange(n, dtype=np.intp)  # y^0
        for j in range(J - 1, -1, -1):
            cand = powers[j].ravel()[cur]  # y^(acc + 2^j)
            moving = (flat_y[cand] != cand).any(axis=1)
            cur[moving] = cand[moving]
            acc += moving.astype(np.int64) << j
        idx = acc + 1
        idx[periodic] = -1
        out[start : start + y.shape[0]] = idx
    return out


def periodic_mask(rows: np.ndarray) -> np.ndarray:
    """True for rows with a cycle of length > 1: a few plain steps (rows that
    stabilize have none), then ``y^N != y^(N+1)`` for ``N >= n`` a power of
    two (log n squarings) for the rows still moving. Chunk by chunk, as
    :func:`stable_indices`."""
    out = np.empty(rows.shape[0], dtype=bool)
    for start, chunk in chunks(rows):
        out[start : start + chunk.shape[0]] = _periodic_mask_chunk(chunk)
    return out


def _periodic_mask_chunk(rows: np.ndarray) -> np.ndarray:
    m, n = rows.shape
    _, moving = _iterate(rows, _DIRECT_STEPS)
    out = np.zeros(m, dtype=bool)
    if not moving.size:
        return out
    rest = rows[moving]
    flags = np.empty(moving.size, dtype=bool)
    for start, chunk in chunks(rest):
        y = _offset_form(chunk)
        z, power = y, 1
        while power < n:
            z = z.ravel()[z]
            power *= 2
        flags[start : start + chunk.shape[0]] = (y.ravel()[z] != z).any(axis=1)
    out[moving] = flags
    return out


def _ranks(rows: np.ndarray) -> np.ndarray:
    """The number of distinct values (image size) of each row."""
    m, n = rows.shape
    seen = np.zeros((m, n), dtype=bool)
    seen[np.arange(m)[:, None], rows] = True
    return seen.sum(axis=1)


def group_mask(rows: np.ndarray) -> np.ndarray:
    """True for rows that lie in a subgroup of the full transformation monoid:
    ``y`` permutes its image, i.e. ``rank(y y) == rank(y)``."""
    out = np.empty(rows.shape[0], dtype=bool)
    for start, chunk in chunks(rows):
        out[start : start + chunk.shape[0]] = _ranks(compose(chunk, chunk)) == _ranks(chunk)
    return out


def nontrivial_group_mask(rows: np.ndarray) -> np.ndarray:
    """True for rows in a non-trivial subgroup: ``y`` permutes its image
    (``rank(y y) = rank(y)``) and is not idempotent (``y y != y``). Such a
    ``y`` has a cycle of length > 1, and a monoid of transformations holds
    one iff it is not aperiodic (a non-trivial group holds a non-identity
    element). ``O(n)`` per row."""
    out = np.empty(rows.shape[0], dtype=bool)
    for start, chunk in chunks(rows):
        square = compose(chunk, chunk)
        out[start : start + chunk.shape[0]] = (square != chunk).any(axis=1) & (_ranks(square) == _ranks(chunk))
    return out


def idempotent_powers(rows: np.ndarray) -> np.ndarray:
    """``y^omega`` for rows that permute their image: ``e(q)`` is the point of
    ``im(y)`` that ``y`` maps where it maps ``q`` (so ``e`` fixes ``im(y)`` and
    has the kernel of ``y``)."""
    m, n = rows.shape
    out = np.empty_like(rows)
    for start, y in chunks(rows):
        r = y.shape[0]
        in_image = np.zeros((r, n), dtype=bool)
        in_image[np.arange(r)[:, None], y] = True
        ri, p = np.nonzero(in_image)
        inverse = np.zeros((r, n), dtype=rows.dtype)
        inverse[ri, y[ri, p]] = p  # y restricted to its image is a bijection
        out[start : start + r] = inverse[np.arange(r)[:, None], y]
    return out


def small_dtype(n: int) -> np.dtype:
    if n <= 1 << 8:
        return np.dtype(np.uint8)
    if n <= 1 << 16:
        return np.dtype(np.uint16)
    return np.dtype(np.uint32)


def fixed_point_counts(rows: np.ndarray) -> np.ndarray:
    """``(m, n)``: column ``j-1`` counts the fixed points of ``y^j``, ``j = 1..n``.

    For a permutation of its image these counts determine the cycle type, so
    sorted over a group they are an isomorphism invariant of the group's
    action (equal for the isomorphic groups of one D-class).
    """
    m, n = rows.shape
    out = np.zeros((m, n), dtype=np.int32)
    for start, y in chunks(rows):
        r = y.shape[0]
        offsets = (np.arange(r, dtype=np.intp) * n)[:, None]
        flat = (y.astype(np.intp) + offsets).ravel()
        ident = np.arange(n, dtype=np.intp)[None, :] + offsets
        cur = ident.copy()
        for j in range(n):
            cur = flat[cur]
            out[start : start + r, j] = (cur == ident).sum(axis=1)
    return out
