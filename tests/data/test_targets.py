"""Tests for automata_probe.data: tokens, alignment, exact samplers, bins, targets."""

from __future__ import annotations

import numpy as np
import pytest

from automata_probe import data
from automata_probe.data import (
    batch_from_words,
    targets_from_states,
)
from automata_probe.errors import DataError


def test_next_targets_on_the_dead_state(tomita4):
    b = batch_from_words(tomita4, ["0001"], "next")
    t = b.targets[0].tolist()
    assert t[0] == [1, 1, 1]  # q0: both letters live, accepting
    assert t[2] == [0, 1, 1]  # q2 (two 0s): a third 0 dies
    assert t[3] == [0, 0, 0]  # dead: nothing continues, rejecting
    assert t[4] == [0, 0, 0]


def test_member_and_state_targets(tomita4):
    states = np.array([[0, 2, 3, -1]])
    member = targets_from_states(tomita4, states, "member")
    assert member.shape == (1, 4, 1) and member[..., 0].tolist() == [[1, 1, 0, 0]]
    assert targets_from_states(tomita4, states, "state").tolist() == states.tolist()
    assert data.n_outputs("next", tomita4) == 3
    assert data.n_outputs("member", tomita4) == 1
    assert data.n_outputs("state", tomita4) == 4
    with pytest.raises(DataError, match="unknown task 'lm'"):
        data.n_outputs("lm", tomita4)
