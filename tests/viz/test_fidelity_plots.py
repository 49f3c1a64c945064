"""Tests for the disagreement and fidelity plots: a rare disagreement stays visible."""

from __future__ import annotations

import pytest

from automata_probe.extraction import DFAOracle, FidelityPlan, fidelity

from ..extraction.helpers import first_equals_last, forgetful, tomita


@pytest.fixture
def axes(monkeypatch: pytest.MonkeyPatch) -> list:
    """The y scale and limits of every figure saved during the test."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    seen: list = []
    save = Figure.savefig

    def spy(self, *a, **kw):  # noqa: ANN001, ANN002, ANN003, ANN202
        ax = self.axes[0]
        seen.append((ax.get_yscale(), ax.get_ylim()))
        return save(self, *a, **kw)

    monkeypatch.setattr(Figure, "savefig", spy)
    return seen


def test_one_disagreement_in_8192_is_not_hidden(axes: list, tmp_path) -> None:  # noqa: ANN001
    from automata_probe.viz.drawing import plot_disagreement

    rates = [0.0] * 13 + [1 / 8192, 0.0]
    plot_disagreement({"lstar": rates}, tmp_path / "a.png")
    assert axes[-1][0] == "log"
    big = [0.0, 0.2, 0.35, 0.3]
    plot_disagreement({"probe": big}, tmp_path / "b.png")
    scale, (lo, hi) = axes[-1]
    assert scale == "linear" and 0.35 < hi < 0.45  # adaptive: the largest rate fills the axis


def test_plot_fidelity_draws_exact_lengths_and_sampled_bins(axes: list, tmp_path) -> None:  # noqa: ANN001
    from automata_probe.viz import plot_fidelity

    truth, model = first_equals_last(), forgetful(40)
    plan = FidelityPlan(bins=((1, 30), (31, 60)), words_per_bin=200)
    fids = {"truth": fidelity(truth, DFAOracle(model), plan, references=(truth,)),
            "tomita4": fidelity(tomita(4), DFAOracle(model), plan), "none": None}
    path = plot_fidelity(fids, tmp_path / "f.png")
    assert path.read_bytes()[:4] == b"\x89PNG" and axes[-1][0] == "log"
