"""Tests for automata_probe.models.training and the train/evaluate commands."""

from __future__ import annotations

import pytest
import torch

from automata_probe.automata.dfa import DFA
from automata_probe.data import (
    Tokenizer,
    batch_from_words,
    n_outputs,
    targets_from_states,
)
from automata_probe.models.evaluation import EvalReport, evaluate, position_correct
from automata_probe.models.training import task_loss

from .helpers import tiny_model


class Oracle(torch.nn.Module):
    """Reads the DFA state off the tokens and emits confident logits;
    ``wrong_at`` flips the prediction at one position."""

    def __init__(self, dfa: DFA, task: str, wrong_at: int | None = None):
        super().__init__()
        self.dfa, self.task, self.wrong_at = dfa, task, wrong_at
        self.dummy = torch.nn.Parameter(torch.zeros(1))

    def forward(self, tokens):
        idx = (tokens - Tokenizer.OFFSET).clamp(min=0)[:, 1:].numpy()
        states = self.dfa.run_indices(idx)  # (B, T); padding runs on, harmlessly
        t = torch.from_numpy(targets_from_states(self.dfa, states, self.task))
        if self.task == "state":
            out = torch.nn.functional.one_hot(t, self.dfa.n_states).float() * 20 - 10
        else:
            out = t * 20 - 10
        if self.wrong_at is not None and out.shape[1] > self.wrong_at:
            out[:, self.wrong_at] = -out[:, self.wrong_at] if self.task != "state" else out[:, self.wrong_at].roll(1, -1)
        return out


@pytest.mark.parametrize("task", ["next", "member", "state"])
def test_loss_and_accuracy_ignore_padding(tomita4, task):
    batch = batch_from_words(tomita4, ["0100", "1", ""], task)
    width = n_outputs(task, tomita4)
    torch.manual_seed(0)
    logits = torch.randn(3, 5, width)
    garbage = logits.clone()
    garbage[~batch.mask] = 1e4
    assert torch.equal(task_loss(logits, batch), task_loss(garbage, batch))
    assert torch.equal(position_correct(logits, batch), position_correct(garbage, batch))
    assert not position_correct(logits, batch)[~batch.mask].any()


@pytest.mark.parametrize("task", ["next", "member", "state"])
def test_evaluate_strict_vs_token(tomita4, task):
    perfect = evaluate(Oracle(tomita4, task), tomita4, [(1, 10), (20, 30)], task, n_per_bin=50, seed=0)
    assert [(r.strict, r.token) for r in perfect.bins] == [(1.0, 1.0), (1.0, 1.0)]
    flawed = evaluate(Oracle(tomita4, task, wrong_at=3), tomita4, [(20, 30)], task, n_per_bin=50, seed=0)
    r = flawed.bins[0]
    assert r.strict == 0.0  # one wrong position fails every string
    assert r.token == pytest.approx(1 - 50 / r.n_tokens)
    assert EvalReport.from_dict(flawed.to_dict()) == flawed
    assert "20-30" in flawed.table() and "strict %" in flawed.table()


def test_evaluate_is_seeded_per_bin(tomita4):
    model = tiny_model(tomita4)
    a = evaluate(model, tomita4, [(1, 5), (6, 9)], "next", n_per_bin=40, seed=1)
    b = evaluate(model, tomita4, [(6, 9)], "next", n_per_bin=40, seed=1)
    assert a.bins[1] == b.bins[0]
