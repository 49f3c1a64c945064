"""Tests for automata_probe.models.checkpoint: roundtrip, atomic writes, refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from automata_probe.automata.dfa import DFA
from automata_probe.cli import main
from automata_probe.errors import CheckpointError
from automata_probe.models import ModelConfig, build_model
from automata_probe.models.checkpoint import (
    FORMAT_VERSION,
    Checkpoint,
    load_checkpoint,
    load_mamba_ssm_checkpoint,
    save_checkpoint,
)


@pytest.fixture
def tiny_model():
    torch.manual_seed(0)
    return build_model(ModelConfig(arch="mamba", vocab_size=4, n_outputs=3, d_model=8, n_layers=1, d_state=4))


def _save(path: Path, model, dfa: DFA, **kw) -> Path:
    return save_checkpoint(
        path, model=model, language_name="tomita4", alphabet=dfa.alphabet, dfa=dfa, task="next", **kw
    )


def test_roundtrip_rebuilds_the_same_function(tmp_path, tiny_model, tomita4):
    path = _save(
        tmp_path / "m.pt",
        tiny_model,
        tomita4,
        train_config={"lr": 1e-3, "train_lengths": [1, 100]},
        metadata={"steps": 7, "seed": 3},
        metrics={"bins": [{"lo": 1, "hi": 100, "strict": 1.0}]},
    )
    raw = torch.load(path, weights_only=True)  # plain data only
    assert raw["format_version"] == FORMAT_VERSION
    ck = load_checkpoint(path)
    assert isinstance(ck, Checkpoint)
    assert (ck.language_name, ck.alphabet, ck.task, ck.steps) == ("tomita4", ("0", "1"), "next", 7)
    assert ck.dfa == tomita4
    assert ck.metadata["torch_version"] == torch.__version__ and "date" in ck.metadata
    assert ck.metrics["bins"][0]["strict"] == 1.0
    assert ck.config == tiny_model.config
    assert ck.tokenizer.vocab_size == 4
    model = ck.build_model()
    assert not model.training
    tokens = torch.tensor([[1, 2, 3, 3, 2]])
    tiny_model.eval()
    with torch.no_grad():
        assert torch.equal(model(tokens), tiny_model(tokens))


def test_failing_write_leaves_the_old_file_intact(tmp_path, tiny_model, tomita4, monkeypatch):
    path = _save(tmp_path / "m.pt", tiny_model, tomita4, metadata={"steps": 1})
    before = path.read_bytes()
    real_save = torch.save

    def broken_save(obj, f, *a, **kw):
        real_save({"half": torch.zeros(100)}, f)  # some bytes reach the temp file
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(CheckpointError, match="No space left on device"):
        _save(path, tiny_model, tomita4, metadata={"steps": 2})
    monkeypatch.setattr(torch, "save", real_save)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.pt"]  # no temp file left behind
    assert load_checkpoint(path).steps == 1


def test_interrupted_write_leaves_the_old_file_intact(tmp_path, tiny_model, tomita4, monkeypatch):
    path = _save(tmp_path / "m.pt", tiny_model, tomita4, metadata={"steps": 1})

    def interrupted(obj, f, *a, **kw):
        f.write(b"PK\x03\x04partial")
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _save(path, tiny_model, tomita4, metadata={"steps": 2})
    monkeypatch.undo()
    assert load_checkpoint(path).steps == 1
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"]


def test_non_plain_values_are_rejected_at_save(tmp_path, tiny_model, tomita4):
    with pytest.raises(CheckpointError, match=r"checkpoint\['metrics'\]\['when'\] is a object"):
        _save(tmp_path / "m.pt", tiny_model, tomita4, metrics={"when": object()})
    assert not (tmp_path / "m.pt").exists()


class _Evil:
    """Unpickling this would create a marker file."""

    marker: str = ""

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


def test_malicious_pickle_is_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "PWNED"
    evil = _Evil()
    evil.marker = str(marker)
    path = tmp_path / "evil.pt"
    torch.save({"format": "automata-probe-checkpoint", "payload": evil}, path)
    assert not marker.exists()
    with pytest.raises(CheckpointError, match="refusing to load .*evil.pt: it contains code/objects that are not plain data"):
        load_checkpoint(path)
    assert not marker.exists()


def test_refusals_are_one_line(tmp_path, tiny_model, tomita4):
    cases = {}
    cases["missing"] = (tmp_path / "nope.pt", "does not exist")
    text = tmp_path / "notes.pt"
    text.write_text("hello, I am not a checkpoint\n")
    cases["text"] = (text, "is not a checkpoint")
    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    cases["empty"] = (empty, "is empty")
    good = _save(tmp_path / "good.pt", tiny_model, tomita4)
    blob = good.read_bytes()
    trunc = tmp_path / "trunc.pt"
    trunc.write_bytes(blob[: len(blob) // 2])
    cases["truncated"] = (trunc, "truncated or corrupt")
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(2)}, foreign)
    cases["foreign"] = (foreign, "not an automata-probe checkpoint")
    future = tmp_path / "future.pt"
    raw = torch.load(good, weights_only=True)
    torch.save({**raw, "format_version": FORMAT_VERSION + 1}, future)
    cases["version"] = (future, "format version 2")
    lacking = tmp_path / "lacking.pt"
    torch.save({k: v for k, v in raw.items() if k != "state_dict"}, lacking)
    cases["keys"] = (lacking, "lacks key.*state_dict")
    for name, (path, message) in cases.items():
        with pytest.raises(CheckpointError, match=message) as e:
            load_checkpoint(path)
        assert "\n" not in str(e.value), name


def test_cli_truncated_checkpoint_exits_2(tmp_path, tiny_model, tomita4, capsys):
    good = _save(tmp_path / "good.pt", tiny_model, tomita4)
    blob = good.read_bytes()
    trunc = tmp_path / "trunc.pt"
    trunc.write_bytes(blob[: len(blob) - 100])
    assert main(["evaluate", str(trunc)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: checkpoint") and "truncated or corrupt" in err and "\n" not in err


def _mamba_ssm_state_dict(model) -> dict[str, torch.Tensor]:
    """What MambaLMHeadModel.state_dict() looks like: our backbone keys plus lm_head."""
    sd = {k: v.clone() for k, v in model.state_dict().items() if k.startswith("backbone.")}
    sd["lm_head.weight"] = sd["backbone.embedding.weight"].clone()  # tied
    return sd


def test_load_mamba_ssm_checkpoint(tmp_path, tomita4):
    from automata_probe.automata import load_language

    lang = load_language("tomita4")
    cfg = ModelConfig(arch="mamba", vocab_size=4, n_outputs=8, d_model=8, n_layers=2, d_state=4)
    torch.manual_seed(1)
    reference = build_model(cfg)
    torch.save(_mamba_ssm_state_dict(reference), tmp_path / "pytorch_model.bin")
    (tmp_path / "config.json").write_text(json.dumps({
        "d_model": 8, "d_intermediate": 0, "n_layer": 2, "vocab_size": 4,
        "ssm_cfg": {"d_state": 4}, "attn_layer_idx": [], "attn_cfg": {}, "rms_norm": True,
        "residual_in_fp32": True, "fused_add_norm": True, "pad_vocab_size_multiple": 8, "tie_embeddings": True,
    }))
    ck = load_mamba_ssm_checkpoint(tmp_path / "pytorch_model.bin", tmp_path / "config.json", lang)
    assert ck.language_name == "tomita4" and ck.alphabet == ("0", "1")
    model = ck.build_model()
    assert model.config.n_layers == 2 and model.config.d_state == 4
    for k, v in reference.state_dict().items():
        if k.startswith("backbone."):
            assert torch.equal(model.state_dict()[k], v), k


def test_load_mamba_ssm_checkpoint_refuses_bad_inputs(tmp_path):
    from automata_probe.automata import load_language

    lang = load_language("tomita4")
    (tmp_path / "config.json").write_text(json.dumps({"d_model": 8, "n_layer": 1, "vocab_size": 3}))
    torch.save({}, tmp_path / "w.bin")
    with pytest.raises(CheckpointError, match="needs 4 token ids .* vocab_size 3"):
        load_mamba_ssm_checkpoint(tmp_path / "w.bin", tmp_path / "config.json", lang)
    (tmp_path / "c2.json").write_text(json.dumps({"d_model": 8, "n_layer": 1, "vocab_size": 8,
                                                   "ssm_cfg": {"layer": "Mamba2"}}))
    with pytest.raises(CheckpointError, match="not supported: only Mamba-1"):
        load_mamba_ssm_checkpoint(tmp_path / "w.bin", tmp_path / "c2.json", lang)
    with pytest.raises(CheckpointError, match="does not exist"):
        load_mamba_ssm_checkpoint(tmp_path / "w.bin", tmp_path / "none.json", lang)


def test_ctrl_c_while_writing_waits_for_the_whole_file_then_interrupts(tmp_path, tiny_model, tomita4, monkeypatch):
    """SIGINT in the middle of torch.save used to surface as torch's own RuntimeError ("unexpected pos"), an
    internal error; now the file is finished and the KeyboardInterrupt comes after it."""
    import os
    import signal

    real_save = torch.save

    def interrupted_save(obj, f, *a, **kw):
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C arrives while the checkpoint is being written
        return real_save(obj, f, *a, **kw)

    _save(tmp_path / "m.pt", tiny_model, tomita4)
    monkeypatch.setattr(torch, "save", interrupted_save)
    # Python's own Ctrl-C handler, as in a terminal: a background job (CI under nohup or `&`) starts with
    # SIGINT ignored, and then the deferred signal is rightly dropped
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            _save(tmp_path / "m.pt", tiny_model, tomita4, metadata={"steps": 7})
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the handler is back
    finally:
        signal.signal(signal.SIGINT, previous)
    assert load_checkpoint(tmp_path / "m.pt").steps == 7  # the new file, whole
    assert not list(tmp_path.glob(".m.pt.*"))  # no temporary left behind


def test_ctrl_c_while_writing_is_dropped_where_it_is_ignored(tmp_path, tiny_model, tomita4, monkeypatch):
    import os
    import signal

    real_save = torch.save

    def interrupted_save(obj, f, *a, **kw):
        os.kill(os.getpid(), signal.SIGINT)
        return real_save(obj, f, *a, **kw)

    monkeypatch.setattr(torch, "save", interrupted_save)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a background job's SIGINT
    try:
        _save(tmp_path / "m.pt", tiny_model, tomita4, metadata={"steps": 3})  # no interrupt
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)
    assert load_checkpoint(tmp_path / "m.pt").steps == 3
