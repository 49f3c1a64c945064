"""Tests for automata_probe.models: scans, Mamba (weights, mambapy cross-check), LSTM, Transformer."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from automata_probe.errors import ModelError
from automata_probe.models.scan import (
    selective_scan,
    selective_scan_chunked_states,
    selective_scan_ref,
    selective_scan_states,
    transition,
)


def scan_inputs(b, length, e, n, seed, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)

    def r(*shape):
        return torch.randn(*shape, generator=g, dtype=dtype).requires_grad_()

    A = (-torch.rand(e, n, generator=g, dtype=dtype) * 2 - 0.05).requires_grad_()
    return dict(u=r(b, length, e), delta=r(b, length, e), A=A, B=r(b, length, n), C=r(b, length, n),
                D=r(e), z=r(b, length, e), delta_bias=r(e))


def run_scan(fn, inputs, grad_seed=1, softplus=True, **kw):
    """y and the gradients of <y, random> with respect to every input present (None: left out)."""
    args = [inputs.get(k) for k in ("u", "delta", "A", "B", "C", "D", "z")]
    y = fn(*args, delta_bias=inputs.get("delta_bias"), delta_softplus=softplus, **kw)
    gy = torch.randn(y.shape, generator=torch.Generator().manual_seed(grad_seed), dtype=y.dtype)
    grads = torch.autograd.grad(y, [v for v in inputs.values() if v is not None], gy)
    return y, grads


@settings(max_examples=30, deadline=None)
@given(
    b=st.integers(1, 5), length=st.integers(1, 40), e=st.integers(1, 6), n=st.integers(1, 5),
    chunk=st.integers(1, 17), block=st.integers(1, 4), negative=st.booleans(), seed=st.integers(0, 10**6),
    optional=st.sets(st.sampled_from(["D", "z", "delta_bias"])), softplus=st.booleans(),
)
def test_fast_scan_matches_reference_outputs_and_gradients(
    b, length, e, n, chunk, block, negative, seed, optional, softplus
):
    inputs = scan_inputs(b, length, e, n, seed)
    for name in ("D", "z", "delta_bias"):
        if name not in optional:
            inputs[name] = None
    if not softplus:  # keep delta (the step size) positive
        inputs["delta"] = inputs["delta"].detach().abs().requires_grad_()
    y_ref, g_ref = run_scan(selective_scan_ref, inputs, softplus=softplus, negative_eigenvalues=negative)
    y, g = run_scan(selective_scan, inputs, softplus=softplus, negative_eigenvalues=negative, chunk_size=chunk,
                    batch_block=block)
    torch.testing.assert_close(y, y_ref, rtol=1e-5, atol=1e-5)
    for name, a, r in zip([k for k, v in inputs.items() if v is not None], g, g_ref):
        torch.testing.assert_close(a, r, rtol=1e-5, atol=1e-5, msg=f"gradient of {name}")


def test_fast_scan_backward_can_run_twice():
    inputs = scan_inputs(2, 9, 3, 2, seed=4)
    y = selective_scan(inputs["u"], inputs["delta"], inputs["A"], inputs["B"], inputs["C"], negative_eigenvalues=True)
    first = torch.autograd.grad(y.sum(), inputs["A"], retain_graph=True)[0]
    second = torch.autograd.grad(y.sum(), inputs["A"])[0]
    torch.testing.assert_close(first, second)


@pytest.mark.parametrize("negative", [False, True])
def test_states_scan_matches_reference_and_returns_states(negative):
    inputs = scan_inputs(2, 9, 3, 4, seed=3)
    y_ref, g_ref = run_scan(selective_scan_ref, inputs, negative_eigenvalues=negative)
    y, g = run_scan(lambda *a, **k: selective_scan_states(*a, **k)[0], inputs, negative_eigenvalues=negative)
    torch.testing.assert_close(y, y_ref)
    for a, r in zip(g, g_ref):
        torch.testing.assert_close(a, r)
    # the states reproduce the recurrence h_t = dA_t h_{t-1} + delta_t u_t B_t
    with torch.no_grad():
        _, states = selective_scan_states(inputs["u"], inputs["delta"], inputs["A"], inputs["B"], inputs["C"],
                                          negative_eigenvalues=negative)
        delta, A = inputs["delta"], inputs["A"]
        h1 = transition(delta[:, 1, :, None] * A, negative) * states[:, 0] \
            + (delta[:, 1] * inputs["u"][:, 1])[..., None] * inputs["B"][:, 1, None, :]
        torch.testing.assert_close(states[:, 1], h1)
        y_nograd = selective_scan_states(inputs["u"], inputs["delta"], inputs["A"], inputs["B"], inputs["C"],
                                         negative_eigenvalues=negative)[0]
    # the in-place no-grad path (probing) and the autograd path agree
    args = [inputs[k].detach().clone().requires_grad_(True) for k in ("u", "delta", "A", "B", "C")]
    y_grad = selective_scan_states(*args, negative_eigenvalues=negative)[0]
    assert y_grad.requires_grad
    torch.testing.assert_close(y_nograd, y_grad.detach())


@settings(max_examples=25, deadline=None)
@given(
    b=st.integers(1, 3), length=st.integers(1, 13), e=st.integers(1, 4), n=st.integers(1, 3),
    chunk=st.integers(1, 6), block=st.integers(1, 3), negative=st.booleans(), seed=st.integers(0, 99),
)
def test_chunked_states_scan_gives_the_loops_outputs_and_every_state(b, length, e, n, chunk, block, negative, seed):
    inputs = {k: (v.detach() if v is not None else None) for k, v in scan_inputs(b, length, e, n, seed).items()}
    kwargs = dict(delta_bias=inputs["delta_bias"], delta_softplus=True, negative_eigenvalues=negative)
    args = [inputs[k] for k in ("u", "delta", "A", "B", "C", "D", "z")]
    with torch.no_grad():
        y_want, states_want = selective_scan_states(*args, **kwargs)
        y, states = selective_scan_chunked_states(*args, **kwargs, chunk_size=chunk, batch_block=block)
    assert states.shape == states_want.shape == (b, length, e, n)
    torch.testing.assert_close(y, y_want, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(states, states_want, rtol=1e-5, atol=1e-6)


def test_chunked_states_scan_refuses_to_drop_gradients():
    inputs = scan_inputs(2, 5, 3, 2, seed=1)
    with pytest.raises(ModelError, match="no_grad"):
        selective_scan_chunked_states(inputs["u"], inputs["delta"], inputs["A"], inputs["B"], inputs["C"])


@pytest.mark.parametrize("negative", [False, True])
def test_chunked_scan_passes_gradcheck(negative):
    inputs = scan_inputs(2, 6, 2, 3, seed=5)

    def f(u, delta, A, B, C, D, z, delta_bias):
        return selective_scan(u, delta, A, B, C, D, z, delta_bias=delta_bias, delta_softplus=True,
                              negative_eigenvalues=negative, chunk_size=4, batch_block=1)

    assert torch.autograd.gradcheck(f, list(inputs.values()))


def test_scan_handles_empty_sequence():
    inputs = scan_inputs(2, 0, 3, 2, seed=0)
    for fn in (selective_scan, selective_scan_ref):
        y = fn(inputs["u"], inputs["delta"], inputs["A"], inputs["B"], inputs["C"])
        assert y.shape == (2, 0, 3)


def test_transition_ranges():
    delta_A = -torch.rand(1000, dtype=torch.float64) * 20  # delta * A <= 0
    standard = transition(delta_A)
    negative = transition(delta_A, negative_eigenvalues=True)
    assert bool(((standard > 0) & (standard <= 1)).all())
    assert bool(((negative > -1) & (negative <= 1)).all())
    assert bool((negative < 0).any())
    torch.testing.assert_close(negative, 2 * standard - 1)


def test_negative_eigenvalues_scan_computes_parity_by_construction():
    # One channel, one state. BOS (t=0) writes h = 1; a 1 sets delta large, so the
    # transition 2 exp(-delta) - 1 is -1 and h flips sign; a 0 sets delta = 0 and h
    # stays (transition 1). y_t = h_t = (-1)^(number of 1s so far).
    g = torch.Generator().manual_seed(0)
    bits = torch.randint(0, 2, (8, 100), generator=g, dtype=torch.float64)
    length = bits.shape[1] + 1
    delta = torch.cat([torch.ones(8, 1), 60.0 * bits], dim=1).unsqueeze(-1).double()  # (B, L, 1)
    u = torch.zeros(8, length, 1, dtype=torch.float64)
    u[:, 0] = 1.0
    A = -torch.ones(1, 1, dtype=torch.float64)
    B = torch.ones(8, length, 1, dtype=torch.float64)
    C = torch.ones(8, length, 1, dtype=torch.float64)
    parity = torch.cat([torch.zeros(8, 1), bits.cumsum(1) % 2], dim=1).double()  # (B, L)
    y = selective_scan(u, delta, A, B, C, negative_eigenvalues=True)[..., 0]  # (B, L)
    torch.testing.assert_close(y, 1 - 2 * parity)
    # with transitions in (0, 1] the state never changes sign: no parity
    y_pos = selective_scan(u, delta, A, B, C)[..., 0]
    assert bool((y_pos >= 0).all())
