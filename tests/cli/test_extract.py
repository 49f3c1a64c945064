"""Tests for automata_probe.cli.extract: errors are one line, a tiny checkpoint goes through."""

from __future__ import annotations

import argparse

import pytest

from ..extraction.helpers import B, tomita


def test_cli_extract_missing_checkpoint_is_one_line_exit_2(capsys: pytest.CaptureFixture[str], tmp_path) -> None:  # noqa: ANN001
    from automata_probe.cli import main

    rc = main(["extract", str(tmp_path / "nope.pt"), "--dfa", "tomita4"])
    out, err = capsys.readouterr()
    assert rc == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1 and "nope.pt" in err


def test_cli_extract_on_a_tiny_real_checkpoint(capsys: pytest.CaptureFixture[str], tmp_path) -> None:  # noqa: ANN001
    """Wiring only (an untrained model recognizes some random language): the
    table, the language file and the picture come out, and the file loads."""
    pytest.importorskip("torch")
    from automata_probe.automata import load_language
    from automata_probe.cli import main
    from automata_probe.models import ModelConfig, build_model
    from automata_probe.models.checkpoint import save_checkpoint

    truth = tomita(4)
    config = ModelConfig(arch="mamba", vocab_size=4, n_outputs=3, d_model=8, n_layers=1, d_state=4)
    ckpt = save_checkpoint(
        tmp_path / "m.pt", model=build_model(config, seed=0), language_name="tomita4", alphabet=B, task="next",
        dfa=truth, model_config=config,
    )
    out_toml, png, fid_png = tmp_path / "x.toml", tmp_path / "x.png", tmp_path / "f.png"
    rc = main([
        "extract", str(ckpt), "--dfa", "tomita4", "--method", "kv", "--max-length", "8", "--max-queries", "300",
        "--walks-per-state", "5", "--max-rounds", "3", "--fidelity-words", "60", "--seconds", "60",
        "-o", str(out_toml), "--png", str(png), "--fidelity-png", str(fid_png), "--no-progress",
    ])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert "fidelity to the model" in out and "\n  kv " in out and "verdicts:\n  kv: " in out
    assert "\nsummary: the model " in out and "checked: every word up to length 8" in out
    # tomita4's experiment reaches length 150: the report says what --max-length 8 left out
    assert "not checked: lengths 9-100, 101-150 of the model's training and test lengths (--max-length 150" in out
    assert png.read_bytes()[:4] == b"\x89PNG" and fid_png.read_bytes()[:4] == b"\x89PNG"
    assert load_language(str(out_toml)).alphabet == B
    # a language file whose alphabet differs from the model's is one line and exit 2
    rc = main(["extract", str(ckpt), "--dfa", "aa_star", "--method", "kv"])
    _, err = capsys.readouterr()
    assert rc == 2 and err.count("\n") == 1 and "alphabet" in err
    rc = main(["extract", str(ckpt), "--seconds", "0"])
    _, err = capsys.readouterr()
    assert rc == 2 and "--seconds" in err and err.count("\n") == 1


def test_cli_extract_writes_nothing_for_a_failed_clustering(capsys: pytest.CaptureFixture[str], tmp_path) -> None:  # noqa: ANN001
    pytest.importorskip("torch")
    from automata_probe.cli import extract
    from automata_probe.experiments.extraction import ExtractionConfig, extract_all

    from ..extraction.helpers import dfa_module

    truth = tomita(4)
    report = extract_all(dfa_module(truth, noise=40.0), truth,
                         ExtractionConfig(methods=("cluster",), max_length=8, n_words=100, k_range=range(2, 4)),
                         alphabet=B, task="next")
    args = argparse.Namespace(output=str(tmp_path / "x.toml"), png=str(tmp_path / "x.png"), rates_png=None,
                              fidelity_png=None, model="m.pt", seed=0)
    assert extract._written(args, report) == []
    assert not (tmp_path / "x.toml").exists() and not (tmp_path / "x.png").exists()
    assert any("FAILED: no k in 2..3 consistent" in line for line in extract._table(report))
