"""The recurrent-state API (models/base.py), checked on every recurrent architecture.

A new recurrent architecture joins by adding one entry to ``RECURRENT`` (a
name and a function building a small model); every test below then runs on
it: the state after a prefix, continuing from a state, stepping one token at a
time and patching a site all give the numbers of one plain forward pass.
"""

from __future__ import annotations

from typing import Callable

import pytest
import torch

from automata_probe.errors import ModelError
from automata_probe.models import ModelConfig, RecurrentState, SequenceModel, build_model

from .dfa_model import DFAModel, three_letter_dfa


def _mamba(scan: str = "chunked", **kw) -> Callable[[], SequenceModel]:
    def make() -> SequenceModel:
        model = build_model(ModelConfig(arch="mamba", vocab_size=5, n_outputs=3, d_model=16, n_layers=2, d_state=4,
                                        **kw), seed=0)
        model.set_scan(scan)
        return model
    return make


def _lstm() -> SequenceModel:
    return build_model(ModelConfig(arch="lstm", vocab_size=5, n_outputs=3, d_model=16, n_layers=2), seed=0)


def _linear(arch: str, scan: str = "chunked", **kw) -> Callable[[], SequenceModel]:
    def make() -> SequenceModel:
        model = build_model(ModelConfig(arch=arch, vocab_size=5, n_outputs=3, d_model=16, n_layers=2, d_state=4,
                                        **kw), seed=0)
        model.set_scan(scan)
        return model
    return make


#: name -> builder of a small model (vocabulary 5, 3 outputs). Add new recurrent architectures here.
RECURRENT: dict[str, Callable[[], SequenceModel]] = {
    "mamba": _mamba(),
    "mamba-ref": _mamba("ref"),
    "mamba-loop": _mamba("loop"),
    "mamba-negative": _mamba(negative_eigenvalues=True),
    "lstm": _lstm,
    "mamba2": _linear("mamba2"),
    "mamba2-ref-negative": _linear("mamba2", "ref", negative_eigenvalues=True),
    "deltanet-ref-negative": _linear("deltanet", "ref", negative_eigenvalues=True),
    "gated-deltanet-mlp": _linear("gated-deltanet", d_intermediate=24),
    "deltaproduct": _linear("deltaproduct", householders=2, negative_eigenvalues=True),
    "deltaproduct-gated-noconv": _linear("deltaproduct", householders=3, forget_gate=True, short_conv=False),
    "dfa": lambda: DFAModel(three_letter_dfa()),  # a hand-written architecture: the contract in a few lines
}

TOL = dict(rtol=1e-4, atol=1e-5)


@pytest.fixture(params=list(RECURRENT), ids=list(RECURRENT))
def model(request) -> SequenceModel:
    return RECURRENT[request.param]().eval()


def _tokens(batch: int = 3, length: int = 11, seed: int = 0) -> torch.Tensor:
    return torch.randint(0, 5, (batch, length), generator=torch.Generator().manual_seed(seed))


def _step_all(model: SequenceModel, tokens: torch.Tensor, patch_at: int = -1, patch=None):
    """Outputs (B, L, n) and the final state, one token at a time; ``patch`` applied at step ``patch_at``."""
    state = model.initial_state(tokens.shape[0])
    outs, sites = [], []
    for t in range(tokens.shape[1]):
        step = model.step(tokens[:, t], state, patch=patch if t == patch_at else None)
        state = step.state
        outs.append(step.outputs)
        sites.append(step.sites)
    return torch.stack(outs, 1), state, sites


def _assert_states_close(a: RecurrentState, b: RecurrentState) -> None:
    assert a.names == b.names
    for name in a.names:
        torch.testing.assert_close(a[name], b[name], **TOL, msg=name)


@torch.no_grad()
def test_forward_state_gives_the_forward_outputs(model):
    tokens = _tokens()
    out = model.forward_state(tokens)
    torch.testing.assert_close(out.outputs, model(tokens), **TOL)
    assert out.state.batch_size == 3 and model.is_recurrent
    assert out.state.names == tuple(model.state_names())
    # from the initial state, explicitly: the same
    torch.testing.assert_close(model.forward_state(tokens, model.initial_state(3)).outputs, out.outputs, **TOL)


@torch.no_grad()
@pytest.mark.parametrize("cut", [0, 1, 4, 10, 11])
def test_continuing_from_a_state_is_one_forward_pass(model, cut):
    tokens = _tokens()
    first = model.forward_state(tokens[:, :cut])
    second = model.forward_state(tokens[:, cut:], first.state)
    whole = model.forward_state(tokens)
    torch.testing.assert_close(torch.cat([first.outputs, second.outputs], 1), whole.outputs, **TOL)
    _assert_states_close(second.state, whole.state)


@torch.no_grad()
def test_stepping_gives_the_forward_outputs_sites_and_state(model):
    tokens = _tokens()
    outputs, state, sites = _step_all(model, tokens)
    torch.testing.assert_close(outputs, model(tokens), **TOL)
    _assert_states_close(state, model.forward_state(tokens).state)
    full = model.forward_sites(tokens).sites  # (B, L, F) per site
    assert set(sites[0]) == set(model.intervention_sites())
    for name, value in full.items():
        stepped = torch.stack([s[name] for s in sites], 1)
        torch.testing.assert_close(stepped, value, **TOL, msg=name)
    for name in state.names:  # a component's features are its site value at the last step
        torch.testing.assert_close(state.features(name), sites[-1][name], **TOL, msg=name)


@torch.no_grad()
def test_state_after_each_rows_own_length(model):
    tokens = _tokens(4, 9)
    lengths = torch.tensor([0, 3, 9, 1])
    state = model.forward_state(tokens, lengths=lengths).state
    for b, n in enumerate(lengths.tolist()):
        want = model.forward_state(tokens[b : b + 1, :n]).state if n else model.initial_state(1)
        _assert_states_close(state.select([b]), want)
    with pytest.raises(ModelError, match="lengths"):
        model.forward_state(tokens, lengths=torch.tensor([0, 3, 10, 1]))


@torch.no_grad()
def test_patching_a_site_matches_the_stepped_reference(model):
    tokens = _tokens(3, 7)
    other = model.forward_sites(_tokens(3, 7, seed=1)).sites
    torch.testing.assert_close(model.forward_patched(tokens, torch.tensor([2, 2, 2]),
                                                     {s: (lambda x: x) for s in model.intervention_sites()}),
                               model(tokens), **TOL)
    for site in model.intervention_sites():
        if site in other:
            donor = other[site][:, 4]  # (B, F): another word's value at position 4

            def patch_fn(x, donor=donor):
                return donor
        else:  # a state component that is no forward site: scale it
            def patch_fn(x):
                return 0.5 * x
        patched = model.forward_patched(tokens, torch.tensor([3, 3, 3]), {site: patch_fn})
        want, _, _ = _step_all(model, tokens, patch_at=3, patch={site: patch_fn})
        torch.testing.assert_close(patched, want, **TOL, msg=site)
        torch.testing.assert_close(patched[:, :3], model(tokens)[:, :3], **TOL)
    # rows patched at different positions
    position = torch.tensor([0, 5, 6])
    patch = {model.intervention_sites()[1]: (lambda x: 0.5 * x)}
    patched = model.forward_patched(tokens, position, patch)
    want = torch.cat([_step_all(model, tokens[b : b + 1], patch_at=p, patch=patch)[0]
                      for b, p in enumerate(position.tolist())])
    torch.testing.assert_close(patched, want, **TOL)


@torch.no_grad()
def test_swapping_the_whole_state_gives_the_other_words_run(model):
    u, v, w = _tokens(3, 7, seed=2), _tokens(3, 5, seed=3), _tokens(3, 6, seed=4)
    after_u = model.forward_state(u).state
    after_v = model.forward_state(v).state
    swapped = after_u.replace({name: after_v[name] for name in after_u.names})
    continued = model.forward_state(w, swapped).outputs
    torch.testing.assert_close(continued, model(torch.cat([v, w], 1))[:, 5:], **TOL)
    assert not torch.allclose(model.forward_state(w, after_u).outputs, continued)


def test_gradients_reach_a_patched_state(model):
    tokens = _tokens()
    with torch.no_grad():
        before = model.forward_state(tokens[:, :4]).state
    site = model.state_names()[-1]
    direction = torch.zeros(before.features(site).shape[1], requires_grad=True)
    step = model.step(tokens[:, 4], before, patch={site: lambda x: x + direction})
    out = model.forward_state(tokens[:, 5:], step.state).outputs
    (grad,) = torch.autograd.grad(out.sum(), direction)
    assert grad.abs().sum() > 0


def test_bad_patches_and_states_are_errors(model):
    tokens = _tokens()
    with pytest.raises(ModelError, match="unknown site 'layers.9.resid'"):
        model.forward_patched(tokens, torch.tensor([1, 1, 1]), {"layers.9.resid": lambda x: x})
    with pytest.raises(ModelError, match="returned shape"):
        model.step(tokens[:, 0], model.initial_state(3), patch={"embed": lambda x: x[:, :2]})
    state = model.initial_state(3)
    with pytest.raises(ModelError, match="no component"):
        state["nope"]
    with pytest.raises(ModelError, match="first"):
        RecurrentState({"a": torch.zeros(2, 3), "b": torch.zeros(3, 3)})
    assert RecurrentState.cat([state, state.select([0])]).batch_size == 4


def test_the_transformer_has_no_state_but_patches_a_position():
    model = build_model(ModelConfig(arch="transformer", vocab_size=5, n_outputs=3, d_model=16, n_layers=2),
                        seed=0).eval()
    tokens = _tokens()
    assert not model.is_recurrent and model.state_names() == []
    with pytest.raises(ModelError, match="no recurrent state"):
        model.initial_state(1)
    with torch.no_grad():
        same = model.forward_patched(tokens, torch.tensor([3, 3, 3]), {"layers.0.resid": lambda x: x})
        torch.testing.assert_close(same, model(tokens))
        donor = model.forward_sites(_tokens(seed=1)).sites["layers.0.resid"][:, 3]
        patched = model.forward_patched(tokens, torch.tensor([3, 3, 3]), {"layers.0.resid": lambda x: donor})
    torch.testing.assert_close(patched[:, :3], model(tokens)[:, :3])
    assert not torch.allclose(patched[:, 3:], model(tokens)[:, 3:])
