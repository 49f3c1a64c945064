"""The Mamba-2 token mixer (Dao & Gu 2024, arXiv:2405.21060) in pure PyTorch, weight-compatible with mamba_ssm.

Parameter names and shapes are mamba_ssm 2.x's ``Mamba2`` with ngroups = 1
(E = expand * d_model, H = n_heads, P = head_dim = E / H, N = d_state, W =
d_conv)::

    in_proj.weight   (2 E + 2 N + H, D)    z, x, B, C, dt in that order
    conv1d.weight    (E + 2 N, 1, W)       over x, B, C; conv1d.bias (E + 2 N,)
    dt_bias, A_log, D  (H,)
    norm.weight      (E,)                  gated RMSNorm: rmsnorm(y * silu(z)) * weight
    out_proj.weight  (D, E)

Per head the SSM is the scalar-decay recurrence of :mod:`.linear_rnn`: a_t =
exp(dt_t A), or ``2 exp(dt_t A) - 1`` in (-1, 1) with negative eigenvalues
(Grazzi et al. 2024, arXiv:2411.12537), h_t = a_t h_{t-1} + dt_t x_t B_t^T,
y_t = h_t C_t + D x_t. The state is mamba_ssm's layout, (B, H, P, N). The
training pass (:meth:`Mamba2Mixer.forward_from`) runs the layer's parts around
the SSM as the fused functions of :mod:`.fused`; the one-token
:meth:`Mamba2Mixer.step` as plain operations.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .base import SequenceModel
from .config import ModelConfig
from .delta_net import FlaRMSNorm, window_after
from .fused import SSDSpec, ssd_inputs, ssd_outputs
from . import compiled
from .compiled import ssd_compiled
from .kernels import mamba_ssm_ssd, select_recurrence
from .linear_rnn import ssd_chunked, ssd_ref

__all__ = ["Mamba2Mixer"]


class Mamba2Mixer(nn.Module):
    """mamba_ssm's ``Mamba2`` layer (ngroups 1, no MLP inside): (B, L, D) -> (B, L, D).

    ``impl`` chooses the SSM implementation: "chunked" (default) or "ref";
    ``backend`` ("auto", "torch", "cuda") whether the chunked one may run as
    mamba_ssm's CUDA kernel (:mod:`.kernels`; not for every step's state).
    """

    def __init__(self, config: ModelConfig):
        super().__init__()
        d, e, n = config.d_model, config.d_inner, config.d_state
        h, p = config.n_heads, int(config.head_dim)
        self.d_inner, self.d_state, self.n_heads, self.head_dim = e, n, h, p
        self.negative_eigenvalues = config.negative_eigenvalues
        self.impl = "chunked"
        self.backend = "auto"
        self.in_proj = nn.Linear(d, 2 * e + 2 * n + h, bias=False)
        self.conv1d = nn.Conv1d(e + 2 * n, e + 2 * n, config.d_conv, groups=e + 2 * n, padding=config.d_conv - 1,
                                bias=True)
        self.dt_bias = nn.Parameter(torch.empty(h))
        self.A_log = nn.Parameter(torch.empty(h))
        self.D = nn.Parameter(torch.ones(h))
        self.norm = FlaRMSNorm(e, eps=1e-5)
        self.out_proj = nn.Linear(e, d, bias=False)
        self.reset_ssm_parameters(config)

    @torch.no_grad()
    def reset_ssm_parameters(self, config: ModelConfig) -> None:
        """mamba_ssm's initialization: A uniform in [1, 16], softplus(dt_bias) log-uniform in [dt_min, dt_max]."""
        dt = torch.exp(torch.rand(self.n_heads) * (math.log(config.dt_max) - math.log(config.dt_min))
                       + math.log(config.dt_min)).clamp(min=config.dt_init_floor)
        self.dt_bias.copy_(dt + torch.log(-torch.expm1(-dt)))
        self.A_log.copy_(torch.empty(self.n_heads).uniform_(1, 16).log())
        self.D.fill_(1.0)
        for p in (self.dt_bias, self.A_log, self.D):
            p._no_weight_decay = True  # type: ignore[attr-defined]

    def state_shapes(self) -> dict[str, tuple[int, ...]]:
        """``conv_state`` (E + 2 N, W) and ``ssm_state`` (H, P, N), mamba_ssm's inference-cache layouts."""
        return {"conv_state": (self.d_inner + 2 * self.d_state, self.conv1d.weight.shape[-1]),
                "ssm_state": (self.n_heads, self.head_dim, self.d_state)}

    def zero_state(self, like: Tensor, batch: int) -> dict[str, Tensor]:
        return {name: like.new_zeros(batch, *shape) for name, shape in self.state_shapes().items()}

    def _split(self, zxbcdt: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        e, n = self.d_inner, self.d_state
        return torch.split(zxbcdt, [e, e + 2 * n, self.n_heads], -1)  # z, xBC, dt

    def _decay(self, dt: Tensor) -> tuple[Tensor, Tensor | None]:
        """a = exp(dt A) (and its log, exact) or 2 exp(dt A) - 1 (no log: it may be negative)."""
        log_a = dt * -self.A_log.exp()  # (..., H)
        if self.negative_eigenvalues:
            return 2 * log_a.exp() - 1, None
        return log_a.exp(), log_a

    def _output(self, y: Tensor, x: Tensor, z: Tensor) -> Tensor:
        """SSM output y (..., H, P) plus D x, gated RMSNorm with z, projection -> (..., D)."""
        y = (y + self.D[:, None] * x).flatten(-2)  # (..., E)
        return self.out_proj(self.norm(y * F.silu(z)))

    def forward(self, hidden: Tensor) -> Tensor:
        return self.forward_from(hidden, None, None)[0]

    def forward_from(self, hidden: Tensor, state: dict[str, Tensor] | None, at: Tensor | None, *,
                     states: bool = False) -> tuple[Tensor, dict[str, Tensor], Tensor | None]:
        """hidden (B, L, D) from ``state``; output (B, L, D), the state after step ``at[b]``, every ``ssm_state``.

        ``state`` None: the zero state; ``at`` None: every row's last step.
        """
        batch, length, _ = hidden.shape
        window = state["conv_state"] if state is not None else None
        spec = SSDSpec(self.d_inner, self.d_state, self.n_heads, self.negative_eigenvalues)
        z, x, B, C, v, a, log_a, dt, raw = ssd_inputs(
            hidden, self.in_proj.weight, self.conv1d.weight[:, 0].t().contiguous(), self.conv1d.bias,
            window.transpose(1, 2)[:, 1:] if window is not None else None, self.dt_bias, self.A_log, spec)
        before = window if window is not None else raw.new_zeros(batch, *self.state_shapes()["conv_state"])
        conv_at = window_after(before, raw, at)
        h0 = state["ssm_state"].transpose(-1, -2) if state is not None else None  # (B, H, N, P)
        o, last = self._ssm(x, dt, B, C, v, a, log_a, h0, states)  # o (B, H, L, P)
        all_states = None
        if states:
            all_states = last.transpose(-1, -2).transpose(1, 2).flatten(2)  # (B, L, H P N)
            last = last[:, :, -1] if length else self._h0(h0, hidden)
        if at is not None and bool((at < length - 1).any()):  # dt = 0 past a row's end: a = 1, nothing written
            live = (torch.arange(length, device=hidden.device)[None, :] <= at[:, None]).to(dt.dtype)  # (B, L)
            dt = dt * live[..., None]
            a, log_a = (t.transpose(1, 2) if t is not None else None for t in self._decay(dt))
            _, last = self._ssm(x, dt, B, C, (dt[..., None] * x).transpose(1, 2), a, log_a, h0, False)
        out = self.out_proj(ssd_outputs(o, x, z, self.D, self.norm.weight, self.norm.eps))  # (B, L, D)
        return out, {"conv_state": conv_at, "ssm_state": last.transpose(-1, -2)}, all_states

    def _h0(self, h0: Tensor | None, like: Tensor) -> Tensor:
        """The state before the first token in the SSM's layout (B, H, N, P): ``h0``, or zeros."""
        return h0 if h0 is not None else like.new_zeros(like.shape[0], self.n_heads, self.d_state, self.head_dim)

    def _ssm(self, x: Tensor, dt: Tensor, B: Tensor, C: Tensor, v: Tensor, a: Tensor, log_a: Tensor | None,
             h0: Tensor | None, states: bool) -> tuple[Tensor, Tensor]:
        """The scalar-decay recurrence: o (B, H, L, P) and the last state (B, H, N, P) (every state with ``states``).

        x (B, L, H, P), dt (B, L, H), B and C (B, L, N) for the CUDA kernel; v (B, H, L, P), a and log_a
        (B, H, L) for ours.
        """
        h = self.n_heads
        choice = "torch"
        if self.impl == "chunked" and not states:
            choice = select_recurrence(self.backend, "mamba2", on_cuda=x.is_cuda,
                                       negative_eigenvalues=self.negative_eigenvalues,
                                       compiled_runs=compiled.available(x))
        if choice == "kernel":
            y, h_last = mamba_ssm_ssd(x, dt, -self.A_log.exp(), B, C, self._h0(h0, x).transpose(-1, -2))
            return y.transpose(1, 2), h_last.transpose(-1, -2)  # mamba_ssm's layouts: y (B, L, H, P), (B, H, P, N)
        q, k = C[:, None].expand(-1, h, -1, -1), B[:, None].expand(-1, h, -1, -1)  # (B, H, L, N)
        if choice == "compiled":
            return ssd_compiled(q, k, v, a, h0)
        if self.impl == "chunked":
            return ssd_chunked(q, k, v, a, h0, log_a=log_a, states=states)
        return ssd_ref(q, k, v, a, h0, states=states)

    def step(self, hidden: Tensor, state: dict[str, Tensor], *, patch: Any = None,
             prefix: str = "") -> tuple[Tensor, dict[str, Tensor]]:
        """One token (mamba_ssm's ``Mamba2.step``): hidden (B, D) -> output (B, D) and the new state.

        ``patch`` may replace ``{prefix}conv_state`` and ``{prefix}ssm_state``
        (h after the update, before the read-out).
        """
        e, n, h, p = self.d_inner, self.d_state, self.n_heads, self.head_dim
        z, xbc, dt = self._split(self.in_proj(hidden))
        window = torch.cat([state["conv_state"][:, :, 1:], xbc.unsqueeze(-1)], -1)  # (B, E + 2N, W)
        window = SequenceModel._patched(patch, f"{prefix}conv_state", window)
        xbc = (window * self.conv1d.weight[:, 0, :]).sum(-1) + self.conv1d.bias
        x, B, C = torch.split(F.silu(xbc), [e, n, n], -1)
        x = x.unflatten(-1, (h, p))  # (B, H, P)
        dt = F.softplus(dt + self.dt_bias)  # (B, H)
        a, _ = self._decay(dt)
        ssm = a[..., None, None] * state["ssm_state"] + (dt[..., None] * x)[..., None] * B[:, None, None, :]
        ssm = SequenceModel._patched(patch, f"{prefix}ssm_state", ssm)  # (B, H, P, N)
        y = (ssm * C[:, None, None, :]).sum(-1)  # (B, H, P)
        return self._output(y, x, z), {"conv_state": window, "ssm_state": ssm}
