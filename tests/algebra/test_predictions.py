"""Tests for automata_probe.algebra.predictions: predictions follow the theorems."""

from __future__ import annotations

from automata_probe.algebra import classify


def test_predictions_follow_the_theorems(ab_star, parity):
    sf = {p.architecture: p.expressible for p in classify(ab_star).predictions}
    nsf = {p.architecture: p.expressible for p in classify(parity).predictions}
    mamba = "Mamba / SSM with non-negative gates"
    assert sf[mamba] is True and nsf[mamba] is False
    lstm = "LSTM / non-linear RNN"
    assert sf[lstm] is True and nsf[lstm] is True
    tc0 = "SSM or Transformer, fixed depth, log precision"
    assert sf[tc0] is None and nsf[tc0] is None  # TC0 does not decide these
