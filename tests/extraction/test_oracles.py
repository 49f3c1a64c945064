"""Tests for automata_probe.extraction.oracles: DFA and model oracles, acceptance from outputs.

The "model" here is a DFA in disguise (:func:`tests.extraction.helpers.dfa_module`),
so every answer is known.
"""

from __future__ import annotations

import numpy as np
import pytest

from automata_probe.automata.dfa import DFA
from automata_probe.errors import DataError
from automata_probe.extraction import DFAOracle, ModelOracle, acceptance_from_outputs

from .helpers import B, Tok, dfa_module, tomita


@pytest.fixture
def tomita4() -> DFA:
    return tomita(4)


def test_dfa_oracle_answers_and_counts(tomita4: DFA) -> None:
    o = DFAOracle(tomita4)
    got = o.accepts_batch([(), ("0", "0", "0"), "0010", ("1",)])
    assert got.tolist() == [True, False, True, True]
    assert o.n_queries == 4
    (acc,) = o.prefix_acceptance(["1000"])
    assert acc.tolist() == [True, True, True, True, False]  # L + 1 = 5 prefixes


def test_model_oracle_reads_the_last_real_position_and_caches_prefixes(tomita4: DFA) -> None:
    pytest.importorskip("torch")
    model = dfa_module(tomita4)
    o = ModelOracle(model, Tok(B), "next", batch_size=2)
    words = [(), ("0", "0", "0"), ("0", "0", "1", "0", "0"), ("1",), ("0", "0", "0", "1")]
    assert o.accepts_batch(words).tolist() == [tomita4.accepts(w) for w in words]
    # () , 000 and 1 are prefixes of nothing else run... only maximal words run
    assert o.n_forward_words == 3  # 00100, 0001 and 1 (000 and () are prefixes of 0001)
    before = o.n_forward_words
    assert o.accepts_batch([("0", "0"), ("0", "0", "1", "0")]).tolist() == [True, True]
    assert o.n_forward_words == before  # answered from the prefix cache


def test_acceptance_from_outputs_per_task(tomita4: DFA) -> None:
    # next: end bit on at both positions, but letter "0" was predicted impossible at position 0
    nxt = np.array([[-1.0, 9.0, 2.0], [0.0, 0.0, 2.0]])  # (L+1, k+1) for the word "0"
    assert acceptance_from_outputs(nxt, np.array([0]), "next").tolist() == [True, False]
    assert acceptance_from_outputs(nxt, np.array([1]), "next").tolist() == [True, True]
    nxt_end_off = np.array([[9.0, 9.0, -2.0], [9.0, 9.0, 2.0]])
    assert acceptance_from_outputs(nxt_end_off, np.array([0]), "next").tolist() == [False, True]
    mem = np.array([[0.5], [-0.5]])
    assert acceptance_from_outputs(mem, np.array([1]), "member").tolist() == [True, False]
    state = np.eye(4)[[3, 2]]  # predicted states dead, q2
    assert acceptance_from_outputs(state, np.array([0]), "state", tomita4).tolist() == [False, True]
    with pytest.raises(DataError, match="training DFA"):
        acceptance_from_outputs(state, np.array([0]), "state")
    with pytest.raises(DataError, match="a word of 2 letters"):
        acceptance_from_outputs(mem, np.array([0, 1]), "member")


def test_next_task_acceptance_needs_the_letter_bits(tomita4: DFA) -> None:
    """A next-task model whose end bit is always on still rejects 000 through its letter bits."""
    pytest.importorskip("torch")
    import torch

    live_next = tomita4.live_mask[tomita4.table]  # (n, k): letter keeps the word alive

    class EndAlwaysOn(torch.nn.Module):
        def forward(self, tokens):  # noqa: ANN001, ANN201
            tok = tokens.numpy()
            q = np.full(tok.shape[0], tomita4.start)
            out = np.zeros(tok.shape + (3,), dtype=np.float32)  # (B, T, k+1)
            for t in range(tok.shape[1]):
                q = np.where(tok[:, t] >= 2, tomita4.table[q, np.maximum(tok[:, t] - 2, 0)], q)
                out[:, t, :2] = np.where(live_next[q], 1.0, -1.0)
                out[:, t, 2] = 1.0  # the end bit never learnt to switch off
            return torch.from_numpy(out)

    o = ModelOracle(EndAlwaysOn(), Tok(B), "next")
    words = [(), ("0", "0"), ("0", "0", "0"), ("1", "0", "0", "0", "1")]
    assert o.accepts_batch(words).tolist() == [True, True, False, False]
