"""The chunked recurrences of models/linear_rnn.py against their sequential references: outputs, states, gradients."""

from __future__ import annotations

import pytest
import torch

from automata_probe.models.linear_rnn import (
    delta_rule_chunked,
    delta_rule_ref,
    expand_householders,
    ssd_chunked,
    ssd_ref,
    unit_lower_inverse,
)


def _delta_inputs(dtype=torch.float64, length=37, gated=True, beta_max=2.0, seed=0):
    g = torch.Generator().manual_seed(seed)
    B, H, K, V = 2, 3, 5, 4
    q = torch.randn(B, H, length, K, generator=g, dtype=dtype)
    k = torch.nn.functional.normalize(torch.randn(B, H, length, K, generator=g, dtype=dtype), dim=-1)
    v = torch.randn(B, H, length, V, generator=g, dtype=dtype)
    beta = beta_max * torch.rand(B, H, length, generator=g, dtype=dtype)
    gate = -torch.rand(B, H, length, generator=g, dtype=dtype) if gated else None
    h0 = torch.randn(B, H, K, V, generator=g, dtype=dtype)
    return q, k, v, beta, gate, h0


def _rel(a, b):
    return float((a - b).abs().max() / b.abs().max().clamp(min=1e-12))


@pytest.mark.parametrize("gated", [False, True])
@pytest.mark.parametrize("length,chunk", [(37, 8), (16, 16), (5, 32), (1, 4)])
def test_delta_rule_chunked_is_the_reference(gated, length, chunk):
    q, k, v, beta, g, h0 = _delta_inputs(length=length, gated=gated)
    o_ref, h_ref = delta_rule_ref(q, k, v, beta, g, h0)
    o, h = delta_rule_chunked(q, k, v, beta, g, h0, chunk=chunk)
    torch.testing.assert_close(o, o_ref, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(h, h_ref, rtol=1e-10, atol=1e-10)
    _, s_ref = delta_rule_ref(q, k, v, beta, g, h0, states=True)
    _, s = delta_rule_chunked(q, k, v, beta, g, h0, states=True, chunk=chunk)
    torch.testing.assert_close(s, s_ref, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(s[:, :, -1], h_ref)


@pytest.mark.parametrize("gated", [True, False])
def test_delta_rule_gradients_agree_in_float32(gated):
    inputs = [x.float().requires_grad_() if x is not None else None for x in _delta_inputs(length=50, gated=gated)]
    grads = []
    for op in (delta_rule_ref, lambda *a: delta_rule_chunked(*a, chunk=16)):
        o, h = op(*inputs)
        w = torch.linspace(-1, 1, o.numel()).reshape(o.shape)
        loss = (o * w).sum() + h.pow(2).sum()
        grads.append(torch.autograd.grad(loss, [x for x in inputs if x is not None]))
    for a, b in zip(*grads):
        assert _rel(a, b) < 1e-4  # float32 noise


@pytest.mark.parametrize("gated", [True, False])
@pytest.mark.parametrize("states", [False, True])
def test_delta_rule_chunked_gradcheck(gated, states):
    """Gradients of the chunked path (with and without every step's state) are exact, in float64."""
    inputs = [x[:1, :1].clone().requires_grad_() if x is not None else None
              for x in _delta_inputs(length=9, gated=gated)]  # one row, one head: gradcheck perturbs each entry
    leaves = [x for x in inputs if x is not None]

    def f(*xs):
        it = iter(xs)
        args = [next(it) if x is not None else None for x in inputs]
        return delta_rule_chunked(*args, chunk=4, states=states)

    assert torch.autograd.gradcheck(f, leaves)


def test_delta_rule_empty_and_no_initial_state():
    q, k, v, beta, g, _ = _delta_inputs(length=0)
    o, h = delta_rule_chunked(q, k, v, beta, g)
    assert o.shape == (2, 3, 0, 4) and h.abs().sum() == 0
    q, k, v, beta, g, _ = _delta_inputs(length=9)
    torch.testing.assert_close(delta_rule_chunked(q, k, v, beta, g)[0], delta_rule_ref(q, k, v, beta, g)[0])


def test_negative_eigenvalues_flip_the_state_along_the_key():
    """beta = 2, |k| = 1: the transition I - 2 k k^T is a reflection (eigenvalue -1 along k)."""
    k = torch.tensor([1.0, 0.0]).reshape(1, 1, 1, 2).expand(1, 1, 2, 2)
    h0 = torch.tensor([[3.0], [5.0]]).reshape(1, 1, 2, 1)
    v = torch.zeros(1, 1, 2, 1)
    _, h = delta_rule_ref(torch.zeros(1, 1, 2, 2), k, v, torch.full((1, 1, 2), 2.0), None, h0, states=True)
    assert h[0, 0, 0].flatten().tolist() == [-3.0, 5.0]  # one reflection
    assert h[0, 0, 1].flatten().tolist() == [3.0, 5.0]  # two: the identity (parity in one dimension)


def test_deltaproduct_expansion_is_a_product_of_householders():
    """n_h steps per token with q read at the last one: the same as applying the n_h updates by hand."""
    g = torch.Generator().manual_seed(3)
    B, H, L, K, V, n = 1, 2, 6, 3, 2, 3
    q = torch.randn(B, H, L, K, generator=g, dtype=torch.float64)
    k = torch.nn.functional.normalize(torch.randn(B, H, L * n, K, generator=g, dtype=torch.float64), dim=-1)
    v = torch.randn(B, H, L * n, V, generator=g, dtype=torch.float64)
    beta = 2 * torch.rand(B, H, L * n, generator=g, dtype=torch.float64)
    gate = -torch.rand(B, H, L, generator=g, dtype=torch.float64)
    qe, ke, ve, be, ge = expand_householders(q, k, v, beta, gate, n)
    o = delta_rule_chunked(qe, ke, ve, be, ge, chunk=4)[0][:, :, n - 1 :: n]
    h = torch.zeros(B, H, K, V, dtype=torch.float64)
    want = []
    for t in range(L):
        h = h * gate[:, :, t].exp()[..., None, None]
        for j in range(n):
            kj, vj, bj = k[:, :, t * n + j], v[:, :, t * n + j], beta[:, :, t * n + j]
            eye = torch.eye(K, dtype=torch.float64)
            h = (eye - bj[..., None, None] * kj[..., :, None] * kj[..., None, :]) @ h \
                + bj[..., None, None] * kj[..., :, None] * vj[..., None, :]
        want.append(torch.einsum("bhkv,bhk->bhv", h, q[:, :, t]))
    torch.testing.assert_close(o, torch.stack(want, 2))


@pytest.mark.parametrize("signed", [False, True])
@pytest.mark.parametrize("length,chunk", [(37, 8), (3, 32)])
def test_ssd_chunked_is_the_reference(signed, length, chunk):
    q, k, v, _, _, h0 = _delta_inputs(length=length)
    g = torch.Generator().manual_seed(1)
    a = torch.rand(2, 3, length, generator=g, dtype=torch.float64) * (2 if signed else 1) - (1 if signed else 0)
    a = a.clamp(min=1e-3) if not signed else a
    log_a = None if signed else a.log()
    o_ref, h_ref = ssd_ref(q, k, v, a, h0)
    o, h = ssd_chunked(q, k, v, a, h0, log_a=log_a, chunk=chunk)
    torch.testing.assert_close(o, o_ref, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(h, h_ref, rtol=1e-9, atol=1e-9)
    _, s = ssd_chunked(q, k, v, a, h0, log_a=log_a, chunk=chunk, states=True)
    torch.testing.assert_close(s, ssd_ref(q, k, v, a, h0, states=True)[1], rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("signed", [False, True])
def test_ssd_gradients_agree_in_float32(signed):
    q, k, v, _, _, h0 = (x.float() if x is not None else None for x in _delta_inputs(length=45))
    dt = torch.rand(2, 3, 45, generator=torch.Generator().manual_seed(2))
    grads = []
    for chunked in (False, True):
        xs = [t.clone().requires_grad_() for t in (q, k, v, dt, h0)]
        log_a = -2.0 * xs[3]
        a = 2 * log_a.exp() - 1 if signed else log_a.exp()
        if chunked:
            o, h = ssd_chunked(xs[0], xs[1], xs[2], a, xs[4], log_a=None if signed else log_a, chunk=16)
        else:
            o, h = ssd_ref(xs[0], xs[1], xs[2], a, xs[4])
        loss = (o * torch.linspace(-1, 1, o.numel()).reshape(o.shape)).sum() + h.pow(2).sum()
        grads.append(torch.autograd.grad(loss, xs))
    for a, b in zip(*grads):
        assert _rel(a, b) < 1e-4


@pytest.mark.parametrize("length", [32, 37])
def test_ssd_chunked_with_keys_shared_by_the_heads(length):
    """Mamba-2 passes C and B expanded over the heads (stride 0); the chunked path then forms C B^T once."""
    g = torch.Generator().manual_seed(3)
    q1, k1 = torch.randn(2, 1, length, 4, generator=g), torch.randn(2, 1, length, 4, generator=g)
    v = torch.randn(2, 3, length, 5, generator=g)
    dt = torch.rand(2, 3, length, generator=g)
    grads = []
    for chunked in (False, True):
        xs = [t.clone().requires_grad_() for t in (q1, k1, v, dt)]
        q, k = xs[0].expand(-1, 3, -1, -1), xs[1].expand(-1, 3, -1, -1)
        assert q.stride(1) == 0
        a = 2 * (-xs[3]).exp() - 1
        o, h = ssd_chunked(q, k, xs[2], a, chunk=8) if chunked else ssd_ref(q, k, xs[2], a)
        grads.append((o.detach(), h.detach()) + torch.autograd.grad(o.square().sum() + h.square().sum(), xs))
    for a, b in zip(*grads):
        assert _rel(a, b) < 1e-5


def test_unit_lower_inverse_and_its_gradient():
    """T = (I + tril(M, -1))^-1: the upper triangle and diagonal of M are not read, its gradient is strictly lower."""
    g = torch.Generator().manual_seed(3)
    M = torch.randn(2, 3, 6, 6, generator=g, dtype=torch.float64, requires_grad=True)
    T = unit_lower_inverse(M)
    eye = torch.eye(6, dtype=torch.float64)
    torch.testing.assert_close(T @ (eye + M.detach().tril(-1)), eye.expand(2, 3, 6, 6))
    grad = torch.autograd.grad(T, M, torch.randn(T.shape, generator=g, dtype=torch.float64))[0]
    assert bool((grad.triu() == 0).all())
    expected = torch.autograd.grad(torch.linalg.inv(eye + M.tril(-1)), M,
                                   torch.randn(T.shape, generator=torch.Generator().manual_seed(4),
                                               dtype=torch.float64))[0]
    got = torch.autograd.grad(unit_lower_inverse(M), M,
                              torch.randn(T.shape, generator=torch.Generator().manual_seed(4), dtype=torch.float64))[0]
    torch.testing.assert_close(got, expected)
    assert torch.autograd.gradcheck(unit_lower_inverse, (M,))
