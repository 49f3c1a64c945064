"""Sweeps: keys, resumption, failures, parallel workers, the CSV file."""

from __future__ import annotations

import pytest

from automata_probe.errors import AutomataProbeError
from automata_probe.experiments.sweep import Job, grid, read_results, run_sweep

from . import sweep_jobs


def test_grid_is_the_cartesian_product_with_unique_keys():
    jobs = grid(["tomita4", "parity"], archs=["mamba", "lstm"], layers=[1, 2], seeds=[0, 1], steps=100)
    assert len(jobs) == 16
    assert len({j.key for j in jobs}) == 16
    assert jobs[0].key == "tomita4|mamba|L1|s0|steps=100"
    assert jobs[0].param("steps") == 100


def test_params_are_part_of_the_key():
    assert Job(language="a", params=(("steps", 1),)).key != Job(language="a", params=(("steps", 2),)).key


def test_sweep_runs_each_job_once_and_resumes(tmp_path):
    path = tmp_path / "r.csv"
    jobs = grid(["x"], seeds=[1, 2, 3])
    first = run_sweep(jobs[:2], sweep_jobs.square, path, workers=1)
    assert (first.ran, first.skipped) == (2, 0)
    second = run_sweep(jobs, sweep_jobs.square, path, workers=1)
    assert (second.ran, second.skipped) == (1, 2)
    assert [r["value"] for r in second.rows] == [1, 4, 9]
    assert len(read_results(path)) == 3


def test_failed_jobs_are_recorded_and_retried(tmp_path):
    path = tmp_path / "r.csv"
    bad = Job(language="boom", params=(("fail", True),))
    res = run_sweep([bad], sweep_jobs.square, path, workers=1)
    assert res.failed == 1
    assert res.rows[0]["status"] == "error" and "asked to fail on boom" in res.rows[0]["error"]
    again = run_sweep([bad], sweep_jobs.square, path, workers=1)
    assert again.ran == 1  # errors are not "done"
    assert len(read_results(path)) == 1  # the retry replaced the old row


def test_new_columns_widen_the_file(tmp_path):
    path = tmp_path / "r.csv"
    run_sweep(grid(["a"]), sweep_jobs.square, path, workers=1)
    run_sweep(grid(["b"]), sweep_jobs.with_new_column, path, workers=1)
    rows = read_results(path)
    assert rows[1]["extra"] == "B" and rows[0]["extra"] == ""


def test_parallel_workers_use_separate_processes(tmp_path):
    res = run_sweep(grid(["p"], seeds=range(4)), "tests.experiments.sweep_jobs:square", tmp_path / "r.csv", workers=2)
    assert [r["value"] for r in res.rows] == [0, 1, 4, 9]
    assert all(r["status"] == "ok" for r in res.rows)


def test_duplicate_jobs_and_unknown_backend_are_errors(tmp_path):
    with pytest.raises(AutomataProbeError, match="twice"):
        run_sweep([Job(language="a"), Job(language="a")], sweep_jobs.square, tmp_path / "r.csv")
    with pytest.raises(AutomataProbeError, match="unknown sweep backend"):
        run_sweep([Job(language="a")], sweep_jobs.square, tmp_path / "r.csv", backend="dask")


def test_ray_backend_runs_the_same_sweep(tmp_path):
    pytest.importorskip("ray")
    res = run_sweep(grid(["r"], seeds=range(3)), sweep_jobs.square, tmp_path / "r.csv", backend="ray")
    assert [r["value"] for r in res.rows] == [0, 1, 4]
    again = run_sweep(grid(["r"], seeds=range(3)), sweep_jobs.square, tmp_path / "r.csv", backend="ray")
    assert again.ran == 0


def test_names_that_look_like_numbers_stay_text(tmp_path):
    path = tmp_path / "r.csv"
    run_sweep(grid(["012_02", "1e3"], seeds=[2]), sweep_jobs.square, path, workers=1)
    rows = read_results(path)
    assert [r["language"] for r in rows] == ["012_02", "1e3"]
    assert [r["value"] for r in rows] == [4, 4] and rows[0]["seed"] == 2  # results are still numbers
