"""Tests for automata_probe.cli.extract: errors are one line, a tiny checkpoint goes through."""

from __future__ import annotations

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
    out_toml, png = tmp_path / "x.toml", tmp_path / "x.png"
    rc = main([
        "extract", str(ckpt), "--dfa", "tomita4", "--method", "kv", "--max-length", "6", "--max-queries", "300",
        "--walks-per-state", "5", "--max-rounds", "3", "-o", str(out_toml), "--png", str(png),
    ])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert "method" in out and "\nkv " in out and "\nmodel " in out
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert load_language(str(out_toml)).alphabet == B
    # a language file whose alphabet differs from the model's is one line and exit 2
    rc = main(["extract", str(ckpt), "--dfa", "aa_star", "--method", "kv"])
    _, err = capsys.readouterr()
    assert rc == 2 and err.count("\n") == 1 and "alphabet" in err
