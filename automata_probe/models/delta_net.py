"""DeltaNet, Gated DeltaNet and DeltaProduct token mixers, weight-compatible with flash-linear-attention (fla).

One class, :class:`DeltaMixer`, is fla's ``DeltaNet``, ``GatedDeltaNet`` or
``GatedDeltaProduct`` layer depending on ``config.arch``; parameter names and
shapes are fla's (H = n_heads, K = head_dim, V = K * expand_v, n_h =
householders, W = d_conv)::

    q_proj.weight   (H K, D)            k_proj.weight  (n_h H K, D)     v_proj.weight  (n_h H V, D)
    b_proj.weight   (n_h H, D)          beta = sigmoid(b_proj x), times 2 with negative eigenvalues
    a_proj.weight   (H, D)              gated-deltanet; deltaproduct with forget_gate
    A_log, dt_bias  (H,)                log decay g = -exp(A_log) softplus(a_proj x + dt_bias)
    q_conv1d.weight (H K, 1, W)         k_conv1d.weight (n_h H K, 1, W)  v_conv1d.weight (n_h H V, 1, W)
    g_proj.weight   (H V, D)            with output_gate: o_norm(o) * silu(g_proj x)
    o_norm.weight   (V,)                RMSNorm of each head's output
    o_proj.weight   (D, H V)

(fla's DeltaNet has no ``a_proj``; with ``use_gate`` it has ``g_proj`` too.)
Queries and keys are L2-normalized per head and q scaled by K^-1/2, as fla's
kernels do with ``use_qk_l2norm_in_kernel``. The recurrence itself is in
:mod:`.linear_rnn`; the training pass around it (projections, convolutions,
norms, gates: :meth:`DeltaMixer.forward_from`) runs as the fused functions
of :mod:`.fused`, the one-token :meth:`DeltaMixer.step` as plain operations.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.autograd.function import once_differentiable

from .base import SequenceModel
from .config import ModelConfig
from .fused import DeltaSpec, delta_inputs, delta_outputs
from . import compiled
from .compiled import delta_rule_compiled
from .kernels import fla_delta_rule, select_recurrence
from .linear_rnn import delta_rule_chunked, delta_rule_ref, expand_householders

__all__ = ["DeltaMixer", "GatedMLP", "FlaRMSNorm", "l2norm", "rms_norm", "window_after", "conv_step", "IMPLEMENTATIONS"]

#: The recurrence implementations a mixer can use: the chunked (fast) and the sequential reference.
IMPLEMENTATIONS = ("chunked", "ref")


def l2norm(x: Tensor, eps: float = 1e-6, scale: float = 1.0) -> Tensor:
    """``scale * x / sqrt(sum(x^2) + eps)`` over the last dimension (fla's ``l2norm``, then the query scale).

    The backward is written out, ``dx = r (dy - y (y . dy) / scale^2)`` with
    r = scale / sqrt(sum(x^2) + eps): a third of autograd's passes over x.
    """
    return _L2Norm.apply(x, eps, scale)


class _L2Norm(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, eps, scale):  # type: ignore[override]
        r = torch.linalg.vector_norm(x, dim=-1, keepdim=True).square_().add_(eps).rsqrt_()  # (..., 1)
        if scale != 1.0:
            r = r.mul_(scale)
        y = x * r
        ctx.save_for_backward(y, r)
        ctx.inv_scale2 = 1.0 / (scale * scale)
        return y

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_y):  # type: ignore[override]
        y, r = ctx.saved_tensors
        dot = (grad_y * y).sum(-1, keepdim=True).mul_(ctx.inv_scale2)  # (..., 1)
        return (grad_y - y * dot).mul_(r), None, None


def rms_norm(x: Tensor, weight: Tensor, eps: float) -> Tensor:
    """``x / sqrt(mean(x^2) + eps) * weight`` over the last dimension, with the backward written out.

    ``dx = r (g - x^ mean(g x^))`` with g = dy weight, x^ = x r; ``dweight = sum(dy x^)``.
    """
    return _RMSNorm.apply(x, weight, eps)


class _RMSNorm(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, eps):  # type: ignore[override]
        dim = x.shape[-1]
        r = torch.linalg.vector_norm(x, dim=-1, keepdim=True).square_().div_(dim).add_(eps).rsqrt_()  # (..., 1)
        xhat = x * r
        ctx.save_for_backward(xhat, r, weight)
        return xhat * weight

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_y):  # type: ignore[override]
        xhat, r, weight = ctx.saved_tensors
        g = grad_y * weight
        mean = (g * xhat).mean(-1, keepdim=True)  # (..., 1)
        grad_x = (g - xhat * mean).mul_(r) if ctx.needs_input_grad[0] else None
        grad_w = (grad_y * xhat).flatten(0, -2).sum(0) if ctx.needs_input_grad[1] else None
        return grad_x, grad_w, None


class FlaRMSNorm(nn.Module):
    """RMSNorm with a weight only: ``x / rms(x) * weight`` (optionally ``* silu(gate)`` after, fla's gated norm)."""

    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: Tensor, gate: Tensor | None = None) -> Tensor:
        y = rms_norm(x, self.weight, self.eps)
        return y if gate is None else y * F.silu(gate)


class GatedMLP(nn.Module):
    """fla's ``GatedMLP`` (SwiGLU): ``down_proj(silu(gate_proj x) * up_proj x)``."""

    def __init__(self, d_model: int, d_intermediate: int):
        super().__init__()
        self.gate_proj = nn.Linear(d_model, d_intermediate, bias=False)
        self.up_proj = nn.Linear(d_model, d_intermediate, bias=False)
        self.down_proj = nn.Linear(d_intermediate, d_model, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


def conv_step(x: Tensor, window: Tensor, weight: Tensor, bias: Tensor | None) -> tuple[Tensor, Tensor]:
    """One step: shift ``x`` (B, C) into ``window`` (B, C, W); the new window and its convolution (B, C)."""
    window = torch.cat([window[:, :, 1:], x.unsqueeze(-1)], -1)  # (B, C, W)
    y = (window * weight[:, 0, :]).sum(-1)
    return window, (y if bias is None else y + bias)


def window_after(window: Tensor, x: Tensor, at: Tensor | None) -> Tensor:
    """The convolution's window (B, C, W) after step ``at[b]`` of ``x`` (B, L, C) following ``window``.

    ``at`` None: the last step; ``at[b] = -1``: ``window`` itself. Only the W inputs wanted are gathered
    (no copy of ``x``).
    """
    batch, length, _ = x.shape
    width = window.shape[-1]
    last = torch.full((batch,), length - 1, device=x.device) if at is None else at
    idx = last[:, None] + 1 + torch.arange(width, device=x.device)  # (B, W): positions in cat(window, x)
    rows = torch.arange(batch, device=x.device)[:, None]
    from_window = window.transpose(1, 2)[rows, idx.clamp(max=width - 1)]  # (B, W, C)
    if length == 0:
        return from_window.transpose(1, 2)
    from_x = x[rows, (idx - width).clamp(min=0)]
    return torch.where((idx < width)[..., None], from_window, from_x).transpose(1, 2)


class DeltaMixer(nn.Module):
    """fla's DeltaNet / GatedDeltaNet / GatedDeltaProduct layer: (B, L, D) -> (B, L, D).

    The state ``h`` is (B, H, K, V) per layer (fla's ``recurrent_state``
    layout for DeltaNet); the convolution's window (B, H K + n_h H (K + V),
    W) holds the last W projected inputs of q, k and v, in that order.
    ``impl`` chooses the recurrence: "chunked" (default) or "ref";
    ``backend`` ("auto", "torch", "cuda") whether the chunked one may run
    as fla's CUDA kernel (:mod:`.kernels`; not for every step's state).
    """

    def __init__(self, config: ModelConfig):
        super().__init__()
        d, h, dk = config.d_model, config.n_heads, int(config.head_dim)
        dv = int(dk * config.expand_v)
        n_h = config.householders
        self.arch = config.arch
        self.n_heads, self.head_k_dim, self.head_v_dim, self.householders = h, dk, dv, n_h
        self.key_dim, self.value_dim = h * dk, h * dv
        self.negative_eigenvalues = config.negative_eigenvalues
        self.gated = config.arch == "gated-deltanet" or (config.arch == "deltaproduct" and config.forget_gate)
        self.output_gate = bool(config.output_gate)
        self.short_conv = config.short_conv
        self.impl = "chunked"
        self.backend = "auto"

        self.q_proj = nn.Linear(d, h * dk, bias=False)
        self.k_proj = nn.Linear(d, n_h * h * dk, bias=False)
        self.v_proj = nn.Linear(d, n_h * h * dv, bias=False)
        self.b_proj = nn.Linear(d, n_h * h, bias=False)
        if self.gated:
            self.a_proj = nn.Linear(d, h, bias=False)
            self.A_log = nn.Parameter(torch.empty(h))
            self.dt_bias = nn.Parameter(torch.empty(h))
            self.reset_gate_parameters(config)
        self.conv_channels = h * dk + n_h * h * (dk + dv)
        if self.short_conv:
            w = config.d_conv
            self.q_conv1d = nn.Conv1d(h * dk, h * dk, w, groups=h * dk, padding=w - 1, bias=False)
            self.k_conv1d = nn.Conv1d(n_h * h * dk, n_h * h * dk, w, groups=n_h * h * dk, padding=w - 1, bias=False)
            self.v_conv1d = nn.Conv1d(n_h * h * dv, n_h * h * dv, w, groups=n_h * h * dv, padding=w - 1, bias=False)
        if self.output_gate:
            self.g_proj = nn.Linear(d, h * dv, bias=False)
        self.o_norm = FlaRMSNorm(dv, eps=config.norm_epsilon)
        self.o_proj = nn.Linear(h * dv, d, bias=False)

    @torch.no_grad()
    def reset_gate_parameters(self, config: ModelConfig) -> None:
        """fla's initialization: A uniform in [0, 16], softplus(dt_bias) log-uniform in [dt_min, dt_max]."""
        self.A_log.copy_(torch.empty(self.n_heads).uniform_(0, 16).clamp(min=1e-4).log())
        dt = torch.exp(torch.rand(self.n_heads) * (math.log(config.dt_max) - math.log(config.dt_min))
                       + math.log(config.dt_min)).clamp(min=config.dt_init_floor)
        self.dt_bias.copy_(dt + torch.log(-torch.expm1(-dt)))
        self.A_log._no_weight_decay = True  # type: ignore[attr-defined]
        self.dt_bias._no_weight_decay = True  # type: ignore[attr-defined]

    # ----------------------------------------------------------------- pieces
    def state_shapes(self) -> dict[str, tuple[int, ...]]:
        """The state components' shapes without the batch: ``conv_state`` (if any) and ``ssm_state``."""
        out: dict[str, tuple[int, ...]] = {}
        if self.short_conv:
            out["conv_state"] = (self.conv_channels, self.q_conv1d.weight.shape[-1])
        out["ssm_state"] = (self.n_heads, self.head_k_dim, self.head_v_dim)
        return out

    def _conv_weight(self) -> tuple[Tensor, None]:
        return torch.cat([self.q_conv1d.weight, self.k_conv1d.weight, self.v_conv1d.weight]), None  # (C, 1, W)

    def _project(self, hidden: Tensor) -> tuple[Tensor, Tensor, Tensor | None, Tensor | None]:
        """hidden (..., D) -> qkv (..., C), b (..., n_h H), a (..., H) or None, gate (..., H V) or None.

        One matrix product for all of the layer's input projections (q, k, v,
        b, a, g: their weights stacked), the same numbers as six.
        """
        weights = [self.q_proj.weight, self.k_proj.weight, self.v_proj.weight, self.b_proj.weight]
        if self.gated:
            weights.append(self.a_proj.weight)
        if self.output_gate:
            weights.append(self.g_proj.weight)
        sizes = [self.conv_channels, self.b_proj.weight.shape[0]]
        sizes += [self.n_heads] * self.gated + [self.value_dim] * self.output_gate
        parts = list(torch.split(F.linear(hidden, torch.cat(weights)), sizes, -1))
        qkv, b = parts[0], parts[1]
        a = parts[2] if self.gated else None
        gate = parts[-1] if self.output_gate else None
        return qkv, b, a, gate

    def _heads(self, qkv: Tensor, b: Tensor, a: Tensor | None) -> tuple[Tensor, ...]:
        """Activated projections (..., C) -> q (..., H, K), k (..., n_h, H, K), v (..., n_h, H, V), beta, g."""
        h, dk, dv, n_h = self.n_heads, self.head_k_dim, self.head_v_dim, self.householders
        q, k, v = torch.split(qkv, [h * dk, n_h * h * dk, n_h * h * dv], -1)
        q = l2norm(q.unflatten(-1, (h, dk)), scale=dk ** -0.5)
        k = l2norm(k.unflatten(-1, (n_h, h, dk)))  # fla: '(n h d)' per token
        v = v.unflatten(-1, (n_h, h, dv))
        beta = torch.sigmoid(b).unflatten(-1, (n_h, h))  # (..., n_h, H)
        if self.negative_eigenvalues:
            beta = 2 * beta
        g = -self.A_log.exp() * F.softplus(a + self.dt_bias) if a is not None else None  # (..., H)
        return q, k, v, beta, g

    def _output(self, o: Tensor, gate: Tensor | None) -> Tensor:
        """Per-head outputs (..., H, V) -> (..., D): RMSNorm per head, output gate, projection."""
        gate = gate.unflatten(-1, (self.n_heads, self.head_v_dim)) if gate is not None else None
        return self.o_proj(self.o_norm(o, gate).flatten(-2))

    # ----------------------------------------------------------------- passes
    def forward(self, hidden: Tensor) -> Tensor:
        """hidden (B, L, D) -> (B, L, D), from the zero state."""
        return self.forward_from(hidden, None, None)[0]

    def zero_state(self, like: Tensor, batch: int) -> dict[str, Tensor]:
        return {name: like.new_zeros(batch, *shape) for name, shape in self.state_shapes().items()}

    def _inputs(self, hidden: Tensor, window: Tensor | None) -> tuple[Tensor | None, ...]:
        """:func:`.fused.delta_inputs` with this layer's weights: q, k, v, beta, g, gate, raw (see there)."""
        spec = DeltaSpec(self.n_heads, self.head_k_dim, self.head_v_dim, self.householders, self.negative_eigenvalues,
                         self.gated, self.output_gate)
        weights = [self.q_proj.weight, self.k_proj.weight, self.v_proj.weight, self.b_proj.weight]
        weights += ([self.a_proj.weight] if self.gated else []) + ([self.g_proj.weight] if self.output_gate else [])
        taps = self._conv_weight()[0][:, 0].t().contiguous() if self.short_conv else None  # (W, C)
        hist = window.transpose(1, 2)[:, 1:] if window is not None else None  # (B, W - 1, C)
        return delta_inputs(hidden, torch.cat(weights), taps, hist, self.A_log if self.gated else None,
                            self.dt_bias if self.gated else None, spec)

    def forward_from(self, hidden: Tensor, state: dict[str, Tensor] | None, at: Tensor | None, *,
                     states: bool = False) -> tuple[Tensor, dict[str, Tensor], Tensor | None]:
        """hidden (B, L, D) read from ``state``; output (B, L, D), the state after step ``at[b]`` (B,).

        ``state`` None: the zero state; ``at`` None: every row's last step.
        With ``states`` also every position's ``ssm_state`` (B, L H K V).
        """
        batch, length, _ = hidden.shape
        n_h = self.householders
        window = state["conv_state"] if state is not None and self.short_conv else None
        h0 = state["ssm_state"] if state is not None else None
        q, k, v, beta, g, gate, raw = self._inputs(hidden, window)
        new: dict[str, Tensor] = {}
        if self.short_conv:
            before = window if window is not None else raw.new_zeros(batch, *self.state_shapes()["conv_state"])
            new["conv_state"] = window_after(before, raw, at)
        op = delta_rule_chunked if self.impl == "chunked" else delta_rule_ref
        if self.impl == "chunked" and not states:
            op = {"kernel": fla_delta_rule, "compiled": delta_rule_compiled}.get(select_recurrence(
                self.backend, self.arch, on_cuda=hidden.is_cuda, compiled_runs=compiled.available(hidden)), op)
        qe, k, v, beta_e, ge = expand_householders(q, k, v, beta, g, n_h)
        o, last = op(qe, k, v, beta_e, ge, h0, states=states)
        all_states = None
        if states:
            all_states = last[:, :, n_h - 1 :: n_h].permute(0, 2, 1, 3, 4).flatten(2)  # (B, L, H K V)
            last = last[:, :, -1] if length else self._h0(h0, hidden)
        if at is not None and bool((at < length - 1).any()):  # some rows stop early: freeze their state after at[b]
            live = (torch.arange(length, device=hidden.device)[None, :] <= at[:, None]).to(beta.dtype)  # (B, L)
            _, _, _, beta_m, g_m = expand_householders(
                q, k, v, beta * live.repeat_interleave(n_h, 1)[:, None], None if g is None else g * live[:, None], n_h)
            _, last = op(qe, k, v, beta_m, g_m, h0)
        new["ssm_state"] = last
        out = self.o_proj(delta_outputs(o[:, :, n_h - 1 :: n_h], gate, self.o_norm.weight, self.o_norm.eps))
        return out, new, all_states

    def _h0(self, h0: Tensor | None, like: Tensor) -> Tensor:
        """The state before the first token: ``h0``, or zeros (B, H, K, V)."""
        return h0 if h0 is not None else like.new_zeros(like.shape[0], *self.state_shapes()["ssm_state"])

    def step(self, hidden: Tensor, state: dict[str, Tensor], *, patch: Any = None,
             prefix: str = "") -> tuple[Tensor, dict[str, Tensor]]:
        """One token, the readable recurrence: hidden (B, D) -> output (B, D) and the new state.

        ``patch`` may replace ``{prefix}conv_state`` (the window this step
        convolves) and ``{prefix}ssm_state`` (h after the update, before the
        read-out).
        """
        qkv, b, a, gate = self._project(hidden)  # (B, C), ...
        new: dict[str, Tensor] = {}
        if self.short_conv:
            weight, bias = self._conv_weight()
            window = torch.cat([state["conv_state"][:, :, 1:], qkv.unsqueeze(-1)], -1)  # (B, C, W)
            new["conv_state"] = window = SequenceModel._patched(patch, f"{prefix}conv_state", window)
            qkv = (window * weight[:, 0, :]).sum(-1)
        q, k, v, beta, g = self._heads(F.silu(qkv), b, a)  # (B, H, K), (B, n_h, H, K), (B, n_h, H, V), ...
        h = state["ssm_state"]  # (B, H, K, V)
        if g is not None:
            h = h * g.exp()[..., None, None]
        for j in range(self.householders):  # h <- (I - beta k k^T) h + beta k v^T
            kj = k[:, j]  # (B, H, K)
            e = beta[:, j, :, None] * (v[:, j] - torch.einsum("bhkv,bhk->bhv", h, kj))  # (B, H, V)
            h = h + kj[..., :, None] * e[..., None, :]
        new["ssm_state"] = h = SequenceModel._patched(patch, f"{prefix}ssm_state", h)
        o = torch.einsum("bhkv,bhk->bhv", h, q)  # (B, H, V)
        return self._output(o, gate), new
