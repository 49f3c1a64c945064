"""Tests for automata_probe.probing.report: scores over seeds and the report's JSON."""

from __future__ import annotations

import json

import numpy as np
import pytest

from automata_probe.probing import (
    BEST_SITE_RULE,
    BinScores,
    ProbeReport,
    Score,
    SiteReport,
)


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


def test_table_has_every_bin_with_its_controls(tiny_report):
    """One row per (site, bin); the longer bins carry the untrained model, the control and selectivity too."""
    lines = tiny_report.table().splitlines()
    assert lines[0].split() == ["site", "lengths", "accuracy", "majority", "untrained", "control", "selectivity", "mlp"]
    body = lines[2:]
    assert len(body) == len(tiny_report.sites) * 2
    for k, s in enumerate(tiny_report.sites):
        train_row, longer_row = body[2 * k], body[2 * k + 1]
        assert train_row.startswith(s.site) and "1-8 (train)" in train_row
        assert longer_row.startswith(" ") and longer_row.split()[0] == "9-12"
        b = s.longer[0]
        assert longer_row.split()[1:] == [f"{b.accuracy}", f"{b.majority}", f"{b.untrained}", f"{b.control}",
                                          f"{b.selectivity.mean:+.3f}±{b.selectivity.std:.3f}", f"{b.mlp}"]
    marked = [line for line in body if " * " in line]
    assert len(marked) == 1 and marked[0].startswith(tiny_report.best_site.site)


def test_best_site_is_named_with_its_rule(tiny_report):
    summary = tiny_report.best_site_summary()
    assert summary.startswith(f"* best site: {tiny_report.best_site.site} (best = highest mean held-out accuracy")
    assert "ties go to the higher mean over the longer bins" in " ".join(summary.split())


def test_json_keeps_its_keys_and_adds_the_best_site(tiny_report):
    d = json.loads(tiny_report.to_json())
    old = {"model", "checkpoint", "language", "dfa", "target", "class_names", "seeds", "n_train", "n_test",
           "train_lengths", "test_bins", "source", "controls", "mlp", "control_window", "max_features", "sites",
           "projection"}
    assert old <= set(d)
    assert d["best_site"] == tiny_report.best_site.site and d["best_site_rule"] == BEST_SITE_RULE
    longer = d["sites"][0]["bins"][1]
    assert {"untrained", "control", "selectivity"} <= set(longer) and longer["control"] is not None


def test_best_site_rule_breaks_ties_by_the_longer_bins():
    def site(name, train, longer):
        bins = tuple(BinScores(lengths=lengths, at_train_lengths=k == 0, n_words=(1,), n_positions=(1,),
                               accuracy=Score(values=(acc,)), majority=Score(values=(0.5,)))
                     for k, (lengths, acc) in enumerate([((1, 8), train), ((9, 12), longer)]))
        return SiteReport(site=name, n_features=2, n_probe_features=2, bins=bins, train_accuracy=Score(values=(1.0,)),
                          confusion=((1,),), confusion_longer=((1,),), accuracy_by_length=(1.0,))

    sites = (site("embed", 0.9, 0.9), site("a", 1.0, 0.95), site("b", 1.0, 0.99), site("c", 1.0, 0.99))
    report = ProbeReport(model="m", checkpoint="", language="", dfa="d", target="state", class_names=("q0",),
                         seeds=(0,), n_train=1, n_test=1, train_lengths=(1, 8), test_bins=((9, 12),), source="mixed",
                         controls=False, mlp=False, control_window=None, max_features=None, sites=sites)
    assert report.best_site.site == "b"  # tied with a and c at 1.0; b beats a beyond; b is before c
    summary = report.best_site_summary()
    assert summary.startswith("* best site: b") and "a, c" in summary and "embed" not in summary
    assert report.table().splitlines()[2].split()[:2] == ["embed", "1-8"]  # no controls: no control columns
    assert "untrained" not in report.table()
