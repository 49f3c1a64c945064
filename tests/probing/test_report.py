"""Tests for automata_probe.probing.report: scores over seeds and the report's JSON."""

from __future__ import annotations

import json

import numpy as np
import pytest

from automata_probe.probing import ProbeConfig, ProbeReport, Score, probe_model


@pytest.fixture(scope="module")
def tiny_model():
    from automata_probe.models import ModelConfig, build_model

    return build_model(ModelConfig(arch="mamba", vocab_size=4, n_outputs=3, d_model=8, n_layers=1, d_state=2), seed=0)


SMALL = dict(n_train=12, n_test=6, train_lengths=(1, 8), test_bins=[(9, 12)])


@pytest.fixture(scope="module")
def tiny_report(tiny_model, tomita4) -> ProbeReport:
    return probe_model(tiny_model, tomita4, ProbeConfig(seeds=(0, 1), mlp=True, **SMALL))


def test_report_json_round_trip(tiny_report, tmp_path):
    path = tmp_path / "r.json"
    tiny_report.to_json(path)
    d = json.loads(path.read_text())
    assert d["target"] == "state" and len(d["sites"]) == len(tiny_report.sites)
    assert d["sites"][0]["bins"][0]["accuracy"]["mean"] == pytest.approx(tiny_report.sites[0].at_train.accuracy.mean)


def test_score_mean_and_spread():
    s = Score(values=(0.5, 1.0))
    assert s.mean == 0.75 and s.std == pytest.approx(np.std([0.5, 1.0], ddof=1))
    assert f"{s:.2f}" == "0.75±0.35"
