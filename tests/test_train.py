"""Tests for automata_probe.models.training and the train/evaluate commands."""

from __future__ import annotations


import numpy as np
import pytest
import torch

from automata_probe.models.checkpoint import load_checkpoint
from automata_probe.cli import main
from automata_probe.data import Tokenizer, batch_from_words, n_outputs, targets_from_states
from automata_probe.automata.dfa import DFA
from automata_probe.errors import DataError, ModelError
from automata_probe.models import ModelConfig, build_model
from automata_probe.models.evaluation import EvalReport, evaluate, position_correct
from automata_probe.models.training import TrainConfig, lr_at, task_loss, train


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


def _tiny(dfa: DFA, task: str = "next", seed: int = 0, arch: str = "mamba"):
    cfg = ModelConfig(arch=arch, vocab_size=dfa.n_letters + 2, n_outputs=n_outputs(task, dfa), d_model=16,
                      n_layers=1, d_state=4, n_heads=2)
    return build_model(cfg, seed=seed)


class Oracle(torch.nn.Module):
    """Reads the DFA state off the tokens and emits confident logits;
    ``wrong_at`` flips the prediction at one position."""

    def __init__(self, dfa: DFA, task: str, wrong_at: int | None = None):
        super().__init__()
        self.dfa, self.task, self.wrong_at = dfa, task, wrong_at
        self.dummy = torch.nn.Parameter(torch.zeros(1))

    def forward(self, tokens):
        idx = (tokens - Tokenizer.OFFSET).clamp(min=0)[:, 1:].numpy()
        states = self.dfa.run_indices(idx)  # (B, T); padding runs on, harmlessly
        t = torch.from_numpy(targets_from_states(self.dfa, states, self.task))
        if self.task == "state":
            out = torch.nn.functional.one_hot(t, self.dfa.n_states).float() * 20 - 10
        else:
            out = t * 20 - 10
        if self.wrong_at is not None and out.shape[1] > self.wrong_at:
            out[:, self.wrong_at] = -out[:, self.wrong_at] if self.task != "state" else out[:, self.wrong_at].roll(1, -1)
        return out


# ----------------------------------------------------------------- pieces
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
    assert cfg.word_source == "mixed" and TrainConfig().word_source == "language"
    with pytest.raises(ModelError, match="unknown task 'lm'"):
        TrainConfig(task="lm")
    with pytest.raises(ModelError, match="batch_size"):
        TrainConfig(batch_size=0)
    with pytest.raises(DataError, match="lo > hi"):
        TrainConfig(train_lengths=(5, 1))


@pytest.mark.parametrize("task", ["next", "member", "state"])
def test_loss_and_accuracy_ignore_padding(tomita4, task):
    batch = batch_from_words(tomita4, ["0100", "1", ""], task)
    width = n_outputs(task, tomita4)
    torch.manual_seed(0)
    logits = torch.randn(3, 5, width)
    garbage = logits.clone()
    garbage[~batch.mask] = 1e4
    assert torch.equal(task_loss(logits, batch), task_loss(garbage, batch))
    assert torch.equal(position_correct(logits, batch), position_correct(garbage, batch))
    assert not position_correct(logits, batch)[~batch.mask].any()


@pytest.mark.parametrize("task", ["next", "member", "state"])
def test_evaluate_strict_vs_token(tomita4, task):
    perfect = evaluate(Oracle(tomita4, task), tomita4, [(1, 10), (20, 30)], task, n_per_bin=50, seed=0)
    assert [(r.strict, r.token) for r in perfect.bins] == [(1.0, 1.0), (1.0, 1.0)]
    flawed = evaluate(Oracle(tomita4, task, wrong_at=3), tomita4, [(20, 30)], task, n_per_bin=50, seed=0)
    r = flawed.bins[0]
    assert r.strict == 0.0  # one wrong position fails every string
    assert r.token == pytest.approx(1 - 50 / r.n_tokens)
    assert EvalReport.from_dict(flawed.to_dict()) == flawed
    assert "20-30" in flawed.table() and "strict %" in flawed.table()


def test_evaluate_is_seeded_per_bin(tomita4):
    model = _tiny(tomita4)
    a = evaluate(model, tomita4, [(1, 5), (6, 9)], "next", n_per_bin=40, seed=1)
    b = evaluate(model, tomita4, [(6, 9)], "next", n_per_bin=40, seed=1)
    assert a.bins[1] == b.bins[0]


def test_wrong_head_width_is_an_error(tomita4):
    with pytest.raises(ModelError, match="needs 4"):
        train(_tiny(tomita4, "next"), tomita4, TrainConfig(task="state", train_lengths=(1, 5), test_bins=(),
                                                         max_steps=1))


def test_test_bins_must_not_overlap(tomita4):
    cfg = TrainConfig(train_lengths=(1, 10), test_bins=((5, 20),), max_steps=1)
    with pytest.raises(DataError, match="5-20 overlap the training lengths 1-10"):
        train(_tiny(tomita4), tomita4, cfg)


# -------------------------------------------------------------- training
def _cfg(**kw) -> TrainConfig:
    base = dict(train_lengths=(1, 8), test_bins=((9, 16),), batch_size=16, max_steps=5, eval_every=5, eval_n=32,
                final_eval_n=32, checkpoint_every=None, early_stop_evals=None, seed=0, threads=1, warmup_steps=2)
    base.update(kw)
    return TrainConfig(**base)


def test_same_seed_same_run(tomita4):
    runs = []
    for _ in range(2):
        r = train(_tiny(tomita4, seed=5), tomita4, _cfg(seed=5))
        runs.append(r)
    a, b = runs
    assert a.history == b.history and a.report == b.report
    for (k, v), (_, w) in zip(a.model.state_dict().items(), b.model.state_dict().items()):
        assert torch.equal(v, w), k
    c = train(_tiny(tomita4, seed=6), tomita4, _cfg(seed=6))
    assert c.history[0]["loss"] != a.history[0]["loss"]


def test_tiny_model_learns_a_two_state_language(ends_in_a):
    cfg = _cfg(max_steps=300, eval_every=25, early_stop_evals=2, lr=1e-2, batch_size=32, final_eval_n=200)
    r = train(_tiny(ends_in_a, seed=0), ends_in_a, cfg)
    assert r.stopped == "converged", r.history[-3:]
    assert r.report[(1, 8)].strict == 1.0
    assert r.report[(9, 16)].strict == 1.0


def test_resume_matches_an_uninterrupted_run(tomita4, tmp_path):
    cfg = _cfg(max_steps=20, eval_every=5, checkpoint_every=10)
    full = train(_tiny(tomita4, seed=2), tomita4, cfg, checkpoint_path=tmp_path / "full.pt")
    assert full.steps == 20 and full.stopped == "max_steps"

    def interrupt(step, report):  # Ctrl-C during the validation at step 15
        if step == 15:
            raise KeyboardInterrupt

    path = tmp_path / "cut.pt"
    cut = train(_tiny(tomita4, seed=2), tomita4, cfg, checkpoint_path=path, on_eval=interrupt)
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
    r = train(_tiny(tomita4, arch=arch), tomita4, _cfg(max_steps=3, eval_every=3))
    assert r.steps == 3 and np.isfinite(r.history[-1]["loss"])


# ------------------------------------------------------------------- CLI
def test_cli_train_then_evaluate(tmp_path, capsys):
    out = tmp_path / "p.pt"
    args = ["train", "--dfa", "tomita1", "-o", str(out), "--steps", "4", "--layers", "1", "--d-model", "8",
            "--d-state", "4", "--batch-size", "8", "--eval-every", "2", "--eval-n", "8", "--final-n", "16",
            "--train-lengths", "1", "6", "--test-bins", "7-9", "--threads", "1", "--no-progress", "--seed", "1"]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert text.index("language      tomita1") < text.index("strict %")  # config first, table last
    assert "1-6" in text and "7-9" in text and f"wrote {out}" in text
    assert load_checkpoint(out).steps == 4
    assert main(["train", *args[1:], "--resume", "--steps", "6"]) == 0
    assert "resuming from step 4" in capsys.readouterr().out
    assert load_checkpoint(out).steps == 6
    assert main(["evaluate", str(out), "--bins", "2-3", "10-12", "--n", "20"]) == 0
    text = capsys.readouterr().out
    assert "2-3" in text and "10-12" in text and "20" in text


@pytest.mark.parametrize(
    "argv, message",
    [
        (["train", "--dfa", "tomita44", "-o", "{tmp}/x.pt"], "unknown language 'tomita44'"),
        (["evaluate", "{ckpt}", "--dfa", "d2"], "alphabet mismatch"),
        (["evaluate", "{ckpt}", "--bins", "9-3"], "lo > hi"),
        (["evaluate", "{ckpt}", "--bins=-2-3"], "negative"),
        (["train", "--dfa", "tomita4", "-o", "{tmp}/z.pt", "--train-lengths", "-1", "5"], "negative"),
        (["evaluate", "{ckpt}", "--dfa", "aa_star"], "alphabet mismatch"),
        (["evaluate", "{ckpt}", "--dfa", "tomita5", "--bins", "3-3"], "no words of length 3-3"),
        (["train", "--dfa", "d2", "-o", "{tmp}/y.pt", "--train-lengths", "1", "1", "--steps", "1"], "no words of length 1-1"),
        (["train", "--dfa", "d2", "-o", "{tmp}/y.pt", "--train-lengths", "2", "10", "--test-bins", "5-20"], "overlap"),
    ],
)
def test_cli_errors_are_one_line_exit_2(tmp_path, capsys, tomita4, argv, message):
    ckpt = tmp_path / "m.pt"
    from automata_probe.models.checkpoint import save_checkpoint

    save_checkpoint(ckpt, model=_tiny(tomita4), language_name="tomita4", alphabet=tomita4.alphabet, dfa=tomita4,
                    task="next", train_config=_cfg().to_dict())
    argv = [a.format(tmp=tmp_path, ckpt=ckpt) for a in argv]
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert err.startswith("error: ") and message in err and "\n" not in err


def test_ctrl_c_keeps_the_checkpoint_and_resume_continues(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    out = tmp_path / "c.pt"
    args = [sys.executable, "-m", "automata_probe", "train", "--dfa", "tomita4", "-o", str(out), "--steps", "100000",
            "--layers", "1", "--d-model", "8", "--d-state", "4", "--batch-size", "4", "--train-lengths", "1", "5",
            "--test-bins", "6-7", "--eval-every", "1000", "--checkpoint-every", "2", "--early-stop", "0",
            "--threads", "1", "--no-progress", "--final-n", "8"]
    root = Path(__file__).resolve().parents[1]
    proc = subprocess.Popen(args, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(root)})
    deadline = time.time() + 120
    while not out.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "rerun with --resume" in err
    saved = load_checkpoint(out)  # intact and loadable
    assert saved.steps >= 2 and saved.steps % 2 == 0
    resumed = subprocess.run([*args[:args.index("--steps") + 1], str(saved.steps + 2), *args[args.index("--steps") + 2:],
                              "--resume"], cwd=root, capture_output=True, text=True,
                             env={**os.environ, "PYTHONPATH": str(root)}, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming from step {saved.steps}" in resumed.stdout
    assert load_checkpoint(out).steps == saved.steps + 2
