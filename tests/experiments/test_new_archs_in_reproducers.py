"""Sweeps and every reproducer accept the new architectures as ARCH[-N][-neg] specs (a fast run each)."""

from __future__ import annotations

import pytest

from automata_probe.cli import main
from automata_probe.experiments import Job, grid, run_sweep
from automata_probe.experiments.reproduce import merrill_job, merrill_jobs
from automata_probe.experiments.reproduce_flipflop import FlipFlopBudget, run_flip_flop
from automata_probe.experiments.reproduce_merrill import DepthBudget, run_merrill_depth
from automata_probe.experiments.reproduce_sarrof import run_sarrof


def test_merrill_job_trains_a_deltaproduct_with_negative_eigenvalues():
    job = Job(language="group-S3-all", arch="deltaproduct-2-neg", layers=1, seed=0,
              params=(("task", "state"), ("steps", 2), ("d_model", 8), ("batch_size", 4), ("eval_n", 4),
                      ("max_length", 4), ("words", "uniform")))
    out = merrill_job(job)
    assert sorted(k for k in out if k.startswith("acc_len")) == ["acc_len2", "acc_len3", "acc_len4"]
    assert merrill_jobs(["group-S3-all"], [1], archs=["Mamba2-neg"])[0].arch == "mamba2-neg"


def test_a_sweep_runs_each_new_architecture(tmp_path):
    jobs = grid(["group-S3-all"], archs=["mamba2", "gated-deltanet-neg", "deltanet"], layers=[1], seeds=[0],
                task="state", steps=2, d_model=8, batch_size=4, eval_n=4, max_length=3, words="uniform")
    result = run_sweep(jobs, "automata_probe.experiments.reproduce:merrill_job", tmp_path / "s.csv", workers=1)
    assert result.ran == 3 and result.failed == 0, [r["error"] for r in result.rows]


def test_sarrof_table_trains_a_gated_deltanet(tmp_path):
    result = run_sarrof(tmp_path, languages=["parity"], layers=[1], seeds=[0], grid="one", epochs=1, scale=0.02,
                        workers=1, archs=["gated-deltanet-neg"])
    assert result.ran == 1 and result.failed == 0, result.rows


def test_merrill_depth_and_flip_flop_take_the_new_specs(tmp_path):
    budget = DepthBudget(n_seqs=40, d_model=8, batch_size=16, epochs=1, max_steps=2, eval_every=1)
    r = run_merrill_depth(tmp_path, groups=["group-S3-all"], archs=["deltanet-neg"], lengths=[2], max_depth=1,
                          seeds=[0], budget=budget, workers=1)
    assert r.failed == 0 and {row["arch"] for row in r.rows} == {"deltanet-neg"}
    ff = run_flip_flop(tmp_path, budget=FlipFlopBudget(length=16, d_model=8, steps=2, eval_every=2, n_val=10),
                       seeds=[0], archs=["mamba2"], workers=1)
    assert ff.failed == 0


@pytest.mark.parametrize("experiment", ["sarrof", "merrill", "merrill-depth", "flip-flop"])
def test_bad_specs_exit_2_in_one_line(experiment, capsys, tmp_path):
    assert main(["reproduce", experiment, "--quick", "--archs", "deltanet-7", "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "deltanet-7" in err
