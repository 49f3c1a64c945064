"""Tests for automata_probe.cli.probe: the probe-states command."""

from __future__ import annotations

import json
import pickle

import pytest


@pytest.fixture(scope="module")
def tiny_model():
    from automata_probe.models import ModelConfig, build_model

    return build_model(ModelConfig(arch="mamba", vocab_size=4, n_outputs=3, d_model=8, n_layers=1, d_state=2), seed=0)


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory, tiny_model, tomita4):
    from automata_probe.models.checkpoint import save_checkpoint

    path = tmp_path_factory.mktemp("ckpt") / "tiny.pt"
    save_checkpoint(path, model=tiny_model, language_name="tomita4", alphabet=("0", "1"), task="next", dfa=tomita4,
                    train_config={"train_lengths": [1, 8], "test_bins": [[9, 12]]})
    return path


def _cli(argv, capsys):
    from automata_probe.cli import probe_states as main

    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_prints_one_row_per_site(tiny_checkpoint, tiny_model, tmp_path, capsys):
    argv = [str(tiny_checkpoint), "--dfa", "tomita4", "--seeds", "1", "--n-train", "12", "--n-test", "6",
            "--json", str(tmp_path / "r.json")]
    code, out, err = _cli(argv, capsys)
    assert code == 0, err
    assert "1-8 (train)" in out and "9-12" in out and "selectivity" in out
    for site in tiny_model.site_names():
        assert any(line.startswith(site) for line in out.splitlines())
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["dfa"] == "tomita4"
    assert f"* best site: {report['best_site']} (best = highest mean held-out accuracy" in out
    assert sum(" * " in line for line in out.splitlines()) == 1  # its first row is marked, once


def test_cli_is_a_subcommand_too(tiny_checkpoint, capsys):
    from automata_probe.cli import main

    code = main(["probe", str(tiny_checkpoint), "--seeds", "1", "--n-train", "12", "--n-test", "6",
                 "--no-controls", "--sites", "final"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "final" in out and "untrained" not in out


def test_cli_alphabet_mismatch(tiny_checkpoint, capsys):
    code, out, err = _cli([str(tiny_checkpoint), "--dfa", "abab_star"], capsys)
    assert code == 2
    assert err.startswith("error: ") and "alphabet" in err and len(err.strip().splitlines()) == 1


def test_cli_missing_file(tmp_path, capsys):
    code, _, err = _cli([str(tmp_path / "nope.pt")], capsys)
    assert code == 2 and "does not exist" in err and len(err.strip().splitlines()) == 1


def test_cli_not_a_checkpoint(tmp_path, capsys):
    path = tmp_path / "notes.pt"
    path.write_text("hello\n")
    code, _, err = _cli([str(path)], capsys)
    assert code == 2 and "not a checkpoint" in err


class _Payload:
    """Unpickling this would create a marker file (a checkpoint that carries code)."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_cli_checkpoint_with_code_is_refused_before_running(tmp_path, capsys):
    import torch

    marker = tmp_path / "ran"
    path = tmp_path / "evil.pt"
    torch.save({"format": "automata-probe-checkpoint", "payload": _Payload(str(marker))}, path)
    code, _, err = _cli([str(path)], capsys)
    assert code == 2 and "refusing" in err
    assert not marker.exists()
    with pytest.raises(pickle.UnpicklingError):  # the file really carries a callable
        torch.load(path, weights_only=True)


def test_cli_bad_output_directory(tiny_checkpoint, tmp_path, capsys):
    code, _, err = _cli([str(tiny_checkpoint), "--plot", str(tmp_path / "no" / "r.png")], capsys)
    assert code == 2 and "does not exist" in err


def test_cli_default_words_follow_the_checkpoint(tiny_checkpoint, tmp_path, capsys):
    argv = [str(tiny_checkpoint), "--seeds", "1", "--n-train", "12", "--n-test", "6", "--no-controls",
            "--sites", "final", "--json", str(tmp_path / "r.json")]
    code, out, err = _cli(argv, capsys)
    assert code == 0, err
    # the tiny checkpoint's train_config names no task: not trained here, so auto means mixed
    assert json.loads((tmp_path / "r.json").read_text())["source"] == "mixed"
    code, out, err = _cli(argv + ["--words", "language"], capsys)
    assert code == 0, err
    assert "words: the language's own words only" in out
