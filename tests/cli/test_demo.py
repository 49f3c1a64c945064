"""The README's first command, end to end with a tiny budget."""

from __future__ import annotations

import json

from automata_probe.cli import main


def test_demo_trains_probes_extracts_and_writes_figures(tmp_path, capsys):
    out = tmp_path / "demo"
    argv = ["demo", "-o", str(out), "--steps", "3", "--layers", "1", "--d-model", "8", "--triples", "16", "--seeds", "1",
            "--threads", "1"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    for step in ("1. the language", "2. train", "3. probe", "4. intervene", "5. extract",
                 "what the probe and the interventions say", "interventions, trained model", "done in"):
        assert step in text
    assert (out / "intervene.json").stat().st_size > 0 and (out / "intervene_heatmap.png").exists()
    for name in ("model.pt", "dfa.png", "probe.png", "probe_confusion.png", "disagreement.png", "extracted-lstar.toml"):
        assert (out / name).stat().st_size > 0, name
    report = json.loads((out / "probe.json").read_text())
    assert report["dfa"] == "tomita4" and report["sites"]
    # a second run reuses the checkpoint instead of training again
    assert main(argv[:-6] + ["--triples", "16", "--seeds", "1", "--threads", "1"]) == 0
    assert "evaluate the existing checkpoint" in capsys.readouterr().out


def test_demo_with_an_unknown_language_fails_before_writing(tmp_path, capsys):
    assert main(["demo", "--dfa", "tomtia4", "-o", str(tmp_path / "d")]) == 2
    assert "tomita4" in capsys.readouterr().err
    assert not (tmp_path / "d").exists()
