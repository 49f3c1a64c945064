"""Tests for automata_probe.models: scans, Mamba (weights, mambapy cross-check), LSTM, Transformer."""

from __future__ import annotations

import pytest
import torch

from automata_probe.errors import ModelError
from automata_probe.models import (
    ModelConfig,
    build_model,
    config_from_mamba_ssm,
    load_mamba_ssm_state_dict,
    mamba_ssm_available,
)
from automata_probe.models.mamba import causal_conv1d

from .helpers import MAMBA_SSM_PARAMS, small_config


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


@pytest.mark.parametrize("length", [1, 2, 5])
def test_causal_conv1d_with_history_is_the_valid_convolution(length):
    """history=True: the first K - 1 inputs are an old window, only the L outputs after it are computed."""
    conv = torch.nn.Conv1d(5, 5, kernel_size=4, groups=5, bias=True).double()
    x = torch.randn(2, 3 + length, 5, generator=torch.Generator().manual_seed(length), dtype=torch.float64,
                    requires_grad=True)
    ours = causal_conv1d(x, conv.weight, conv.bias, history=True)  # (B, L, ED)
    theirs = conv(x.transpose(1, 2)).transpose(1, 2)  # no padding: the L full windows
    assert ours.shape == (2, length, 5)
    torch.testing.assert_close(ours, theirs)
    inputs = [x, conv.weight, conv.bias]
    gy = torch.randn(ours.shape, generator=torch.Generator().manual_seed(9), dtype=torch.float64)
    for a, b in zip(torch.autograd.grad(ours, inputs, gy), torch.autograd.grad(theirs, inputs, gy)):
        torch.testing.assert_close(a, b)
    assert torch.autograd.gradcheck(lambda *i: causal_conv1d(*i, history=True), inputs)


def test_causal_conv1d_of_nothing_is_empty():
    weight = torch.randn(5, 1, 4)
    assert causal_conv1d(torch.randn(2, 0, 5), weight, None).shape == (2, 0, 5)
    assert causal_conv1d(torch.randn(2, 3, 5), weight, None, history=True).shape == (2, 0, 5)


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
