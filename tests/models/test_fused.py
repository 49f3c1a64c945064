"""The fused mixer pieces of models/fused.py: values against the plain formulas, gradients by gradcheck (float64)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from automata_probe.models import fused
from automata_probe.models.fused import DeltaSpec, SSDSpec, delta_inputs, delta_outputs, ssd_inputs, ssd_outputs

W = 4  # convolution width


@pytest.fixture(params=[1 << 30, 1, "compiled"], ids=["one-block", "row-blocks", "compiled-conv"])
def blocks(request, monkeypatch):
    """The convolution three ways: PyTorch with the whole batch as one block and with one row per block (the
    block loops' bookkeeping), and compiled (models/_crec.c, skipped where it is not built)."""
    if request.param == "compiled":
        if not fused.compiled.available():
            pytest.skip("the compiled extension _crec is not built")
        return
    monkeypatch.setattr(fused.compiled, "available", lambda *tensors: False)
    monkeypatch.setattr(fused, "BLOCK_BYTES", request.param)


def _rand(*shape, seed=0, scale=1.0):
    return (scale * torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
            ).requires_grad_()


def _conv(raw, wt, bias, hist):
    """Causal depthwise convolution, the textbook way: zero (or ``hist``) padding, then the taps."""
    batch, length, c = raw.shape
    pad = hist if hist is not None else raw.new_zeros(batch, W - 1, c)
    x = torch.cat([pad, raw], 1)
    out = sum(wt[k] * x[:, k : k + length] for k in range(W))
    return out + bias if bias is not None else out


def _delta_reference(h, weight, wt, hist, A_log, dt_bias, spec):
    """DeltaMixer's input side, written plainly: returns what :func:`delta_inputs` returns."""
    heads, dk, dv, n_h = spec.heads, spec.head_k, spec.head_v, spec.householders
    parts = torch.split(h @ weight.t(), spec.sizes(), -1)
    raw, b = parts[0], parts[1]
    act = F.silu(_conv(raw, wt, None, hist)) if wt is not None else F.silu(raw)
    q, k, v = torch.split(act, [heads * dk, n_h * heads * dk, n_h * heads * dv], -1)
    q = q.unflatten(-1, (heads, dk))
    q = q * torch.rsqrt(q.pow(2).sum(-1, keepdim=True) + spec.eps) * dk ** -0.5
    k = k.unflatten(-1, (n_h, heads, dk))
    k = k * torch.rsqrt(k.pow(2).sum(-1, keepdim=True) + spec.eps)
    v = v.unflatten(-1, (n_h, heads, dv))
    beta = torch.sigmoid(b).unflatten(-1, (n_h, heads)) * (2 if spec.negative else 1)
    g = -A_log.exp() * F.softplus(parts[2] + dt_bias) if spec.gated else None
    gate = parts[-1] if spec.output_gate else None
    return (q.transpose(1, 2), k.flatten(1, 2).transpose(1, 2), v.flatten(1, 2).transpose(1, 2),
            beta.flatten(1, 2).transpose(1, 2), None if g is None else g.transpose(1, 2), gate, raw)


DELTA_SPECS = [
    DeltaSpec(2, 3, 3, 1, negative=True, gated=False, output_gate=False),  # DeltaNet
    DeltaSpec(2, 3, 4, 1, negative=False, gated=True, output_gate=True),  # Gated DeltaNet, V != K
    DeltaSpec(2, 3, 3, 2, negative=True, gated=True, output_gate=True),  # DeltaProduct
]


@pytest.mark.parametrize("spec", DELTA_SPECS, ids=["deltanet", "gated", "product"])
@pytest.mark.parametrize("conv", ["zeros", "history", "none"])
def test_delta_inputs_are_the_formula_with_gradients(spec, conv, blocks):
    batch, length, d = 3, 6, 5
    c, p = spec.conv_channels, sum(spec.sizes())
    h, weight = _rand(batch, length, d, seed=1), _rand(p, d, seed=2, scale=0.5)
    wt = _rand(W, c, seed=3) if conv != "none" else None
    hist = _rand(batch, W - 1, c, seed=4) if conv == "history" else None
    A_log, dt_bias = (_rand(spec.heads, seed=5), _rand(spec.heads, seed=6)) if spec.gated else (None, None)
    inputs = (h, weight, wt, hist, A_log, dt_bias)
    got, want = delta_inputs(*inputs, spec), _delta_reference(*inputs, spec)
    for a, b in zip(got, want):
        assert (a is None) == (b is None)
        if a is not None:
            torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    leaves = [x for x in inputs if x is not None]
    assert torch.autograd.gradcheck(lambda *xs: _outputs_of(delta_inputs, xs, inputs, spec), leaves, fast_mode=True, atol=1e-8, rtol=1e-6)


def _outputs_of(fn, leaves, inputs, spec):
    """``fn`` on ``inputs`` with the non-None ones replaced by ``leaves``; its non-None outputs."""
    it = iter(leaves)
    args = [next(it) if x is not None else None for x in inputs]
    return tuple(o for o in fn(*args, spec) if o is not None)


def test_delta_inputs_without_some_gradients():
    """Outputs nobody reads (no gradient flows back) count as zero gradients."""
    spec = DELTA_SPECS[1]
    h, weight = _rand(2, 5, 4, seed=1), _rand(sum(spec.sizes()), 4, seed=2)
    wt, A_log, dt_bias = _rand(W, spec.conv_channels, seed=3), _rand(2, seed=5), _rand(2, seed=6)
    q, k, v, beta, g, gate, raw = delta_inputs(h, weight, wt, None, A_log, dt_bias, spec)
    grads = torch.autograd.grad(q.sum() + v.pow(2).sum(), [h, weight, A_log], allow_unused=True)
    ref = _delta_reference(h, weight, wt, None, A_log, dt_bias, spec)
    want = torch.autograd.grad(ref[0].sum() + ref[2].pow(2).sum(), [h, weight, A_log], allow_unused=True)
    torch.testing.assert_close(grads[0], want[0])
    torch.testing.assert_close(grads[1], want[1])
    assert grads[2] is None or float(grads[2].abs().max()) == 0.0


@pytest.mark.parametrize("gated", [False, True])
@pytest.mark.parametrize("n_h", [1, 2])
def test_delta_outputs_are_each_heads_rmsnorm_with_gradients(gated, n_h, path):
    """o as every n_h-th step of the recurrence's outputs (DeltaProduct), the gate as the last columns of the
    projection's rest (how the input side hands it over)."""
    batch, heads, length, dv = 2, 3, 5, 4
    o_all = _rand(batch, heads, length * n_h, dv, seed=1)
    gate = _rand(batch, length, heads * dv + 3, seed=2)[..., 3:] if gated else None
    weight = _rand(dv, seed=3)

    def ours(o_all, *rest):
        return delta_outputs(o_all[:, :, n_h - 1 :: n_h], rest[0] if gated else None, rest[-1], 1e-5)

    o = o_all[:, :, n_h - 1 :: n_h].transpose(1, 2)
    want = o * torch.rsqrt(o.pow(2).mean(-1, keepdim=True) + 1e-5) * weight
    if gated:
        want = want * F.silu(gate).unflatten(-1, (heads, dv))
    leaves = [o_all] + ([gate] if gated else []) + [weight]
    torch.testing.assert_close(ours(*leaves), want.flatten(-2))
    assert torch.autograd.gradcheck(ours, leaves, fast_mode=True, atol=1e-8, rtol=1e-6)


def _ssd_reference(h, weight, wt, bias, hist, dt_bias, A_log, spec):
    e, n, heads = spec.inner, spec.state, spec.heads
    z, raw, dt = torch.split(h @ weight.t(), [e, spec.conv_channels, heads], -1)
    x, B, C = torch.split(F.silu(_conv(raw, wt, bias, hist)), [e, n, n], -1)
    x = x.unflatten(-1, (heads, spec.head_dim))
    dt = F.softplus(dt + dt_bias)
    log_a = dt * -A_log.exp()
    a = 2 * log_a.exp() - 1 if spec.negative else log_a.exp()
    v = (dt[..., None] * x).transpose(1, 2)
    return (z, x, B, C, v, a.transpose(1, 2), None if spec.negative else log_a.transpose(1, 2), dt, raw)


@pytest.mark.parametrize("negative", [False, True])
@pytest.mark.parametrize("history", [False, True])
def test_ssd_inputs_are_the_formula_with_gradients(negative, history, blocks):
    spec = SSDSpec(inner=6, state=3, heads=2, negative=negative)
    batch, length, d, c = 3, 6, 4, spec.conv_channels
    inputs = (_rand(batch, length, d, seed=1), _rand(2 * spec.inner + 2 * spec.state + spec.heads, d, seed=2),
              _rand(W, c, seed=3), _rand(c, seed=4), _rand(batch, W - 1, c, seed=5) if history else None,
              _rand(spec.heads, seed=6), _rand(spec.heads, seed=7, scale=0.3))
    for a, b in zip(ssd_inputs(*inputs, spec), _ssd_reference(*inputs, spec)):
        assert (a is None) == (b is None)
        if a is not None:
            torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    leaves = [x for x in inputs if x is not None]
    assert torch.autograd.gradcheck(lambda *xs: _outputs_of(ssd_inputs, xs, inputs, spec), leaves, fast_mode=True, atol=1e-8, rtol=1e-6)


@pytest.fixture(params=["torch", "compiled"])
def path(request, monkeypatch):
    """The PyTorch passes, and the compiled kernels (models/_crec.c, skipped where they are not built)."""
    if request.param == "compiled":
        if not fused.compiled.available():
            pytest.skip("the compiled extension _crec is not built")
    else:
        monkeypatch.setattr(fused.compiled, "available", lambda *tensors: False)
    return request.param


@pytest.mark.parametrize("x_layout", ["contiguous", "columns"])
def test_ssd_outputs_are_the_gated_rmsnorm_with_gradients(path, x_layout):
    """x as its own tensor, and as the first columns of wider rows (how the input side hands it over)."""
    batch, heads, length, p = 2, 3, 4, 2
    o = _rand(batch, heads, length, p, seed=1)
    if x_layout == "columns":
        wide = _rand(batch, length, heads * p + 5, seed=2)
        x = wide[..., : heads * p].unflatten(-1, (heads, p))
    else:
        x = _rand(batch, length, heads, p, seed=2)
    z, D, weight = _rand(batch, length, heads * p, seed=3), _rand(heads, seed=4), _rand(heads * p, seed=5)
    u = (o.transpose(1, 2) + D[:, None] * x).flatten(-2) * F.silu(z)
    want = u * torch.rsqrt(u.pow(2).mean(-1, keepdim=True) + 1e-5) * weight
    torch.testing.assert_close(ssd_outputs(o, x, z, D, weight, 1e-5), want)
    assert torch.autograd.gradcheck(lambda *xs: ssd_outputs(*xs, 1e-5), (o, x, z, D, weight), fast_mode=True,
                                    atol=1e-8, rtol=1e-6)


def test_ssd_outputs_in_float32_against_float64(path):
    """float32 (the compiled path's own exp) against float64, values and gradients, with gates far past exp's
    range."""
    batch, heads, length, p = 3, 4, 9, 8
    o, x = _rand(batch, heads, length, p, seed=1), _rand(batch, length, heads, p, seed=2)
    z, D, weight = _rand(batch, length, heads * p, seed=3, scale=5.0), _rand(heads, seed=4), _rand(heads * p, seed=5)
    with torch.no_grad():
        z[0, 0] = torch.linspace(-200, 200, heads * p, dtype=torch.float64)
    dn = torch.randn(batch, length, heads * p, dtype=torch.float64)
    results = []
    for dtype in (torch.float64, torch.float32):
        xs = [t.detach().to(dtype).requires_grad_() for t in (o, x, z, D, weight)]
        out = ssd_outputs(*xs, 1e-5)
        results.append([out, *torch.autograd.grad(out, xs, dn.to(dtype))])
    for want, got in zip(*results):
        assert float((got.detach().double() - want.detach()).abs().max() / want.detach().abs().max()) < 1e-5
