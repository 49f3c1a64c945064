"""The matrix-state recurrences on the CPU, compiled: the delta rule and Mamba-2's SSD, forward and backward;
and the mixers' short causal convolution.

Same arguments and results as :func:`.linear_rnn.delta_rule_chunked` and
:func:`.linear_rnn.ssd_chunked` (last state only), computed by the optional C
extension ``_crec`` (``automata_probe/models/_crec.c``, built by ``pip
install``). At the sizes these models train at on a CPU (heads of 16 x 16 to
16 x 32 states, L = 64-512) a step of the recurrence is a few hundred
multiply-adds: a batched matrix product of a chunked path pays more in
overhead than that, while a plain loop keeps the state in L1 cache. The
extension runs the recurrence one step at a time (as :func:`.linear_rnn.delta_rule_ref`
writes it), rows (batch x head) split over ``torch.get_num_threads()``
threads, and the backward as the adjoint recurrence over blocks of
:data:`CHECKPOINT` steps recomputed from a saved state (memory B H L K V / 16,
not B H L K V).

:func:`available` says whether it runs here: the extension is built, and
``AUTOMATA_PROBE_PURE_PYTHON`` is unset (set it to force the PyTorch paths).

The models take it on the CPU (``backend="auto"``, see
:func:`.kernels.select_recurrence`); tests tie it to the references on
outputs and gradients (float64 gradcheck), ``tests/models/test_compiled.py``.

:func:`conv_forward` and :func:`conv_backward` are the depthwise causal
convolution of the Mamba-2 and DeltaNet-family input side
(:mod:`.fused`) in one pass each, channels innermost: the PyTorch form
takes a pass per tap forward and three per tap backward (1-2 MB tensors
each at a training step's sizes, about 12% of a step). The output sides
(:func:`ssd_out_forward`, :func:`delta_out_forward` and their backwards)
are one pass each way where PyTorch takes 3-13; the sigmoids they need come
from PyTorch (its vectorized exp beat one in plain C by 2-4x here).
"""

from __future__ import annotations

import importlib
import logging
import os
from types import ModuleType

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

__all__ = ["available", "delta_rule_compiled", "ssd_compiled", "recurrence", "conv_forward", "conv_backward",
           "ssd_out_forward", "ssd_out_backward", "delta_out_forward", "delta_out_backward", "rows_of", "steps_of",
           "CHECKPOINT"]

log = logging.getLogger(__name__)

#: Steps between the states the forward keeps for the backward (which recomputes the steps between).
CHECKPOINT = 16

_PURE_PYTHON_ENV = "AUTOMATA_PROBE_PURE_PYTHON"
_UNLOADED = object()
_native: object = _UNLOADED


def _module() -> ModuleType | None:
    global _native
    if os.environ.get(_PURE_PYTHON_ENV, "0") not in ("", "0"):
        return None
    if _native is _UNLOADED:
        try:
            _native = importlib.import_module("._crec", __package__)
        except ImportError as e:
            log.debug("the compiled recurrences are not available (%s): the PyTorch paths", e)
            _native = None
    return _native  # type: ignore[return-value]


def available(*tensors: Tensor | None) -> bool:
    """True when the extension runs here and every given tensor is a CPU float32 / float64 tensor of one dtype."""
    if _module() is None:
        return False
    given = [t for t in tensors if t is not None]
    return all(t.device.type == "cpu" and t.dtype in (torch.float32, torch.float64) and t.dtype == given[0].dtype
               for t in given)


def _np(x: Tensor | None):
    return None if x is None else x.detach().numpy()


def _flat(x: Tensor | None, *shape: int) -> Tensor | None:
    return None if x is None else x.detach().reshape(*shape).contiguous()


class _Recurrence(torch.autograd.Function):
    @staticmethod
    def forward(ctx, q, k, v, beta, decay, h0, erase):  # type: ignore[override]
        B, H, L, K = k.shape
        V = v.shape[-1]
        BH = B * H
        args = [_flat(q, BH, L, K), _flat(k, BH, L, K), _flat(v, BH, L, V), _flat(beta, BH, L),
                _flat(decay, BH, L), _flat(h0, BH, K, V)]
        o = v.new_empty(B, H, L, V)
        h = v.new_empty(B, H, K, V)
        ckpt = v.new_empty(BH, -(-L // CHECKPOINT), K, V)
        threads = torch.get_num_threads()
        _module().forward(*map(_np, args), _np(o), _np(h), _np(ckpt), erase, BH, L, K, V, CHECKPOINT, threads)
        ctx.save_for_backward(*args[:5], ckpt)
        ctx.erase, ctx.sizes, ctx.h0_given = erase, (B, H, L, K, V), h0 is not None
        return o, h

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_o, grad_h):  # type: ignore[override]
        q, k, v, beta, decay, ckpt = ctx.saved_tensors
        B, H, L, K, V = ctx.sizes
        BH = B * H
        dout = torch.zeros(BH, L, V, dtype=v.dtype) if grad_o is None else _flat(grad_o, BH, L, V)
        dhlast = _flat(grad_h, BH, K, V)
        dq, dk, dv = torch.empty_like(q), torch.empty_like(k), torch.empty_like(v)
        want_beta = beta is not None and ctx.needs_input_grad[3]
        want_decay = decay is not None and ctx.needs_input_grad[4]
        dbeta = torch.empty_like(beta) if want_beta else None
        ddecay = torch.empty_like(decay) if want_decay else None
        dh0 = v.new_empty(BH, K, V)
        _module().backward(*map(_np, (q, k, v, beta, decay, ckpt, dout, dhlast, dq, dk, dv, dbeta, ddecay, dh0)),
                           ctx.erase, BH, L, K, V, CHECKPOINT, torch.get_num_threads())
        shape = lambda x, *tail: None if x is None else x.view(B, H, L, *tail)  # noqa: E731
        return (shape(dq, K), shape(dk, K), shape(dv, V), shape(dbeta), shape(ddecay),
                dh0.view(B, H, K, V) if ctx.h0_given else None, None)


def recurrence(q: Tensor, k: Tensor, v: Tensor, beta: Tensor | None, decay: Tensor | None, h0: Tensor | None,
               *, erase: bool) -> tuple[Tensor, Tensor]:
    """``h_t = d_t h_{t-1} + k_t e_t^T``, ``o_t = h_t^T q_t`` with ``e_t = beta_t (v_t - d_t h_{t-1}^T k_t)``
    (``erase``) or ``beta_t v_t``, differentiable in every tensor; q, k (B, H, L, K), v (B, H, L, V), beta and
    decay (B, H, L) or None (ones), h0 (B, H, K, V) or None (zeros) -> o (B, H, L, V), h (B, H, K, V)."""
    return _Recurrence.apply(q, k, v, beta, decay, h0, bool(erase))


def delta_rule_compiled(q: Tensor, k: Tensor, v: Tensor, beta: Tensor, g: Tensor | None = None,
                        h0: Tensor | None = None, *, states: bool = False) -> tuple[Tensor, Tensor]:
    """The gated delta rule, compiled; arguments and results as :func:`.linear_rnn.delta_rule_chunked` (no ``states``)."""
    if states:
        raise ValueError("the compiled recurrence returns the last state only; every step's state: delta_rule_chunked")
    return recurrence(q, k, v, beta, None if g is None else g.exp(), h0, erase=True)


def ssd_compiled(q: Tensor, k: Tensor, v: Tensor, a: Tensor, h0: Tensor | None = None, *,
                 log_a: Tensor | None = None, states: bool = False) -> tuple[Tensor, Tensor]:
    """Mamba-2's scalar-decay recurrence, compiled; arguments and results as :func:`.linear_rnn.ssd_chunked` (no ``states``).

    ``log_a`` is accepted for the same signature and not read: the gradient
    reaches log_a through ``a = exp(log_a)`` all the same. ``a`` may be
    negative.
    """
    if states:
        raise ValueError("the compiled recurrence returns the last state only; every step's state: ssd_chunked")
    return recurrence(q, k, v, None, a, h0, erase=False)


def conv_forward(x: Tensor, wt: Tensor, bias: Tensor | None, hist: Tensor | None, out: Tensor) -> None:
    """``out[:, t] = bias + sum_k wt[k] x[:, t - (W - 1 - k)]``, earlier inputs from ``hist`` (rows, W - 1, C) or
    zero; x and out contiguous (rows, L, C), wt (W, C)."""
    rows, length, channels = x.shape
    _module().conv_forward(_np(x), _np(wt.contiguous()), _np(None if bias is None else bias.contiguous()),
                           _np(None if hist is None else hist.contiguous()), _np(out), rows, length, channels,
                           wt.shape[0], torch.get_num_threads())


def conv_backward(dy: Tensor, x: Tensor, wt: Tensor, hist: Tensor | None, dx: Tensor, *, accumulate: bool = False,
                  bias: bool = False) -> tuple[Tensor, Tensor | None, Tensor | None]:
    """The gradients of :func:`conv_forward` from ``dy``: dx written (added to with ``accumulate``); returns the
    taps' (W, C), the bias's (C,) when ``bias`` and the history's (rows, W - 1, C) when ``hist`` is given."""
    rows, length, channels = x.shape
    width = wt.shape[0]
    dwt = wt.new_empty(width, channels)
    dbias = wt.new_empty(channels) if bias else None
    dhist = None if hist is None else x.new_empty(rows, width - 1, channels)
    _module().conv_backward(_np(dy), _np(x), _np(wt.contiguous()), _np(None if hist is None else hist.contiguous()),
                            _np(dx), _np(dwt), _np(dbias), _np(dhist), accumulate, rows, length, channels, width,
                            torch.get_num_threads())
    return dwt, dbias, dhist


def rows_of(x: Tensor) -> tuple[Tensor, int, int] | None:
    """``x`` (B, L, H, P) or (B, L, E) as E columns of the rows of a contiguous (B, L, ld) buffer: (that buffer,
    ld, the first column), or None."""
    batch, length = x.shape[:2]
    if not x.numel():
        return None
    width, ld = x.shape[2:].numel(), x.stride(1)
    if x.stride()[2:] != torch.empty(x.shape[2:]).stride() or ld < width or x.stride(0) != length * ld:
        return None
    offset, size = x.storage_offset(), x.untyped_storage().nbytes() // x.element_size()
    start = max(0, offset - (ld - width))  # the rows' start: x's columns inside, the rows inside the storage
    if start + batch * length * ld > size:
        return None
    return torch.as_strided(x, (batch, length, ld), (length * ld, ld, 1), start), ld, offset - start


def ssd_out_forward(o: Tensor, x: Tensor, z: Tensor, sz: Tensor, D: Tensor, weight: Tensor,
                    eps: float) -> tuple[Tensor, Tensor]:
    """Mamba-2's output side ``rmsnorm((o + D x) silu(z)) * weight`` in one pass: o (B, H, L, P) contiguous, x
    (B, L, H, P) with :func:`rows_of` layout, z and ``sz = sigmoid(z)`` (B, L, E) contiguous -> out (B, L, E)
    and the rows' 1 / rms (B, L)."""
    batch, heads, length, p = o.shape
    base, ldx, col = rows_of(x)
    out, rs = z.new_empty(batch, length, heads * p), z.new_empty(batch, length)
    _module().ssd_out_forward(_np(o), _np(base), _np(z), _np(sz), _np(D.contiguous()), _np(weight.contiguous()),
                              float(eps), _np(out), _np(rs), batch, length, heads, p, ldx, col, torch.get_num_threads())
    return out, rs


def ssd_out_backward(dn: Tensor, o: Tensor, x: Tensor, z: Tensor, sz: Tensor, D: Tensor, weight: Tensor,
                     rs: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """The gradients of :func:`ssd_out_forward` from dn (B, L, E): those of o (B, H, L, P), x (B, L, H, P),
    z, D and the weight."""
    batch, heads, length, p = o.shape
    base, ldx, col = rows_of(x)
    dO, dx, dz = torch.empty_like(o), x.new_empty(batch, length, heads, p), torch.empty_like(z)
    dD, dw = D.new_empty(heads), weight.new_empty(heads * p)
    _module().ssd_out_backward(_np(dn.contiguous()), _np(o), _np(base), _np(z), _np(sz), _np(D.contiguous()),
                               _np(weight.contiguous()), _np(rs), _np(dO), _np(dx), _np(dz), _np(dw), _np(dD), batch,
                               length, heads, p, ldx, col, torch.get_num_threads())
    return dO, dx, dz, dD, dw


def steps_of(o: Tensor) -> tuple[Tensor, int] | None:
    """``o`` (B, H, L, V) as every step-th position, from the (step - 1)-th, of a contiguous (B, H, L step, V)
    (DeltaProduct's outputs at each token's last Householder step; step 1: o itself), or None."""
    batch, heads, length, dv = o.shape
    if not o.numel() or o.stride(3) != 1 or o.stride(2) % dv or not o.stride(2):
        return None
    step = o.stride(2) // dv
    start = o.storage_offset() - (step - 1) * dv
    if start < 0 or o.stride(1) != length * step * dv or o.stride(0) != heads * length * step * dv:
        return None
    return torch.as_strided(o, (batch, heads, length * step, dv), (heads * length * step * dv, length * step * dv,
                                                                    dv, 1), start), step


def delta_out_forward(o: Tensor, gate: Tensor | None, sg: Tensor | None, weight: Tensor,
                      eps: float) -> tuple[Tensor, Tensor]:
    """The DeltaNet family's output side, each head's RMSNorm times ``weight``, times ``silu(gate)`` when gated:
    o (B, H, L, V) with :func:`steps_of` layout, gate (B, L, H V) with :func:`rows_of` layout and ``sg =
    sigmoid(gate)`` contiguous -> (B, L, H V) and the 1 / rms (B, H, L)."""
    batch, heads, length, dv = o.shape
    base, ld, col = rows_of(gate) if gate is not None else (None, heads * dv, 0)
    o_all, step = steps_of(o)
    out, rs = o.new_empty(batch, length, heads * dv), o.new_empty(batch, heads, length)
    _module().delta_out_forward(_np(o_all), _np(base), _np(sg), _np(weight.contiguous()), float(eps), _np(out),
                                _np(rs), batch, length, heads, dv, ld, col, step, torch.get_num_threads())
    return out, rs


def delta_out_backward(dn: Tensor, o: Tensor, gate: Tensor | None, sg: Tensor | None, weight: Tensor,
                       rs: Tensor) -> tuple[Tensor, Tensor | None, Tensor]:
    """The gradients of :func:`delta_out_forward` from dn (B, L, H V): those of o, the gate (or None), the weight."""
    batch, heads, length, dv = o.shape
    base, ld, col = rows_of(gate) if gate is not None else (None, heads * dv, 0)
    o_all, step = steps_of(o)
    dO, dw = o.new_empty(o.shape), weight.new_empty(dv)
    dgate = o.new_empty(batch, length, heads * dv) if gate is not None else None
    _module().delta_out_backward(_np(dn.contiguous()), _np(o_all), _np(base), _np(sg), _np(weight.contiguous()), _np(rs),
                                 _np(dO), _np(dgate), _np(dw), batch, length, heads, dv, ld, col, step,
                                 torch.get_num_threads())
    return dO, dgate, dw
