"""Models built from matrix-state linear RNN layers: Mamba-2, DeltaNet, Gated DeltaNet, DeltaProduct.

Every layer is a prenorm residual block, ``x + mixer(norm(x))`` (then ``x +
mlp(mlp_norm(x))`` when ``d_intermediate > 0``), and a task head reads the
final norm. Parameter names follow the library the architecture comes from,
so weights move to and from it by name (:mod:`.interop`):

* DeltaNet family, fla's ``*ForCausalLM`` without ``lm_head``:
  ``model.embeddings.weight``, ``model.layers.{i}.attn_norm.weight``,
  ``model.layers.{i}.attn.*`` (:class:`.delta_net.DeltaMixer`),
  ``model.layers.{i}.mlp_norm.weight``, ``model.layers.{i}.mlp.{gate,up,down}_proj.weight``,
  ``model.norm.weight``;
* Mamba-2, mamba_ssm's ``MambaLMHeadModel``: ``backbone.embedding.weight``,
  ``backbone.layers.{i}.norm.weight``, ``backbone.layers.{i}.mixer.*``
  (:class:`.mamba2.Mamba2Mixer`), ``backbone.layers.{i}.norm2.weight``,
  ``backbone.layers.{i}.mlp.fc1/fc2.weight``, ``backbone.norm_f.weight``;

and ``head.weight``, ``head.bias`` (the task head) in both.

Sites: ``embed``, ``layers.{i}.ssm_state`` (layer i's state matrix after
position t, flattened: (H, K, V) for the delta rule, (H, P, N) for Mamba-2),
``layers.{i}.resid``, ``final``. Recurrent state (:mod:`.base`): per layer
``layers.{i}.conv_state`` (the short convolution's window; absent without
one) and ``layers.{i}.ssm_state``.
"""

from __future__ import annotations

import functools
import math
from typing import Iterable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import ModelError
from .base import Patch, RecurrentState, SequenceModel, SiteOutputs, StateOutputs, StepOutputs
from .config import ModelConfig
from .delta_net import IMPLEMENTATIONS, DeltaMixer, FlaRMSNorm, GatedMLP
from .kernels import select_recurrence
from .mamba2 import Mamba2Mixer

__all__ = ["LinearRNNModel", "LINEAR_RNN_ARCHS"]

#: Architectures :class:`LinearRNNModel` builds.
LINEAR_RNN_ARCHS = ("mamba2", "deltanet", "gated-deltanet", "deltaproduct")


class _MambaMLP(nn.Module):
    """mamba_ssm's ``GatedMLP``: ``fc2(y * silu(gate))`` with ``y, gate = fc1(x).chunk(2)``."""

    def __init__(self, d_model: int, d_intermediate: int):
        super().__init__()
        self.fc1 = nn.Linear(d_model, 2 * d_intermediate, bias=False)
        self.fc2 = nn.Linear(d_intermediate, d_model, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        y, gate = self.fc1(x).chunk(2, dim=-1)
        return self.fc2(y * F.silu(gate))


class _FlaBlock(nn.Module):
    """fla's ``*Block``: attn_norm, attn, (mlp_norm, mlp)."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.attn_norm = FlaRMSNorm(config.d_model, eps=config.norm_epsilon)
        self.attn = DeltaMixer(config)
        if config.d_intermediate:
            self.mlp_norm = FlaRMSNorm(config.d_model, eps=config.norm_epsilon)
            self.mlp = GatedMLP(config.d_model, config.d_intermediate)

    def pre(self, x: Tensor) -> Tensor:
        return self.attn_norm(x)

    @property
    def mixer_(self) -> DeltaMixer:
        return self.attn

    def post(self, x: Tensor) -> Tensor:
        return x + self.mlp(self.mlp_norm(x)) if hasattr(self, "mlp") else x


class _MambaBlock(nn.Module):
    """mamba_ssm's ``Block``: norm, mixer, (norm2, mlp)."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.norm = FlaRMSNorm(config.d_model, eps=config.norm_epsilon)
        self.mixer = Mamba2Mixer(config)
        if config.d_intermediate:
            self.norm2 = FlaRMSNorm(config.d_model, eps=config.norm_epsilon)
            self.mlp = _MambaMLP(config.d_model, config.d_intermediate)

    def pre(self, x: Tensor) -> Tensor:
        return self.norm(x)

    @property
    def mixer_(self) -> Mamba2Mixer:
        return self.mixer

    def post(self, x: Tensor) -> Tensor:
        return x + self.mlp(self.norm2(x)) if hasattr(self, "mlp") else x


class _FlaBackbone(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        self.embeddings = nn.Embedding(config.vocab_size, config.d_model)
        self.layers = nn.ModuleList(_FlaBlock(config) for _ in range(config.n_layers))
        self.norm = FlaRMSNorm(config.d_model, eps=config.norm_epsilon)


class _MambaBackbone(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        self.embedding = nn.Embedding(config.padded_vocab_size, config.d_model)
        self.layers = nn.ModuleList(_MambaBlock(config) for _ in range(config.n_layers))
        self.norm_f = FlaRMSNorm(config.d_model, eps=config.norm_epsilon)


class LinearRNNModel(SequenceModel):
    """Mamba-2, DeltaNet, Gated DeltaNet or DeltaProduct layers plus a linear task head.

    tokens (B, L) -> outputs (B, L, n_outputs). See the module docstring for
    parameter names, sites and the recurrent state; :meth:`set_scan` chooses
    the recurrence implementation ("chunked", the default, or "ref").
    """

    def __init__(self, config: ModelConfig):
        if config.arch not in LINEAR_RNN_ARCHS:
            raise ModelError(f"LinearRNNModel needs one of {', '.join(LINEAR_RNN_ARCHS)}, got {config.arch!r}")
        super().__init__(config)
        if config.arch == "mamba2":
            self.backbone = _MambaBackbone(config)
        else:
            self.model = _FlaBackbone(config)
        self.head = nn.Linear(config.d_model, config.n_outputs)
        self.apply(functools.partial(_init_weights, n_layers=config.n_layers))

    # the two naming schemes behind one interface
    @property
    def _root(self) -> nn.Module:
        return self.backbone if self.config.arch == "mamba2" else self.model

    def _embed(self, tokens: Tensor) -> Tensor:
        root = self._root
        return (root.embedding if self.config.arch == "mamba2" else root.embeddings)(tokens)

    def _final(self, x: Tensor) -> Tensor:
        root = self._root
        return (root.norm_f if self.config.arch == "mamba2" else root.norm)(x)

    @property
    def blocks(self) -> list[nn.Module]:
        """The residual blocks, in order."""
        return list(self._root.layers)

    def site_names(self) -> list[str]:
        names = ["embed"]
        for i in range(self.config.n_layers):
            names += [f"layers.{i}.ssm_state", f"layers.{i}.resid"]
        return names + ["final"]

    def set_scan(self, name: str) -> None:
        """Choose the recurrence: "chunked" (fast, default) or "ref" (the readable sequential loop)."""
        if name not in IMPLEMENTATIONS:
            raise ModelError(f"unknown scan {name!r}; expected one of {', '.join(IMPLEMENTATIONS)}")
        for block in self.blocks:
            block.mixer_.impl = name

    def set_backend(self, backend: str) -> None:
        """Choose the recurrence: "auto" (the default), "torch", "compiled" or "cuda" (see :mod:`.kernels`).

        "auto" takes fla / mamba_ssm's CUDA kernels on a GPU where they import
        and our compiled recurrence (:mod:`.compiled`) on the CPU where it is
        built, else the chunked PyTorch path ("torch"). "compiled" and "cuda"
        raise :class:`ModelError` (one line: what is missing) unless they can run.
        """
        select_recurrence(backend, self.config.arch, on_cuda=torch.cuda.is_available() and backend != "compiled",
                          negative_eigenvalues=self.config.negative_eigenvalues)
        for block in self.blocks:
            block.mixer_.backend = backend

    # ---------------------------------------------------------------- passes
    def forward(self, tokens: Tensor) -> Tensor:
        self._check_tokens(tokens, self.config.vocab_size)
        x = self._embed(tokens)  # (B, L, D)
        for block in self.blocks:
            x = block.post(x + block.mixer_(block.pre(x)))  # (B, L, D)
        return self.head(self._final(x))  # (B, L, n_outputs)

    def forward_sites(self, tokens: Tensor, sites: Iterable[str] | None = None) -> SiteOutputs:
        wanted = self._resolve_sites(sites)
        self._check_tokens(tokens, self.config.vocab_size)
        batch, length = tokens.shape
        at = torch.full((batch,), length - 1, dtype=torch.long, device=tokens.device)
        got: dict[str, Tensor] = {}
        x = got["embed"] = self._embed(tokens)  # (B, L, D)
        for i, block in enumerate(self.blocks):
            if f"layers.{i}.ssm_state" in wanted:
                mixer = block.mixer_
                m, _, states = mixer.forward_from(block.pre(x), mixer.zero_state(x, batch), at, states=True)
                got[f"layers.{i}.ssm_state"] = states  # (B, L, F)
            else:
                m = block.mixer_(block.pre(x))
            x = got[f"layers.{i}.resid"] = block.post(x + m)  # (B, L, D)
        final = got["final"] = self._final(x)
        return SiteOutputs(outputs=self.head(final), sites=self._ordered({k: v for k, v in got.items() if k in wanted}))

    # ------------------------------------------------------ recurrent state
    def initial_state(self, batch: int) -> RecurrentState:
        """Zeros: per layer ``layers.{i}.conv_state`` (B, C, d_conv) (with a convolution) and ``layers.{i}.ssm_state``."""
        p = self.head.weight
        out: dict[str, Tensor] = {}
        for i, block in enumerate(self.blocks):
            for name, value in block.mixer_.zero_state(p, batch).items():
                out[f"layers.{i}.{name}"] = value
        return RecurrentState(out)

    def _layer_state(self, state: RecurrentState, i: int) -> dict[str, Tensor]:
        return {name: state[f"layers.{i}.{name}"] for name in self.blocks[i].mixer_.state_shapes()}

    def forward_state(self, tokens: Tensor, state: RecurrentState | None = None, *,
                      lengths: Tensor | None = None) -> StateOutputs:
        self._check_tokens(tokens, self.config.vocab_size)
        lengths = self._lengths(tokens, lengths)
        state = self.initial_state(tokens.shape[0]) if state is None else state
        x = self._embed(tokens)  # (B, L, D)
        new: dict[str, Tensor] = {}
        for i, block in enumerate(self.blocks):
            m, after, _ = block.mixer_.forward_from(block.pre(x), self._layer_state(state, i), lengths - 1)
            x = block.post(x + m)  # (B, L, D)
            new.update({f"layers.{i}.{name}": value for name, value in after.items()})
        return StateOutputs(outputs=self.head(self._final(x)), state=RecurrentState(new))

    def step(self, tokens: Tensor, state: RecurrentState, *, patch: Patch | None = None) -> StepOutputs:
        self._check_patch(patch)
        self._check_tokens(tokens[:, None], self.config.vocab_size)
        sites: dict[str, Tensor] = {}
        x = sites["embed"] = self._patched(patch, "embed", self._embed(tokens))  # (B, D)
        new: dict[str, Tensor] = {}
        for i, block in enumerate(self.blocks):
            m, after = block.mixer_.step(block.pre(x), self._layer_state(state, i), patch=patch,
                                         prefix=f"layers.{i}.")
            for name, value in after.items():
                new[f"layers.{i}.{name}"] = value
                sites[f"layers.{i}.{name}"] = value.flatten(1)
            x = sites[f"layers.{i}.resid"] = self._patched(patch, f"layers.{i}.resid", block.post(x + m))  # (B, D)
        final = sites["final"] = self._patched(patch, "final", self._final(x))
        return StepOutputs(outputs=self.head(final), state=RecurrentState(new), sites=sites)


@torch.no_grad()
def _init_weights(module: nn.Module, n_layers: int, initializer_range: float = 0.02) -> None:
    """GPT-2 style, as mamba_ssm and fla: zero biases (but the conv's), normal embeddings, the residual
    branches' output projections scaled by 1/sqrt(n_layers)."""
    if isinstance(module, nn.Linear) and module.bias is not None:
        nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Embedding):
        nn.init.normal_(module.weight, std=initializer_range)
    if isinstance(module, (DeltaMixer, Mamba2Mixer)):
        proj = module.o_proj if isinstance(module, DeltaMixer) else module.out_proj
        nn.init.kaiming_uniform_(proj.weight, a=math.sqrt(5))
        proj.weight /= math.sqrt(n_layers)
