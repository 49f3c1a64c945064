"""Tests for automata_probe.models: scans, Mamba (weights, mambapy cross-check), LSTM, Transformer."""

from __future__ import annotations


import pytest
import torch

from automata_probe.models import (
    ModelConfig,
    build_model,
)

ARCHS = ("mamba", "lstm", "transformer")

# mamba_ssm 2.x MambaLMHeadModel(d_model=64, n_layer=2, vocab_size=5) (pad_vocab_size_multiple=8,
# rms_norm=True) minus lm_head, plus our head; from reference/measurements.md
MAMBA_SSM_PARAMS = {
    "backbone.embedding.weight": (8, 64),
    **{
        f"backbone.layers.{i}.{name}": shape
        for i in range(2)
        for name, shape in {
            "norm.weight": (64,),
            "mixer.in_proj.weight": (256, 64),
            "mixer.conv1d.weight": (128, 1, 4),
            "mixer.conv1d.bias": (128,),
            "mixer.x_proj.weight": (4 + 32, 128),
            "mixer.dt_proj.weight": (128, 4),
            "mixer.dt_proj.bias": (128,),
            "mixer.A_log": (128, 16),
            "mixer.D": (128,),
            "mixer.out_proj.weight": (64, 128),
        }.items()
    },
    "backbone.norm_f.weight": (64,),
    "head.weight": (3, 64),
    "head.bias": (3,),
}


def small_config(arch: str, **kw) -> ModelConfig:
    base = dict(arch=arch, vocab_size=5, n_outputs=3, d_model=16, n_layers=2, d_state=4)
    base.update(kw)
    return ModelConfig(**base)


@pytest.mark.parametrize("encoding", ["sinusoidal", "none"])
def test_transformer_runs_beyond_any_training_length(encoding):
    model = build_model(small_config("transformer", positional_encoding=encoding), seed=0)
    with torch.no_grad():
        long = torch.randint(0, 5, (2, 300), generator=torch.Generator().manual_seed(1))
        assert model(long).shape == (2, 300, 3)
