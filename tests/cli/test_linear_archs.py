"""Mamba-2 and the DeltaNet family through the command line: train, probe-states, intervene, extract (smoke tests)."""

from __future__ import annotations

import pytest

from automata_probe.cli import main

ARCHS = {
    "mamba2": ["--neg-eigval"],
    "deltanet": ["--neg-eigval"],
    "gated-deltanet": [],
    "deltaproduct": ["--householders", "2", "--neg-eigval"],
}


@pytest.fixture(scope="module", params=list(ARCHS))
def trained(request, tmp_path_factory):
    arch = request.param
    path = tmp_path_factory.mktemp(arch) / "m.pt"
    argv = ["train", "--dfa", "tomita4", "--arch", arch, *ARCHS[arch], "--layers", "1", "--d-model", "8",
            "--heads", "2", "--d-state", "4", "--steps", "2", "--eval-every", "1", "--eval-n", "8", "--final-n", "8",
            "--train-lengths", "1", "8", "--test-bins", "9-12", "--no-progress", "--threads", "1", "-o", str(path)]
    assert main(argv) == 0
    return arch, path


def test_train_writes_a_checkpoint_that_loads(trained, capsys):
    from automata_probe.models import load_checkpoint

    arch, path = trained
    ckpt = load_checkpoint(path)
    assert ckpt.config.arch == arch and ckpt.config.n_heads == 2
    if arch == "deltaproduct":
        assert ckpt.config.householders == 2 and ckpt.config.negative_eigenvalues
    model = ckpt.build_model()
    assert "layers.0.ssm_state" in model.site_names() and model.is_recurrent


def test_probe_states_reads_the_state_matrix(trained, capsys):
    arch, path = trained
    code = main(["probe", str(path), "--dfa", "tomita4", "--seeds", "1", "--n-train", "12", "--n-test", "6",
                 "--no-controls", "--sites", "layers.0.ssm_state", "final"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "layers.0.ssm_state" in out
    assert "n_heads=2" in out  # the report's header names the heads (ModelConfig.describe)
    if arch == "deltaproduct":
        assert "householders=2" in out and "negative_eigenvalues" in out


def test_intervene_patches_the_state(trained, capsys):
    arch, path = trained
    code = main(["intervene", str(path), "--dfa", "tomita4", "--site", "layers.0.ssm_state", "--mode", "probe",
                 "--seeds", "1", "--n-train", "16", "--n-test", "8", "--train-lengths", "1-8", "--test-bins", "9-12",
                 "--w-lengths", "1-4", "--free-run", "2", "--no-progress", "--words", "mixed", "--no-controls"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "iia:probe" in out


def test_extract_runs(trained, tmp_path, capsys):
    """Extraction (KV learning against the network, then scoring) on every architecture, kept small: lengths up
    to 3, few queries, one round, a time budget (a learner stopped by it reports 'unverified', still exit 0)."""
    arch, path = trained
    code = main(["extract", str(path), "--dfa", "tomita4", "--method", "kv", "--max-length", "3", "--max-queries",
                 "60", "--walks-per-state", "1", "--max-rounds", "1", "--seconds", "10", "--fidelity-words", "50",
                 "--threads", "1", "--no-progress", "-o", str(tmp_path / "x.toml")])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert (tmp_path / "x.toml").stat().st_size > 0
    assert "kv" in out


def test_linear_rnn_options_need_their_architecture(tmp_path, capsys):
    code = main(["train", "--dfa", "parity", "--arch", "deltanet", "--householders", "2", "-o", str(tmp_path / "m.pt")])
    assert code == 2
    assert "--arch deltaproduct" in capsys.readouterr().err
    code = main(["train", "--dfa", "parity", "--arch", "lstm", "--neg-eigval", "-o", str(tmp_path / "m.pt")])
    assert code == 2


def test_demo_offers_every_architecture():
    from automata_probe.cli import build_parser

    for arch in ARCHS:
        args = build_parser("demo").parse_args(["demo", "--arch", arch])
        assert args.arch == arch


@pytest.mark.slow
def test_demo_accepts_a_new_architecture(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "-o", str(out), "--arch", "deltaproduct", "--steps", "3", "--layers", "1", "--d-model", "8",
                 "--triples", "16", "--seeds", "1", "--threads", "1"]) == 0
    text = capsys.readouterr().out
    assert "5. extract" in text and (out / "model.pt").exists()
