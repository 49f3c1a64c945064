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

ARCHITECTURES = ("mamba", "lstm", "transformer", "mamba2", "deltanet", "gated-deltanet", "deltaproduct")
#: The matrix-state linear RNNs (models/linear_model.py).
_LINEAR = ("mamba2", "deltanet", "gated-deltanet", "deltaproduct")
POSITIONAL_ENCODINGS = ("sinusoidal", "none")


@dataclass(frozen=True, kw_only=True)
class ModelConfig:
    """Hyperparameters of a sequence model (Mamba, LSTM, causal Transformer, Mamba-2, the DeltaNet family).

    Parameters
    ----------
    arch : {"mamba", "lstm", "transformer", "mamba2", "deltanet", "gated-deltanet", "deltaproduct"}
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
        Mamba: SSM state size N per channel; Mamba-2: per head.
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
        Mamba, Mamba-2: use the transition ``2 * exp(delta * A) - 1`` in (-1, 1)
        instead of ``exp(delta * A)`` in (0, 1); DeltaNet family: beta in
        [0, 2] instead of [0, 1], fla's ``allow_neg_eigval`` (Grazzi et al.
        2024, arXiv:2411.12537).
    pad_vocab_size_multiple : int
        Mamba: the embedding has ``vocab_size`` rounded up to this multiple
        (mamba_ssm's MambaLMHeadModel does the same).
    rms_norm : bool
        Mamba: RMSNorm (mamba_ssm 2.x default) or LayerNorm (with bias).
    norm_epsilon : float
        Epsilon of the normalization layers.
    n_heads : int
        Transformer: attention heads; must divide d_model. Mamba-2 and the
        DeltaNet family: heads of the state (Mamba-2's ``nheads``).
    head_dim : int or None
        DeltaNet family: key dimension K per head (None: d_model / n_heads);
        Mamba-2: ``headdim`` P (None: expand * d_model / n_heads). Resolved.
    expand_v : float
        DeltaNet family: value dimension per head is head_dim * expand_v.
    householders : int
        DeltaProduct: Householder steps n_h per token (Siems et al. 2025,
        arXiv:2502.10297); 1 for the other architectures.
    forget_gate : bool
        DeltaProduct: a scalar decay per head before the Householder steps
        (fla's Gated DeltaProduct ``use_forget_gate``).
    output_gate : bool or None
        DeltaNet family: ``o_norm(o) * silu(g_proj x)`` (fla's ``use_gate``);
        None resolves to fla's default (False for deltanet, True otherwise).
    short_conv : bool
        DeltaNet family: causal depthwise convolutions (width d_conv, SiLU)
        on q, k and v, fla's ``use_short_conv``.
    d_intermediate : int
        Mamba-2 and the DeltaNet family: width of a SwiGLU MLP after each
        mixer (fla's blocks; mamba_ssm's ``d_intermediate``); 0: none.
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
    head_dim: int | None = None
    expand_v: float = 1.0
    householders: int = 1
    forget_gate: bool = False
    output_gate: bool | None = None
    short_conv: bool = True
    d_intermediate: int = 0

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
        self._check_linear_rnn()
        if self.positional_encoding == "sinusoidal" and self.arch == "transformer" and self.d_model % 2:
            raise ModelError(f"sinusoidal positional encoding needs an even d_model, got {self.d_model}")

    def _check_linear_rnn(self) -> None:
        """Fields of Mamba-2 and the DeltaNet family (head sizes resolved here)."""
        _check_positive_int("householders", self.householders)
        if self.d_intermediate != 0:
            _check_positive_int("d_intermediate", self.d_intermediate)
        for name in ("forget_gate", "short_conv"):
            if not isinstance(getattr(self, name), bool):
                raise ModelError(f"{name} must be a bool, got {getattr(self, name)!r}")
        if self.output_gate is not None and not isinstance(self.output_gate, bool):
            raise ModelError(f"output_gate must be a bool or None, got {self.output_gate!r}")
        if self.householders > 1 and self.arch != "deltaproduct":
            raise ModelError(f"householders={self.householders} needs arch 'deltaproduct', not {self.arch!r}")
        if self.arch not in _LINEAR:
            if self.head_dim is not None:
                _check_positive_int("head_dim", self.head_dim)
            return
        width = self.d_inner if self.arch == "mamba2" else self.d_model
        if self.head_dim is None:
            if width % self.n_heads:
                raise ModelError(f"n_heads ({self.n_heads}) must divide {width} "
                                 f"({'expand * d_model' if self.arch == 'mamba2' else 'd_model'}) or give head_dim")
            object.__setattr__(self, "head_dim", width // self.n_heads)
        _check_positive_int("head_dim", self.head_dim)
        if self.arch == "mamba2" and self.n_heads * self.head_dim != width:
            raise ModelError(f"mamba2 needs n_heads * head_dim = expand * d_model ({width}), "
                             f"got {self.n_heads} * {self.head_dim}")
        ev = self.expand_v
        if isinstance(ev, bool) or not isinstance(ev, (int, float)) or ev <= 0 or \
                not math.isclose(self.head_dim * ev, round(self.head_dim * ev)):
            raise ModelError(f"expand_v must be positive with head_dim * expand_v an integer, got {ev!r}")
        if self.output_gate is None and self.arch != "mamba2":
            object.__setattr__(self, "output_gate", self.arch != "deltanet")

    @property
    def d_inner(self) -> int:
        """Mamba inner width ED = expand * d_model."""
        return self.expand * self.d_model

    @property
    def padded_vocab_size(self) -> int:
        """vocab_size rounded up to a multiple of pad_vocab_size_multiple (Mamba embedding rows)."""
        m = self.pad_vocab_size_multiple
        return -(-self.vocab_size // m) * m

    def describe(self) -> str:
        """The model in a few words: ``mamba d_model=64 n_layers=2 d_state=16``,
        ``deltaproduct d_model=64 n_layers=1 n_heads=4 householders=2 negative_eigenvalues``."""
        parts = [self.arch, f"d_model={self.d_model}", f"n_layers={self.n_layers}"]
        if self.arch in ("mamba2", "deltanet", "gated-deltanet", "deltaproduct"):
            parts.append(f"n_heads={self.n_heads}")
        if self.arch in ("mamba", "mamba2"):
            parts.append(f"d_state={self.d_state}")
        if self.arch == "deltaproduct":
            parts.append(f"householders={self.householders}")
        if self.negative_eigenvalues:
            parts.append("negative_eigenvalues")
        return " ".join(parts)

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
