"""Sequence models: Mamba and Mamba-2 (pure PyTorch, mamba_ssm-compatible weights), DeltaNet, Gated
DeltaNet and DeltaProduct (fla-compatible weights), LSTM, causal Transformer.

Every model maps tokens (B, L) to per-position outputs (B, L, n_outputs) and
exposes named activation sites for probing::

    from automata_probe.models import ModelConfig, build_model
    model = build_model(ModelConfig(arch="mamba", vocab_size=4, n_outputs=3), seed=0)
    logits = model(tokens)                                   # (B, L, 3)
    out = model.forward_sites(tokens, ["layers.0.ssm_state"])
    out.sites["layers.0.ssm_state"]                          # (B, L, ED * N)

Recurrent models (Mamba, LSTM) also expose their state (``models/base.py``)::

    after = model.forward_state(prefix).state                # RecurrentState after a prefix
    out = model.forward_state(rest, after).outputs           # continue from it
    step = model.step(tokens[:, 0], after)                   # one token: outputs, state, sites

This package imports torch; ``import automata_probe`` does not import it.
"""

from __future__ import annotations

from .base import Patch, RecurrentState, SequenceModel, SiteOutputs, StateOutputs, StepOutputs
from .build import build_model
from .checkpoint import Checkpoint, LoadedModel, load_checkpoint, load_mamba_ssm_checkpoint, resolve_model, save_checkpoint
from .config import ARCHITECTURES, ModelConfig, config_for
from .evaluation import BinResult, EvalReport, EvalWords, evaluate, final_table_words
from .interop import config_from_fla, config_from_mamba2, load_reference_state_dict, to_reference_state_dict
from .kernels import fla_available, mamba2_kernel_available, select_recurrence
from .linear_model import LINEAR_RNN_ARCHS, LinearRNNModel
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
    "RecurrentState",
    "StateOutputs",
    "StepOutputs",
    "Patch",
    "MambaModel",
    "LSTMModel",
    "TransformerModel",
    "LinearRNNModel",
    "LINEAR_RNN_ARCHS",
    "load_reference_state_dict",
    "to_reference_state_dict",
    "config_from_fla",
    "config_from_mamba2",
    "build_model",
    "load_mamba_ssm_state_dict",
    "config_from_mamba_ssm",
    "mamba_ssm_available",
    "fla_available",
    "mamba2_kernel_available",
    "select_recurrence",
]
