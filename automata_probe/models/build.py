"""Build the model a config names (the one constructor every caller uses)."""

from __future__ import annotations

import torch

from .base import SequenceModel
from .config import ModelConfig
from .linear_model import LINEAR_RNN_ARCHS, LinearRNNModel
from .lstm import LSTMModel
from .mamba import MambaModel
from .transformer import TransformerModel

__all__ = ["build_model"]

_CLASSES = {"mamba": MambaModel, "lstm": LSTMModel, "transformer": TransformerModel,
            **{arch: LinearRNNModel for arch in LINEAR_RNN_ARCHS}}


def build_model(config: ModelConfig, *, seed: int | None = None) -> SequenceModel:
    """Build the model that ``config.arch`` names.

    Parameters
    ----------
    config : ModelConfig
    seed : int, optional
        Seed for the initialization. The global torch RNG is left untouched
        (initialization runs under ``torch.random.fork_rng``); None uses the
        global RNG as it stands.

    Returns
    -------
    SequenceModel
        In training mode, on the CPU, in float32.
    """
    cls = _CLASSES[config.arch]
    if seed is None:
        return cls(config)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return cls(config)
