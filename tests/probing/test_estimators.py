"""Tests for automata_probe.probing.estimators: the scikit-learn contract and what the probes can read."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from automata_probe.probing.estimators import LinearProbe, MLPProbe


@parametrize_with_checks([LinearProbe(), MLPProbe()])
def test_sklearn_estimator_contract(estimator, check):
    """Every check of sklearn.utils.estimator_checks passes (none is expected to fail)."""
    check(estimator)


def _states_linear(n: int, n_states: int, dim: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Features that encode a state linearly (one direction per state), plus noise dimensions."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_states, n)
    directions = rng.normal(size=(n_states, dim))
    X = directions[y] * 3.0 + rng.normal(size=(n, dim))
    return X.astype(np.float32), y


def test_linear_probe_recovers_linearly_encoded_states():
    X, y = _states_linear(1200, 5, 32, seed=0)
    probe = LinearProbe().fit(X[:800], y[:800])
    assert probe.score(X[800:], y[800:]) > 0.99
    assert probe.coef_.shape == (5, 32)
    assert probe.n_features_in_ == 32


def test_linear_probe_is_near_majority_on_random_features():
    rng = np.random.default_rng(1)
    y = rng.choice(4, size=1500, p=[0.55, 0.25, 0.15, 0.05])
    X = rng.normal(size=(1500, 16))  # independent of y
    probe = LinearProbe().fit(X[:1000], y[:1000])
    majority = (y[1000:] == np.bincount(y[:1000]).argmax()).mean()
    assert probe.score(X[1000:], y[1000:]) <= majority + 0.04


def test_mlp_reads_what_a_linear_probe_cannot():
    """XOR of two signs: no linear boundary, one hidden layer suffices (the linear/non-linear gap)."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(2000, 4))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    lin = LinearProbe().fit(X[:1500], y[:1500]).score(X[1500:], y[1500:])
    mlp = MLPProbe(random_state=0).fit(X[:1500], y[:1500]).score(X[1500:], y[1500:])
    assert lin < 0.65
    assert mlp > 0.9


def test_mlp_seed_fixes_the_probe():
    X, y = _states_linear(300, 3, 8, seed=3)
    a = MLPProbe(random_state=4, max_iter=20).fit(X, y)
    b = MLPProbe(random_state=4, max_iter=20).fit(X, y)
    c = MLPProbe(random_state=5, max_iter=20).fit(X, y)
    np.testing.assert_array_equal(a.coefs_[0], b.coefs_[0])
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])


def test_standardize_flag_is_honoured():
    X, y = _states_linear(200, 2, 4, seed=5)
    assert LinearProbe(standardize=False).fit(X, y).scaler_ is None
    fitted = LinearProbe().fit(X * 1000.0, y)
    np.testing.assert_allclose(fitted.scaler_.mean_, (X * 1000.0).mean(axis=0), rtol=1e-5)


def test_one_class_predicts_it():
    X = np.random.default_rng(6).normal(size=(10, 3))
    for probe in (LinearProbe(), MLPProbe(max_iter=5)):
        probe.fit(X, ["q"] * 10)
        assert list(probe.predict(X[:3])) == ["q"] * 3
        np.testing.assert_allclose(probe.predict_proba(X[:3]), 1.0)


def test_predict_before_fit_raises():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        LinearProbe().predict(np.zeros((1, 2)))
