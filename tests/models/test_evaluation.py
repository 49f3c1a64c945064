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
from automata_probe.errors import DataError
from automata_probe.models.evaluation import (
    EvalReport,
    EvalWords,
    evaluate,
    final_table_seed,
    final_table_words,
    position_correct,
)
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


def test_report_records_its_words_and_reads_older_reports(tomita4):
    rep = evaluate(Oracle(tomita4, "member"), tomita4, [(1, 5), (6, 9)], "member", n_per_bin=30, seed=4)
    assert rep.source == "mixed" and rep.words == EvalWords(seed=4, source="mixed", n=30)
    assert rep.words_line() == "words: seed 4, source mixed, 30 per bin"
    assert EvalReport.from_dict(rep.to_dict()) == rep
    old = rep.to_dict()
    del old["source"]  # metrics stored before the source was recorded
    older = EvalReport.from_dict(old)
    assert older.source is None and older.words is None
    assert older.words_line() == "words: seed 4, source not recorded, 30 per bin"


def test_final_table_words_from_what_a_checkpoint_stores():
    report = {"seed": 9, "source": "uniform", "bins": [{"n": 64}]}
    train_config = {"seed": 7, "source": None, "final_eval_n": 500}
    assert final_table_words(train_config, report, "next") == EvalWords(seed=9, source="uniform", n=64)
    # older metrics lack the source: it is the training source
    assert final_table_words({"seed": 7, "source": "mixed"}, {"seed": 9, "bins": [{"n": 64}]}, "next") == \
        EvalWords(seed=9, source="mixed", n=64)
    # interrupted before the final table: what the final table would have used
    assert final_table_words(train_config, {"step": 5, "loss": 0.1}, "next") == \
        EvalWords(seed=final_table_seed(7), source="language", n=500)
    assert final_table_words(train_config, {}, "state") == EvalWords(seed=9, source="mixed", n=500)
    assert final_table_words({}, {}, "next") is None  # not trained here
    with pytest.raises(DataError, match="word source"):
        EvalWords(seed=0, source="all", n=1)
