"""Tests for the intervention machinery: triples, subspaces, steering, patches, DAS, on a model that runs the DFA exactly."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from automata_probe.automata import load_language
from automata_probe.errors import DataError
from automata_probe.models import ModelConfig, build_model
from automata_probe.probing import make_labeler, sample_triples
from automata_probe.probing.das import fit_das
from automata_probe.probing.interventions import (
    free_run,
    full_swap_codes,
    memory_sites,
    patched_codes,
    patched_start,
    prepare,
    scores,
    site_patch,
    subspace_patch,
)
from automata_probe.probing.subspaces import fit_probe_map, random_subspace, row_space, steer
from automata_probe.probing.triples import dfa_codes

from ..models.dfa_model import DFAModel


@pytest.fixture(scope="module")
def labeler(tomita4):
    return make_labeler(tomita4, "state")


@pytest.fixture(scope="module")
def triples(labeler):
    return sample_triples(labeler, task="next", lengths=(1, 10), n=40, w_lengths=(1, 6), seed=0, source="mixed")


@pytest.fixture(scope="module")
def exact(tomita4):
    return DFAModel(tomita4).eval()


def test_triples_tell_their_prefixes_apart(labeler, triples):
    dfa = labeler.dfa
    assert triples.n == 40 and (triples.w_len >= 1).all() and (triples.w_len <= 6).all()
    assert ((triples.u_len >= 1) & (triples.u_len <= 10)).all()
    q_u, q_v = labeler.states_of_nodes[triples.node_u], labeler.states_of_nodes[triples.node_v]
    assert (q_u != q_v).all()
    def states(q, w):
        out = []
        for a in w:
            q = dfa.table[q, a]
            out.append(q)
        return np.asarray(out)

    for r in range(triples.n):
        w = triples.w[r, : triples.w_len[r]]
        from_u, from_v = states(q_u[r], w), states(q_v[r], w)
        assert (dfa_codes(dfa, from_u, "next") != dfa_codes(dfa, from_v, "next")).any()  # w tells them apart
        assert dfa.live_mask[from_v[-1]] or not dfa.live_mask[q_v[r]]  # w keeps q_v live
    assert triples.take(np.arange(5)).n == 5


def test_triples_for_a_language_with_one_class_of_words_fail_clearly():
    lab = make_labeler(load_language("tomita4").dfa, "partition:live-dead")
    with pytest.raises(DataError, match="interchange pairs"):
        sample_triples(lab, task="next", lengths=(1, 10), n=20, w_lengths=(1, 4), seed=0, source="language")


def test_a_quotient_with_a_complement_pairs_prefixes_that_differ_only_in_the_quotient():
    lab = make_labeler(load_language("group-A4xZ5").dfa, "quotient:Z5")
    t = sample_triples(lab, task="state", lengths=(1, 8), n=20, w_lengths=(1, 3), seed=1, source="mixed")
    assert (lab.complement[t.node_u] == lab.complement[t.node_v]).all()
    assert (lab.node_class[t.node_u] != lab.node_class[t.node_v]).all()
    assert (t.candidates[:, 1:] == -1).all()  # the counterfactual is one element: v's


def test_probe_map_reproduces_the_probe_and_its_row_space():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 40)).astype(np.float32)
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)
    pm, reducer, probe = fit_probe_map(X, y, max_features=10, C=1.0, max_iter=300, seed=0)
    np.testing.assert_array_equal(pm.predict(X), probe.predict(reducer(X)))
    Q = row_space(pm)
    assert Q.shape == (40, 2)
    np.testing.assert_allclose(Q.T @ Q, np.eye(2), atol=1e-8)
    # interchanging the probe's subspace makes the probe read the source exactly
    x_u, x_v = X[:5].astype(np.float64), X[5:10].astype(np.float64)
    patched = x_u + (x_v - x_u) @ Q @ Q.T
    np.testing.assert_allclose(pm.logits(patched) - pm.logits(patched).mean(1, keepdims=True),
                               pm.logits(x_v) - pm.logits(x_v).mean(1, keepdims=True), atol=1e-6)
    R = random_subspace(40, 2, np.random.default_rng(1))
    np.testing.assert_allclose(R.T @ R, np.eye(2), atol=1e-10)


def test_steering_is_the_smallest_shift_that_makes_the_probe_say_the_target():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, 6))
    y = np.argmax(X[:, :3], 1)
    pm, _, _ = fit_probe_map(X, y, max_features=None, C=10.0, max_iter=500, seed=0)
    target = (pm.predict(X[:50]) + 1) % 3
    delta = steer(pm, X[:50], target, p=0.9)
    logits = pm.logits(X[:50] + delta)
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    assert (p[np.arange(50), [list(pm.classes).index(t) for t in target]] >= 0.9 - 1e-6).all()
    Q = row_space(pm)
    np.testing.assert_allclose(delta - delta @ Q @ Q.T, 0, atol=1e-8)  # only along the probe
    # a shorter shift falls short of the margin for some row
    logits = pm.logits(X[:50] + 0.5 * delta)
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    assert (p[np.arange(50), [list(pm.classes).index(t) for t in target]] < 0.9 - 1e-6).any()


def test_on_the_exact_model_the_state_site_moves_it_and_the_ceiling_and_floor_are_exact(exact, labeler, triples):
    prep = prepare(exact, triples, labeler, "next")
    assert prep.informative.all()
    inter, dfa = scores(prep, full_swap_codes(exact, prep))
    assert inter.all() and dfa.all()  # the whole state of v gives exactly the v.w run
    inter, dfa = scores(prep, prep.own_uw)
    assert not inter.any() and not dfa.any()  # no patch: the floor
    inter, dfa = scores(prep, patched_codes(exact, prep, "layers.0.resid", site_patch(prep.sites_v["layers.0.resid"])))
    assert inter.all() and dfa.all()
    inter, dfa = scores(prep, patched_codes(exact, prep, "final", site_patch(prep.sites_v["final"])))
    assert not dfa.any()  # the head's input is no memory
    # the probe's row space holds the state: patching it is as good as the whole site
    X = torch.cat([prep.sites_u["layers.0.resid"], prep.sites_v["layers.0.resid"]]).numpy()
    y = labeler.node_class[np.concatenate([triples.node_u, triples.node_v])]
    pm, _, _ = fit_probe_map(X, y, max_features=None, C=10.0, max_iter=500, seed=0)
    Q = torch.from_numpy(row_space(pm)).float()
    _, dfa = scores(prep, patched_codes(exact, prep, "layers.0.resid",
                                        subspace_patch(prep.sites_v["layers.0.resid"], Q)))
    assert dfa.all()
    assert memory_sites(exact) == {"layers.0.state": ("layers.0.resid",)}
    _, dfa = scores(prep, patched_codes(exact, prep, "layers.0.state", site_patch(prep.sites_v["layers.0.state"])))
    assert dfa.all()


def test_das_finds_the_state_subspace_of_the_exact_model(exact, labeler, triples, tomita4):
    train = sample_triples(labeler, task="next", lengths=(1, 10), n=40, w_lengths=(1, 6), seed=5, source="mixed")
    Q = fit_das(exact, prepare(exact, train, labeler, "next"), labeler, "layers.0.resid", 3, steps=80, lr=0.1)
    assert Q.shape == (4, 3)
    prep = prepare(exact, triples, labeler, "next")
    _, dfa = scores(prep, patched_codes(exact, prep, "layers.0.resid",
                                        subspace_patch(prep.sites_v["layers.0.resid"], torch.from_numpy(Q).float())))
    assert dfa.mean() >= 0.9


def test_free_running_from_v_follows_the_automaton(exact, labeler, triples):
    prep = prepare(exact, triples, labeler, "next")
    q_v = labeler.states_of_nodes[triples.node_v]
    run = free_run(exact, labeler, prep.outputs_v, prep.state_v, q_v, steps=5, greedy=False,
                   rng=np.random.default_rng(0))
    assert run.agree.all()  # the exact model's outputs always match the DFA from q_v
    logits, state = patched_start(exact, prep, None, None)
    run = free_run(exact, labeler, logits, state, q_v, steps=5, greedy=True, rng=np.random.default_rng(0))
    assert not run.agree[:, -1].all()  # unpatched, it follows q_u


def test_mamba_and_transformer_run_the_same_patches(labeler, triples):
    for arch in ("mamba", "transformer"):
        model = build_model(ModelConfig(arch=arch, vocab_size=4, n_outputs=3, d_model=8, n_layers=1, n_heads=2,
                                        d_state=2), seed=0).eval()
        prep = prepare(model, triples, labeler, "next")
        for site in model.intervention_sites():
            codes = patched_codes(model, prep, site, lambda x: x)  # identity: the model's own run on u.w
            np.testing.assert_array_equal(codes, prep.own_uw, err_msg=f"{arch} {site}")
