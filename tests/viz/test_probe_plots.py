"""Tests for automata_probe.viz.probe_plots: the four figures of a probe report."""

from __future__ import annotations

import pytest


def test_plots_write_four_files(tiny_report, tmp_path):
    from automata_probe.viz.probe_plots import plot_report

    paths = plot_report(tiny_report, tmp_path / "r.png")
    assert [p.name for p in paths] == ["r.png", "r_length.png", "r_confusion.png", "r_pca.png"]
    for p in paths:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_accuracy_figure_shows_the_controls_in_every_bin(tiny_report):
    from automata_probe.viz.probe_plots import accuracy_figure

    fig = accuracy_figure(tiny_report)
    panels = [ax for ax in fig.axes if ax.patches]
    assert len(panels) == 2  # training lengths, then 9-12
    n_sites = len(tiny_report.sites)
    best = tiny_report.best_site.site
    for k, ax in enumerate(panels):
        assert len(ax.patches) == 4 * n_sites  # trained, untrained, control, MLP
        heights = [p.get_height() for p in ax.patches]
        assert heights[n_sites:2 * n_sites] == pytest.approx([s.bins[k].untrained.mean for s in tiny_report.sites])
        assert heights[2 * n_sites:3 * n_sites] == pytest.approx([s.bins[k].control.mean for s in tiny_report.sites])
        sel = [t.get_text() for t in ax.texts if t.get_text().startswith("sel ")]
        assert sel == [f"sel {s.bins[k].selectivity.mean:+.3f}" for s in tiny_report.sites]
    assert f"{best} *" in [t.get_text() for t in panels[-1].get_xticklabels()]


def test_confusion_leaves_out_classes_no_position_has(tiny_report):
    """The dead state that no held-out word reaches gets no empty row; a class only predicted stays."""
    import dataclasses

    from automata_probe.viz.probe_plots import confusion_figure

    best = tiny_report.best_site
    names = tiny_report.class_names
    assert len(names) == 4 and "dead" in names[3]

    def figure(a, b):
        site = dataclasses.replace(best, confusion=a, confusion_longer=b)
        report = dataclasses.replace(tiny_report, sites=tuple(site if s is best else s for s in tiny_report.sites))
        return confusion_figure(report, site=best.site)

    a = ((5, 1, 0, 0), (0, 4, 0, 0), (0, 0, 0, 0), (0, 0, 0, 0))
    b = ((6, 0, 0, 0), (0, 3, 1, 0), (0, 0, 0, 0), (0, 0, 0, 0))  # names[2] never true, but predicted once
    fig = figure(a, b)
    for ax in fig.axes:
        assert [t.get_text() for t in ax.get_yticklabels()] == list(names[:3])
        assert [t.get_text() for t in ax.get_xticklabels()] == list(names[:3])
    notes = [t.get_text() for t in fig.texts if t.get_text().startswith("not shown")]
    assert notes == [f"not shown (no held-out position, never predicted): {names[3]}"]
    everything = ((1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0), (0, 0, 0, 0))
    fig = figure(everything, ((0, 0, 0, 0),) * 3 + ((0, 0, 0, 1),))  # the dead state only beyond: kept
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == list(names)
    assert not [t for t in fig.texts if t.get_text().startswith("not shown")]
