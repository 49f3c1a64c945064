"""Principal components of activations: the one PCA in the package.

:class:`Reducer` standardizes features on training rows and keeps the top
``k`` principal components, a linear map, so a linear probe on its output is
still a linear probe on the site (restricted to that subspace). Probing uses
it for sites wider than ``max_features`` (Mamba's SSM state), clustering
extraction before k-means, and :func:`project2` draws the 2-D pictures.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Reducer", "top_components", "project2"]


def top_components(Z: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The top ``k`` eigenvectors ``(F, k)`` of the covariance of the centred rows
    ``Z`` ``(n, F)``, and all eigenvalues in descending order."""
    n, F = Z.shape
    if n < F:  # fewer rows than features: the covariance has rank <= n; an SVD of the rows is far cheaper
        _, s, vt = np.linalg.svd(Z.astype(np.float64), full_matrices=False)
        vals = np.concatenate([s**2 / max(n - 1, 1), np.zeros(F - s.size)])
        return vt[:k].T, vals
    cov = (Z.T @ Z).astype(np.float64) / max(Z.shape[0] - 1, 1)  # (F, F)
    vals, vecs = np.linalg.eigh(cov)
    return vecs[:, ::-1][:, :k], vals[::-1]


class Reducer:
    """Standardize, then keep the top ``k`` principal components (fit on training rows).

    Parameters
    ----------
    X_train
        ``(n, F)`` rows to fit on.
    k
        Components kept; None (or ``k >= F``) only standardizes.
    rng
        Picks the at most ``max_rows`` rows the components are computed from.
    """

    def __init__(self, X_train: np.ndarray, k: int | None, rng: np.random.Generator, max_rows: int = 4096):
        self.mu = X_train.mean(axis=0, dtype=np.float64).astype(np.float32)
        sd = X_train.std(axis=0, dtype=np.float64)
        sd[sd < 1e-12] = 1.0
        self.sd = sd.astype(np.float32)
        self.basis: np.ndarray | None = None
        if k is not None and X_train.shape[1] > k:
            rows = X_train
            if rows.shape[0] > max_rows:
                rows = X_train[rng.choice(X_train.shape[0], max_rows, replace=False)]
            Z = (rows - self.mu) / self.sd  # (n, F)
            vecs, _ = top_components(Z, k)
            self.basis = np.ascontiguousarray(vecs.astype(np.float32))  # (F, k)

    @property
    def width(self) -> int:
        """Features out."""
        return int(self.basis.shape[1]) if self.basis is not None else int(self.mu.shape[0])

    def __call__(self, X: np.ndarray) -> np.ndarray:
        Z = (X - self.mu) / self.sd
        return Z @ self.basis if self.basis is not None else Z


def project2(X: np.ndarray) -> tuple[np.ndarray, tuple[float, float]]:
    """2-D PCA coordinates ``(n, 2)`` of ``X`` ``(n, F)`` and the fraction of the
    variance along each axis; each axis's sign is fixed so pictures do not flip."""
    Z = X - X.mean(axis=0)
    vecs, vals = top_components(Z, 2)
    total = float(vals.sum()) or 1.0
    k = vecs.shape[1]
    pts = Z @ vecs.astype(Z.dtype)
    if k < 2:
        pts = np.concatenate([pts, np.zeros((pts.shape[0], 2 - k), dtype=pts.dtype)], axis=1)
    ratios = [float(v) / total for v in vals[:2]] + [0.0] * (2 - min(2, len(vals)))
    for j in range(2):
        if pts.shape[0] and pts[np.argmax(np.abs(pts[:, j])), j] < 0:
            pts[:, j] = -pts[:, j]
    return pts, (ratios[0], ratios[1])
