"""Tests for automata_probe.cli.intervene and probe-states --causal."""

from __future__ import annotations

import json

import pytest

SMALL = ["--seeds", "1", "--n-train", "16", "--n-test", "8", "--train-lengths", "1-8", "--test-bins", "9-12",
         "--w-lengths", "1-4", "--das-steps", "2", "--free-run", "2", "--no-progress", "--words", "mixed"]


def _checkpoint(path, arch, tomita4):
    from automata_probe.models import ModelConfig, build_model
    from automata_probe.models.checkpoint import save_checkpoint

    model = build_model(ModelConfig(arch=arch, vocab_size=4, n_outputs=3, d_model=8, n_layers=1, d_state=2,
                                    n_heads=2), seed=0)
    save_checkpoint(path, model=model, language_name="tomita4", alphabet=("0", "1"), task="next", dfa=tomita4,
                    train_config={"train_lengths": [1, 8], "test_bins": [[9, 12]]})
    return path


@pytest.fixture(scope="module")
def mamba_ckpt(tmp_path_factory, tomita4):
    return _checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny.pt", "mamba", tomita4)


@pytest.fixture(scope="module")
def transformer_ckpt(tmp_path_factory, tomita4):
    return _checkpoint(tmp_path_factory.mktemp("ckpt") / "tf.pt", "transformer", tomita4)


def _main(argv, capsys):
    from automata_probe.cli import main

    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_intervene_prints_ceiling_floor_and_a_row_per_site(mamba_ckpt, tmp_path, capsys):
    code, out, err = _main(["intervene", str(mamba_ckpt), "--dfa", "tomita4", *SMALL, "--json",
                            str(tmp_path / "r.json"), "--plot", str(tmp_path / "r.png")], capsys)
    assert code == 0, err
    assert out.count("ceiling (whole state of v)") == 4 and out.count("floor (no patch)") == 4  # 2 models x 2 bins
    for site in ("embed", "layers.0.ssm_state", "layers.0.conv_state", "layers.0.state", "final"):
        assert f"\n{site} " in out
    assert "s CPU)" in out
    d = json.loads((tmp_path / "r.json").read_text())
    assert d["kinds"] == ["trained", "untrained"] and d["modes"][:2] == ["full", "none"]
    assert (tmp_path / "r_heatmap.png").exists() and (tmp_path / "r_free.png").exists()


def test_one_site_one_mode(mamba_ckpt, capsys):
    code, out, err = _main(["intervene", str(mamba_ckpt), "--site", "layers.0.ssm_state", "--mode", "probe", *SMALL,
                            "--no-controls"], capsys)
    assert code == 0, err
    assert "iia:probe" in out and "iia:das" not in out and "layers.0.resid" not in out


@pytest.mark.parametrize("extra, culprit", [
    (["--site", "layers.3.resid"], "unknown site 'layers.3.resid'"),
    (["--mode", "teleport"], "unknown mode 'teleport'"),
    (["--target", "partition:q0,q1|q2"], "does not cover state"),
    (["--target", "quotient:Z5"], "not a group"),
    (["--dfa", "group-S3"], "alphabet"),
    (["--target", "nonsense"], "unknown probe target 'nonsense'"),
])
def test_bad_input_is_one_line_and_exit_2(mamba_ckpt, capsys, extra, culprit):
    code, out, err = _main(["intervene", str(mamba_ckpt), *SMALL, *extra], capsys)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("error: ") and culprit in err, err


def test_a_mode_the_architecture_cannot_do(transformer_ckpt, capsys):
    code, _, err = _main(["intervene", str(transformer_ckpt), "--mode", "full", *SMALL], capsys)
    assert code == 2 and err.count("\n") == 1 and "mode 'full'" in err and "transformer" in err


def test_probe_states_causal_adds_columns(mamba_ckpt, tmp_path, capsys):
    from automata_probe.cli import probe_states

    code = probe_states([str(mamba_ckpt), "--seeds", "1", "--n-train", "12", "--n-test", "6", "--causal",
                         "--json", str(tmp_path / "p.json")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "causal columns" in out and "dfa:site" in out and "untr dfa:site" in out
    d = json.loads((tmp_path / "p.json").read_text())
    assert "causal" in d and d["causal"]["sites"] == [s["site"] for s in d["sites"]]
