"""Tests for automata_probe.probing.controls: the Hewitt & Liang control task."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from automata_probe.automata.dfa import DFA
from automata_probe.probing.controls import control_window, make_control
from automata_probe.probing.labels import make_labeler
from automata_probe.probing.words import sample_probe_words


def _control_for(dfa: DFA, seed: int):
    lab = make_labeler(dfa, "state")
    words = sample_probe_words(lab.dfa, n_train=60, n_test=5, train_lengths=(1, 30), test_bins=[], seed=0)
    train = words.words(0)
    idx, lengths = words.indices[train], words.lengths[train]
    labels = lab.labels(idx, lengths)
    return make_control(idx, lengths, labels, n_letters=2, n_classes=lab.n_classes, seed=seed), labels


def test_control_has_the_task_classes_and_distribution(tomita4):
    control, labels = _control_for(tomita4, seed=0)
    assert control.n_classes == 4
    assert control.window == control_window(2, 4) == 4  # 2^4 >= 4 * 4 classes
    assert control.mapping.min() >= 0 and control.mapping.max() < 4
    assert len(np.unique(control.mapping)) == 4  # every class is used
    # matched distribution on the training positions, up to the weight of a few types
    idx, lengths = _training_words(tomita4)
    ctl = control.labels(idx, lengths)
    real = ctl >= 0
    task_p = np.bincount(labels[labels >= 0], minlength=4) / real.sum()
    ctl_p = np.bincount(ctl[real], minlength=4) / real.sum()
    assert np.abs(task_p - ctl_p).max() < 0.12


def _training_words(dfa):
    lab = make_labeler(dfa, "state")
    words = sample_probe_words(lab.dfa, n_train=60, n_test=5, train_lengths=(1, 30), test_bins=[], seed=0)
    train = words.words(0)
    return words.indices[train], words.lengths[train]


def test_control_is_deterministic_and_seeded(tomita4):
    a, _ = _control_for(tomita4, seed=3)
    b, _ = _control_for(tomita4, seed=3)
    c, _ = _control_for(tomita4, seed=4)
    np.testing.assert_array_equal(a.mapping, b.mapping)
    assert not np.array_equal(a.mapping, c.mapping)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 1), min_size=0, max_size=10), st.lists(st.integers(0, 1), min_size=0, max_size=10),
       st.lists(st.integers(0, 1), min_size=4, max_size=4))
def test_control_depends_only_on_the_last_window_letters(tomita4, u, v, tail):
    """Two prefixes ending in the same `window` letters get the same control label."""
    control, _ = _control_for(tomita4, seed=0)
    assert control.window == 4
    w1, w2 = u + tail, v + tail
    L = max(len(w1), len(w2))
    idx = np.zeros((2, L), dtype=np.int64)
    idx[0, : len(w1)], idx[1, : len(w2)] = w1, w2
    labels = control.labels(idx, np.array([len(w1), len(w2)]))
    assert labels[0, len(w1)] == labels[1, len(w2)]


def test_control_window_grows_with_classes():
    assert control_window(2, 2) == 3
    assert control_window(2, 5) == 5
    assert control_window(3, 120) >= 6
