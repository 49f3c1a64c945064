"""The compiled recurrences (models/compiled.py, the C extension _crec) against the sequential references.

Outputs, last states and gradients: float64 on the generic C path (exact to
rounding, and torch's gradcheck), float32 on both the AVX2 path and the
generic one against the float64 reference; the models with backend
"compiled" against "torch". Skipped where the extension is not built.
"""

from __future__ import annotations

import pytest
import torch

from automata_probe.models import ModelConfig, build_model, compiled
from automata_probe.models.linear_rnn import delta_rule_ref, expand_householders, ssd_ref

pytestmark = pytest.mark.skipif(not compiled.available(), reason="the compiled extension _crec is not built")


def _inputs(B=2, H=3, L=37, K=5, V=4, *, gated=True, h0=True, dtype=torch.float64, seed=0):
    g = torch.Generator().manual_seed(seed)
    q = torch.randn(B, H, L, K, generator=g, dtype=dtype)
    k = torch.nn.functional.normalize(torch.randn(B, H, L, K, generator=g, dtype=dtype), dim=-1)
    v = torch.randn(B, H, L, V, generator=g, dtype=dtype)
    beta = 2 * torch.rand(B, H, L, generator=g, dtype=dtype)  # up to 2: negative eigenvalues
    gate = -torch.rand(B, H, L, generator=g, dtype=dtype) if gated else None
    state = torch.randn(B, H, K, V, generator=g, dtype=dtype) if h0 else None
    return q, k, v, beta, gate, state


def _rel(a, b):
    a, b = a.detach(), b.detach()
    return float((a.double() - b.double()).abs().max() / b.double().abs().max().clamp(min=1e-12))


@pytest.mark.parametrize("gated", [True, False])
@pytest.mark.parametrize("length", [0, 1, 15, 16, 17, 37])
@pytest.mark.parametrize("h0", [True, False])
def test_delta_rule_is_the_reference_in_float64(gated, length, h0):
    x = _inputs(L=length, gated=gated, h0=h0)
    o_ref, h_ref = delta_rule_ref(*x)
    o, h = compiled.delta_rule_compiled(*x)
    torch.testing.assert_close(o, o_ref, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(h, h_ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("signed", [True, False])
def test_ssd_is_the_reference_in_float64(signed):
    q, k, v, _, _, h0 = _inputs(L=40, K=6, V=3)
    a = torch.rand(2, 3, 40, dtype=torch.float64)
    a = 2 * a - 1 if signed else a
    o_ref, h_ref = ssd_ref(q, k, v, a, h0)
    o, h = compiled.ssd_compiled(q, k, v, a, h0)
    torch.testing.assert_close(o, o_ref, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(h, h_ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("gated,h0", [(True, True), (False, True), (True, False)])
def test_delta_rule_gradcheck(gated, h0):
    """Every gradient (q, k, v, beta, the log decay, h0) exact in float64, across a block boundary (L 20 > 16)."""
    x = [t[:1, :2].clone().requires_grad_() if t is not None else None
         for t in _inputs(L=20, K=3, V=2, gated=gated, h0=h0)]
    leaves = [t for t in x if t is not None]

    def f(*ts):
        it = iter(ts)
        return compiled.delta_rule_compiled(*[next(it) if t is not None else None for t in x])

    assert torch.autograd.gradcheck(f, leaves)


def test_ssd_gradcheck_with_negative_decay():
    q, k, v, _, _, h0 = _inputs(B=1, H=2, L=19, K=3, V=2)
    a = 2 * torch.rand(1, 2, 19, dtype=torch.float64) - 1
    leaves = [t.clone().requires_grad_() for t in (q, k, v, a, h0)]
    assert torch.autograd.gradcheck(lambda *ts: compiled.ssd_compiled(*ts), leaves)


def _grads(fn, inputs, w_o, w_h):
    xs = [t.clone().requires_grad_() if t is not None else None for t in inputs]
    o, h = fn(*xs)
    loss = (o * w_o.to(o.dtype)).sum() + (h * w_h.to(h.dtype)).sum()
    return [o, h, *torch.autograd.grad(loss, [t for t in xs if t is not None])]


@pytest.mark.parametrize("K,V", [(16, 16), (16, 32), (8, 8), (16, 64), (24, 8), (5, 4)])
@pytest.mark.parametrize("gated", [True, False])
def test_float32_paths_agree_with_the_float64_reference(K, V, gated):
    """The AVX2 kernels (K a multiple of 8, V of 8 up to 64) and the generic C loops, outputs and gradients."""
    x = _inputs(L=37, K=K, V=V, gated=gated)
    w_o, w_h = torch.randn(2, 3, 37, V, dtype=torch.float64), torch.randn(2, 3, K, V, dtype=torch.float64)
    ref = _grads(delta_rule_ref, x, w_o, w_h)
    x32 = [t.float() if t is not None else None for t in x]
    module = compiled._module()
    had = module.avx2()
    try:
        for avx in ([True, False] if had else [False]):
            module.set_avx2(avx)
            got = _grads(compiled.delta_rule_compiled, x32, w_o, w_h)
            for a, b in zip(got, ref):
                assert _rel(a, b) < 2e-5, (avx, _rel(a, b))  # float32 noise
    finally:
        module.set_avx2(had)


def test_threads_split_the_rows_without_changing_a_bit():
    x = [t.float() if t is not None else None for t in _inputs(B=4, H=3, L=33, K=16, V=16)]
    before = torch.get_num_threads()
    try:
        results = []
        for n in (1, 3):
            torch.set_num_threads(n)
            results.append(_grads(compiled.delta_rule_compiled, x, torch.ones(4, 3, 33, 16), torch.ones(4, 3, 16, 16)))
    finally:
        torch.set_num_threads(before)
    for a, b in zip(*results):
        assert torch.equal(a, b)


def test_deltaproduct_expansion_runs_compiled():
    q, k, v, beta, g, h0 = _inputs(L=12, K=4, V=3)
    n_h = 3
    k3 = torch.nn.functional.normalize(torch.randn(2, 3, 12 * n_h, 4, dtype=torch.float64), dim=-1)
    v3, b3 = torch.randn(2, 3, 12 * n_h, 3, dtype=torch.float64), 2 * torch.rand(2, 3, 12 * n_h, dtype=torch.float64)
    args = expand_householders(q, k3, v3, b3, g, n_h)
    o_ref, h_ref = delta_rule_ref(*args, h0)
    o, h = compiled.delta_rule_compiled(*args, h0)
    torch.testing.assert_close(o, o_ref)
    torch.testing.assert_close(h, h_ref)


def test_only_one_output_used_and_states_refused():
    q, k, v, beta, g, h0 = (t.requires_grad_() for t in _inputs(L=9))
    o, h = compiled.delta_rule_compiled(q, k, v, beta, g, h0)
    (gq,) = torch.autograd.grad(h.sum(), [q])  # q reads the state but does not write it
    assert gq.abs().max() == 0
    o, h = compiled.delta_rule_compiled(q, k, v, beta, g, h0)
    (gv,) = torch.autograd.grad(o.sum(), [v])
    assert gv.abs().max() > 0
    with pytest.raises(ValueError, match="last state only"):
        compiled.delta_rule_compiled(q, k, v, beta, g, h0, states=True)


def test_the_extension_checks_its_buffers():
    module = compiled._module()
    z = lambda *s: torch.zeros(*s).numpy()  # noqa: E731
    with pytest.raises(ValueError, match="k: 3 items, expected 4"):
        module.forward(z(4), z(3), z(4), None, None, None, z(4), z(1), z(1), True, 1, 4, 1, 1, 16, 1)
    with pytest.raises(TypeError, match="v: format d, expected f"):
        module.forward(z(4), z(4), torch.zeros(4, dtype=torch.float64).numpy(), None, None, None, z(4), z(1), z(1),
                       True, 1, 4, 1, 1, 16, 1)
    with pytest.raises(ValueError, match="sizes"):
        module.forward(z(4), z(4), z(4), None, None, None, z(4), z(1), z(1), True, 1, 4, 0, 1, 16, 1)


def test_pure_python_switch_turns_it_off(monkeypatch):
    monkeypatch.setenv("AUTOMATA_PROBE_PURE_PYTHON", "1")
    assert not compiled.available()
    monkeypatch.delenv("AUTOMATA_PROBE_PURE_PYTHON")
    assert compiled.available(torch.zeros(1)) and not compiled.available(torch.zeros(1, dtype=torch.bfloat16))


@pytest.mark.parametrize("arch,extra", [
    ("mamba2", dict(negative_eigenvalues=True)), ("mamba2", {}), ("deltanet", dict(negative_eigenvalues=True)),
    ("gated-deltanet", {}), ("deltaproduct", dict(householders=2, negative_eigenvalues=True)),
])
def test_models_compiled_and_torch_agree(arch, extra):
    """The whole model, backend "compiled" against "torch": outputs, every parameter's gradient, the state after a
    prefix that stops early in some rows (the freeze path)."""
    config = ModelConfig(arch=arch, vocab_size=5, n_outputs=4, d_model=32, n_layers=2, n_heads=2, d_state=16, **extra)
    tokens = torch.randint(0, 5, (3, 21), generator=torch.Generator().manual_seed(1))
    results = []
    for backend in ("torch", "compiled"):
        model = build_model(config, seed=0)
        model.set_backend(backend)
        out = model(tokens)
        grads = torch.autograd.grad(out.pow(2).sum(), list(model.parameters()))
        with torch.no_grad():
            state = model.forward_state(tokens, lengths=torch.tensor([21, 5, 12])).state.tensors
        results.append((out, grads, state))
    (o1, g1, s1), (o2, g2, s2) = results
    assert _rel(o2, o1) < 1e-5
    for a, b in zip(g2, g1):
        assert _rel(a, b) < 1e-4
    for name in s1:
        assert _rel(s2[name], s1[name]) < 1e-5, name


def _conv_reference(x, wt, bias, hist):
    """The causal depthwise convolution, the textbook way (zero or ``hist`` padding, then the taps)."""
    width, length = wt.shape[0], x.shape[1]
    pad = hist if hist is not None else x.new_zeros(x.shape[0], width - 1, x.shape[2])
    xp = torch.cat([pad, x], 1)
    out = sum(wt[k] * xp[:, k : k + length] for k in range(width))
    return out + bias if bias is not None else out


@pytest.mark.parametrize("history", [True, False])
def test_conv_in_float32_against_float64(history):
    """The compiled convolution, values and gradients (taps, bias, history), float32 against float64."""
    g = torch.Generator().manual_seed(4)
    x = 3 * torch.randn(3, 20, 37, generator=g, dtype=torch.float64)
    wt, bias = torch.randn(4, 37, generator=g, dtype=torch.float64), torch.randn(37, generator=g, dtype=torch.float64)
    hist = torch.randn(3, 3, 37, generator=g, dtype=torch.float64) if history else None
    dy = torch.randn(3, 20, 37, generator=g, dtype=torch.float64)
    leaves = [t.clone().requires_grad_() for t in (x, wt, bias)] + ([hist.clone().requires_grad_()] if history else [])
    pre_ref = _conv_reference(leaves[0], leaves[1], leaves[2], leaves[3] if history else None)
    grads_ref = torch.autograd.grad(pre_ref, leaves, dy)
    f = lambda t: None if t is None else t.float()  # noqa: E731
    pre, dx = torch.empty(3, 20, 37), torch.empty(3, 20, 37)
    compiled.conv_forward(f(x), f(wt), f(bias), f(hist), pre)
    dwt, dbias, dhist = compiled.conv_backward(f(dy), f(x), f(wt), f(hist), dx, bias=True)
    assert _rel(pre, pre_ref) < 1e-6
    for got, ref in zip([dx, dwt, dbias] + ([dhist] if history else []), grads_ref):
        assert _rel(got, ref) < 1e-5
