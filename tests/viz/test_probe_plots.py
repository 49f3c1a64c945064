"""Tests for automata_probe.viz.probe_plots: the four figures of a probe report."""

from __future__ import annotations

import pytest

from automata_probe.probing import ProbeConfig, ProbeReport, probe_model


@pytest.fixture(scope="module")
def tiny_model():
    from automata_probe.models import ModelConfig, build_model

    return build_model(ModelConfig(arch="mamba", vocab_size=4, n_outputs=3, d_model=8, n_layers=1, d_state=2), seed=0)


SMALL = dict(n_train=12, n_test=6, train_lengths=(1, 8), test_bins=[(9, 12)])


@pytest.fixture(scope="module")
def tiny_report(tiny_model, tomita4) -> ProbeReport:
    return probe_model(tiny_model, tomita4, ProbeConfig(seeds=(0, 1), mlp=True, **SMALL))


def test_plots_write_four_files(tiny_report, tmp_path):
    from automata_probe.viz.probe_plots import plot_report

    paths = plot_report(tiny_report, tmp_path / "r.png")
    assert [p.name for p in paths] == ["r.png", "r_length.png", "r_confusion.png", "r_pca.png"]
    for p in paths:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
