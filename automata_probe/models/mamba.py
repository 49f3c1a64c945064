"""Mamba (Gu & Dao 2023, arXiv:2312.00752) in pure PyTorch, weight-compatible with mamba_ssm.

Parameter names and shapes are those of mamba_ssm 2.x's ``Mamba`` block and
``MambaLMHeadModel`` (ED = expand * d_model, N = d_state, R = dt_rank)::

    backbone.embedding.weight                  (V_padded, D)
    backbone.layers.{i}.norm.weight            (D,)         (+ .bias with LayerNorm)
    backbone.layers.{i}.mixer.in_proj.weight   (2 ED, D)
    backbone.layers.{i}.mixer.conv1d.weight    (ED, 1, d_conv)
    backbone.layers.{i}.mixer.conv1d.bias      (ED,)
    backbone.layers.{i}.mixer.x_proj.weight    (R + 2 N, ED)
    backbone.layers.{i}.mixer.dt_proj.weight   (ED, R)
    backbone.layers.{i}.mixer.dt_proj.bias     (ED,)
    backbone.layers.{i}.mixer.A_log            (ED, N)
    backbone.layers.{i}.mixer.D                (ED,)
    backbone.layers.{i}.mixer.out_proj.weight  (D, ED)
    backbone.norm_f.weight                     (D,)         (+ .bias with LayerNorm)
    head.weight, head.bias                     (n_outputs, D), (n_outputs,)   our task head

Instead of the language-model head ``lm_head`` (tied to the embedding) there is a
task head; :func:`load_mamba_ssm_state_dict` loads a MambaLMHeadModel state dict.

The residual structure is mamba_ssm's ``Block`` (prenorm): with x_0 the
embedding, ``x_{i+1} = x_i + mixer_i(norm_i(x_i))`` and the head reads
``norm_f(x_n)``. (mamba_ssm computes the same sums as "add, then norm, then
mixer", returning (hidden, residual) pairs, to fuse add and norm.)

Backends: the scan runs in PyTorch (:mod:`.scan`, default the chunked scan) or,
when the tensors are on CUDA and mamba-ssm is installed, in mamba_ssm's
``selective_scan_fn`` kernel. mamba_ssm is imported only on that path.
"""

from __future__ import annotations

import functools
import logging
import math
from typing import Any, Callable, Iterable, Mapping

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.autograd.function import once_differentiable

from ..errors import ModelError
from . import scan as _scan
from .base import Patch, RecurrentState, SequenceModel, SiteOutputs, StateOutputs, StepOutputs
from .config import ModelConfig

__all__ = [
    "MambaModel",
    "MambaMixer",
    "causal_conv1d",
    "RMSNorm",
    "BACKENDS",
    "load_mamba_ssm_state_dict",
    "config_from_mamba_ssm",
    "mamba_ssm_available",
]

log = logging.getLogger(__name__)

BACKENDS = ("auto", "torch", "cuda")


class RMSNorm(nn.Module):
    """RMSNorm (Zhang & Sennrich 2019) as in mamba_ssm: ``x / rms(x) * weight``."""

    def __init__(self, d_model: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(d_model))

    def forward(self, x: Tensor) -> Tensor:
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


@functools.lru_cache(maxsize=1)
def _mamba_ssm_scan() -> Callable[..., Tensor] | None:
    """mamba_ssm's ``selective_scan_fn`` or None; imported here only (CUDA machines)."""
    try:
        from mamba_ssm.ops.selective_scan_interface import selective_scan_fn
    except Exception as e:  # ImportError, or its CUDA extension failing to load
        log.debug("mamba_ssm unavailable: %s", e)
        return None
    return selective_scan_fn


def mamba_ssm_available() -> bool:
    """True when CUDA is present and mamba_ssm's selective scan kernel imports."""
    return torch.cuda.is_available() and _mamba_ssm_scan() is not None


def causal_conv1d(x: Tensor, weight: Tensor, bias: Tensor | None, *, history: bool = False) -> Tensor:
    """Causal depthwise convolution in (B, L, ED) layout; same result as mamba_ssm's ``conv1d``.

    ``y[:, t, e] = bias[e] + sum_k weight[e, 0, k] * x[:, t - (K - 1) + k, e]``
    (zero before the start), i.e. ``nn.Conv1d(ED, ED, K, groups=ED,
    padding=K - 1)`` cut to the first L outputs, without transposing to
    (B, ED, L) and with a hand-written backward (oneDNN's depthwise
    convolution backward is slow on a CPU).

    Parameters
    ----------
    x : Tensor (B, L, ED)
        With ``history``, (B, K - 1 + L, ED): the K - 1 inputs before the
        first step (a convolution window), then the L new ones.
    weight : Tensor (ED, 1, K)
    bias : Tensor (ED,) or None
    history : bool
        Convolve only where the window is full (no zero padding): the L
        outputs after the given history.

    Returns
    -------
    Tensor (B, L, ED)
    """
    return _CausalConv1d.apply(x, weight, bias, weight.shape[-1] - 1 if history else 0)


class _CausalConv1d(torch.autograd.Function):
    """y[:, t] = bias + sum_k w_k x[:, t + o - s_k] with s_k = K - 1 - k (o = 0: zero padding; o = K - 1: valid).

    The taps are applied as whole-tensor ``addcmul_`` on shifted slices, with
    the weight transposed to (K, ED) so that each tap's row is contiguous (a
    strided per-channel vector makes every elementwise pass several times
    slower on a CPU).
    """

    @staticmethod
    def _taps(width: int, offset: int, n_out: int) -> list[tuple[int, int, int, int]]:
        """(k, first output, first input, count) for every tap that reads something, the full-range tap first."""
        out = []
        for k in range(width):
            s = width - 1 - k
            lo = max(0, s - offset)  # first output with an input at or after 0
            if lo < n_out:
                out.append((k, lo, lo + offset - s, n_out - lo))
        out.sort(key=lambda tap: tap[1])
        return out

    @staticmethod
    def forward(ctx, x, weight, bias, offset):  # type: ignore[override]
        n_in, width = x.shape[1], weight.shape[-1]
        n_out = n_in - offset
        wt = weight[:, 0, :].t().contiguous()  # (K, ED): tap k's weights, contiguous
        taps = _CausalConv1d._taps(width, offset, n_out)
        if taps:
            k, lo, i0, n = taps[0]  # lo = 0: reads for every output
            y = x[:, i0 : i0 + n] * wt[k]  # (B, L, ED)
        else:  # no output
            y = x.new_zeros(x.shape[0], max(n_out, 0), x.shape[2])
        for k, lo, i0, n in taps[1:]:
            y[:, lo:].addcmul_(x[:, i0 : i0 + n], wt[k])
        if bias is not None:
            y += bias
        ctx.save_for_backward(x, wt)
        ctx.has_bias, ctx.offset, ctx.weight_shape = bias is not None, offset, weight.shape
        return y

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_y):  # type: ignore[override]
        x, wt = ctx.saved_tensors
        grad_y = grad_y.contiguous()
        n_in, width = x.shape[1], wt.shape[0]
        n_out = n_in - ctx.offset
        taps = _CausalConv1d._taps(width, ctx.offset, n_out)
        grad_x = x.new_zeros(x.shape) if ctx.offset or len(taps) == 0 else None  # (B, L_in, ED)
        grad_wt = wt.new_zeros(wt.shape)  # (K, ED)
        scratch = torch.empty_like(grad_y)  # each tap's products grad_y * x, summed into its weight's gradient
        for k, lo, i0, n in taps:
            g, xs = grad_y[:, lo:], x[:, i0 : i0 + n]
            if grad_x is None:  # o = 0: the first tap covers every input
                grad_x = g * wt[k]
            else:
                grad_x[:, i0 : i0 + n].addcmul_(g, wt[k])
            # the product written contiguous (the first B n ED elements of scratch): a sum over a sliced one
            # (scratch[:, :n]) takes a strided path, measured 5x slower in models/fused.py
            grad_wt[k] = torch.mul(g, xs, out=scratch.view(-1)[: g.numel()].view(g.shape)).sum((0, 1))
        grad_b = grad_y.sum((0, 1)) if ctx.has_bias else None
        return grad_x, grad_wt.t().reshape(ctx.weight_shape), grad_b, None


class MambaMixer(nn.Module):
    """The Mamba block (mamba_ssm's ``Mamba`` module): (B, L, D) -> (B, L, D).

    Attributes ``backend`` ("auto", "torch", "cuda") and ``scan`` (a key of
    :data:`.scan.SCANS`) choose the implementation; the weights are the same.
    With ``scan="ref"`` the convolution also takes the textbook route
    (``nn.Conv1d`` on (B, ED, L)) instead of :func:`causal_conv1d`.
    """

    def __init__(self, config: ModelConfig):
        super().__init__()
        d_model, d_inner, n = config.d_model, config.d_inner, config.d_state
        self.d_inner, self.d_state, self.dt_rank = d_inner, n, int(config.dt_rank)
        self.negative_eigenvalues = config.negative_eigenvalues
        self.backend = "auto"
        self.scan = "chunked"
        self.scan_threads: int | None = None

        self.in_proj = nn.Linear(d_model, 2 * d_inner, bias=False)
        self.conv1d = nn.Conv1d(d_inner, d_inner, kernel_size=config.d_conv, groups=d_inner,
                                padding=config.d_conv - 1, bias=True)
        self.x_proj = nn.Linear(d_inner, self.dt_rank + 2 * n, bias=False)
        self.dt_proj = nn.Linear(self.dt_rank, d_inner, bias=True)
        self.A_log = nn.Parameter(torch.empty(d_inner, n))
        self.D = nn.Parameter(torch.empty(d_inner))
        self.out_proj = nn.Linear(d_inner, d_model, bias=False)
        self.reset_ssm_parameters(config)

    @torch.no_grad()
    def reset_ssm_parameters(self, config: ModelConfig) -> None:
        """mamba_ssm's initialization of dt_proj, A_log and D (uses the torch RNG)."""
        dt_init_std = self.dt_rank ** -0.5
        nn.init.uniform_(self.dt_proj.weight, -dt_init_std, dt_init_std)
        # softplus(dt_proj.bias) log-uniform in [dt_min, dt_max]
        dt = torch.exp(
            torch.rand(self.d_inner) * (math.log(config.dt_max) - math.log(config.dt_min)) + math.log(config.dt_min)
        ).clamp(min=config.dt_init_floor)
        inv_softplus_dt = dt + torch.log(-torch.expm1(-dt))  # softplus^{-1}(dt)
        self.dt_proj.bias.copy_(inv_softplus_dt)
        self.dt_proj.bias._no_reinit = True  # type: ignore[attr-defined]
        # S4D-real: A = -(1, 2, ..., N) in every channel
        self.A_log.copy_(torch.log(torch.arange(1, self.d_state + 1, dtype=torch.float32)).repeat(self.d_inner, 1))
        self.A_log._no_weight_decay = True  # type: ignore[attr-defined]
        self.D.fill_(1.0)
        self.D._no_weight_decay = True  # type: ignore[attr-defined]

    def _ssm_inputs(self, hidden: Tensor) -> tuple[Tensor, ...]:
        length = hidden.shape[1]
        x, z = self.in_proj(hidden).chunk(2, dim=-1)  # (B, L, ED) each
        if self.scan == "ref":  # the textbook route: nn.Conv1d, left padding d_conv - 1, cut to L
            x = self.conv1d(x.transpose(1, 2))[..., :length].transpose(1, 2)  # (B, L, ED)
        else:
            x = causal_conv1d(x, self.conv1d.weight, self.conv1d.bias)  # (B, L, ED)
        x = F.silu(x)
        dt, B, C = torch.split(self.x_proj(x), [self.dt_rank, self.d_state, self.d_state], dim=-1)
        delta = F.linear(dt, self.dt_proj.weight)  # (B, L, ED); bias and softplus inside the scan
        A = -torch.exp(self.A_log)  # (ED, N)
        return x, delta, A, B, C, z

    def _use_cuda(self, hidden: Tensor) -> bool:
        if self.backend == "torch":
            return False
        usable = hidden.is_cuda and _mamba_ssm_scan() is not None and not self.negative_eigenvalues
        if self.backend == "cuda" and not usable:
            if self.negative_eigenvalues:
                raise ModelError("backend 'cuda' cannot run negative_eigenvalues (mamba_ssm's kernel fixes "
                                 "the transition to exp(delta A)); use backend 'torch'")
            raise ModelError("backend 'cuda' needs CUDA tensors and mamba-ssm: pip install 'automata-probe[gpu]'")
        return usable

    def forward(self, hidden: Tensor) -> Tensor:
        """hidden (B, L, D) -> (B, L, D)."""
        x, delta, A, B, C, z = self._ssm_inputs(hidden)
        if self._use_cuda(hidden):
            selective_scan_fn = _mamba_ssm_scan()
            y = selective_scan_fn(  # mamba_ssm layout: (B, ED, L) and (B, N, L)
                x.transpose(1, 2).contiguous(), delta.transpose(1, 2).contiguous(), A.float(),
                B.transpose(1, 2).contiguous(), C.transpose(1, 2).contiguous(), self.D.float(),
                z=z.transpose(1, 2).contiguous(), delta_bias=self.dt_proj.bias.float(), delta_softplus=True,
            ).transpose(1, 2)  # (B, L, ED)
        else:
            extra = {"threads": self.scan_threads} if self.scan == "chunked" else {}
            y = _scan.SCANS[self.scan](
                x, delta, A, B, C, self.D, z, delta_bias=self.dt_proj.bias, delta_softplus=True,
                negative_eigenvalues=self.negative_eigenvalues, **extra,
            )  # (B, L, ED)
        return self.out_proj(y)  # (B, L, D)

    def forward_with_states(self, hidden: Tensor) -> tuple[Tensor, Tensor]:
        """hidden (B, L, D) -> output (B, L, D) and SSM states h_t (B, L, ED, N); PyTorch path."""
        x, delta, A, B, C, z = self._ssm_inputs(hidden)
        if self.scan == "chunked" and not torch.is_grad_enabled():
            # probing: the fast scan writes every h_t once; no second, state-keeping pass
            y, states = _scan.selective_scan_chunked_states(
                x, delta, A, B, C, self.D, z, delta_bias=self.dt_proj.bias, delta_softplus=True,
                negative_eigenvalues=self.negative_eigenvalues, threads=self.scan_threads,
            )
        else:
            y, states = _scan.selective_scan_states(
                x, delta, A, B, C, self.D, z, delta_bias=self.dt_proj.bias, delta_softplus=True,
                negative_eigenvalues=self.negative_eigenvalues,
            )
        return self.out_proj(y), states


    # ------------------------------------------------------ recurrent state
    def forward_from(self, hidden: Tensor, conv_state: Tensor, ssm_state: Tensor,
                     at: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """hidden (B, L, D) read from a state; output (B, L, D) and the state after step ``at[b]`` (B,).

        ``conv_state`` (B, ED, K) holds the last K inputs of the convolution
        (mamba_ssm's layout; the oldest is not read again), ``ssm_state``
        (B, N, ED) the SSM state h (state-major, as the ``ssm_state`` site).
        ``at[b]`` in ``-1..L-1`` (``-1``: the given state). Without gradients
        the chunked scan runs (unless ``scan`` is "ref"); with them, the
        autograd loop (gradients reach the state too).
        """
        batch, length, _ = hidden.shape
        width = self.conv1d.weight.shape[-1]
        x, z = self.in_proj(hidden).chunk(2, dim=-1)  # (B, L, ED) each
        window = torch.cat([conv_state.transpose(1, 2), x], dim=1)  # (B, K + L, ED): old inputs, then new
        if self.scan == "ref":  # the textbook route, as in _ssm_inputs
            xc = self.conv1d(window[:, 1:].transpose(1, 2))[..., width - 1 : width - 1 + length].transpose(1, 2)
        else:
            xc = causal_conv1d(window[:, 1:], self.conv1d.weight, self.conv1d.bias, history=True)  # (B, L, ED)
        xc = F.silu(xc)
        dt, B, C = torch.split(self.x_proj(xc), [self.dt_rank, self.d_state, self.d_state], dim=-1)
        delta = F.linear(dt, self.dt_proj.weight)  # (B, L, ED)
        A = -torch.exp(self.A_log)  # (ED, N)
        h0 = ssm_state.transpose(1, 2)  # (B, ED, N)
        kw = dict(delta_bias=self.dt_proj.bias, delta_softplus=True, negative_eigenvalues=self.negative_eigenvalues)
        needs_grad = torch.is_grad_enabled() and (hidden.requires_grad or ssm_state.requires_grad
                                                  or conv_state.requires_grad or self.A_log.requires_grad)
        rows = torch.arange(batch, device=hidden.device)
        if self.scan == "ref":  # y from the readable scan; the states from the loop, to pick step at[b]
            y = _scan.selective_scan_ref(xc, delta, A, B, C, self.D, z, h0=h0, **kw)
            _, states = _scan.selective_scan_states(xc, delta, A, B, C, h0=h0, **kw)
        elif needs_grad or self.scan == "loop":
            y, states = _scan.selective_scan_states(xc, delta, A, B, C, self.D, z, h0=h0, **kw)
        else:
            y, h_at = _scan.selective_scan_chunked_from(xc, delta, A, B, C, self.D, z, h0=h0, at=at,
                                                        threads=self.scan_threads, **kw)
            states = None
        if states is not None:  # (B, L, ED, N): pick step at[b], -1 -> h0
            padded = torch.cat([h0.unsqueeze(1), states], dim=1)  # (B, 1 + L, ED, N)
            h_at = padded[rows, at + 1]
        conv_at = window[rows[:, None], (at + 1)[:, None] + torch.arange(width, device=hidden.device)]  # (B, K, ED)
        return self.out_proj(y), conv_at.transpose(1, 2), h_at.transpose(1, 2)

    def step(self, hidden: Tensor, conv_state: Tensor, ssm_state: Tensor, *, patch: Any = None,
             prefix: str = "") -> tuple[Tensor, Tensor, Tensor]:
        """One token: hidden (B, D) -> output (B, D), conv state (B, ED, K), SSM state (B, N, ED).

        The readable recurrence (mamba_ssm's ``Mamba.step``): shift the new
        input into the convolution window, convolve, discretize, update h,
        read out. ``patch`` (see :mod:`.base`) may replace
        ``{prefix}conv_state`` (the window this step convolves) and
        ``{prefix}ssm_state`` (h after the update, before the read-out).
        """
        x, z = self.in_proj(hidden).chunk(2, dim=-1)  # (B, ED) each
        conv_state = torch.cat([conv_state[:, :, 1:], x.unsqueeze(-1)], dim=-1)  # (B, ED, K)
        conv_state = SequenceModel._patched(patch, f"{prefix}conv_state", conv_state)
        x = F.silu((conv_state * self.conv1d.weight[:, 0, :]).sum(-1) + self.conv1d.bias)  # (B, ED)
        dt, B, C = torch.split(self.x_proj(x), [self.dt_rank, self.d_state, self.d_state], dim=-1)
        delta = F.softplus(self.dt_proj(dt))  # (B, ED)
        dA = _scan.transition(delta.unsqueeze(-1) * -torch.exp(self.A_log), self.negative_eigenvalues)  # (B, ED, N)
        h = dA * ssm_state.transpose(1, 2) + (delta * x).unsqueeze(-1) * B.unsqueeze(1)  # (B, ED, N)
        h = SequenceModel._patched(patch, f"{prefix}ssm_state", h.transpose(1, 2))  # (B, N, ED)
        y = (h * C.unsqueeze(-1)).sum(1) + self.D * x  # (B, ED)
        return self.out_proj(y * F.silu(z)), conv_state, h


class MambaLayer(nn.Module):
    """mamba_ssm's ``Block`` without an MLP: ``x + mixer(norm(x))``."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.norm = _make_norm(config)
        self.mixer = MambaMixer(config)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.mixer(self.norm(x))


class MambaBackbone(nn.Module):
    """mamba_ssm's ``MixerModel``: embedding, layers, final norm."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.embedding = nn.Embedding(config.padded_vocab_size, config.d_model)
        self.layers = nn.ModuleList(MambaLayer(config) for _ in range(config.n_layers))
        self.norm_f = _make_norm(config)


class MambaModel(SequenceModel):
    """Mamba backbone plus a linear task head; tokens (B, L) -> outputs (B, L, n_outputs).

    Sites: ``embed``, ``layers.{i}.resid`` (residual stream after layer i),
    ``layers.{i}.ssm_state`` (the SSM state h_t of layer i flattened to N * ED,
    state-major: index n * ED + e, so ``.unflatten(-1, (N, ED))`` recovers it), ``final`` (after ``norm_f``).

    Recurrent state (:mod:`.base`): per layer ``layers.{i}.conv_state``
    (B, ED, d_conv), the convolution's window, and ``layers.{i}.ssm_state``
    (B, N, ED); ``step`` is the readable one-token recurrence,
    ``forward_state`` the chunked scan from a state (or the reference scan
    with ``set_scan("ref")``, the autograd loop when gradients are needed).
    """

    def __init__(self, config: ModelConfig):
        if config.arch != "mamba":
            raise ModelError(f"MambaModel needs arch 'mamba', got {config.arch!r}")
        super().__init__(config)
        self.backbone = MambaBackbone(config)
        self.head = nn.Linear(config.d_model, config.n_outputs)
        self.apply(functools.partial(_init_weights, n_layers=config.n_layers))

    def site_names(self) -> list[str]:
        names = ["embed"]
        for i in range(self.config.n_layers):
            names += [f"layers.{i}.ssm_state", f"layers.{i}.resid"]
        return names + ["final"]

    def set_backend(self, backend: str) -> None:
        """Choose "auto" (CUDA kernels when usable), "torch" or "cuda" (error if unusable)."""
        if backend not in BACKENDS:
            raise ModelError(f"unknown backend {backend!r}; expected one of {', '.join(BACKENDS)}")
        if backend == "cuda" and not mamba_ssm_available():
            raise ModelError("backend 'cuda' needs CUDA and mamba-ssm: pip install 'automata-probe[gpu]'")
        for layer in self.backbone.layers:
            layer.mixer.backend = backend

    def set_scan(self, name: str, *, threads: int | None = None) -> None:
        """Choose the PyTorch scan: "chunked" (fast, default), "loop" or "ref" (readable, slow).

        ``threads`` caps the intra-op threads inside the chunked scan (None:
        as set by ``torch.set_num_threads``); 1 helps on a machine whose cores
        are busy with other work, see :func:`.scan.selective_scan`.
        """
        if name not in _scan.SCANS:
            raise ModelError(f"unknown scan {name!r}; expected one of {', '.join(_scan.SCANS)}")
        if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
            raise ModelError(f"threads must be a positive integer or None, got {threads!r}")
        for layer in self.backbone.layers:
            layer.mixer.scan = name
            layer.mixer.scan_threads = threads

    # ------------------------------------------------------ recurrent state
    def initial_state(self, batch: int) -> RecurrentState:
        """Zeros: per layer ``layers.{i}.conv_state`` (B, ED, d_conv) and ``layers.{i}.ssm_state`` (B, N, ED).

        The conv state is mamba_ssm's inference cache layout (the last d_conv
        inputs of the convolution); the SSM state is state-major, as the
        ``ssm_state`` site (``.transpose(1, 2)`` gives mamba_ssm's (B, ED, N)).
        """
        cfg = self.config
        p = self.backbone.embedding.weight
        out: dict[str, Tensor] = {}
        for i in range(cfg.n_layers):
            out[f"layers.{i}.conv_state"] = p.new_zeros(batch, cfg.d_inner, cfg.d_conv)
            out[f"layers.{i}.ssm_state"] = p.new_zeros(batch, cfg.d_state, cfg.d_inner)
        return RecurrentState(out)

    def forward_state(self, tokens: Tensor, state: RecurrentState | None = None, *,
                      lengths: Tensor | None = None) -> StateOutputs:
        self._check_tokens(tokens, self.config.vocab_size)
        lengths = self._lengths(tokens, lengths)
        state = self.initial_state(tokens.shape[0]) if state is None else state
        at = lengths - 1  # (B,): last step read, -1 = none
        x = self.backbone.embedding(tokens)  # (B, L, D)
        new: dict[str, Tensor] = {}
        for i, layer in enumerate(self.backbone.layers):
            m, conv, ssm = layer.mixer.forward_from(layer.norm(x), state[f"layers.{i}.conv_state"],
                                                    state[f"layers.{i}.ssm_state"], at)
            x = x + m  # (B, L, D)
            new[f"layers.{i}.conv_state"], new[f"layers.{i}.ssm_state"] = conv, ssm
        return StateOutputs(outputs=self.head(self.backbone.norm_f(x)), state=RecurrentState(new))

    def step(self, tokens: Tensor, state: RecurrentState, *, patch: Patch | None = None) -> StepOutputs:
        self._check_patch(patch)
        self._check_tokens(tokens[:, None], self.config.vocab_size)
        sites: dict[str, Tensor] = {}
        x = self._patched(patch, "embed", self.backbone.embedding(tokens))  # (B, D)
        sites["embed"] = x
        new: dict[str, Tensor] = {}
        for i, layer in enumerate(self.backbone.layers):
            m, conv, ssm = layer.mixer.step(layer.norm(x), state[f"layers.{i}.conv_state"],
                                            state[f"layers.{i}.ssm_state"], patch=patch, prefix=f"layers.{i}.")
            new[f"layers.{i}.conv_state"], new[f"layers.{i}.ssm_state"] = conv, ssm
            sites[f"layers.{i}.conv_state"], sites[f"layers.{i}.ssm_state"] = conv.flatten(1), ssm.flatten(1)
            x = self._patched(patch, f"layers.{i}.resid", x + m)  # (B, D)
            sites[f"layers.{i}.resid"] = x
        final = self._patched(patch, "final", self.backbone.norm_f(x))  # (B, D)
        sites["final"] = final
        return StepOutputs(outputs=self.head(final), state=RecurrentState(new), sites=sites)

    def forward(self, tokens: Tensor) -> Tensor:
        self._check_tokens(tokens, self.config.vocab_size)
        x = self.backbone.embedding(tokens)  # (B, L, D)
        for layer in self.backbone.layers:
            x = layer(x)  # (B, L, D)
        return self.head(self.backbone.norm_f(x))  # (B, L, n_outputs)

    def forward_sites(self, tokens: Tensor, sites: Iterable[str] | None = None) -> SiteOutputs:
        wanted = self._resolve_sites(sites)
        self._check_tokens(tokens, self.config.vocab_size)
        got: dict[str, Tensor] = {}
        x = self.backbone.embedding(tokens)  # (B, L, D)
        got["embed"] = x
        for i, layer in enumerate(self.backbone.layers):
            if f"layers.{i}.ssm_state" in wanted:
                m, states = layer.mixer.forward_with_states(layer.norm(x))  # states (B, L, ED, N)
                # state-major (index n * ED + e): a view of the chunked scan's (L, B, N, ED) buffer, no copy
                got[f"layers.{i}.ssm_state"] = states.transpose(2, 3).flatten(2)  # (B, L, N * ED)
            else:
                m = layer.mixer(layer.norm(x))
            x = x + m  # (B, L, D)
            got[f"layers.{i}.resid"] = x
        final = self.backbone.norm_f(x)  # (B, L, D)
        got["final"] = final
        outputs = self.head(final)  # (B, L, n_outputs)
        return SiteOutputs(outputs=outputs, sites=self._ordered({k: v for k, v in got.items() if k in wanted}))


def _make_norm(config: ModelConfig) -> nn.Module:
    if config.rms_norm:
        return RMSNorm(config.d_model, eps=config.norm_epsilon)
    return nn.LayerNorm(config.d_model, eps=config.norm_epsilon)


@torch.no_grad()
def _init_weights(module: nn.Module, n_layers: int, initializer_range: float = 0.02) -> None:
    """mamba_ssm's ``_init_weights`` (GPT-2 style) with one residual branch per layer."""
    if isinstance(module, nn.Linear):
        if module.bias is not None and not getattr(module.bias, "_no_reinit", False):
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Embedding):
        nn.init.normal_(module.weight, std=initializer_range)
    if isinstance(module, MambaMixer):
        # rescale the residual branch's output projection by 1/sqrt(n_layers)
        nn.init.kaiming_uniform_(module.out_proj.weight, a=math.sqrt(5))
        module.out_proj.weight /= math.sqrt(n_layers)


def load_mamba_ssm_state_dict(model: MambaModel, state_dict: Mapping[str, Tensor]) -> tuple[str, ...]:
    """Load a mamba_ssm ``MambaLMHeadModel`` (or ``MambaModel``) state dict into ``model``.

    Every ``backbone.*`` tensor must be present with our shape. ``lm_head.weight``
    is loaded into the task head (with a zero bias) when the head has exactly
    its shape (the model then outputs the language-model logits); otherwise it
    is ignored and the head keeps its weights. ``head.*`` keys (our own
    checkpoints) are loaded as they are.

    Returns
    -------
    tuple of str
        The keys of ``state_dict`` that were not loaded.

    Raises
    ------
    ModelError
        A missing or unexpected backbone key, or a shape mismatch.
    """
    ours = model.state_dict()
    new: dict[str, Tensor] = {}
    ignored: list[str] = []
    for key, value in state_dict.items():
        if key.startswith("backbone."):
            if key not in ours:
                raise ModelError(f"unexpected key {key!r} in mamba_ssm state dict (model config differs?)")
            new[key] = value
        elif key in ("head.weight", "head.bias"):
            new[key] = value
        elif key == "lm_head.weight" and tuple(value.shape) == tuple(model.head.weight.shape) \
                and "head.weight" not in state_dict:
            new["head.weight"] = value
            new["head.bias"] = torch.zeros_like(model.head.bias)
        else:
            ignored.append(key)
    missing = [k for k in ours if k.startswith("backbone.") and k not in new]
    if missing:
        raise ModelError(f"mamba_ssm state dict lacks {missing[0]!r} ({len(missing)} backbone key(s) missing)")
    for key, value in new.items():
        if tuple(value.shape) != tuple(ours[key].shape):
            raise ModelError(f"shape of {key!r} is {tuple(value.shape)}, the model expects {tuple(ours[key].shape)}")
    model.load_state_dict(new, strict=False)
    if ignored:
        log.info("ignored keys from mamba_ssm state dict: %s", ", ".join(ignored))
    return tuple(ignored)


_MIXER_DEFAULTS = {"d_state": 16, "d_conv": 4, "expand": 2, "dt_rank": "auto", "dt_min": 0.001,
                   "dt_max": 0.1, "dt_init_floor": 1e-4}
_MIXER_FIXED = {"conv_bias": True, "bias": False}


def config_from_mamba_ssm(d: Mapping[str, Any], *, n_outputs: int | None = None) -> ModelConfig:
    """Translate a mamba_ssm ``MambaConfig`` (as a dict, e.g. its config.json) to a :class:`ModelConfig`.

    ``n_outputs`` defaults to the padded vocabulary size, so that
    :func:`load_mamba_ssm_state_dict` puts ``lm_head`` in the head. Mamba-2
    layers, attention layers and MLPs (``d_intermediate > 0``) are not supported.
    """
    ssm_cfg = dict(d.get("ssm_cfg") or {})
    if ssm_cfg.pop("layer", "Mamba1") != "Mamba1":
        raise ModelError("only Mamba-1 layers are supported (ssm_cfg.layer must be 'Mamba1')")
    if d.get("d_intermediate", 0):
        raise ModelError(f"d_intermediate={d['d_intermediate']} (an MLP per block) is not supported")
    if d.get("attn_layer_idx"):
        raise ModelError("attention layers (attn_layer_idx) are not supported")
    for key, value in _MIXER_FIXED.items():
        if ssm_cfg.pop(key, value) != value:
            raise ModelError(f"ssm_cfg.{key} must be {value}")
    unknown = sorted(set(ssm_cfg) - set(_MIXER_DEFAULTS) - {"dt_init", "dt_scale", "use_fast_path"})
    if unknown:
        raise ModelError(f"unsupported ssm_cfg field(s): {', '.join(unknown)}")
    mixer = {k: ssm_cfg.get(k, v) for k, v in _MIXER_DEFAULTS.items()}
    for key in ("d_model", "n_layer", "vocab_size"):
        if key not in d:
            raise ModelError(f"mamba_ssm config lacks {key!r}")
    multiple = int(d.get("pad_vocab_size_multiple", 8))
    vocab = int(d["vocab_size"])
    padded = -(-vocab // multiple) * multiple
    return ModelConfig(
        arch="mamba", vocab_size=vocab, n_outputs=padded if n_outputs is None else n_outputs,
        d_model=int(d["d_model"]), n_layers=int(d["n_layer"]), pad_vocab_size_multiple=multiple,
        rms_norm=bool(d.get("rms_norm", True)), norm_epsilon=float(d.get("norm_epsilon", 1e-5)), **mixer,
    )
