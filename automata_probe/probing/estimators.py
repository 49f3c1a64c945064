"""Probes: classifiers that read a label off a model's activations.

Both probes follow scikit-learn's estimator contract (``__init__`` stores
hyperparameters only, ``fit`` returns ``self``, fitted attributes end in ``_``,
``score`` is accuracy) and pass :func:`sklearn.utils.estimator_checks.check_estimator`,
so they drop into pipelines, ``cross_val_score`` and ``GridSearchCV``.

- :class:`LinearProbe`: multinomial logistic regression (L2 penalty, L-BFGS)
  on standardized features, the probe of Alain & Bengio 2016 and of most
  state-probing work since. If it reads a label at high accuracy, the label is
  *linearly* decodable from the site.
- :class:`MLPProbe`: one hidden ReLU layer trained with Adam. The gap between
  the two measures how much of the information is there but not linearly
  arranged (Hewitt & Liang 2019 caution that a stronger probe also memorizes
  more; compare with the control task of :mod:`automata_probe.probing`).

Glossary (code name -> symbol)::

    X          (N, F) features, one row per (sequence, position)
    y          (N,) labels
    coef_      W, (n_classes, F) logits = X_std @ W.T + b (binary: 1 row, sklearn's layout)
    scaler_    the standardization x -> (x - mu) / sigma fitted on the training rows

scikit-learn's solvers are imported when a probe is fitted; the MLP is plain
numpy (small batches make a framework's per-step overhead dominate).
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

__all__ = ["LinearProbe", "MLPProbe"]

log = logging.getLogger(__name__)


def _sk_base() -> tuple[type, type]:
    from sklearn.base import BaseEstimator, ClassifierMixin

    return ClassifierMixin, BaseEstimator


# scikit-learn is a hard dependency of the package (pyproject), and the estimator
# contract needs the base classes at class-creation time; importing
# sklearn.base alone is cheap (it does not pull in scipy's solvers).
_ClassifierMixin, _BaseEstimator = _sk_base()


class _ProbeBase(_ClassifierMixin, _BaseEstimator):
    """Shared validation, label encoding and standardization."""

    standardize: bool

    def _validate_fit(self, X: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        from sklearn.utils.multiclass import check_classification_targets
        from sklearn.utils.validation import validate_data

        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], ensure_min_samples=1)
        check_classification_targets(y)
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        if self.standardize:
            from sklearn.preprocessing import StandardScaler

            self.scaler_ = StandardScaler().fit(X)
            X = self.scaler_.transform(X)
        else:
            self.scaler_ = None
        return np.asarray(X), y_idx.reshape(-1)

    def _validate_predict(self, X: Any) -> np.ndarray:
        from sklearn.utils.validation import check_is_fitted, validate_data

        check_is_fitted(self, "classes_")
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        if self.scaler_ is not None:
            X = self.scaler_.transform(X)
        return np.asarray(X, dtype=np.float64)

    def _proba(self, X: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, ``(N, n_classes)`` in the order of ``classes_``."""
        return self._proba(self._validate_predict(X))

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Log of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class for each row (labels from ``classes_``)."""
        proba = self.predict_proba(X)  # checks fittedness first
        return self.classes_[np.argmax(proba, axis=1)]

    def __sklearn_tags__(self):  # noqa: D105
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        return tags


class LinearProbe(_ProbeBase):
    """Multinomial logistic regression on standardized features.

    Parameters
    ----------
    C
        Inverse L2 regularization strength (scikit-learn's convention: the
        penalty is ``||W||^2 / (2 C)`` against the summed log-loss).
    max_iter
        L-BFGS iterations at most.
    standardize
        Standardize each feature on the training rows before fitting (a
        probe on raw activations is at the mercy of their scale).
    random_state
        Seed for anything random in the solver (L-BFGS is deterministic; kept
        so every probe takes one; scikit-learn's name).

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    scaler_ : StandardScaler or None
    coef_ : ndarray of shape (n_classes, n_features) (``(1, n_features)`` for two classes)
    intercept_ : ndarray of shape (n_classes,) (``(1,)`` for two classes)
    n_iter_ : int
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [0.1, 0.9], [0.9, 0.2]])
    >>> LinearProbe().fit(X, [0, 1, 0, 1]).predict([[0.0, 1.0]])
    array([0])
    """

    def __init__(self, C: float = 1.0, max_iter: int = 1000, standardize: bool = True, random_state: int = 0):
        self.C = C
        self.max_iter = max_iter
        self.standardize = standardize
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> "LinearProbe":
        """Fit on rows ``X`` ``(N, F)`` with labels ``y`` ``(N,)``; returns ``self``."""
        import warnings

        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import LogisticRegression

        X, y_idx = self._validate_fit(X, y)
        n_classes = len(self.classes_)
        if n_classes == 1:
            # one label seen: the probe predicts it everywhere (logistic regression is undefined)
            self.coef_ = np.zeros((1, X.shape[1]))
            self.intercept_ = np.zeros(1)
            self.n_iter_ = 1
            return self
        model = LogisticRegression(C=self.C, max_iter=self.max_iter, random_state=self.random_state)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            model.fit(X, y_idx)
        if any(issubclass(w.category, ConvergenceWarning) for w in caught):
            log.info("linear probe did not converge in %d iterations", self.max_iter)
        self.coef_ = model.coef_
        self.intercept_ = model.intercept_
        self.n_iter_ = int(np.max(model.n_iter_))
        return self

    def _proba(self, X: np.ndarray) -> np.ndarray:
        if len(self.classes_) == 1:
            return np.ones((X.shape[0], 1))
        logits = X @ self.coef_.T + self.intercept_  # (N, C) or (N, 1)
        if logits.shape[1] == 1:  # binary: sklearn keeps one row of weights
            p1 = np.exp(-np.logaddexp(0.0, -logits[:, 0]))  # sigmoid without overflow
            return np.stack([1.0 - p1, p1], axis=1)
        logits = logits - logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)


class MLPProbe(_ProbeBase):
    """One hidden ReLU layer on standardized features, trained with Adam.

    Parameters
    ----------
    hidden_size
        Width of the hidden layer.
    alpha
        L2 penalty on the weights (not the biases), added to the mean log-loss.
    max_iter
        Epochs at most.
    learning_rate
        Adam's step size.
    batch_size
        Rows per step (all rows when there are fewer).
    tol, n_iter_no_change
        Stop when the epoch loss has not improved by ``tol`` for
        ``n_iter_no_change`` epochs (scikit-learn's MLPClassifier rule).
    standardize
        Standardize features on the training rows first.
    random_state
        Seeds the initialization and the minibatch order (same seed, same
        probe on the same machine; scikit-learn's name).

    Attributes
    ----------
    classes_, scaler_, n_features_in_
    coefs_ : list of two ndarrays, ``(F, H)`` and ``(H, n_classes)``
    intercepts_ : list of two ndarrays, ``(H,)`` and ``(n_classes,)``
    n_iter_ : int
        Epochs run.
    loss_ : float
        Final epoch's mean training loss.
    """

    def __init__(
        self,
        hidden_size: int = 128,
        alpha: float = 1e-4,
        max_iter: int = 200,
        learning_rate: float = 1e-3,
        batch_size: int = 256,
        tol: float = 1e-4,
        n_iter_no_change: int = 10,
        standardize: bool = True,
        random_state: int = 0,
    ):
        self.hidden_size = hidden_size
        self.alpha = alpha
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.standardize = standardize
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> "MLPProbe":
        """Fit on rows ``X`` ``(N, F)`` with labels ``y`` ``(N,)``; returns ``self``."""
        X, y_idx = self._validate_fit(X, y)
        X = np.ascontiguousarray(X, dtype=np.float32)  # (N, F)
        n, f = X.shape
        c = len(self.classes_)
        h = int(self.hidden_size)
        rng = np.random.default_rng(self.random_state)
        # He/Glorot-uniform init, drawn from our generator so the seed fixes it
        params = [
            rng.uniform(-1, 1, (f, h)).astype(np.float32) * np.float32((6.0 / f) ** 0.5),  # W1 (F, H)
            np.zeros(h, dtype=np.float32),  # b1 (H,)
            rng.uniform(-1, 1, (h, c)).astype(np.float32) * np.float32((6.0 / (h + c)) ** 0.5),  # W2 (H, C)
            np.zeros(c, dtype=np.float32),  # b2 (C,)
        ]
        adam = _Adam(params, lr=self.learning_rate)
        onehot = np.eye(c, dtype=np.float32)[y_idx]  # (N, C)
        bs = max(1, min(int(self.batch_size), n))
        decay = np.float32(self.alpha / n)
        best, stall, loss_epoch, epoch = np.inf, 0, np.nan, 0
        for epoch in range(1, int(self.max_iter) + 1):
            order = rng.permutation(n)
            total = 0.0
            for start in range(0, n, bs):
                idx = order[start : start + bs]
                w1, b1, w2, b2 = params
                xb, yb = X[idx], onehot[idx]  # (b, F), (b, C)
                z1 = xb @ w1 + b1  # (b, H)
                hid = np.maximum(z1, 0.0)
                logits = hid @ w2 + b2  # (b, C)
                logits -= logits.max(axis=1, keepdims=True)
                p = np.exp(logits)
                p /= p.sum(axis=1, keepdims=True)
                total += float(-(yb * np.log(np.maximum(p, 1e-12))).sum())
                d_logits = (p - yb) / np.float32(len(idx))  # (b, C)
                d_hid = (d_logits @ w2.T) * (z1 > 0)  # (b, H)
                grads = [
                    xb.T @ d_hid + decay * w1,
                    d_hid.sum(axis=0),
                    hid.T @ d_logits + decay * w2,
                    d_logits.sum(axis=0),
                ]
                adam.step(params, grads)
            loss_epoch = total / n
            if loss_epoch > best - self.tol:
                stall += 1
                if stall >= self.n_iter_no_change:
                    break
            else:
                stall = 0
            best = min(best, loss_epoch)
        self.coefs_ = [params[0].astype(np.float64), params[2].astype(np.float64)]
        self.intercepts_ = [params[1].astype(np.float64), params[3].astype(np.float64)]
        self.n_iter_ = epoch
        self.loss_ = float(loss_epoch)
        return self

    def _proba(self, X: np.ndarray) -> np.ndarray:
        # float64 numpy so a row's prediction does not depend on the batch around it
        hidden = np.maximum(X @ self.coefs_[0] + self.intercepts_[0], 0.0)  # (N, H)
        logits = hidden @ self.coefs_[1] + self.intercepts_[1]  # (N, C)
        logits = logits - logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)


class _Adam:
    """Adam (Kingma & Ba 2015) on a list of numpy arrays, updated in place."""

    def __init__(self, params: list[np.ndarray], lr: float, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8):
        self.lr, self.b1, self.b2, self.eps = lr, b1, b2, eps
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        self.t += 1
        c1 = 1.0 - self.b1**self.t
        c2 = 1.0 - self.b2**self.t
        for p, g, m, v in zip(params, grads, self.m, self.v):
            m *= self.b1
            m += (1.0 - self.b1) * g
            v *= self.b2
            v += (1.0 - self.b2) * g * g
            p -= (self.lr / c1) * m / (np.sqrt(v / c2) + self.eps)
