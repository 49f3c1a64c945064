"""Tests for automata_probe.models: scans, Mamba (weights, mambapy cross-check), LSTM, Transformer."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from automata_probe.errors import ModelError
from automata_probe.models import (
    LSTMModel,
    MambaModel,
    SiteOutputs,
    TransformerModel,
    build_model,
)

from .helpers import ARCHS, small_config

EXPECTED_SITES = {
    "mamba": ["embed", "layers.0.ssm_state", "layers.0.resid", "layers.1.ssm_state", "layers.1.resid", "final"],
    "lstm": ["embed", "layers.0.cell", "layers.0.resid", "layers.1.cell", "layers.1.resid", "final"],
    "transformer": ["embed", "layers.0.resid", "layers.1.resid", "final"],
}


def test_tokens_out_of_range_are_rejected():
    model = build_model(small_config("mamba"), seed=0)
    with pytest.raises(ModelError, match="token ids"):
        model(torch.tensor([[0, 5]]))


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


def test_importing_the_package_imports_neither_torch_nor_mamba_ssm():
    code = ("import sys, automata_probe; bad = [m for m in ('torch', 'mamba_ssm', 'triton') if m in sys.modules]; "
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
    code = "import sys, automata_probe.models; print('mamba_ssm' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
