"""Checkpoints written by earlier versions keep loading.

``tests/fixtures/v1-tomita4-{mamba,lstm,transformer}.pt`` were written by
automata-probe 0.1.0 at commit 04a3b04 (before the layout changed), format
version 1, each a 1-layer d_model 8 model trained 20 steps on tomita4; the
JSON beside them holds the logits those models gave on two token rows.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from automata_probe.models import load_checkpoint, resolve_model

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
EXPECTED = json.loads((FIXTURES / "v1-expected-logits.json").read_text())


@pytest.mark.parametrize("arch", ["mamba", "lstm", "transformer"])
def test_v1_checkpoint_loads_and_computes_the_same_function(arch):
    ckpt = load_checkpoint(FIXTURES / f"v1-tomita4-{arch}.pt")
    assert ckpt.format_version == 1
    assert (ckpt.language_name, ckpt.alphabet, ckpt.task) == ("tomita4", ("0", "1"), "next")
    assert ckpt.config.arch == arch and ckpt.steps == EXPECTED[arch]["steps"]
    assert ckpt.dfa is not None and ckpt.dfa.n_states == 4
    model = ckpt.build_model()
    with torch.no_grad():
        logits = model(torch.tensor(EXPECTED[arch]["tokens"]))
    np.testing.assert_allclose(logits.numpy(), np.asarray(EXPECTED[arch]["logits"]), rtol=0, atol=1e-5)


def test_v1_checkpoint_resolves_and_can_resume():
    loaded = resolve_model(FIXTURES / "v1-tomita4-mamba.pt")
    assert loaded.task == "next" and loaded.train_config["train_lengths"] == [1, 12]
    ckpt = load_checkpoint(FIXTURES / "v1-tomita4-mamba.pt")
    assert ckpt.training_state is not None and ckpt.optimizer_state is not None
    assert ckpt.training_state["step"] == 20


def test_a_checkpoint_names_its_language_or_the_one_asked_for():
    from automata_probe.automata import Language
    from automata_probe.models.checkpoint import load_checkpoint

    ckpt = load_checkpoint(FIXTURES / "v1-tomita4-mamba.pt")
    own = ckpt.language()
    dfa = own.dfa if isinstance(own, Language) else own
    assert dfa.name == "tomita4" and dfa.accepts("1001") and not dfa.accepts("1000")
    other = ckpt.language("parity")
    assert isinstance(other, Language) and other.name == "parity"
