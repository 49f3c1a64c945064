"""Tests for automata_probe.probing.probe: probe_model end to end on a tiny model."""

from __future__ import annotations

import numpy as np

from automata_probe.probing import ProbeConfig, probe_model

SMALL = dict(n_train=12, n_test=6, train_lengths=(1, 8), test_bins=[(9, 12)])


def test_report_is_well_formed(tiny_report, tiny_model):
    r = tiny_report
    assert [s.site for s in r.sites] == tiny_model.site_names()
    assert r.class_names == ("q0", "q1", "q2", "dead") and r.control_window == 4
    for s in r.sites:
        assert [b.lengths for b in s.bins] == [(1, 8), (9, 12)]
        for b in s.bins:
            for score in (b.accuracy, b.majority, b.untrained, b.control, b.mlp):
                assert len(score.values) == 2 and all(0.0 <= v <= 1.0 for v in score.values)
            np.testing.assert_allclose(b.selectivity.values, np.subtract(b.accuracy.values, b.control.values))
        assert np.asarray(s.confusion).shape == (4, 4)
        assert np.asarray(s.confusion).sum() == sum(s.at_train.n_positions)
        assert len(s.accuracy_by_length) == 13  # prefix lengths 0..12
    assert s.n_probe_features == s.n_features == 8
    assert r.site("layers.0.ssm_state").n_features == 32
    assert r.projection is not None and len(r.projection.points) == len(r.projection.labels) > 0


def test_same_seeds_give_identical_numbers(tiny_model, tomita4, tiny_report):
    again = probe_model(tiny_model, tomita4, ProbeConfig(seeds=(0, 1), mlp=True, **SMALL))
    assert again.to_dict() == tiny_report.to_dict()


def test_without_controls_the_fields_are_none(tiny_model, tomita4):
    r = probe_model(tiny_model, tomita4, ProbeConfig(seeds=(0,), controls=False, sites=["embed"], **SMALL))
    b = r.sites[0].at_train
    assert b.untrained is None and b.control is None and b.selectivity is None and b.mlp is None
    assert r.control_window is None


def test_wide_sites_are_reduced(tiny_model, tomita4):
    r = probe_model(tiny_model, tomita4, ProbeConfig(seeds=(0,), controls=False, sites=["layers.0.ssm_state"],
                                                     max_features=5, **SMALL))
    assert (r.sites[0].n_features, r.sites[0].n_probe_features) == (32, 5)
