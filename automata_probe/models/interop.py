"""Weights and configs to and from flash-linear-attention (fla) and mamba_ssm for the linear-RNN models.

Our parameter names are theirs (see :mod:`.linear_model`), so a state dict
moves by name; only their language-model head ``lm_head`` differs from our
task ``head``. Neither library is imported here: their configs are read as
dicts (a ``config.json``) and their weights as state dicts.
"""

from __future__ import annotations

import logging
from typing import Any, Mapping

import torch
from torch import Tensor

from ..errors import ModelError
from .base import SequenceModel
from .config import ModelConfig

__all__ = ["load_reference_state_dict", "to_reference_state_dict", "config_from_fla", "config_from_mamba2"]

log = logging.getLogger(__name__)

#: fla ``model_type`` -> our arch.
_FLA_TYPES = {"delta_net": "deltanet", "gated_deltanet": "gated-deltanet", "gated_deltaproduct": "deltaproduct"}


def _prefix(model: SequenceModel) -> str:
    return "backbone." if model.config.arch == "mamba2" else "model."


def load_reference_state_dict(model: SequenceModel, state_dict: Mapping[str, Tensor]) -> tuple[str, ...]:
    """Load an fla ``*ForCausalLM`` (DeltaNet family) or mamba_ssm ``MambaLMHeadModel`` (Mamba-2) state dict.

    Every backbone tensor (``model.*`` for fla, ``backbone.*`` for mamba_ssm)
    must be present with our shape. ``lm_head.weight`` goes into the task
    head (with a zero bias) when the shapes match; ``head.*`` (ours) loads as
    it is.

    Returns
    -------
    tuple of str
        Keys of ``state_dict`` that were not loaded.

    Raises
    ------
    ModelError
        A missing or unexpected backbone key, or a shape mismatch.
    """
    prefix = _prefix(model)
    ours = model.state_dict()
    new: dict[str, Tensor] = {}
    ignored: list[str] = []
    for key, value in state_dict.items():
        if key.startswith(prefix):
            if key not in ours:
                raise ModelError(f"unexpected key {key!r} (the model's config differs?)")
            new[key] = value
        elif key in ("head.weight", "head.bias"):
            new[key] = value
        elif key == "lm_head.weight" and tuple(value.shape) == tuple(ours["head.weight"].shape) \
                and "head.weight" not in state_dict:
            new["head.weight"], new["head.bias"] = value, torch.zeros_like(ours["head.bias"])
        else:
            ignored.append(key)
    missing = [k for k in ours if k.startswith(prefix) and k not in new]
    if missing:
        raise ModelError(f"state dict lacks {missing[0]!r} ({len(missing)} backbone key(s) missing)")
    for key, value in new.items():
        if tuple(value.shape) != tuple(ours[key].shape):
            raise ModelError(f"shape of {key!r} is {tuple(value.shape)}, the model expects {tuple(ours[key].shape)}")
    model.load_state_dict(new, strict=False)
    if ignored:
        log.info("ignored keys: %s", ", ".join(ignored))
    return tuple(ignored)


def to_reference_state_dict(model: SequenceModel) -> dict[str, Tensor]:
    """Our state dict in the library's naming: the backbone as it is, the task head as ``lm_head.weight``
    (fla and mamba_ssm heads have no bias; ours is dropped, so the head must have a zero bias to round-trip)."""
    sd = {k: v.detach().clone() for k, v in model.state_dict().items() if not k.startswith("head.")}
    sd["lm_head.weight"] = model.state_dict()["head.weight"].detach().clone()
    return sd


def config_from_fla(d: Mapping[str, Any], *, n_outputs: int | None = None) -> ModelConfig:
    """Translate an fla config dict (DeltaNetConfig, GatedDeltaNetConfig, GatedDeltaProductConfig) to ours.

    ``n_outputs`` defaults to the vocabulary size (the ``lm_head`` then loads
    into the head). Unsupported settings (grouped value heads, other q/k
    activations or norms, no beta) are errors naming the field.
    """
    kind = d.get("model_type")
    if kind not in _FLA_TYPES:
        raise ModelError(f"unsupported fla model_type {kind!r}; expected one of {', '.join(_FLA_TYPES)}")
    arch = _FLA_TYPES[kind]
    for key, value in (("qk_activation", "silu"), ("qk_norm", "l2"), ("use_beta", True), ("conv_bias", False),
                       ("hidden_act", "swish"), ("attn", None), ("attnres_block_size", None)):
        if d.get(key, value) != value:
            raise ModelError(f"fla config {key}={d[key]!r} is not supported (needs {value!r})")
    heads = int(d.get("num_heads", 4 if arch == "deltanet" else 6))
    if d.get("num_v_heads") not in (None, heads):
        raise ModelError("fla config num_v_heads != num_heads (grouped value heads) is not supported")
    hidden = int(d.get("hidden_size", 2048))
    if arch == "deltanet":
        head_dim = int(round(hidden * float(d.get("expand_k", 1.0)))) // heads
        expand_v = float(d.get("expand_v", 1.0)) * hidden / (head_dim * heads)
        output_gate = bool(d.get("use_gate", False))
    else:
        head_dim, expand_v = int(d.get("head_dim", 256)), float(d.get("expand_v", 2.0))
        output_gate = bool(d.get("use_output_gate" if arch == "deltaproduct" else "use_gate", True))
    inter = d.get("intermediate_size")
    if inter is None:
        inter = int(hidden * int(d.get("hidden_ratio") or 4) * 2 / 3)
        inter = 256 * ((inter + 255) // 256)
    vocab = int(d.get("vocab_size", 32000))
    return ModelConfig(
        arch=arch, vocab_size=vocab, n_outputs=vocab if n_outputs is None else n_outputs, d_model=hidden,
        n_layers=int(d.get("num_hidden_layers", 21)), n_heads=heads, head_dim=head_dim, expand_v=expand_v,
        householders=int(d.get("num_householder", 1)) if arch == "deltaproduct" else 1,
        forget_gate=bool(d.get("use_forget_gate", False)) if arch == "deltaproduct" else False,
        output_gate=output_gate, short_conv=bool(d.get("use_short_conv", True)), d_conv=int(d.get("conv_size", 4)),
        negative_eigenvalues=bool(d.get("allow_neg_eigval", False)), d_intermediate=int(inter),
        norm_epsilon=float(d.get("norm_eps", 1e-6)), pad_vocab_size_multiple=1,
    )


def config_from_mamba2(d: Mapping[str, Any], *, n_outputs: int | None = None) -> ModelConfig:
    """Translate a mamba_ssm ``MambaConfig`` dict with ``ssm_cfg.layer = "Mamba2"`` to ours (ngroups 1 only)."""
    ssm = dict(d.get("ssm_cfg") or {})
    if ssm.pop("layer", None) != "Mamba2":
        raise ModelError("config_from_mamba2 needs ssm_cfg.layer = 'Mamba2'")
    for key, value in (("ngroups", 1), ("rmsnorm", True), ("norm_before_gate", False), ("D_has_hdim", False),
                       ("bias", False), ("conv_bias", True), ("d_ssm", None)):
        if ssm.get(key, value) != value:
            raise ModelError(f"ssm_cfg.{key}={ssm[key]!r} is not supported (needs {value!r})")
    if d.get("attn_layer_idx"):
        raise ModelError("attention layers (attn_layer_idx) are not supported")
    d_model, expand, headdim = int(d["d_model"]), int(ssm.get("expand", 2)), int(ssm.get("headdim", 64))
    multiple = int(d.get("pad_vocab_size_multiple", 8))
    vocab = int(d["vocab_size"])
    padded = -(-vocab // multiple) * multiple
    return ModelConfig(
        arch="mamba2", vocab_size=vocab, n_outputs=padded if n_outputs is None else n_outputs, d_model=d_model,
        n_layers=int(d["n_layer"]), d_state=int(ssm.get("d_state", 128)), d_conv=int(ssm.get("d_conv", 4)),
        expand=expand, n_heads=expand * d_model // headdim, head_dim=headdim,
        d_intermediate=int(d.get("d_intermediate", 0)), pad_vocab_size_multiple=multiple,
        norm_epsilon=float(d.get("norm_epsilon", 1e-5)),
    )
