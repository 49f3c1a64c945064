"""The papers' experiments: published data, job functions, tables, the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from automata_probe.algebra import is_star_free
from automata_probe.cli import main
from automata_probe.errors import AutomataProbeError
from automata_probe.automata import load_language
from automata_probe.experiments.reproduce import (
    merrill_jobs,
    MERRILL_GROUPS,
    PUBLISHED_SARROF,
    SARROF_QUICK,
    Budget,
    merrill_job,
    run_sarrof,
    sarrof_jobs,
    sarrof_table,
)
from automata_probe.experiments.sweep import Job
from automata_probe.viz.reproduce_plots import plot_sarrof

# Sarrof et al.'s grouping of their 18 languages
STAR_FREE = {"tomita1", "tomita2", "tomita4", "tomita7", "abcde", "ab_d_bc", "012_02", "d2", "d3", "d4", "d12"}


def test_published_table_covers_the_18_languages_and_each_loads():
    assert len(PUBLISHED_SARROF) == 18
    assert set(SARROF_QUICK) <= set(PUBLISHED_SARROF)
    for name in PUBLISHED_SARROF:
        assert is_star_free(load_language(name).dfa) == (name in STAR_FREE), name


def test_published_star_free_languages_generalize_and_others_do_not():
    # the paper's qualitative finding, as data: a guard against typos in the table
    for name, cells in PUBLISHED_SARROF.items():
        best_longer = max(test for _, test in cells.values() if test is not None)
        if name in STAR_FREE:
            assert best_longer >= 93, name
        else:
            assert best_longer < 30, name


def test_merrill_groups_are_the_three_groups_of_order_60_and_s3():
    assert [load_language(g).dfa.n_states for g in MERRILL_GROUPS] == [60, 6, 60, 60]


def test_sarrof_jobs_key_on_the_budget():
    a = sarrof_jobs(["tomita4"], [1], budget=Budget(steps=10))
    b = sarrof_jobs(["tomita4"], [1], budget=Budget(steps=20))
    assert a[0].key != b[0].key and a[0].param("task") == "next"


def test_jobs_on_another_device_carry_it_in_their_key_and_cpu_keys_stay_put():
    cpu = sarrof_jobs(["tomita4"], [1], budget=Budget(steps=10))[0]
    gpu = sarrof_jobs(["tomita4"], [1], budget=Budget(steps=10), device="cuda")[0]
    assert "device" not in cpu.key and gpu.param("device") == "cuda" and gpu.key != cpu.key
    assert merrill_jobs(["group-Z60-all"], [1], device="auto")[0].param("device") == "auto"
    with pytest.raises(AutomataProbeError, match="tpu"):
        sarrof_jobs(["tomita4"], [1], device="tpu")


def test_a_tiny_sarrof_sweep_runs_tabulates_and_plots(tmp_path):
    budget = Budget(steps=3, d_model=8, batch_size=4, eval_n=4)
    result = run_sarrof(tmp_path, languages=["tomita1", "parity"], layers=[1], budget=budget, workers=1)
    assert result.ran == 2 and result.failed == 0
    rows = sarrof_table(result)
    assert [r["language"] for r in rows] == ["tomita1", "parity"]
    assert rows[0]["star_free"] in (True, "True") and rows[1]["star_free"] in (False, "False")
    assert all(0 <= float(r["ours_test"]) <= 100 for r in rows)
    assert rows[1]["paper_layers"] == 1 and rows[1]["paper_test"] == 0
    png = plot_sarrof(rows, tmp_path / "s.png")
    assert png.stat().st_size > 10_000
    again = run_sarrof(tmp_path, languages=["tomita1", "parity"], layers=[1], budget=budget, workers=1)
    assert again.ran == 0 and again.skipped == 2


def test_published_depth_falls_back_to_the_deepest_reported(tmp_path):
    budget = Budget(steps=2, d_model=8, batch_size=4, eval_n=4)
    rows = sarrof_table(run_sarrof(tmp_path, languages=["tomita5"], layers=[1], budget=budget, workers=1))
    assert rows[0]["paper_layers"] == 3 and rows[0]["paper_test"] == 0


def test_merrill_job_reports_accuracy_at_every_length():
    job = Job(language="group-S3-all", arch="lstm", layers=1, seed=0,
              params=(("task", "state"), ("steps", 2), ("d_model", 8), ("batch_size", 4), ("eval_n", 4),
                      ("max_length", 4)))
    out = merrill_job(job)
    assert sorted(k for k in out if k.startswith("acc_len")) == ["acc_len2", "acc_len3", "acc_len4"]


def test_cli_rejects_an_unknown_language_before_training(capsys, tmp_path):
    assert main(["reproduce", "sarrof", "--languages", "tomtia4", "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "tomita4" in err
    assert not (Path(tmp_path) / "sarrof.csv").exists()
