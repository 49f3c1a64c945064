"""The model configuration: one typed, frozen dataclass for every architecture.

A checkpoint stores ``config.to_dict()`` and rebuilds the model with
``build_model(ModelConfig.from_dict(d))`` (the nanoGPT pattern). Only fields that
change the weights or the function computed live here; runtime choices (which
scan implementation, CPU or CUDA kernels) are set on the model object.

Field names of the Mamba part follow mamba_ssm 2.x (``d_state``, ``d_conv``,
``expand``, ``dt_rank``, ``pad_vocab_size_multiple``, ``rms_norm``,
``norm_epsilon``) so a mamba_ssm ``MambaConfig`` translates field by field.

This module does not import torch.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Mapping

from ..automata.dfa import DFA
from ..data import Tokenizer, n_outputs
from ..errors import ModelError

__all__ = ["ModelConfig", "ARCHITECTURES", "POSITIONAL_ENCODINGS", "config_for"]

ARCHITECTURES = ("mamba", "lstm", "transformer")
POSITIONAL_ENCODINGS = ("sinusoidal", "none")


@dataclass(frozen=True, kw_only=True)
class ModelConfig:
    """Hyperparameters of a sequence model (Mamba, LSTM or causal Transformer).

    Parameters
    ----------
    arch : {"mamba", "lstm", "transformer"}
        The architecture.
    vocab_size : int
        Number of token ids the model reads (PAD, BOS and the letters).
    n_outputs : int
        Width of the per-position output (logits of the task head).
    d_model : int
        Width of the residual stream (Mamba, Transformer) or LSTM hidden size.
    n_layers : int
        Number of blocks (Mamba residual blocks, LSTM layers, Transformer blocks).
    d_state : int
        Mamba: SSM state size N per channel.
    d_conv : int
        Mamba: width of the causal depthwise convolution.
    expand : int
        Mamba: inner width ED = expand * d_model.
    dt_rank : int or "auto"
        Mamba: rank of the delta projection; "auto" is ceil(d_model / 16) and
        is resolved to that integer at construction.
    dt_min, dt_max, dt_init_floor : float
        Mamba: softplus(dt_proj.bias) is initialized log-uniform in
        [dt_min, dt_max], clamped below at dt_init_floor (as mamba_ssm).
    negative_eigenvalues : bool
        Mamba: use the transition ``2 * exp(delta * A) - 1`` in (-1, 1) instead
        of ``exp(delta * A)`` in (0, 1) (Grazzi et al. 2024, arXiv:2411.12537).
    pad_vocab_size_multiple : int
        Mamba: the embedding has ``vocab_size`` rounded up to this multiple
        (mamba_ssm's MambaLMHeadModel does the same).
    rms_norm : bool
        Mamba: RMSNorm (mamba_ssm 2.x default) or LayerNorm (with bias).
    norm_epsilon : float
        Epsilon of the normalization layers.
    n_heads : int
        Transformer: attention heads; must divide d_model.
    d_ff : int or None
        Transformer: width of the MLP; None means 4 * d_model (resolved).
    positional_encoding : {"sinusoidal", "none"}
        Transformer: fixed sinusoidal absolute encoding (Vaswani et al. 2017),
        computed for any length so the model runs beyond its training lengths,
        or "none" (NoPE: the causal mask alone carries order).
    dropout : float
        Dropout probability in [0, 1) (LSTM between layers, Transformer).
    """

    arch: str
    vocab_size: int
    n_outputs: int
    d_model: int = 64
    n_layers: int = 2
    d_state: int = 16
    d_conv: int = 4
    expand: int = 2
    dt_rank: int | str = "auto"
    dt_min: float = 0.001
    dt_max: float = 0.1
    dt_init_floor: float = 1e-4
    negative_eigenvalues: bool = False
    pad_vocab_size_multiple: int = 8
    rms_norm: bool = True
    norm_epsilon: float = 1e-5
    n_heads: int = 4
    d_ff: int | None = None
    positional_encoding: str = "sinusoidal"
    dropout: float = 0.0

    def __post_init__(self) -> None:
        if self.arch not in ARCHITECTURES:
            raise ModelError(f"unknown arch {self.arch!r}; expected one of {', '.join(ARCHITECTURES)}")
        for name in ("vocab_size", "n_outputs", "d_model", "n_layers", "d_state", "d_conv", "expand",
                     "pad_vocab_size_multiple", "n_heads"):
            _check_positive_int(name, getattr(self, name))
        if self.dt_rank == "auto":
            object.__setattr__(self, "dt_rank", math.ceil(self.d_model / 16))
        _check_positive_int("dt_rank", self.dt_rank)
        if self.d_ff is None:
            object.__setattr__(self, "d_ff", 4 * self.d_model)
        _check_positive_int("d_ff", self.d_ff)
        if not isinstance(self.negative_eigenvalues, bool):
            raise ModelError(f"negative_eigenvalues must be a bool, got {self.negative_eigenvalues!r}")
        if not isinstance(self.rms_norm, bool):
            raise ModelError(f"rms_norm must be a bool, got {self.rms_norm!r}")
        for name in ("dt_min", "dt_max", "dt_init_floor", "norm_epsilon"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ModelError(f"{name} must be a positive number, got {value!r}")
        if not self.dt_min <= self.dt_max:
            raise ModelError(f"dt_min ({self.dt_min}) must not exceed dt_max ({self.dt_max})")
        if isinstance(self.dropout, bool) or not isinstance(self.dropout, (int, float)) or not 0 <= self.dropout < 1:
            raise ModelError(f"dropout must be in [0, 1), got {self.dropout!r}")
        if self.positional_encoding not in POSITIONAL_ENCODINGS:
            raise ModelError(f"unknown positional_encoding {self.positional_encoding!r}; "
                             f"expected one of {', '.join(POSITIONAL_ENCODINGS)}")
        if self.arch == "transformer" and self.d_model % self.n_heads:
            raise ModelError(f"n_heads ({self.n_heads}) must divide d_model ({self.d_model})")
        if self.positional_encoding == "sinusoidal" and self.arch == "transformer" and self.d_model % 2:
            raise ModelError(f"sinusoidal positional encoding needs an even d_model, got {self.d_model}")

    @property
    def d_inner(self) -> int:
        """Mamba inner width ED = expand * d_model."""
        return self.expand * self.d_model

    @property
    def padded_vocab_size(self) -> int:
        """vocab_size rounded up to a multiple of pad_vocab_size_multiple (Mamba embedding rows)."""
        m = self.pad_vocab_size_multiple
        return -(-self.vocab_size // m) * m

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of all fields (JSON-able; what a checkpoint stores)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "ModelConfig":
        """Rebuild from :meth:`to_dict` output; unknown keys are an error naming them."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ModelError(f"unknown model config field(s): {', '.join(unknown)}")
        return cls(**dict(d))


def _check_positive_int(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ModelError(f"{name} must be a positive integer, got {value!r}")


def config_for(dfa: DFA, task: str, *, arch: str = "mamba", **fields: Any) -> ModelConfig:
    """The config of a model for ``task`` on ``dfa``'s alphabet: the vocabulary
    (PAD, BOS and the letters) and the head's width follow from the language;
    ``fields`` set the rest (``d_model``, ``n_layers``, ...)."""
    return ModelConfig(
        arch=arch,
        vocab_size=Tokenizer(alphabet=dfa.alphabet).vocab_size,
        n_outputs=n_outputs(task, dfa),
        **fields,
    )
