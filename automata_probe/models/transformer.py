"""A small causal Transformer baseline (pre-LN, GPT-2 style).

Positional encoding (``config.positional_encoding``):

- ``"sinusoidal"`` (default): the fixed absolute encoding of Vaswani et al.
  2017, ``PE[p, 2i] = sin(p / 10000^(2i/D))``, ``PE[p, 2i+1] = cos(p / 10000^(2i/D))``,
  added to the token embedding. It has no parameters and is computed for
  whatever length comes in, so a model trained on lengths up to 100 runs on
  length 150 (whether it generalizes is the experiment, not a given).
- ``"none"`` (NoPE): no positional signal; the causal mask alone lets the model
  infer order (Kazemnejad et al. 2023).

Block: ``x = x + attn(ln_1(x)); x = x + mlp(ln_2(x))``; the head reads ``ln_f(x)``.
Sites: ``embed`` (token embedding plus positional encoding),
``layers.{i}.resid`` (residual stream after block i), ``final`` (after ``ln_f``).
"""

from __future__ import annotations

import math
from typing import Iterable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import ModelError
from .base import Patch, SequenceModel, SiteOutputs
from .config import ModelConfig

__all__ = ["TransformerModel", "sinusoidal_positions"]


def sinusoidal_positions(length: int, d_model: int, *, device=None, dtype=torch.float32) -> Tensor:
    """Sinusoidal positional encoding (Vaswani et al. 2017), shape (length, d_model); d_model even."""
    position = torch.arange(length, device=device, dtype=torch.float64).unsqueeze(1)  # (L, 1)
    freq = torch.exp(torch.arange(0, d_model, 2, device=device, dtype=torch.float64) * (-math.log(10000.0) / d_model))
    pe = torch.zeros(length, d_model, device=device, dtype=torch.float64)  # (L, D)
    pe[:, 0::2] = torch.sin(position * freq)
    pe[:, 1::2] = torch.cos(position * freq)
    return pe.to(dtype)


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention with a causal mask."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.n_heads = config.n_heads
        self.dropout = config.dropout
        self.qkv = nn.Linear(config.d_model, 3 * config.d_model)
        self.proj = nn.Linear(config.d_model, config.d_model)

    def forward(self, x: Tensor) -> Tensor:
        batch, length, d_model = x.shape
        q, k, v = self.qkv(x).split(d_model, dim=-1)  # (B, L, D) each
        q, k, v = (t.view(batch, length, self.n_heads, -1).transpose(1, 2) for t in (q, k, v))  # (B, H, L, D/H)
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True,
                                           dropout_p=self.dropout if self.training else 0.0)  # (B, H, L, D/H)
        return self.proj(y.transpose(1, 2).reshape(batch, length, d_model))  # (B, L, D)


class TransformerBlock(nn.Module):
    """Pre-LN block: attention and MLP, each on a normalized copy, added to the residual stream."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.d_model, eps=config.norm_epsilon)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.d_model, eps=config.norm_epsilon)
        self.mlp = nn.Sequential(
            nn.Linear(config.d_model, int(config.d_ff)), nn.GELU(), nn.Linear(int(config.d_ff), config.d_model),
        )
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.dropout(self.attn(self.ln_1(x)))
        return x + self.dropout(self.mlp(self.ln_2(x)))


class TransformerModel(SequenceModel):
    """Token embedding (+ positional encoding), pre-LN causal blocks, final LayerNorm, linear head."""

    def __init__(self, config: ModelConfig):
        if config.arch != "transformer":
            raise ModelError(f"TransformerModel needs arch 'transformer', got {config.arch!r}")
        super().__init__(config)
        self.embedding = nn.Embedding(config.vocab_size, config.d_model)
        self.layers = nn.ModuleList(TransformerBlock(config) for _ in range(config.n_layers))
        self.ln_f = nn.LayerNorm(config.d_model, eps=config.norm_epsilon)
        self.head = nn.Linear(config.d_model, config.n_outputs)
        self.dropout = nn.Dropout(config.dropout)
        self.apply(_init_weights)
        # GPT-2: scale the residual projections by 1/sqrt(2 n_layers)
        for name, p in self.named_parameters():
            if name.endswith("attn.proj.weight") or name.endswith("mlp.2.weight"):
                nn.init.normal_(p, std=0.02 / math.sqrt(2 * config.n_layers))

    def site_names(self) -> list[str]:
        return ["embed", *(f"layers.{i}.resid" for i in range(self.config.n_layers)), "final"]

    def forward_patched(self, tokens: Tensor, position: Tensor, patch: Patch) -> Tensor:
        """Activation patching of the residual stream: sites in ``patch`` replaced at ``position[b]``.

        Each patched site's value at row b, position ``position[b]`` goes
        through ``patch[site]`` ((B, D) -> (B, D)); later blocks at every
        position (attention reads the patched position) and the head are
        recomputed. Returns the outputs (B, L, n_outputs).
        """
        self._check_patch(patch)
        self._check_tokens(tokens, self.config.vocab_size)
        batch, length = tokens.shape
        position = torch.as_tensor(position, dtype=torch.long, device=tokens.device)
        if position.shape != (batch,) or (batch and (int(position.min()) < 0 or int(position.max()) >= length)):
            raise ModelError(f"position must be {batch} indices in 0..{length - 1}")
        rows = torch.arange(batch, device=tokens.device)

        def at(site: str, x: Tensor) -> Tensor:  # x (B, L, D)
            if site not in patch:
                return x
            return x.index_put((rows, position), self._patched(patch, site, x[rows, position]))

        x = self.embedding(tokens)  # (B, L, D)
        if self.config.positional_encoding == "sinusoidal":
            x = x + sinusoidal_positions(length, self.config.d_model, device=x.device, dtype=x.dtype)
        x = self.dropout(at("embed", x))
        for i, block in enumerate(self.layers):
            x = at(f"layers.{i}.resid", block(x))  # (B, L, D)
        return self.head(at("final", self.ln_f(x)))  # (B, L, n_outputs)

    def forward_sites(self, tokens: Tensor, sites: Iterable[str] | None = None) -> SiteOutputs:
        wanted = self._resolve_sites(sites)
        self._check_tokens(tokens, self.config.vocab_size)
        got: dict[str, Tensor] = {}
        x = self.embedding(tokens)  # (B, L, D)
        if self.config.positional_encoding == "sinusoidal":
            x = x + sinusoidal_positions(tokens.shape[1], self.config.d_model, device=x.device, dtype=x.dtype)
        got["embed"] = x
        x = self.dropout(x)
        for i, block in enumerate(self.layers):
            x = block(x)  # (B, L, D)
            got[f"layers.{i}.resid"] = x
        final = self.ln_f(x)  # (B, L, D)
        got["final"] = final
        outputs = self.head(final)  # (B, L, n_outputs)
        return SiteOutputs(outputs=outputs, sites=self._ordered({k: v for k, v in got.items() if k in wanted}))


@torch.no_grad()
def _init_weights(module: nn.Module) -> None:
    if isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Embedding):
        nn.init.normal_(module.weight, std=0.02)
