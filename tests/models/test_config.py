"""Tests for automata_probe.models: scans, Mamba (weights, mambapy cross-check), LSTM, Transformer."""

from __future__ import annotations

import pytest

from automata_probe.errors import ModelError
from automata_probe.models import (
    ModelConfig,
)


def dataclasses_frozen_error():
    import dataclasses

    return dataclasses.FrozenInstanceError


def test_config_resolves_derived_fields_and_round_trips():
    cfg = ModelConfig(arch="mamba", vocab_size=5, n_outputs=3, d_model=40)
    assert cfg.dt_rank == 3 and cfg.d_ff == 160 and cfg.d_inner == 80 and cfg.padded_vocab_size == 8
    assert ModelConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(dataclasses_frozen_error()):
        cfg.d_model = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    "kw, culprit",
    [
        (dict(arch="gru"), "gru"),
        (dict(d_model=0), "d_model"),
        (dict(arch="transformer", n_heads=3), "n_heads"),
        (dict(dropout=1.0), "dropout"),
        (dict(positional_encoding="rope"), "rope"),
        (dict(dt_rank="big"), "dt_rank"),
        (dict(negative_eigenvalues=1), "negative_eigenvalues"),
    ],
)
def test_config_rejects_bad_fields_with_named_culprit(kw, culprit):
    base = dict(arch="mamba", vocab_size=5, n_outputs=3)
    base.update(kw)
    with pytest.raises(ModelError, match=culprit):
        ModelConfig(**base)


def test_config_from_dict_rejects_unknown_keys():
    d = ModelConfig(arch="lstm", vocab_size=5, n_outputs=3).to_dict() | {"n_layer": 2}
    with pytest.raises(ModelError, match="n_layer"):
        ModelConfig.from_dict(d)


def test_describe_names_what_sets_the_architecture_apart():
    from automata_probe.models import ModelConfig

    assert ModelConfig(arch="mamba", vocab_size=4, n_outputs=3).describe() == "mamba d_model=64 n_layers=2 d_state=16"
    dp = ModelConfig(arch="deltaproduct", vocab_size=4, n_outputs=3, n_layers=1, householders=2,
                     negative_eigenvalues=True)
    assert dp.describe() == "deltaproduct d_model=64 n_layers=1 n_heads=4 householders=2 negative_eigenvalues"
