"""Mamba-2 and the DeltaNet family as models: names and shapes of fla / mamba_ssm, reference vs chunked, configs."""

from __future__ import annotations

import pytest
import torch

from automata_probe.errors import ModelError
from automata_probe.models import ModelConfig, build_model
from automata_probe.models.interop import config_from_fla, config_from_mamba2, load_reference_state_dict, \
    to_reference_state_dict


def _model(arch, **kw):
    base = dict(vocab_size=6, n_outputs=3, d_model=16, n_layers=2, d_state=4)
    base.update(kw)
    return build_model(ModelConfig(arch=arch, **base), seed=0)


# fla 0.6 layers (fla/layers/delta_net.py, gated_deltanet.py, gated_deltaproduct.py) and mamba_ssm 2.x Mamba2,
# transcribed from their __init__ for D = 16, H = 2, K = 8, V = 8 (DeltaNet), V = 16 (expand_v 2), W = 4,
# n_h = 2, Mamba-2 with E = 32, N = 4, P = 16 (H = 2).
FLA_DELTANET = {"q_proj.weight": (16, 16), "k_proj.weight": (16, 16), "v_proj.weight": (16, 16),
                "b_proj.weight": (2, 16), "q_conv1d.weight": (16, 1, 4), "k_conv1d.weight": (16, 1, 4),
                "v_conv1d.weight": (16, 1, 4), "o_norm.weight": (8,), "o_proj.weight": (16, 16)}
FLA_GATED_DELTANET = {"q_proj.weight": (16, 16), "k_proj.weight": (16, 16), "v_proj.weight": (32, 16),
                      "a_proj.weight": (2, 16), "b_proj.weight": (2, 16), "A_log": (2,), "dt_bias": (2,),
                      "q_conv1d.weight": (16, 1, 4), "k_conv1d.weight": (16, 1, 4), "v_conv1d.weight": (32, 1, 4),
                      "g_proj.weight": (32, 16), "o_norm.weight": (16,), "o_proj.weight": (16, 32)}
FLA_GATED_DELTAPRODUCT = {"q_proj.weight": (16, 16), "k_proj.weight": (32, 16), "v_proj.weight": (64, 16),
                          "b_proj.weight": (4, 16), "a_proj.weight": (2, 16), "A_log": (2,), "dt_bias": (2,),
                          "q_conv1d.weight": (16, 1, 4), "k_conv1d.weight": (32, 1, 4),
                          "v_conv1d.weight": (64, 1, 4), "g_proj.weight": (32, 16), "o_norm.weight": (16,),
                          "o_proj.weight": (16, 32)}
MAMBA_SSM_MAMBA2 = {"in_proj.weight": (2 * 32 + 2 * 4 + 2, 16), "conv1d.weight": (32 + 8, 1, 4),
                    "conv1d.bias": (40,), "dt_bias": (2,), "A_log": (2,), "D": (2,), "norm.weight": (32,),
                    "out_proj.weight": (16, 32)}


@pytest.mark.parametrize("arch,kw,layer,prefix", [
    ("deltanet", dict(n_heads=2), FLA_DELTANET, "model.layers.{i}.attn."),
    ("gated-deltanet", dict(n_heads=2, expand_v=2.0), FLA_GATED_DELTANET, "model.layers.{i}.attn."),
    ("deltaproduct", dict(n_heads=2, expand_v=2.0, householders=2, forget_gate=True, output_gate=True),
     FLA_GATED_DELTAPRODUCT, "model.layers.{i}.attn."),
    ("mamba2", dict(n_heads=2), MAMBA_SSM_MAMBA2, "backbone.layers.{i}.mixer."),
])
def test_parameter_names_and_shapes_are_the_libraries(arch, kw, layer, prefix):
    sd = {k: tuple(v.shape) for k, v in _model(arch, **kw).state_dict().items()}
    fla = prefix.startswith("model.")
    want = {"model.embeddings.weight": (6, 16), "model.norm.weight": (16,)} if fla else \
        {"backbone.embedding.weight": (8, 16), "backbone.norm_f.weight": (16,)}
    for i in range(2):
        want[(f"model.layers.{i}.attn_norm.weight" if fla else f"backbone.layers.{i}.norm.weight")] = (16,)
        want.update({prefix.format(i=i) + name: shape for name, shape in layer.items()})
    want.update({"head.weight": (3, 16), "head.bias": (3,)})
    assert sd == want


def test_the_mlp_blocks_have_the_libraries_names():
    fla = _model("gated-deltanet", d_intermediate=24).state_dict()
    assert tuple(fla["model.layers.1.mlp.gate_proj.weight"].shape) == (24, 16)
    assert tuple(fla["model.layers.1.mlp.down_proj.weight"].shape) == (16, 24)
    assert "model.layers.0.mlp_norm.weight" in fla
    ssm = _model("mamba2", d_intermediate=24).state_dict()
    assert tuple(ssm["backbone.layers.0.mlp.fc1.weight"].shape) == (48, 16) and "backbone.layers.0.norm2.weight" in ssm


@pytest.mark.parametrize("arch,kw", [("deltanet", dict(negative_eigenvalues=True)), ("gated-deltanet", {}),
                                     ("deltaproduct", dict(householders=2, negative_eigenvalues=True)),
                                     ("mamba2", {}), ("mamba2", dict(negative_eigenvalues=True))])
def test_reference_and_chunked_models_agree_with_gradients(arch, kw):
    model = _model(arch, **kw)
    tokens = torch.randint(0, 6, (3, 70), generator=torch.Generator().manual_seed(0))
    results = []
    for scan in ("ref", "chunked"):
        model.set_scan(scan)
        model.zero_grad()
        out = model(tokens)
        out.pow(2).mean().backward()
        results.append((out.detach(), [p.grad.clone() for p in model.parameters()]))
    (o_ref, g_ref), (o, g) = results
    assert float((o - o_ref).abs().max() / o_ref.abs().max()) < 1e-5
    for a, b in zip(g, g_ref):
        assert float((a - b).abs().max()) <= 1e-4 * float(b.abs().max()) + 1e-7


def test_weights_round_trip_through_the_libraries_names():
    for arch in ("deltaproduct", "mamba2"):
        model = _model(arch, householders=2 if arch == "deltaproduct" else 1)
        torch.nn.init.zeros_(model.head.bias)
        theirs = to_reference_state_dict(model)
        assert "lm_head.weight" in theirs and not any(k.startswith("head.") for k in theirs)
        other = _model(arch, householders=2 if arch == "deltaproduct" else 1)
        other.load_state_dict({k: torch.randn_like(v) for k, v in other.state_dict().items()})
        assert load_reference_state_dict(other, theirs) == ()
        tokens = torch.randint(0, 6, (2, 9))
        torch.testing.assert_close(other(tokens), model(tokens))
        bad = dict(theirs)
        bad.pop(next(iter(bad)))
        with pytest.raises(ModelError, match="lacks"):
            load_reference_state_dict(other, bad)


def test_configs_translate_from_the_libraries():
    cfg = config_from_fla({"model_type": "gated_deltaproduct", "hidden_size": 64, "num_heads": 2, "head_dim": 32,
                           "num_householder": 2, "allow_neg_eigval": True, "num_hidden_layers": 1,
                           "vocab_size": 10})
    assert (cfg.arch, cfg.householders, cfg.negative_eigenvalues, cfg.d_intermediate) == ("deltaproduct", 2, True, 256)
    assert cfg.head_dim == 32 and cfg.expand_v == 2.0 and cfg.output_gate
    dn = config_from_fla({"model_type": "delta_net", "hidden_size": 32, "num_heads": 4, "vocab_size": 5})
    assert (dn.arch, dn.head_dim, dn.expand_v, dn.output_gate) == ("deltanet", 8, 1.0, False)
    build_model(dn)
    m2 = config_from_mamba2({"d_model": 32, "n_layer": 2, "vocab_size": 7, "ssm_cfg": {"layer": "Mamba2",
                                                                                      "headdim": 16}})
    assert (m2.arch, m2.n_heads, m2.head_dim, m2.d_state) == ("mamba2", 4, 16, 128)
    with pytest.raises(ModelError, match="qk_norm"):
        config_from_fla({"model_type": "delta_net", "qk_norm": "sum"})
    with pytest.raises(ModelError, match="ngroups"):
        config_from_mamba2({"d_model": 32, "n_layer": 2, "vocab_size": 7, "ssm_cfg": {"layer": "Mamba2",
                                                                                      "ngroups": 2}})


def test_bad_configs_name_the_field():
    with pytest.raises(ModelError, match="householders"):
        ModelConfig(arch="deltanet", vocab_size=4, n_outputs=2, householders=2)
    with pytest.raises(ModelError, match="n_heads"):
        ModelConfig(arch="deltanet", vocab_size=4, n_outputs=2, d_model=30, n_heads=4)
    with pytest.raises(ModelError, match="expand_v"):
        ModelConfig(arch="gated-deltanet", vocab_size=4, n_outputs=2, expand_v=0.3, head_dim=5)
    cfg = ModelConfig(arch="deltanet", vocab_size=4, n_outputs=2)
    assert cfg.head_dim == 16 and cfg.output_gate is False
    assert ModelConfig.from_dict(cfg.to_dict()) == cfg
    old = ModelConfig(arch="mamba", vocab_size=4, n_outputs=2)
    assert old.head_dim is None and old.output_gate is None  # older architectures untouched


@pytest.mark.parametrize("scale", [1.0, 0.25])
def test_l2norm_and_rms_norm_backward_are_autograds(scale):
    """The written-out backwards of l2norm and rms_norm against autograd through the formula, in float64."""
    from automata_probe.models.delta_net import l2norm, rms_norm

    g = torch.Generator().manual_seed(5)
    x = torch.randn(3, 4, 6, generator=g, dtype=torch.float64, requires_grad=True)
    w = torch.randn(6, generator=g, dtype=torch.float64, requires_grad=True)
    torch.testing.assert_close(l2norm(x, scale=scale), x * torch.rsqrt(x.pow(2).sum(-1, keepdim=True) + 1e-6) * scale)
    torch.testing.assert_close(rms_norm(x, w, 1e-5), x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * w)
    assert torch.autograd.gradcheck(lambda x: l2norm(x, scale=scale), (x,))
    assert torch.autograd.gradcheck(lambda x, w: rms_norm(x, w, 1e-5), (x, w))
