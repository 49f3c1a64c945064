"""The state-tracking experiment: arch specs, a tiny resumable run, the table beside the theorems, the figure."""

from __future__ import annotations

import pytest

from automata_probe.cli import main
from automata_probe.errors import ParameterError
from automata_probe.experiments.arch_specs import parse_arch
from automata_probe.experiments.reproduce_state_tracking import (
    TrackingBudget,
    run_state_tracking,
    state_tracking_table,
)
from automata_probe.models import build_model, config_for
from automata_probe.automata import load_language
from automata_probe.viz.state_tracking_plots import plot_state_tracking


@pytest.mark.parametrize("spec,arch,neg,n_h", [
    ("mamba", "mamba", False, 1),
    ("mamba-neg", "mamba", True, 1),
    ("mamba2-neg", "mamba2", True, 1),
    ("gated-deltanet", "gated-deltanet", False, 1),
    ("deltanet-neg", "deltanet", True, 1),
    ("deltaproduct", "deltaproduct", False, 2),
    ("deltaproduct-3-neg", "deltaproduct", True, 3),
    ("LSTM", "lstm", False, 1),
    ("transformer", "transformer", False, 1),
    ("transformer-nope", "transformer", False, 1),
])
def test_arch_specs_build_the_model_they_name(spec, arch, neg, n_h):
    s = parse_arch(spec)
    assert (s.arch, s.negative_eigenvalues, s.householders) == (arch, neg, n_h)
    assert parse_arch(s.name) == s  # the name reads back
    cfg = config_for(load_language("parity").dfa, "state", d_model=16, n_layers=1, **s.model_fields(16))
    assert build_model(cfg, seed=0) is not None
    assert cfg.negative_eigenvalues == neg and cfg.householders == n_h
    if arch == "transformer":  # -nope removes the positional encoding, nothing else
        assert cfg.positional_encoding == ("none" if spec.endswith("-nope") else "sinusoidal")


@pytest.mark.parametrize("spec", ["gru", "lstm-neg", "transformer-neg", "deltanet-2", "deltaproduct-0", "", "mamba--neg",
                                  "mamba-nope", "lstm-nope", "transformer-nope-neg"])
def test_bad_arch_specs_are_one_line_errors(spec):
    with pytest.raises(ParameterError) as e:
        parse_arch(spec)
    assert "\n" not in str(e.value)


def test_a_tiny_run_resumes_and_sets_each_cell_beside_the_theorem(tmp_path):
    budget = TrackingBudget(d_model=8, max_steps=3, eval_every=1, eval_n=8, final_eval_n=8, train_lengths=(2, 4),
                            test_bin=(5, 6))
    kwargs = dict(languages=["parity", "mod-3"], archs=["mamba", "deltanet-neg"], depths=[1, 2], seeds=[0],
                  budget=budget, workers=1)
    result = run_state_tracking(tmp_path, **kwargs)
    assert result.ran == 8 and result.failed == 0
    table = state_tracking_table(result.rows)
    cell = {(r["language"], r["arch"], r["layers"]): r for r in table}
    assert cell[("parity", "mamba", 1)]["theory"] == "no" and "Thm 1" in cell[("parity", "mamba", 1)]["theorem"]
    assert cell[("parity", "deltanet-neg", 1)]["theory"] == "yes"
    assert cell[("parity", "mamba", 1)]["published"] == "0.000"  # Grazzi et al., Table 3
    assert cell[("mod-3", "deltanet-neg", 1)]["theory"] == "no"  # Thm 2: one symmetric Householder
    assert cell[("mod-3", "deltanet-neg", 2)]["theory"] == "yes"  # Thm 6: two layers of reflections
    for r in table:
        assert 0 <= r["strict"] <= 100 and r["agrees"] in ("-", "learned", "not found", "consistent", "CONTRADICTS")
    assert plot_state_tracking(table, tmp_path / "st.png").stat().st_size > 5_000
    assert run_state_tracking(tmp_path, **kwargs).ran == 0


@pytest.mark.parametrize("argv,culprit", [
    (["--archs", "rwkv7"], "rwkv7"),
    (["--archs", "lstm-neg"], "lstm"),
    (["--archs", "deltanet-3"], "deltanet-3"),
    (["--languages", "dyck1"], "dyck1"),
    (["--languages", "group-Q7-all"], "group-Q7"),
    (["--layers", "0"], "--layers"),
])
def test_cli_rejects_bad_input(argv, culprit, capsys, tmp_path):
    assert main(["reproduce", "state-tracking", "--quick", *argv, "-o", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and culprit in err
