"""Tests for automata_probe.models.training and the train/evaluate commands."""

from __future__ import annotations

import pytest

from automata_probe.cli import main
from automata_probe.models.checkpoint import load_checkpoint
from automata_probe.models.evaluation import EvalReport, evaluate, final_table_words

from ..models.helpers import quick_config, tiny_model


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

    save_checkpoint(ckpt, model=tiny_model(tomita4), language_name="tomita4", alphabet=tomita4.alphabet, dfa=tomita4,
                    task="next", train_config=quick_config().to_dict())
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
    root = Path(__file__).resolve().parents[2]
    # a shell's background job (CI run with `&`, nohup) starts with SIGINT ignored, and the child would inherit it
    proc = subprocess.Popen(args, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(root)},
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
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


def test_evaluate_reproduces_a_fresh_checkpoints_final_table(tmp_path, capsys):
    """Same words, same figures: ``evaluate CKPT`` draws the final table's words (seed + 2, training's source)."""
    out = tmp_path / "t7.pt"
    assert main(["train", "--dfa", "tomita7", "-o", str(out), "--steps", "60", "--layers", "1", "--d-model", "8",
                 "--d-state", "4", "--batch-size", "16", "--eval-every", "30", "--eval-n", "8", "--final-n", "200",
                 "--train-lengths", "1", "4", "--test-bins", "5-8", "--threads", "1", "--no-progress",
                 "--seed", "3", "--words", "mixed"]) == 0
    trained = capsys.readouterr().out
    assert "words: seed 5, source mixed, 200 per bin (automata-probe evaluate" in trained
    stored = EvalReport.from_dict(load_checkpoint(out).metrics)
    assert any(0 < r.strict < 1 for r in stored.bins)  # a figure other words would change
    assert main(["evaluate", str(out), "--threads", "1"]) == 0
    text = capsys.readouterr().out
    assert stored.table() in text and stored.table() in trained
    assert "words: seed 5, source mixed, 200 per bin\n" in text
    assert "its stored figures are reproduced exactly" in text
    # the library call with the stored words gives the stored report, to the last bit
    ckpt = load_checkpoint(out)
    words = final_table_words(ckpt.train_config, ckpt.metrics, ckpt.task)
    again = evaluate(ckpt.build_model(), ckpt.dfa, [(1, 4), (5, 8)], ckpt.task, n_per_bin=words.n,
                     seed=words.seed, source=words.source)
    assert again.bins == stored.bins
    # other words are named as such, with the flag that made them differ
    assert main(["evaluate", str(out), "--seed", "0", "--threads", "1"]) == 0
    assert "not the words of the checkpoint's final table, which used seed 5, source mixed, 200 per bin: --seed" \
        in capsys.readouterr().out
