"""Tests for automata_probe.probing.activations: scoped capture and position alignment."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from automata_probe.probing.activations import Activations, capture, collect_activations, collect_from_indices
from automata_probe.data import Tokenizer
from automata_probe.errors import ModelError
from automata_probe.models import ModelConfig, build_model


@pytest.fixture(scope="module")
def tiny_mamba():
    """Two layers, d_model 8, d_state 2, alphabet {0, 1} (vocab 4)."""
    config = ModelConfig(arch="mamba", vocab_size=4, n_outputs=3, d_model=8, n_layers=2, d_state=2)
    return build_model(config, seed=0).eval()


@pytest.fixture(scope="module")
def tiny_lstm():
    return build_model(ModelConfig(arch="lstm", vocab_size=4, n_outputs=3, d_model=8, n_layers=1), seed=0).eval()


def test_capture_records_each_site_per_call(tiny_mamba):
    tokens = torch.tensor([[1, 2, 3, 2], [1, 3, 0, 0]])
    with torch.no_grad(), capture(tiny_mamba, sites=["layers.1.resid", "layers.0.ssm_state"]) as cap:
        out = tiny_mamba(tokens)
        tiny_mamba(tokens[:1])
    assert cap.sites == ("layers.0.ssm_state", "layers.1.resid")  # forward order
    assert out.shape == (2, 4, 3)
    assert [tuple(t.shape) for t in cap["layers.1.resid"]] == [(2, 4, 8), (1, 4, 8)]
    assert cap["layers.0.ssm_state"][0].shape == (2, 4, 16 * 2)  # ED * N = 2 * 8 * 2
    expected = tiny_mamba.forward_sites(tokens, ["layers.1.resid"]).sites["layers.1.resid"]
    torch.testing.assert_close(cap["layers.1.resid"][0], expected)


def test_capture_is_removed_even_when_forward_raises(tiny_mamba):
    bad = torch.tensor([[1, 99]])  # token id outside the vocabulary
    with pytest.raises(ModelError):
        with capture(tiny_mamba, sites=["embed"]):
            tiny_mamba(bad)
    assert "forward" not in tiny_mamba.__dict__
    # the model works normally afterwards and records nothing
    assert tiny_mamba(torch.tensor([[1, 2]])).shape == (1, 2, 3)


def test_hooks_on_a_plain_module_are_removed_even_when_forward_raises():
    class Boom(nn.Module):
        def forward(self, x):
            raise RuntimeError("boom")

    net = nn.Sequential(nn.Linear(3, 4), Boom())
    with pytest.raises(RuntimeError):
        with capture(net, sites=["0"]) as cap:
            net(torch.zeros(2, 5, 3))
    assert len(cap["0"]) == 1 and cap["0"][0].shape == (2, 5, 4)
    assert all(not m._forward_hooks for m in net.modules())


def test_unknown_site_names_the_known_ones(tiny_mamba):
    with pytest.raises(ModelError, match="layers.0.resid"):
        with capture(tiny_mamba, sites=["layers.7.resid"]):
            pass


def test_collect_keeps_real_positions_aligned_with_the_run(tiny_mamba):
    """L + 1 rows per word (the empty word has one), equal to an unpadded forward."""
    words = ["", "0", "0110", "1", "10101"]
    tok = Tokenizer(alphabet=("0", "1"))
    acts = collect_activations(tiny_mamba, words, tok, batch_size=2)
    assert isinstance(acts, Activations)
    assert acts.n_rows == sum(len(w) + 1 for w in words)
    np.testing.assert_array_equal(acts.position[acts.sequence == 2], np.arange(5))
    assert set(acts.sites) == set(tiny_mamba.site_names())
    for i, w in enumerate(words):
        tokens = torch.from_numpy(tok.encode(w))[None, :]
        direct = tiny_mamba.forward_sites(tokens).sites
        rows = acts.word_rows(i)
        for site, value in direct.items():
            np.testing.assert_allclose(acts[site][rows], value[0].detach().numpy(), atol=1e-5, err_msg=site)


def test_batch_size_and_padding_do_not_change_activations(tiny_lstm):
    rng = np.random.default_rng(0)
    lengths = rng.integers(0, 9, size=7)
    indices = rng.integers(0, 2, size=(7, 9))
    one = collect_from_indices(tiny_lstm, indices, lengths, batch_size=1)
    many = collect_from_indices(tiny_lstm, indices, lengths, batch_size=7)
    assert "layers.0.cell" in one.sites
    for site in one.sites:
        np.testing.assert_allclose(one[site], many[site], atol=1e-5)


def test_collect_restores_training_mode(tiny_lstm):
    tiny_lstm.train()
    try:
        collect_from_indices(tiny_lstm, np.zeros((1, 2), np.int64), np.array([2]), sites="final")
        assert tiny_lstm.training
    finally:
        tiny_lstm.eval()
