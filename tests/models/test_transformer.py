"""Tests for automata_probe.models: scans, Mamba (weights, mambapy cross-check), LSTM, Transformer."""

from __future__ import annotations

import pytest
import torch

from automata_probe.models import (
    build_model,
)

from .helpers import small_config


@pytest.mark.parametrize("encoding", ["sinusoidal", "none"])
def test_transformer_runs_beyond_any_training_length(encoding):
    model = build_model(small_config("transformer", positional_encoding=encoding), seed=0)
    with torch.no_grad():
        long = torch.randint(0, 5, (2, 300), generator=torch.Generator().manual_seed(1))
        assert model(long).shape == (2, 300, 3)
