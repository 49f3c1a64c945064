"""Merrill et al.'s Figure 3: the data of one k, the depth search, the table and figure."""

from __future__ import annotations

import pytest

from automata_probe.automata import load_language
from automata_probe.cli import main
from automata_probe.experiments.reproduce_merrill import (
    DepthBudget,
    min_depths,
    run_merrill_depth,
    word_problem_data,
)
from automata_probe.viz.reproduce_plots import plot_merrill_depth


def test_word_problem_data_holds_every_pair_and_splits_length_k_80_20():
    train, test, vocab, n_states = word_problem_data("group-S3-all", 4, 500, 0)
    assert vocab == 8 and n_states == 6
    lengths = train.mask.sum(axis=1)
    assert (lengths == 2).sum() == 36 and (lengths == 4).sum() == 400 and len(test.tokens) == 100
    seen = {tuple(r) for r in train.tokens[lengths == 4, 1:5]}
    assert not seen & {tuple(r) for r in test.tokens[:, 1:]}  # distinct sequences, held out
    dfa = load_language("group-S3-all").dfa
    row = test.tokens[0, 1:] - 2
    assert test.targets[0, 1:].tolist() == dfa.run(dfa.decode(row))[1:]  # the running product
    assert not test.mask[:, 0].any()


def test_small_groups_enumerate_every_sequence():
    train, test, _, _ = word_problem_data("group-S3-all", 3, 10_000, 0)
    assert (train.mask.sum(axis=1) == 3).sum() + len(test.tokens) == 6 ** 3


def test_min_depths_takes_the_best_seed_and_the_shallowest_depth():
    rows = [{"status": "ok", "language": "group-A5-all", "arch": "mamba", "k": 4, "layers": d, "seed": s, "acc": a}
            for d, s, a in ((1, 0, 10.0), (1, 1, 50.0), (2, 0, 95.0), (2, 1, 20.0), (3, 0, 99.0))]
    rows.append({"status": "ok", "language": "group-A5-all", "arch": "lstm", "k": 4, "layers": 1, "seed": 0,
                 "acc": 80.0})
    out = {r["arch"]: r for r in min_depths(rows)}
    assert out["mamba"]["min_depth"] == 2 and out["mamba"]["best_by_depth"] == {1: 50.0, 2: 95.0, 3: 99.0}
    assert out["lstm"]["min_depth"] is None and out["lstm"]["tried"] == 1


def test_the_depth_search_stops_where_a_depth_passes(tmp_path):
    budget = DepthBudget(n_seqs=60, d_model=8, batch_size=16, lr=1e-3, epochs=1, max_steps=2, eval_every=1)
    result = run_merrill_depth(tmp_path, groups=["group-S3-all"], archs=["lstm"], lengths=[2, 3], max_depth=2,
                               seeds=[0], budget=budget, workers=1)
    depths = min_depths(result.rows)
    tried = {(r["k"], d) for r in depths for d in r["best_by_depth"]}
    assert {(2, 1), (3, 1)} <= tried
    for r in depths:  # depth 2 only where depth 1 failed
        assert (r["k"], 2) not in tried or r["best_by_depth"][1] <= 90
    assert plot_merrill_depth(depths, tmp_path / "d.png", max_depth=2).stat().st_size > 5_000
    again = run_merrill_depth(tmp_path, groups=["group-S3-all"], archs=["lstm"], lengths=[2, 3], max_depth=2,
                              seeds=[0], budget=budget, workers=1)
    assert again.ran == 0


@pytest.mark.parametrize("argv,culprit", [
    (["--lengths", "1", "4"], "--lengths"),
    (["--languages", "group-Q7-all"], "group-Q7"),
    (["--languages", "tomita3"], "tomita3"),
    (["--languages", "dyck1"], "dyck1"),
    (["--archs", "gru"], "gru"),
    (["--max-depth", "0"], "--max-depth"),
])
def test_cli_rejects_bad_input(argv, culprit, capsys, tmp_path):
    assert main(["reproduce", "merrill-depth", *argv, "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and culprit in err
