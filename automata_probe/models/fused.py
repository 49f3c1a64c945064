"""The training-step pieces of the Mamba-2 and DeltaNet-family mixers around the recurrence, fused.

Each mixer's work before its recurrence (input projection, short causal
convolution, SiLU, per-head L2 norms, gates, the SSM's dt x and decay) and
after it (D skip, per-head or gated RMSNorm) is one ``torch.autograd.Function``
here with its backward written out. At a CPU training step's sizes (batch 64,
64-256 tokens, 100-300 channels: each (B, L, C) tensor a few MB, more than a
core's L2 cache) an elementwise pass costs about what it moves through
memory, so the point is fewer passes and fewer fresh tensors:

* the projection's parts are written once, contiguous (the convolved part
  apart from the gates: a pass over a strided column slice measured up to 2x
  slower), and its gradient is assembled by hand (no split / cat / zero-filled
  slice gradients in autograd);
* the convolution starts from zeros or a given history directly (no
  concatenated copy of the input) and runs over blocks of whole sequences
  (:func:`_row_blocks`);
* the recurrence's inputs are written straight into the (B, H, L, *) layout
  it reads, the norms computed in place there.

Measured at ``benchmarks/bench_arch.py``'s sizes (1 thread, batch 64, d_model
64, 2 layers), both versions' models stepped in one process: a whole training
step takes 7-18% less CPU time at L = 64 and 15-26% less at L = 256 than with
the autograd composition it replaces.

The layers' parameters are untouched (same names, shapes and numbers); the
functions compute what :class:`.delta_net.DeltaMixer` and
:class:`.mamba2.Mamba2Mixer` wrote with plain PyTorch operations, which
``tests/models/test_fused.py`` checks against the formulas, gradients by
float64 gradcheck.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.autograd.function import once_differentiable

from . import compiled

__all__ = ["BLOCK_BYTES", "DeltaSpec", "delta_inputs", "delta_outputs", "SSDSpec", "ssd_inputs", "ssd_outputs"]

#: Target size of one (rows, L, C) block of the convolution's passes: inside a core's L2 cache (1-2 MB on
#: current x86 server cores) with its operands. Whole-batch passes and 256 KB - 1 MB blocks measured within
#: 2-4% of each other at the benchmark's sizes (smaller blocks: more Python per op, larger: more memory traffic).
BLOCK_BYTES = 1 << 19


def _row_blocks(batch: int, row_bytes: int) -> Iterator[slice]:
    """Slices of whole rows (sequences) of about :data:`BLOCK_BYTES` each."""
    step = max(1, BLOCK_BYTES // max(row_bytes, 1))
    for start in range(0, batch, step):
        yield slice(start, min(start + step, batch))


# --------------------------------------------------------------------------- causal depthwise convolution
def _conv_forward(x: Tensor, wt: Tensor, bias: Tensor | None, hist: Tensor | None, out: Tensor) -> None:
    """``out[:, t] = bias + sum_k wt[k] x[:, t - s_k]`` (s_k = W - 1 - k) over rows of (rows, L, C).

    Inputs before t = 0 come from ``hist`` (rows, W - 1, C), the W - 1 latest
    earlier inputs, or are zero (``hist`` None).
    """
    width, length = wt.shape[0], x.shape[1]
    torch.mul(x, wt[width - 1], out=out)  # s = 0
    for s in range(1, width):
        k, n = width - 1 - s, max(length - s, 0)
        out[:, s:].addcmul_(x[:, :n], wt[k])
        if hist is not None:
            m = min(s, length)
            out[:, :m].addcmul_(hist[:, width - 1 - s : width - 1 - s + m], wt[k])
    if bias is not None:
        out += bias


def _conv_backward(dy: Tensor, x: Tensor, wt: Tensor, hist: Tensor | None, dx: Tensor, dwt: Tensor,
                   dhist: Tensor | None, scratch: Tensor, *, accumulate: bool = False) -> None:
    """Gradients of :func:`_conv_forward` for one block: ``dx`` written (added to with ``accumulate``), ``dwt``
    (W, C) and ``dhist`` added to.

    ``scratch`` (at least rows * L * C elements) holds each tap's products
    dy * x, contiguous, before they are summed into the tap's weight
    gradient (a sum over a sliced, non-contiguous product measured 5x slower).
    """
    width, length = wt.shape[0], x.shape[1]
    if accumulate:
        dx.addcmul_(dy, wt[width - 1])
    else:
        torch.mul(dy, wt[width - 1], out=dx)
    for s in range(width):
        k, n = width - 1 - s, max(length - s, 0)
        if s:
            dx[:, :n].addcmul_(dy[:, s:], wt[k])
        dwt[k] += torch.mul(dy[:, s:], x[:, :n], out=_prefix(scratch, (x.shape[0], n, x.shape[2]))).sum((0, 1))
        if hist is not None and s:
            m, h0 = min(s, length), width - 1 - s
            dhist[:, h0 : h0 + m].addcmul_(dy[:, :m], wt[k])
            dwt[k] += torch.mul(dy[:, :m], hist[:, h0 : h0 + m], out=_prefix(scratch, dhist[:, :m].shape)).sum((0, 1))


def _prefix(buffer: Tensor, shape: tuple[int, ...] | torch.Size) -> Tensor:
    """The first elements of a contiguous ``buffer`` as a contiguous tensor of ``shape``."""
    return buffer.view(-1)[: int(torch.Size(shape).numel())].view(shape)


def _compiled(*tensors: Tensor) -> bool:
    """Whether the compiled convolution takes these tensors (CPU float32/64, contiguous, the extension built)."""
    return compiled.available(*tensors) and all(t.is_contiguous() for t in tensors)


def _conv_silu(x: Tensor, wt: Tensor, bias: Tensor | None, hist: Tensor | None, out: Tensor) -> Tensor:
    """:func:`_conv_forward` over (B, L, C) into ``out``, and returns ``silu(out)``: the convolution compiled (one
    pass, :func:`.compiled.conv_forward`) where it runs, else in blocks of rows (:func:`_row_blocks`)."""
    if _compiled(x, wt, out):
        compiled.conv_forward(x, wt, bias, hist, out)
    else:
        for rows in _row_blocks(x.shape[0], x[0].numel() * x.element_size()):
            _conv_forward(x[rows], wt, bias, None if hist is None else hist[rows], out[rows])
    return F.silu(out)


def _conv_grads(dy: Tensor, x: Tensor, wt: Tensor, hist: Tensor | None, dx: Tensor, dwt: Tensor,
                dhist: Tensor | None, *, pre: Tensor | None = None, accumulate: bool = False,
                bias: bool = False) -> Tensor | None:
    """:func:`_conv_backward` over (B, L, C): compiled (:func:`.compiled.conv_backward`) where it runs, else in
    blocks of rows with one scratch block for all. With ``pre`` (the convolution's output), ``dy`` is the
    gradient of ``silu(pre)``, overwritten with the output's. With ``bias`` returns the bias's gradient."""
    if pre is not None:
        _silu_backward_(dy, pre)
    if _compiled(dy, x, wt, dx):
        d_wt, d_bias, d_hist = compiled.conv_backward(dy, x, wt, hist, dx, accumulate=accumulate, bias=bias)
        dwt += d_wt
        if dhist is not None:
            dhist += d_hist
        return d_bias
    scratch = None
    for rows in _row_blocks(x.shape[0], x[0].numel() * x.element_size()):
        scratch = x.new_empty(x[rows].shape) if scratch is None else scratch
        _conv_backward(dy[rows], x[rows], wt, None if hist is None else hist[rows], dx[rows], dwt,
                       None if dhist is None else dhist[rows], scratch, accumulate=accumulate)
    return dy.sum((0, 1)) if bias else None


def _silu_backward_(grad: Tensor, pre: Tensor) -> Tensor:
    """``grad * silu'(pre)``, written over ``grad``."""
    return torch.ops.aten.silu_backward.grad_input(grad, pre, grad_input=grad)


# --------------------------------------------------------------------------- DeltaNet family: inputs
@dataclass(frozen=True)
class DeltaSpec:
    """Sizes and switches of a :class:`.delta_net.DeltaMixer` (H heads, K key and V value dims, n_h steps)."""

    heads: int
    head_k: int
    head_v: int
    householders: int
    negative: bool
    gated: bool
    output_gate: bool
    eps: float = 1e-6

    @property
    def conv_channels(self) -> int:
        """C = H K + n_h H (K + V): the convolved q, k, v projections."""
        return self.heads * self.head_k + self.householders * self.heads * (self.head_k + self.head_v)

    def sizes(self) -> list[int]:
        """Widths of the projection's parts: q k v (convolved), b, then a and g when present."""
        h = self.heads
        return [self.conv_channels, self.householders * h] + [h] * self.gated + [h * self.head_v] * self.output_gate


def delta_inputs(h: Tensor, weight: Tensor, wt: Tensor, hist: Tensor | None, A_log: Tensor | None,
                 dt_bias: Tensor | None, spec: DeltaSpec) -> tuple[Tensor | None, ...]:
    """A DeltaMixer's input side: projection, convolution, SiLU, L2 norms, beta, decay, output gate.

    Parameters
    ----------
    h : Tensor (B, L, D)
        The normalized hidden states.
    weight : Tensor (P, D)
        The input projections q, k, v, b (, a) (, g) stacked (:meth:`DeltaSpec.sizes`).
    wt : Tensor (W, C) or None
        The q, k, v convolutions' taps, one row per tap (None: no convolution).
    hist : Tensor (B, W - 1, C) or None
        The W - 1 projected inputs before the first token (None: zeros).
    A_log, dt_bias : Tensor (H,) or None
        The decay's parameters (gated models).
    spec : DeltaSpec

    Returns
    -------
    q : Tensor (B, H, L, K), normalized and scaled by K^-1/2
    k : Tensor (B, H, L n_h, K), normalized
    v : Tensor (B, H, L n_h, V)
    beta : Tensor (B, H, L n_h)
    g : Tensor (B, H, L) or None, the log decay
    gate : Tensor (B, L, H V) or None, the output gate before its SiLU
    raw : Tensor (B, L, C), the projected inputs before the convolution (the convolution's next window)
    """
    return _DeltaInputs.apply(h, weight, wt, hist, A_log, dt_bias, spec)


def _heads_views(t: Tensor, spec: DeltaSpec) -> tuple[Tensor, Tensor, Tensor]:
    """(rows, L, C) -> its q (rows, H, L, K), k (rows, H, L, n_h, K), v (rows, H, L, n_h, V) parts, as views."""
    h, dk, dv, n_h = spec.heads, spec.head_k, spec.head_v, spec.householders
    q, k, v = torch.split(t, [h * dk, n_h * h * dk, n_h * h * dv], -1)
    return (q.unflatten(-1, (h, dk)).transpose(1, 2), k.unflatten(-1, (n_h, h, dk)).permute(0, 3, 1, 2, 4),
            v.unflatten(-1, (n_h, h, dv)).permute(0, 3, 1, 2, 4))


def _l2norm_(x: Tensor, r: Tensor, scale: float, eps: float) -> None:
    """``x <- scale x / sqrt(|x|^2 + eps)`` over the last dimension, the factor written into ``r`` (..., 1)."""
    torch.linalg.vector_norm(x, dim=-1, keepdim=True, out=r)
    r.square_().add_(eps).rsqrt_()
    if scale != 1.0:
        r.mul_(scale)
    x.mul_(r)


def _l2norm_backward(dy: Tensor, y: Tensor, r: Tensor, out: Tensor, inv_scale2: float) -> Tensor:
    """``r (dy - y (y . dy) / scale^2)`` into ``out``: the gradient of :func:`_l2norm_` from its output y."""
    dot = torch.linalg.vecdot(dy, y).unsqueeze_(-1).mul_(-inv_scale2)
    return torch.addcmul(dy, y, dot, out=out).mul_(r)


class _DeltaInputs(torch.autograd.Function):
    """:func:`delta_inputs`. The convolution's input (raw), its output before SiLU (pre) and q, k, v are
    contiguous; the convolution runs over blocks of rows (:func:`_row_blocks`), the rest over the whole batch
    (blocks for every pass measured no faster: the Python per op ate the cache's gain)."""

    @staticmethod
    def forward(ctx, h, weight, wt, hist, A_log, dt_bias, spec):  # type: ignore[override]
        ctx.set_materialize_grads(False)
        batch, length, _ = h.shape
        c, n_h, heads = spec.conv_channels, spec.householders, spec.heads
        raw, rest = F.linear(h, weight[:c]), F.linear(h, weight[c:])  # (B, L, C), (B, L, P - C)
        pre = torch.empty_like(raw) if wt is not None else raw  # the convolution's output, before SiLU
        q = raw.new_empty(batch, heads, length, spec.head_k)
        k = raw.new_empty(batch, heads, length, n_h, spec.head_k)
        v = raw.new_empty(batch, heads, length, n_h, spec.head_v)
        rq, rk = q.new_empty(*q.shape[:-1], 1), k.new_empty(*k.shape[:-1], 1)
        act = _conv_silu(raw, wt, None, hist, pre) if wt is not None else F.silu(raw)
        sq, sk, sv = _heads_views(act, spec)
        q.copy_(sq)
        k.copy_(sk)
        v.copy_(sv)
        _l2norm_(q, rq, spec.head_k ** -0.5, spec.eps)
        _l2norm_(k, rk, 1.0, spec.eps)
        beta, g, gate, a = _DeltaInputs._gates(rest, A_log, dt_bias, spec)
        ctx.spec = spec
        ctx.save_for_backward(h, weight, wt, hist, A_log, raw, pre, q, k, rq, rk, beta, g, a)
        return q, k.flatten(2, 3), v.flatten(2, 3), beta, g, gate, raw

    @staticmethod
    def _gates(rest: Tensor, A_log: Tensor | None, dt_bias: Tensor | None,
               spec: DeltaSpec) -> tuple[Tensor, Tensor | None, Tensor | None, Tensor | None]:
        """beta (B, H, L n_h), g (B, H, L), the gate (a view) and a + dt_bias (B, L, H) from the projection's rest."""
        n_h, heads = spec.householders, spec.heads
        b = rest[..., : n_h * heads].unflatten(-1, (n_h, heads))  # (B, L, n_h, H)
        beta = torch.sigmoid(b).permute(0, 3, 1, 2).reshape(b.shape[0], heads, -1)  # (B, H, L n_h)
        if spec.negative:
            beta.mul_(2)
        g = a = None
        if spec.gated:
            a = rest[..., n_h * heads : (n_h + 1) * heads] + dt_bias  # (B, L, H)
            g = (F.softplus(a) * -A_log.exp()).transpose(1, 2).contiguous()  # (B, H, L)
        gate = rest[..., -heads * spec.head_v :] if spec.output_gate else None
        return beta, g, gate, a

    @staticmethod
    @once_differentiable
    def backward(ctx, dq, dk, dv, dbeta, dg, dgate, draw):  # type: ignore[override]
        h, weight, wt, hist, A_log, raw, pre, q, k, rq, rk, beta, g, a = ctx.saved_tensors
        spec = ctx.spec
        c = spec.conv_channels
        dwt = torch.zeros_like(wt) if wt is not None else None
        dhist = torch.zeros_like(hist) if hist is not None else None
        dq, dk, dv = _DeltaInputs._head_grads(dq, dk, dv, q, k, spec)
        ds = torch.empty_like(pre)  # the gradient of SiLU's output, then of its input
        dsq, dsk, dsv = _heads_views(ds, spec)
        dsq.copy_(_l2norm_backward(dq, q, rq, torch.empty_like(q), spec.head_k))
        dsk.copy_(_l2norm_backward(dk, k, rk, torch.empty_like(k), 1.0))
        dsv.copy_(dv)
        if wt is None:
            _silu_backward_(ds, pre)
            draw_ = ds if draw is None else ds.add_(draw)
        else:  # ds is the gradient of silu(pre): the convolution's backward goes through the SiLU
            draw_ = torch.empty_like(raw) if draw is None else draw.clone(memory_format=torch.contiguous_format)
            _conv_grads(ds, raw, wt, hist, draw_, dwt, dhist, pre=pre, accumulate=draw is not None)
        drest = weight.new_empty(*h.shape[:2], weight.shape[0] - c)
        d_A_log, d_dt_bias = _DeltaInputs._gates_backward(drest, dbeta, dg, dgate, beta, g, a, A_log, spec)
        h2, draw2, drest2 = h.flatten(0, -2), draw_.flatten(0, -2), drest.flatten(0, -2)
        dh = torch.addmm(draw2 @ weight[:c], drest2, weight[c:]).view(h.shape)
        dweight = torch.cat([draw2.t() @ h2, drest2.t() @ h2])
        return dh, dweight, dwt, dhist, d_A_log, d_dt_bias, None

    @staticmethod
    def _head_grads(dq: Tensor | None, dk: Tensor | None, dv: Tensor | None, q: Tensor, k: Tensor,
                    spec: DeltaSpec) -> tuple[Tensor, Tensor, Tensor]:
        """The gradients of q, k, v in the layouts of q (B, H, L, K) and k (B, H, L, n_h, K), zeros where none."""
        v_shape = (*k.shape[:4], spec.head_v)
        return (_or_zeros(dq, q.shape, q), _or_zeros(dk, k.shape, q).view(k.shape),
                _or_zeros(dv, v_shape, q).view(v_shape))

    @staticmethod
    def _gates_backward(drest: Tensor, dbeta: Tensor | None, dg: Tensor | None, dgate: Tensor | None, beta: Tensor,
                        g: Tensor | None, a: Tensor | None, A_log: Tensor | None,
                        spec: DeltaSpec) -> tuple[Tensor | None, Tensor | None]:
        """``drest`` (the b, a and gate parts of the projection) written; the gradients of A_log and dt_bias."""
        n_h, heads = spec.householders, spec.heads
        length = drest.shape[1]
        db = drest[..., : n_h * heads].unflatten(-1, (n_h, heads)).permute(0, 3, 1, 2)  # (B, H, L, n_h)
        if dbeta is None:
            db.zero_()
        else:  # beta = m sigmoid(b): dbeta / db = beta (1 - beta / m)
            slope = beta - beta * beta * (0.5 if spec.negative else 1.0)
            torch.mul(dbeta.unflatten(2, (length, n_h)), slope.unflatten(2, (length, n_h)), out=db)
        d_A_log = d_dt_bias = None
        if spec.gated:
            da = drest[..., n_h * heads : (n_h + 1) * heads]  # (B, L, H)
            if dg is None:
                da.zero_()
                d_A_log, d_dt_bias = torch.zeros_like(A_log), torch.zeros_like(A_log)
            else:  # g = -exp(A_log) softplus(a): dg/da = -exp(A_log) sigmoid(a), dg/dA_log = g
                torch.mul(dg.transpose(1, 2), torch.sigmoid(a) * -A_log.exp(), out=da)
                d_A_log, d_dt_bias = (dg * g).sum((0, 2)), da.sum((0, 1))
        if spec.output_gate:
            gate = drest[..., -heads * spec.head_v :]
            gate.zero_() if dgate is None else gate.copy_(dgate)
        return d_A_log, d_dt_bias


def _or_zeros(grad: Tensor | None, shape: tuple[int, ...], like: Tensor) -> Tensor:
    """``grad``, or zeros of ``shape`` (``like``'s dtype and device) where no gradient came."""
    return like.new_zeros(shape) if grad is None else grad


# --------------------------------------------------------------------------- DeltaNet family: outputs
def delta_outputs(o: Tensor, gate: Tensor | None, weight: Tensor, eps: float) -> Tensor:
    """A DeltaMixer's output side before ``o_proj``: each head's RMSNorm, times ``silu(gate)`` when gated.

    o (B, H, L, V) from the recurrence, gate (B, L, H V) or None, weight
    (V,) -> (B, L, H V).
    """
    return _DeltaOutputs.apply(o, gate, weight, eps)


class _DeltaOutputs(torch.autograd.Function):
    """:func:`delta_outputs`: compiled (one pass each way, :func:`.compiled.delta_out_forward`) where it runs,
    else the PyTorch passes below."""

    @staticmethod
    def forward(ctx, o, gate, weight, eps):  # type: ignore[override]
        ctx.compiled = (compiled.available(o, weight, gate) and compiled.steps_of(o) is not None
                        and (gate is None or compiled.rows_of(gate) is not None))
        if ctx.compiled:
            sg = torch.sigmoid(gate) if gate is not None else None
            out, rs = compiled.delta_out_forward(o, gate, sg, weight, eps)
            ctx.save_for_backward(o, gate, sg, weight, rs)
            return out
        batch, heads, length, dv = o.shape
        r = torch.linalg.vector_norm(o, dim=-1, keepdim=True).square_().div_(dv).add_(eps).rsqrt_()  # (B, H, L, 1)
        ohat = (o * r).transpose(1, 2)  # (B, L, H, V), o's layout
        out = o.new_empty(batch, length, heads, dv)
        torch.mul(ohat, weight, out=out)
        sg = None
        if gate is not None:
            sg = F.silu(gate).unflatten(-1, (heads, dv))
            out.mul_(sg)
        ctx.save_for_backward(ohat, r, gate, sg, weight)
        return out.flatten(-2)

    @staticmethod
    @once_differentiable
    def backward(ctx, dn):  # type: ignore[override]
        if ctx.compiled:
            o, gate, sg, weight, rs = ctx.saved_tensors
            do, dgate, dweight = compiled.delta_out_backward(dn, o, gate, sg, weight, rs)
            return do, dgate, dweight, None
        ohat, r, gate, sg, weight = ctx.saved_tensors
        dn = dn.unflatten(-1, ohat.shape[-2:])  # (B, L, H, V)
        dgate = None
        if gate is not None:  # n = o^ w silu(gate)
            dgate = _silu_backward_((dn * ohat).mul_(weight).flatten(-2), gate)
            dn = dn * sg
        dweight = (dn * ohat).flatten(0, -2).sum(0)
        g = (dn * weight).transpose(1, 2)  # (B, H, L, V)
        oh = ohat.transpose(1, 2)
        mean = torch.linalg.vecdot(g, oh).unsqueeze_(-1).div_(-oh.shape[-1])
        return torch.addcmul(g, oh, mean).mul_(r), dgate, dweight, None


# --------------------------------------------------------------------------- Mamba-2: inputs
@dataclass(frozen=True)
class SSDSpec:
    """Sizes of a :class:`.mamba2.Mamba2Mixer`: E = H P inner width, N state size, H heads of P."""

    inner: int
    state: int
    heads: int
    negative: bool

    @property
    def head_dim(self) -> int:
        return self.inner // self.heads

    @property
    def conv_channels(self) -> int:
        """E + 2 N: the convolved x, B, C."""
        return self.inner + 2 * self.state


def ssd_inputs(h: Tensor, weight: Tensor, wt: Tensor, bias: Tensor, hist: Tensor | None, dt_bias: Tensor,
               A_log: Tensor, spec: SSDSpec) -> tuple[Tensor | None, ...]:
    """A Mamba2Mixer's input side: projection, convolution + SiLU of x B C, dt, decay, the SSM's values.

    Parameters
    ----------
    h : Tensor (B, L, D)
        The normalized hidden states.
    weight : Tensor (2 E + 2 N + H, D)
        ``in_proj.weight``: z, x B C, dt.
    wt : Tensor (W, E + 2 N)
        The convolution's taps, one row per tap; ``bias`` (E + 2 N,) its bias.
    hist : Tensor (B, W - 1, E + 2 N) or None
        The W - 1 projected inputs before the first token (None: zeros).
    dt_bias, A_log : Tensor (H,)
    spec : SSDSpec

    Returns
    -------
    z : Tensor (B, L, E), the gate
    x : Tensor (B, L, H, P)
    Bm, Cm : Tensor (B, L, N), the SSM's keys and queries (views)
    v : Tensor (B, H, L, P), dt x
    a : Tensor (B, H, L), the decay exp(dt A), or 2 exp(dt A) - 1 with negative eigenvalues
    log_a : Tensor (B, H, L) or None, log a (positive decay only)
    dt : Tensor (B, L, H), softplus(dt + dt_bias)
    raw : Tensor (B, L, E + 2 N), x B C before the convolution (the convolution's next window)
    """
    return _SSDInputs.apply(h, weight, wt, bias, hist, dt_bias, A_log, spec)


class _SSDInputs(torch.autograd.Function):
    @staticmethod
    def forward(ctx, h, weight, wt, bias, hist, dt_bias, A_log, spec):  # type: ignore[override]
        ctx.set_materialize_grads(False)
        batch, length, _ = h.shape
        e, n, heads, c = spec.inner, spec.state, spec.heads, spec.conv_channels
        z, raw, dt_raw = F.linear(h, weight[:e]), F.linear(h, weight[e : e + c]), F.linear(h, weight[e + c :])
        pre = torch.empty_like(raw)  # the convolution's output before SiLU
        act = _conv_silu(raw, wt, bias, hist, pre)
        x = act[..., :e].unflatten(-1, (heads, spec.head_dim))  # (B, L, H, P)
        dt = F.softplus(dt_raw + dt_bias)  # (B, L, H)
        v = torch.mul(x.transpose(1, 2), dt.transpose(1, 2)[..., None])  # (B, H, L, P)
        A = -A_log.exp()
        log_a = dt * A  # (B, L, H)
        decay = log_a.exp()
        a = (2 * decay - 1) if spec.negative else decay
        ctx.spec = spec
        ctx.save_for_backward(h, weight, wt, hist, raw, pre, act, dt_raw, dt_bias, dt, A, decay)
        return (z, x, act[..., e : e + n], act[..., e + n :], v.contiguous(), a.transpose(1, 2).contiguous(),
                None if spec.negative else log_a.transpose(1, 2).contiguous(), dt, raw)

    @staticmethod
    @once_differentiable
    def backward(ctx, dz, dx, dB, dC, dv, da, dlog_a, ddt, draw):  # type: ignore[override]
        h, weight, wt, hist, raw, pre, act, dt_raw, dt_bias, dt, A, decay = ctx.saved_tensors
        spec = ctx.spec
        e, n, c = spec.inner, spec.state, spec.conv_channels
        x = act[..., :e].unflatten(-1, (spec.heads, spec.head_dim))
        dact = torch.empty_like(act)
        dx_ = dact[..., :e].unflatten(-1, (spec.heads, spec.head_dim))  # (B, L, H, P)
        dt_ = torch.zeros_like(dt) if ddt is None else ddt.clone()  # (B, L, H)
        if dv is not None:  # v = dt x
            dvT = dv.transpose(1, 2)  # (B, L, H, P)
            torch.mul(dvT, dt[..., None], out=dx_)
            dt_ += torch.linalg.vecdot(dvT, x)
        else:
            dx_.zero_()
        if dx is not None:
            dx_ += dx
        for part, grad in ((dact[..., e : e + n], dB), (dact[..., e + n :], dC)):
            part.zero_() if grad is None else part.copy_(grad)
        d_A = _SSDInputs._decay_backward(dt_, da, dlog_a, dt, A, decay, spec.negative)
        du = dt_.mul_(torch.sigmoid(dt_raw + dt_bias))  # dt = softplus(u): dt/du = sigmoid(u)
        draw_, dwt, dbias, dhist = _SSDInputs._conv_backward(dact, pre, raw, wt, hist, draw)
        dz = torch.zeros_like(raw[..., :e]) if dz is None else dz
        h2 = h.flatten(0, -2)
        parts = [t.flatten(0, -2) for t in (dz, draw_, du)]
        dh = torch.addmm(torch.addmm(parts[0] @ weight[:e], parts[1], weight[e : e + c]), parts[2], weight[e + c :])
        dweight = torch.cat([p.t() @ h2 for p in parts])
        return dh.view(h.shape), dweight, dwt, dbias, dhist, du.sum((0, 1)), d_A * A, None

    @staticmethod
    def _decay_backward(ddt: Tensor, da: Tensor | None, dlog_a: Tensor | None, dt: Tensor, A: Tensor,
                        decay: Tensor, negative: bool) -> Tensor:
        """Adds the decay's share to ``ddt`` (B, L, H) in place; returns the gradient of A (H,)."""
        d_lin = torch.zeros_like(dt)  # gradient of dt A
        if da is not None:  # a = exp(dt A), or 2 exp(dt A) - 1
            d_lin.addcmul_(da.transpose(1, 2), decay, value=2.0 if negative else 1.0)
        if dlog_a is not None:
            d_lin += dlog_a.transpose(1, 2)
        ddt.addcmul_(d_lin, A)
        return (d_lin * dt).sum((0, 1))

    @staticmethod
    def _conv_backward(dact: Tensor, pre: Tensor, raw: Tensor, wt: Tensor, hist: Tensor | None,
                       draw: Tensor | None) -> tuple[Tensor, Tensor, Tensor, Tensor | None]:
        """Through the SiLU and the convolution (``dact`` the gradient of silu(pre), used as scratch): the
        gradients of raw, the taps, the bias and the history."""
        dwt = torch.zeros_like(wt)
        dhist = torch.zeros_like(hist) if hist is not None else None
        draw_ = torch.empty_like(raw) if draw is None else draw.clone(memory_format=torch.contiguous_format)
        dbias = _conv_grads(dact, raw, wt, hist, draw_, dwt, dhist, pre=pre, accumulate=draw is not None, bias=True)
        return draw_, dwt, dbias, dhist


# --------------------------------------------------------------------------- Mamba-2: outputs
def ssd_outputs(o: Tensor, x: Tensor, z: Tensor, D: Tensor, weight: Tensor, eps: float) -> Tensor:
    """A Mamba2Mixer's output side before ``out_proj``: ``rmsnorm((o + D x) silu(z)) * weight``.

    o (B, H, L, P) from the SSM, x (B, L, H, P), z (B, L, E), D (H,),
    weight (E,) -> (B, L, E).
    """
    return _SSDOutputs.apply(o, x, z, D, weight, eps)


class _SSDOutputs(torch.autograd.Function):
    """:func:`ssd_outputs`: compiled (one pass forward, one backward, :func:`.compiled.ssd_out_forward`) where it
    runs, else the PyTorch passes below."""

    @staticmethod
    def forward(ctx, o, x, z, D, weight, eps):  # type: ignore[override]
        ctx.compiled = _compiled(o, z, D, weight) and compiled.rows_of(x) is not None
        if ctx.compiled:
            sz = torch.sigmoid(z)
            out, rs = compiled.ssd_out_forward(o, x, z, sz, D, weight, eps)
            ctx.save_for_backward(o, x, z, sz, D, weight, rs)
            return out
        y = torch.addcmul(o.transpose(1, 2), x, D[:, None], out=x.new_empty(x.shape)).flatten(-2)  # (B, L, E): o + D x
        sz = F.silu(z)
        u = y * sz
        r = torch.linalg.vector_norm(u, dim=-1, keepdim=True).square_().div_(u.shape[-1]).add_(eps).rsqrt_()
        u.mul_(r)  # u^ = u r
        ctx.save_for_backward(x, z, D, weight, y, sz, u, r)
        return u * weight

    @staticmethod
    @once_differentiable
    def backward(ctx, dn):  # type: ignore[override]
        if ctx.compiled:
            o, x, z, sz, D, weight, rs = ctx.saved_tensors
            do, dx, dz, dD, dweight = compiled.ssd_out_backward(dn, o, x, z, sz, D, weight, rs)
            return do, dx, dz, dD, dweight, None
        x, z, D, weight, y, sz, uhat, r = ctx.saved_tensors
        g = dn * weight
        mean = torch.linalg.vecdot(g, uhat).unsqueeze_(-1).div_(-uhat.shape[-1])
        du = torch.addcmul(g, uhat, mean).mul_(r)  # r (g - u^ mean(g u^))
        dweight = (dn * uhat).flatten(0, -2).sum(0)
        dy = (du * sz).unflatten(-1, x.shape[-2:])  # (B, L, H, P)
        dz = _silu_backward_(du.mul_(y), z)
        dD = torch.linalg.vecdot(dy, x).sum((0, 1)) if ctx.needs_input_grad[3] else None
        return dy.transpose(1, 2), dy * D[:, None], dz, dD, dweight, None
