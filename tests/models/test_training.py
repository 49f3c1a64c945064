"""Tests for automata_probe.models.training and the train/evaluate commands."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from automata_probe.automata.dfa import DFA
from automata_probe.errors import DataError, ModelError
from automata_probe.models.checkpoint import load_checkpoint
from automata_probe.models.training import TrainConfig, lr_at, train

from .helpers import quick_config, tiny_model


@pytest.fixture(scope="module")
def ends_in_a() -> DFA:
    """Two states: the last letter was a (accepting) or not."""
    return DFA.from_table(
        alphabet=["a", "b"],
        transitions={"n": {"a": "y", "b": "n"}, "y": {"a": "y", "b": "n"}},
        start="n",
        accept=["y"],
        name="ends_in_a",
    )


def test_lr_schedule():
    cfg = TrainConfig(lr=1e-3, warmup_steps=10, max_steps=110, min_lr_ratio=0.1)
    assert lr_at(1, cfg) == pytest.approx(1e-4)
    assert lr_at(10, cfg) == pytest.approx(1e-3)
    assert lr_at(60, cfg) == pytest.approx(0.55e-3)
    assert lr_at(110, cfg) == pytest.approx(1e-4)
    assert lr_at(500, cfg) == pytest.approx(1e-4)


def test_train_config_validates_and_roundtrips():
    cfg = TrainConfig(task="state", train_lengths=(1, 20), test_bins=((21, 30), (31, 40)), seed=3)
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg
    assert cfg.word_source == "uniform" and TrainConfig().word_source == "language"
    with pytest.raises(ModelError, match="unknown task 'lm'"):
        TrainConfig(task="lm")
    with pytest.raises(ModelError, match="batch_size"):
        TrainConfig(batch_size=0)
    with pytest.raises(DataError, match="lo > hi"):
        TrainConfig(train_lengths=(5, 1))


def test_wrong_head_width_is_an_error(tomita4):
    with pytest.raises(ModelError, match="needs 4"):
        train(tiny_model(tomita4, "next"), tomita4, TrainConfig(task="state", train_lengths=(1, 5), test_bins=(),
                                                         max_steps=1))


def test_test_bins_must_not_overlap(tomita4):
    cfg = TrainConfig(train_lengths=(1, 10), test_bins=((5, 20),), max_steps=1)
    with pytest.raises(DataError, match="5-20 overlap the training lengths 1-10"):
        train(tiny_model(tomita4), tomita4, cfg)


def test_same_seed_same_run(tomita4):
    runs = []
    for _ in range(2):
        r = train(tiny_model(tomita4, seed=5), tomita4, quick_config(seed=5))
        runs.append(r)
    a, b = runs
    assert a.history == b.history and a.report == b.report
    for (k, v), (_, w) in zip(a.model.state_dict().items(), b.model.state_dict().items()):
        assert torch.equal(v, w), k
    c = train(tiny_model(tomita4, seed=6), tomita4, quick_config(seed=6))
    assert c.history[0]["loss"] != a.history[0]["loss"]


def test_tiny_model_learns_a_two_state_language(ends_in_a):
    cfg = quick_config(max_steps=300, eval_every=25, early_stop_evals=2, lr=1e-2, batch_size=32, final_eval_n=200)
    r = train(tiny_model(ends_in_a, seed=0), ends_in_a, cfg)
    assert r.stopped == "converged", r.history[-3:]
    assert r.report[(1, 8)].strict == 1.0
    assert r.report[(9, 16)].strict == 1.0


def test_resume_matches_an_uninterrupted_run(tomita4, tmp_path):
    cfg = quick_config(max_steps=20, eval_every=5, checkpoint_every=10)
    full = train(tiny_model(tomita4, seed=2), tomita4, cfg, checkpoint_path=tmp_path / "full.pt")
    assert full.steps == 20 and full.stopped == "max_steps"

    def interrupt(step, report):  # Ctrl-C during the validation at step 15
        if step == 15:
            raise KeyboardInterrupt

    path = tmp_path / "cut.pt"
    cut = train(tiny_model(tomita4, seed=2), tomita4, cfg, checkpoint_path=path, on_eval=interrupt)
    assert (cut.stopped, cut.steps, cut.last_checkpoint_step, cut.report) == ("interrupted", 15, 10, None)
    saved = load_checkpoint(path)
    assert saved.steps == 10  # the step-10 checkpoint is intact
    resumed = train(saved.build_model(), tomita4, cfg, checkpoint_path=path, resume=saved)
    assert resumed.steps == 20
    assert resumed.history == full.history
    assert resumed.report == full.report
    for (k, v), (_, w) in zip(full.model.state_dict().items(), resumed.model.state_dict().items()):
        assert torch.equal(v, w), k
    assert load_checkpoint(path).metrics == load_checkpoint(tmp_path / "full.pt").metrics


@pytest.mark.parametrize("arch", ["lstm", "transformer"])
def test_one_loop_for_every_arch(tomita4, arch):
    r = train(tiny_model(tomita4, arch=arch), tomita4, quick_config(max_steps=3, eval_every=3))
    assert r.steps == 3 and np.isfinite(r.history[-1]["loss"])


def test_a_checkpoint_stores_its_word_source_resolved(tomita4, tmp_path):
    """Defaults change (the state task's moved from mixed to uniform words): a checkpoint names the source it
    trained on, and a stored None reads as the default of the versions that wrote it."""
    from automata_probe.data import stored_source

    train(tiny_model(tomita4, task="state"), tomita4, quick_config(task="state", max_steps=2),
          checkpoint_path=tmp_path / "s.pt")
    assert load_checkpoint(tmp_path / "s.pt").train_config["source"] == "uniform"
    assert stored_source(None, "state") == "mixed" and stored_source(None, "next") == "language"
    assert stored_source("uniform", "state") == "uniform"
