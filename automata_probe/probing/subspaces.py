"""Subspaces of a site to intervene on: the linear probe's row space, a random one, and steering along the probe.

A probe fitted on reduced features (standardize, PCA, standardize, logistic
regression; :mod:`.reduce`, :mod:`.estimators`) is affine in the site's raw
features: ``logits = A x + c``. :func:`probe_map` recovers ``(A, c)``;
:func:`row_space` gives an orthonormal basis ``Q`` (F, k) of the directions
the probe reads (the differences of its class rows, so ``k <= n_classes -
1``). Interchanging ``x_u <- x_u + Q Q^T (x_v - x_u)`` makes the probe read
exactly what it reads on ``x_v``; :func:`random_subspace` is the control of
the same dimension; :func:`steer` finds the smallest change that makes the
probe say a given class with probability at least ``p`` (a small quadratic
program solved in its dual).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import DataError
from .estimators import LinearProbe
from .reduce import Reducer

__all__ = ["ProbeMap", "fit_probe_map", "probe_map", "row_space", "random_subspace", "steer"]


@dataclass(frozen=True, kw_only=True, eq=False)
class ProbeMap:
    """A fitted linear probe as an affine map of raw site features.

    Attributes
    ----------
    A
        ``(C, F)`` one row per class in ``classes`` (binary probes get a zero row for the first class).
    c
        ``(C,)`` intercepts.
    classes
        ``(C,)`` the label of each row.
    """

    A: np.ndarray
    c: np.ndarray
    classes: np.ndarray

    def logits(self, X: np.ndarray) -> np.ndarray:
        return X @ self.A.T + self.c

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Labels ``(N,)`` of rows ``X`` ``(N, F)``."""
        return self.classes[self.logits(X).argmax(1)]


def probe_map(reducer: Reducer, probe: LinearProbe) -> ProbeMap:
    """``(A, c)`` with ``probe.decision(reducer(x)) = A x + c`` for raw features ``x``."""
    W = np.asarray(probe.coef_, dtype=np.float64)  # (C or 1, F')
    b = np.asarray(probe.intercept_, dtype=np.float64)
    if probe.scaler_ is not None:  # the probe's own standardization of the reduced features
        W = W / probe.scaler_.scale_
        b = b - W @ probe.scaler_.mean_
    if reducer.basis is not None:
        W = W @ reducer.basis.T.astype(np.float64)  # (C, F) in standardized site coordinates
    W = W / reducer.sd.astype(np.float64)
    b = b - W @ reducer.mu.astype(np.float64)
    classes = np.asarray(probe.classes_)
    if W.shape[0] == 1 and classes.size == 2:  # binary: logit of class 1 against 0
        W = np.vstack([np.zeros_like(W), W])
        b = np.concatenate([[0.0], b])
    return ProbeMap(A=W, c=b, classes=classes)


def fit_probe_map(X: np.ndarray, y: np.ndarray, *, max_features: int | None, C: float, max_iter: int,
                  seed: int) -> tuple[ProbeMap, Reducer, LinearProbe]:
    """Fit the probe as probing does (reduce wide sites, then a linear probe) and return its raw-feature map."""
    reducer = Reducer(X, max_features, np.random.default_rng([seed, 0xDC]))
    probe = LinearProbe(C=C, max_iter=max_iter, random_state=seed).fit(reducer(X), y)
    return probe_map(reducer, probe), reducer, probe


def row_space(pm: ProbeMap, tol: float = 1e-8) -> np.ndarray:
    """Orthonormal basis ``(F, k)`` of the directions the probe reads (span of its class-row differences)."""
    if pm.A.shape[0] < 2:
        return np.zeros((pm.A.shape[1], 0))
    diffs = pm.A[1:] - pm.A[0]  # (C-1, F): softmax ignores a shift common to all rows
    u, s, vt = np.linalg.svd(diffs, full_matrices=False)
    keep = s > tol * max(float(s.max(initial=0.0)), 1e-300)
    return vt[keep].T  # (F, k)


def random_subspace(n_features: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """A uniformly random orthonormal basis ``(F, k)`` (QR of a Gaussian matrix, signs fixed)."""
    if k > n_features:
        raise DataError(f"a {k}-dimensional subspace does not fit in {n_features} features")
    g = rng.standard_normal((n_features, k))
    q, r = np.linalg.qr(g)
    return q * np.sign(np.diag(r))[None, :]


def steer(pm: ProbeMap, X: np.ndarray, target: np.ndarray, *, p: float = 0.9, iters: int = 300) -> np.ndarray:
    """The smallest change ``delta`` (N, F) that makes the probe say ``target[i]`` with probability >= ``p``.

    Minimizes ``||delta||^2`` subject to ``(a_t - a_j) (x + delta) + c_t - c_j >=
    m`` for every other class ``j``, with margin ``m = log(p / (1 - p)) +
    log(C - 1)`` (then the softmax gives ``t`` at least ``p``). The solution
    lies in the probe's row space; the dual (non-negative multipliers, one per
    other class) is solved by projected coordinate ascent. Rows whose target
    the probe does not know get no change.
    """
    n_classes = pm.A.shape[0]
    out = np.zeros_like(X, dtype=np.float64)
    if n_classes < 2:
        return out
    margin = float(np.log(p / (1 - p)) + np.log(n_classes - 1))
    row_of = {int(c): i for i, c in enumerate(pm.classes)}
    t = np.asarray([row_of.get(int(v), -1) for v in target])
    logits = pm.logits(X.astype(np.float64))  # (N, C)
    for cls in np.unique(t[t >= 0]):
        rows = np.flatnonzero(t == cls)
        others = np.asarray([j for j in range(n_classes) if j != cls])
        G = pm.A[cls][None, :] - pm.A[others]  # (C-1, F): constraint normals
        h = margin - (logits[rows][:, [cls]] - logits[rows][:, others])  # (n, C-1): needed gain
        K = G @ G.T  # (C-1, C-1)
        diag = np.maximum(np.diag(K), 1e-12)
        lam = np.zeros_like(h)
        for _ in range(iters):
            for i in range(len(others)):  # coordinate ascent on the dual
                lam[:, i] = np.maximum(0.0, lam[:, i] + (h[:, i] - lam @ K[i]) / diag[i])
        out[rows] = lam @ G
    return out
