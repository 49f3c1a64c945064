"""Tests for automata_probe.probing.intervene: the report end to end, on the exact DFA model and on tiny networks."""

from __future__ import annotations

import json

import numpy as np
import pytest

from automata_probe.errors import DataError, ModelError, ParameterError
from automata_probe.models import ModelConfig, build_model
from automata_probe.probing import InterventionConfig, InterventionReport, intervene

from ..models.dfa_model import DFAModel

SMALL = dict(n_train=32, n_test=24, train_lengths=(1, 8), test_bins=((9, 12),), w_lengths=(1, 5), das_steps=20,
             free_run=3, free_n=8, length_buckets=4)


@pytest.fixture(scope="module")
def exact_report(tomita4) -> InterventionReport:
    return intervene(DFAModel(tomita4), tomita4, InterventionConfig(seeds=(0, 1), controls=False, source="mixed",
                                                                    **SMALL), alphabet=("0", "1"), task="next")


def test_the_exact_model_has_its_state_where_it_is(exact_report):
    r = exact_report
    assert r.sites == ("embed", "layers.0.resid", "final", "layers.0.state")
    assert r.modes == ("full", "none", "site", "probe", "random", "das", "steer")
    for b in range(2):
        ceiling, floor = r.score("trained", b, "", "full"), r.score("trained", b, "", "none")
        assert ceiling.interchange.values == (1.0, 1.0) and ceiling.dfa.values == (1.0, 1.0)
        assert floor.interchange.values == (0.0, 0.0) and floor.dfa.values == (0.0, 0.0)
        for site in ("layers.0.resid", "layers.0.state"):
            assert r.score("trained", b, site, "site").dfa.mean == 1.0
            assert r.score("trained", b, site, "probe").dfa.mean == 1.0
        assert r.score("trained", b, "final", "site").dfa.mean == 0.0
    assert r.causal_sites("trained", 0) == ("layers.0.resid", "layers.0.state")
    assert "lives causally at layers.0.resid" in r.summary()
    table = r.table()
    assert "ceiling (whole state of v): iia 1.000±0.000  dfa 1.000±0.000" in table
    assert "floor (no patch)" in table and "iia:das" in table
    assert {(h.kind, h.mode) for h in r.heatmaps} >= {("trained", "site"), ("trained", "das")}
    h = [h for h in r.heatmaps if h.mode == "site"][0]
    assert h.values.shape == (4, len(h.length_edges) - 1)
    assert np.nanmax(h.values[1]) == 1.0
    free = {(f.site, f.mode, f.greedy): f for f in r.free_runs}
    assert free[("", "full", False)].agree == (1.0, 1.0, 1.0)
    assert free[("layers.0.resid", "site", True)].agree == (1.0, 1.0, 1.0)


def test_report_round_trips_through_json(exact_report, tmp_path):
    path = tmp_path / "r.json"
    exact_report.to_json(path)
    back = InterventionReport.from_dict(json.loads(path.read_text()))
    assert back.to_dict() == exact_report.to_dict()


def test_figures_are_written(exact_report, tmp_path):
    from automata_probe.viz.causal_plots import plot_intervention_report

    paths = plot_intervention_report(exact_report, tmp_path / "c.png")
    assert [p.name for p in paths] == ["c.png", "c_heatmap.png", "c_free.png"]
    assert all(p.stat().st_size > 10_000 for p in paths)


def test_a_tiny_mamba_with_its_untrained_control(tomita4):
    model = build_model(ModelConfig(arch="mamba", vocab_size=4, n_outputs=3, d_model=8, n_layers=1, d_state=2), seed=0)
    r = intervene(model, tomita4, InterventionConfig(seeds=(0,), sites=("layers.0.ssm_state", "layers.0.state"),
                                                     modes=("site", "probe"), source="mixed", **SMALL),
                  alphabet=("0", "1"), task="next")
    assert r.kinds == ("trained", "untrained") and r.recurrent
    for kind in r.kinds:
        assert r.score(kind, 0, "", "full").interchange.mean == 1.0  # the ceiling is v's own run, for any model
        assert r.score(kind, 0, "", "none").interchange.mean == 0.0
        assert r.probe(kind, "layers.0.state").n_features == 8 * 2 * (2 + 4)  # conv (ED x d_conv) + ssm (N x ED)


def test_transformer_has_no_ceiling_and_refuses_a_full_swap(tomita4):
    model = build_model(ModelConfig(arch="transformer", vocab_size=4, n_outputs=3, d_model=8, n_layers=1,
                                    n_heads=2), seed=0)
    r = intervene(model, tomita4, InterventionConfig(seeds=(0,), controls=False, modes=("site",), source="mixed",
                                                     **SMALL), alphabet=("0", "1"), task="next")
    assert "full" not in r.modes and r.score("trained", 0, "", "full") is None and not r.free_runs
    assert "ceiling (whole state of v): n/a (no recurrent state)" in r.table()
    with pytest.raises(ModelError, match="mode 'full'.*transformer has no state"):
        intervene(model, tomita4, InterventionConfig(modes=("full",), **SMALL), alphabet=("0", "1"), task="next")


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(sites=("layers.7.resid",)), ModelError, "unknown site 'layers.7.resid'"),
    (dict(modes=("teleport",)), DataError, "unknown mode 'teleport'"),
    (dict(target="partition:q0|q1"), DataError, "does not cover state 'q2'"),
    (dict(target="quotient:sign"), DataError, "not a group"),
    (dict(steer_p=1.5), ParameterError, "steer_p"),
])
def test_bad_settings_name_the_culprit(tomita4, kwargs, error, message):
    model = DFAModel(tomita4)
    with pytest.raises(error, match=message):
        intervene(model, tomita4, InterventionConfig(controls=False, **{**SMALL, **kwargs}), alphabet=("0", "1"),
                  task="next")


def test_a_partition_target_agrees_with_some_state_of_the_class(tomita4):
    r = intervene(DFAModel(tomita4), tomita4,
                  InterventionConfig(target="partition:live-dead", seeds=(0,), controls=False, source="mixed",
                                     modes=("site",), **SMALL), alphabet=("0", "1"), task="next")
    assert r.class_names == ("live", "dead")
    assert r.score("trained", 0, "layers.0.resid", "site").dfa.mean == 1.0
    assert r.score("trained", 0, "", "none").dfa.mean == 0.0
