"""Sequence models: Mamba (pure PyTorch, mamba_ssm-compatible weights), LSTM, causal Transformer.

Every model maps tokens (B, L) to per-position outputs (B, L, n_outputs) and
exposes named activation sites for probing::

    from automata_probe.models import ModelConfig, build_model
    model = build_model(ModelConfig(arch="mamba", vocab_size=4, n_outputs=3), seed=0)
    logits = model(tokens)                                   # (B, L, 3)
    out = model.forward_sites(tokens, ["layers.0.ssm_state"])
    out.sites["layers.0.ssm_state"]                          # (B, L, ED * N)

This package imports torch; ``import automata_probe`` does not import it.
"""

from __future__ import annotations

from .base import SequenceModel, SiteOutputs
from .build import build_model
from .checkpoint import Checkpoint, LoadedModel, load_checkpoint, load_mamba_ssm_checkpoint, resolve_model, save_checkpoint
from .config import ARCHITECTURES, ModelConfig, config_for
from .evaluation import BinResult, EvalReport, EvalWords, evaluate, final_table_words
from .lstm import LSTMModel
from .mamba import MambaModel, config_from_mamba_ssm, load_mamba_ssm_state_dict, mamba_ssm_available
from .training import TrainConfig, TrainResult, train
from .transformer import TransformerModel

__all__ = [
    "ARCHITECTURES",
    "ModelConfig",
    "config_for",
    "Checkpoint",
    "LoadedModel",
    "load_checkpoint",
    "save_checkpoint",
    "resolve_model",
    "load_mamba_ssm_checkpoint",
    "TrainConfig",
    "TrainResult",
    "train",
    "BinResult",
    "EvalReport",
    "EvalWords",
    "final_table_words",
    "evaluate",
    "SequenceModel",
    "SiteOutputs",
    "MambaModel",
    "LSTMModel",
    "TransformerModel",
    "build_model",
    "load_mamba_ssm_state_dict",
    "config_from_mamba_ssm",
    "mamba_ssm_available",
]
