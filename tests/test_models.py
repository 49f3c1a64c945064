"""Tests for automata_probe.models: scans, Mamba (weights, mambapy cross-check), LSTM, Transformer."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from automata_probe.errors import ModelError
from automata_probe.models import (
    LSTMModel,
    MambaModel,
    ModelConfig,
    SiteOutputs,
    TransformerModel,
    build_model,
    config_from_mamba_ssm,
    load_mamba_ssm_state_dict,
    mamba_ssm_available,
)
from automata_probe.models.lstm import lstm_with_cells
from automata_probe.models.mamba import causal_conv1d
from automata_probe.models.scan import (
    selective_scan,
    selective_scan_ref,
    selective_scan_chunked_states,
    selective_scan_states,
    transition,
)

ARCHS = ("mamba", "lstm", "transformer")

# mamba_ssm 2.x MambaLMHeadModel(d_model=64, n_layer=2, vocab_size=5) (pad_vocab_size_multiple=8,
# rms_norm=True) minus lm_head, plus our head; from reference/measurements.md
MAMBA_SSM_PARAMS = {
    "backbone.embedding.weight": (8, 64),
    **{
        f"backbone.layers.{i}.{name}": shape
        for i in range(2)
        for name, shape in {
            "norm.weight": (64,),
            "mixer.in_proj.weight": (256, 64),
            "mixer.conv1d.weight": (128, 1, 4),
            "mixer.conv1d.bias": (128,),
            "mixer.x_proj.weight": (4 + 32, 128),
            "mixer.dt_proj.weight": (128, 4),
            "mixer.dt_proj.bias": (128,),
            "mixer.A_log": (128, 16),
            "mixer.D": (128,),
            "mixer.out_proj.weight": (64, 128),
        }.items()
    },
    "backbone.norm_f.weight": (64,),
    "head.weight": (3, 64),
    "head.bias": (3,),
}


def small_config(arch: str, **kw) -> ModelConfig:
    base = dict(arch=arch, vocab_size=5, n_outputs=3, d_model=16, n_layers=2, d_state=4)
    base.update(kw)
    return ModelConfig(**base)


@pytest.fixture
def tokens() -> torch.Tensor:
    return torch.randint(0, 5, (3, 11), generator=torch.Generator().manual_seed(0))


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


# ---------------------------------------------------------------- scans


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


def test_ssm_state_site_is_state_major_and_matches_the_loop_scan(tokens):
    model = build_model(small_config("mamba"), seed=0)
    cfg = model.config
    with torch.no_grad():
        fast = model.forward_sites(tokens, sites=["layers.1.ssm_state"]).sites["layers.1.ssm_state"]
        model.set_scan("loop")
        slow = model.forward_sites(tokens, sites=["layers.1.ssm_state"]).sites["layers.1.ssm_state"]
        # h_t of layer 0 by the loop scan, (B, L, ED, N), against the site's n * ED + e layout
        mixer = model.backbone.layers[0].mixer
        x = model.backbone.embedding(tokens)
        _, states = mixer.forward_with_states(model.backbone.layers[0].norm(x))
        model.set_scan("chunked")
        site0 = model.forward_sites(tokens, sites=["layers.0.ssm_state"]).sites["layers.0.ssm_state"]
    torch.testing.assert_close(fast, slow)
    ed, n = cfg.d_inner, cfg.d_state
    torch.testing.assert_close(site0.unflatten(-1, (n, ed)), states.transpose(2, 3))


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


@pytest.mark.parametrize("length", [1, 3, 9])
def test_causal_conv1d_matches_nn_conv1d_with_gradients(length):
    conv = torch.nn.Conv1d(5, 5, kernel_size=4, groups=5, padding=3).double()
    x = torch.randn(2, length, 5, generator=torch.Generator().manual_seed(length), dtype=torch.float64,
                    requires_grad=True)
    ours = causal_conv1d(x, conv.weight, conv.bias)
    theirs = conv(x.transpose(1, 2))[..., :length].transpose(1, 2)
    torch.testing.assert_close(ours, theirs)
    gy = torch.randn(ours.shape, generator=torch.Generator().manual_seed(9), dtype=torch.float64)
    inputs = [x, conv.weight, conv.bias]
    for a, b in zip(torch.autograd.grad(ours, inputs, gy), torch.autograd.grad(theirs, inputs, gy)):
        torch.testing.assert_close(a, b)
    assert torch.autograd.gradcheck(causal_conv1d, inputs)


# ---------------------------------------------------------------- config


def test_config_resolves_derived_fields_and_round_trips():
    cfg = ModelConfig(arch="mamba", vocab_size=5, n_outputs=3, d_model=40)
    assert cfg.dt_rank == 3 and cfg.d_ff == 160 and cfg.d_inner == 80 and cfg.padded_vocab_size == 8
    assert ModelConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(dataclasses_frozen_error()):
        cfg.d_model = 3  # type: ignore[misc]


def dataclasses_frozen_error():
    import dataclasses

    return dataclasses.FrozenInstanceError


@pytest.mark.parametrize(
    "kw, culprit",
    [
        (dict(arch="gru"), "gru"),
        (dict(d_model=0), "d_model"),
        (dict(arch="transformer", n_heads=3), "n_heads"),
        (dict(dropout=1.0), "dropout"),
        (dict(positional_encoding="rope"), "rope"),
        (dict(dt_rank="big"), "dt_rank"),
        (dict(negative_eigenvalues=1), "negative_eigenvalues"),
    ],
)
def test_config_rejects_bad_fields_with_named_culprit(kw, culprit):
    base = dict(arch="mamba", vocab_size=5, n_outputs=3)
    base.update(kw)
    with pytest.raises(ModelError, match=culprit):
        ModelConfig(**base)


def test_config_from_dict_rejects_unknown_keys():
    d = ModelConfig(arch="lstm", vocab_size=5, n_outputs=3).to_dict() | {"n_layer": 2}
    with pytest.raises(ModelError, match="n_layer"):
        ModelConfig.from_dict(d)


# ---------------------------------------------------------------- Mamba weights


def test_mamba_parameter_names_and_shapes_match_mamba_ssm():
    model = build_model(ModelConfig(arch="mamba", vocab_size=5, n_outputs=3), seed=0)
    assert {k: tuple(v.shape) for k, v in model.state_dict().items()} == MAMBA_SSM_PARAMS


def test_layernorm_variant_has_mamba_ssm_bias_names():
    model = build_model(small_config("mamba", rms_norm=False), seed=0)
    keys = set(model.state_dict())
    assert {"backbone.layers.0.norm.bias", "backbone.norm_f.bias"} <= keys


def test_mamba_initialization_follows_mamba_ssm():
    cfg = small_config("mamba")
    model = build_model(cfg, seed=0)
    mixer = model.backbone.layers[0].mixer
    torch.testing.assert_close(mixer.A_log, torch.log(torch.arange(1.0, 5.0)).repeat(32, 1))
    assert bool((mixer.D == 1).all())
    dt = torch.nn.functional.softplus(mixer.dt_proj.bias)
    assert bool(((dt >= cfg.dt_min * 0.999) & (dt <= cfg.dt_max * 1.001)).all())
    assert float(model.head.bias.detach().abs().sum()) == 0.0


def test_mamba_blocks_match_mambapy_with_the_same_weights(tokens):
    mambapy = pytest.importorskip("mambapy.mamba")
    cfg = small_config("mamba", n_layers=2)
    ours = build_model(cfg, seed=1).double()
    theirs = mambapy.Mamba(mambapy.MambaConfig(d_model=16, n_layers=2, d_state=4, pscan=True)).double()
    theirs.load_state_dict({k[len("backbone."):]: v for k, v in ours.state_dict().items()
                            if k.startswith("backbone.layers.")}, strict=True)
    with torch.no_grad():
        for scan in ("chunked", "loop", "ref"):
            ours.set_scan(scan)
            out = ours.forward_sites(tokens, ["embed", "layers.1.resid"])
            expected = theirs(out.sites["embed"])
            torch.testing.assert_close(out.sites["layers.1.resid"], expected, rtol=1e-9, atol=1e-9)


def test_mixer_matches_mambapy_mamba_block_with_the_same_weights():
    mambapy = pytest.importorskip("mambapy.mamba")
    ours = build_model(small_config("mamba", d_model=32, d_state=8), seed=2).backbone.layers[0].mixer
    theirs = mambapy.MambaBlock(mambapy.MambaConfig(d_model=32, n_layers=1, d_state=8))
    theirs.load_state_dict(ours.state_dict(), strict=True)
    x = torch.randn(2, 37, 32, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.testing.assert_close(ours(x), theirs(x), rtol=1e-5, atol=1e-6)


def test_load_mamba_ssm_state_dict_puts_lm_head_in_a_matching_head(tokens):
    cfg = ModelConfig(arch="mamba", vocab_size=5, n_outputs=8, d_model=16, d_state=4)
    source = build_model(cfg, seed=0)
    sd = {k: v for k, v in source.state_dict().items() if k.startswith("backbone.")}
    sd["lm_head.weight"] = sd["backbone.embedding.weight"]  # tied, as MambaLMHeadModel saves it
    target = build_model(cfg, seed=1)
    assert load_mamba_ssm_state_dict(target, sd) == ()
    with torch.no_grad():
        hidden = target.forward_sites(tokens, ["final"]).sites["final"]
        torch.testing.assert_close(target(tokens), hidden @ sd["lm_head.weight"].T)


def test_load_mamba_ssm_state_dict_ignores_lm_head_of_another_shape_and_checks_keys():
    cfg = small_config("mamba")
    source = build_model(cfg, seed=0)
    sd = dict(source.state_dict())
    sd.pop("head.weight"), sd.pop("head.bias")
    sd["lm_head.weight"] = torch.zeros(8, 16)
    target = build_model(cfg, seed=1)
    head_before = target.head.weight.clone()
    assert load_mamba_ssm_state_dict(target, sd) == ("lm_head.weight",)
    torch.testing.assert_close(target.head.weight, head_before)
    torch.testing.assert_close(target.backbone.layers[1].mixer.A_log, source.backbone.layers[1].mixer.A_log)
    missing = {k: v for k, v in sd.items() if k != "backbone.layers.1.mixer.D"}
    with pytest.raises(ModelError, match=r"backbone\.layers\.1\.mixer\.D"):
        load_mamba_ssm_state_dict(target, missing)
    wrong = dict(sd, **{"backbone.layers.0.mixer.D": torch.zeros(5)})
    with pytest.raises(ModelError, match="shape"):
        load_mamba_ssm_state_dict(target, wrong)


def test_config_from_mamba_ssm_translates_its_config():
    cfg = config_from_mamba_ssm({"d_model": 32, "n_layer": 3, "vocab_size": 50, "d_intermediate": 0,
                                 "ssm_cfg": {"d_state": 8}, "rms_norm": False, "pad_vocab_size_multiple": 16})
    assert (cfg.d_model, cfg.n_layers, cfg.d_state, cfg.rms_norm, cfg.n_outputs) == (32, 3, 8, False, 64)
    assert build_model(cfg).backbone.embedding.weight.shape == (64, 32)
    with pytest.raises(ModelError, match="Mamba-1"):
        config_from_mamba_ssm({"d_model": 32, "n_layer": 3, "vocab_size": 50, "ssm_cfg": {"layer": "Mamba2"}})


# ---------------------------------------------------------------- Mamba behaviour


def test_negative_eigenvalues_change_the_function(tokens):
    standard = build_model(small_config("mamba"), seed=0)
    negative = build_model(small_config("mamba", negative_eigenvalues=True), seed=0)
    negative.load_state_dict(standard.state_dict())
    with torch.no_grad():
        assert not torch.allclose(standard(tokens), negative(tokens))


def test_mamba_scans_and_sites_agree(tokens):
    model = build_model(small_config("mamba", negative_eigenvalues=True), seed=0)
    with torch.no_grad():
        plain = model(tokens)
        everything = model.forward_sites(tokens)
        model.set_scan("ref")
        torch.testing.assert_close(model(tokens), plain)
        before = torch.get_num_threads()
        model.set_scan("chunked", threads=1)
        torch.testing.assert_close(model(tokens), plain)
        assert torch.get_num_threads() == before  # the cap is lifted after the scan
    torch.testing.assert_close(everything.outputs, plain)
    assert everything.sites["layers.0.ssm_state"].shape == (3, 11, 32 * 4)


def test_mamba_rejects_unknown_backend_scan_and_unusable_cuda():
    model = build_model(small_config("mamba"), seed=0)
    with pytest.raises(ModelError, match="tpu"):
        model.set_backend("tpu")
    with pytest.raises(ModelError, match="fft"):
        model.set_scan("fft")
    if not mamba_ssm_available():
        with pytest.raises(ModelError, match="mamba-ssm"):
            model.set_backend("cuda")


def test_tokens_out_of_range_are_rejected():
    model = build_model(small_config("mamba"), seed=0)
    with pytest.raises(ModelError, match="token ids"):
        model(torch.tensor([[0, 5]]))


# ---------------------------------------------------------------- all architectures

EXPECTED_SITES = {
    "mamba": ["embed", "layers.0.ssm_state", "layers.0.resid", "layers.1.ssm_state", "layers.1.resid", "final"],
    "lstm": ["embed", "layers.0.cell", "layers.0.resid", "layers.1.cell", "layers.1.resid", "final"],
    "transformer": ["embed", "layers.0.resid", "layers.1.resid", "final"],
}


@pytest.mark.parametrize("arch", ARCHS)
def test_forward_shapes_and_site_names(arch, tokens):
    model = build_model(small_config(arch), seed=0)
    assert model.site_names() == EXPECTED_SITES[arch]
    with torch.no_grad():
        out = model.forward_sites(tokens)
        assert isinstance(out, SiteOutputs)
        assert out.outputs.shape == (3, 11, 3) == model(tokens).shape
        assert list(out.sites) == EXPECTED_SITES[arch]
        for name, value in out.sites.items():
            width = 32 * 4 if name.endswith("ssm_state") else 16
            assert value.shape == (3, 11, width), name
        subset = model.forward_sites(tokens, ["final", "embed"])
        assert list(subset.sites) == ["embed", "final"]
        torch.testing.assert_close(subset.sites["final"], out.sites["final"])
    with pytest.raises(ModelError, match="layers.7.resid"):
        model.forward_sites(tokens, ["layers.7.resid"])


@pytest.mark.parametrize("arch", ARCHS)
def test_models_are_causal(arch, tokens):
    model = build_model(small_config(arch), seed=0).eval()
    t = 5
    changed = tokens.clone()
    changed[:, t + 1] = (changed[:, t + 1] + 1) % 5
    with torch.no_grad():
        a, b = model.forward_sites(tokens), model.forward_sites(changed)
    torch.testing.assert_close(a.outputs[:, : t + 1], b.outputs[:, : t + 1])
    for name in a.sites:
        torch.testing.assert_close(a.sites[name][:, : t + 1], b.sites[name][:, : t + 1], msg=name)
    assert not torch.allclose(a.outputs[:, t + 1], b.outputs[:, t + 1])


@pytest.mark.parametrize("arch", ARCHS)
def test_build_model_is_deterministic_and_leaves_global_rng_alone(arch):
    cfg = small_config(arch)
    state = torch.random.get_rng_state()
    a, b, c = build_model(cfg, seed=7), build_model(cfg, seed=7), build_model(cfg, seed=8)
    assert torch.equal(torch.random.get_rng_state(), state)
    for (k, v), w in zip(a.state_dict().items(), b.state_dict().values()):
        assert torch.equal(v, w), k
    assert not all(torch.equal(v, w) for v, w in zip(a.state_dict().values(), c.state_dict().values()))
    assert isinstance(a, {"mamba": MambaModel, "lstm": LSTMModel, "transformer": TransformerModel}[arch])


def test_lstm_cells_loop_matches_nn_lstm():
    lstm = torch.nn.LSTM(4, 6, batch_first=True)
    x = torch.randn(2, 7, 4, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        h, c = lstm_with_cells(lstm, x)
        expected, (h_n, c_n) = lstm(x)
    torch.testing.assert_close(h, expected)
    torch.testing.assert_close(c[:, -1], c_n[0])


@pytest.mark.parametrize("encoding", ["sinusoidal", "none"])
def test_transformer_runs_beyond_any_training_length(encoding):
    model = build_model(small_config("transformer", positional_encoding=encoding), seed=0)
    with torch.no_grad():
        long = torch.randint(0, 5, (2, 300), generator=torch.Generator().manual_seed(1))
        assert model(long).shape == (2, 300, 3)


def test_training_step_reduces_loss_for_every_arch(tokens):
    targets = torch.randint(0, 3, tokens.shape, generator=torch.Generator().manual_seed(2))
    for arch in ARCHS:
        model = build_model(small_config(arch), seed=0)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
        losses = []
        for _ in range(5):
            loss = torch.nn.functional.cross_entropy(model(tokens).reshape(-1, 3), targets.reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        assert losses[-1] < losses[0], arch


# ---------------------------------------------------------------- imports and GPU


def test_importing_the_package_imports_neither_torch_nor_mamba_ssm():
    code = ("import sys, automata_probe; bad = [m for m in ('torch', 'mamba_ssm', 'triton') if m in sys.modules]; "
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
    code = "import sys, automata_probe.models; print('mamba_ssm' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.gpu
@pytest.mark.skipif(not mamba_ssm_available(), reason="needs CUDA and mamba-ssm")
def test_cuda_kernel_matches_torch_scan_on_the_same_weights():
    cfg = ModelConfig(arch="mamba", vocab_size=5, n_outputs=3, d_model=64, n_layers=2)
    model = build_model(cfg, seed=0).cuda()
    tokens = torch.randint(0, 5, (4, 50), generator=torch.Generator().manual_seed(0)).cuda()
    grads = {}
    outputs = {}
    for backend in ("torch", "cuda"):
        model.set_backend(backend)
        model.zero_grad()
        out = model(tokens)
        out.square().sum().backward()
        outputs[backend] = out.detach()
        grads[backend] = {k: p.grad.clone() for k, p in model.named_parameters()}
    torch.testing.assert_close(outputs["cuda"], outputs["torch"], rtol=1e-3, atol=1e-4)
    for k in grads["torch"]:
        torch.testing.assert_close(grads["cuda"][k], grads["torch"][k], rtol=1e-2, atol=1e-3, msg=k)
    # weights trained on the GPU load into the CPU model and give the same outputs
    cpu = build_model(cfg, seed=1)
    cpu.load_state_dict({k: v.cpu() for k, v in model.state_dict().items()})
    with torch.no_grad():
        torch.testing.assert_close(cpu(tokens.cpu()), outputs["cuda"].cpu(), rtol=1e-3, atol=1e-4)
