"""Tests for automata_probe.probing.config: ProbeConfig normalizes and validates its fields."""

from __future__ import annotations

import pytest

from automata_probe.errors import DataError, ParameterError
from automata_probe.probing import ProbeConfig


def test_defaults_and_normalized_fields():
    c = ProbeConfig(seeds=range(2), sites="final", train_lengths=[1, 8], test_bins=[[9, 12]], C=2)
    assert c.seeds == (0, 1) and c.sites == ("final",)
    assert c.train_lengths == (1, 8) and c.test_bins == ((9, 12),)
    assert isinstance(c.C, float)
    d = ProbeConfig()
    assert (d.target, d.seeds, d.source, d.controls, d.max_features, d.threads) == ("state", (0, 1, 2), "auto", True,
                                                                                    256, 1)
    assert d.train_lengths is None and d.test_bins is None and d.sites is None


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"target": "colour"}, DataError, "unknown probe target"),
        ({"source": "web"}, DataError, "web"),
        ({"seeds": ()}, DataError, "at least one seed"),
        ({"n_train": 0}, DataError, "n_train must be a positive integer"),
        ({"train_lengths": (5, 2)}, DataError, "not a valid length range"),
        ({"test_bins": [7]}, DataError, "must be a pair"),
        ({"batch_size": True}, DataError, "batch_size"),
        ({"C": 0}, ParameterError, "C must be positive"),
        ({"max_features": 0}, ParameterError, "max_features"),
        ({"threads": 0}, ParameterError, "threads"),
        ({"memory_budget_mb": -1}, ParameterError, "memory_budget_mb"),
    ],
)
def test_bad_values_are_refused(kwargs, error, match):
    with pytest.raises(error, match=match):
        ProbeConfig(**kwargs)


def test_config_is_frozen():
    with pytest.raises(AttributeError):
        ProbeConfig().target = "member"  # type: ignore[misc]
