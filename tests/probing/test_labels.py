"""Tests for automata_probe.probing.labels: per-position labels for each probe target."""

from __future__ import annotations

import numpy as np
import pytest

from automata_probe.errors import AlphabetError, DataError
from automata_probe.probing.labels import make_labeler


def test_state_labels_follow_the_run(tomita4):
    lab = make_labeler(tomita4, "state")
    for word in ["", "0", "0010001", "111000"]:
        labels = lab.word_labels(word)
        assert len(labels) == len(word) + 1  # a run of length L visits L + 1 states
        np.testing.assert_array_equal(labels, tomita4.run(word))
    assert lab.class_names[tomita4.dead] == "dead"


def test_labels_pad_past_each_word(tomita4):
    lab = make_labeler(tomita4, "member")
    out = lab.labels(np.array([[0, 0, 0], [1, 0, 0]]), np.array([3, 1]))
    np.testing.assert_array_equal(out, [[1, 1, 1, 0], [1, 1, -1, -1]])


def test_next_and_member_targets(tomita4):
    nxt = make_labeler(tomita4, "next")
    # q0, q1: both letters and the end allowed; q2: only 1 and the end; dead: nothing
    assert nxt.class_names == ("{0,1,END}", "{1,END}", "{}")
    np.testing.assert_array_equal(nxt.word_labels("0001"), [0, 0, 1, 2, 2])
    mem = make_labeler(tomita4, "member")
    np.testing.assert_array_equal(mem.word_labels("0001"), [1, 1, 1, 0, 0])


def test_monoid_target_is_the_prefix_element(tomita4):
    from automata_probe.algebra import transition_monoid

    lab = make_labeler(tomita4, "monoid")
    monoid = transition_monoid(tomita4)
    assert lab.n_classes == monoid.size == 12
    word = "0100111000"
    expected = [monoid.element_of(word[:t]) for t in range(len(word) + 1)]
    np.testing.assert_array_equal(lab.word_labels(word), expected)


def test_model_alphabet_order_is_respected(tomita4):
    """A model whose tokenizer reads ('1', '0'): index 0 means '1'."""
    lab = make_labeler(tomita4, "state", alphabet=("1", "0"))
    np.testing.assert_array_equal(lab.labels(np.array([[1, 1, 0]]), np.array([3]))[0], tomita4.run("001"))


def test_alphabet_mismatch_names_both(tomita4):
    with pytest.raises(AlphabetError, match=r"\{a, b\}.*\{0, 1\}"):
        make_labeler(tomita4, "state", alphabet=("a", "b"))


def test_unknown_target(tomita4):
    with pytest.raises(DataError, match="unknown probe target"):
        make_labeler(tomita4, "colour")


def test_monoid_class_names_use_the_alphabet():
    """Over {a, b, ab} the elements of the words (a, b) and (ab,) are named apart."""
    from automata_probe.automata.dfa import DFA

    d = DFA(alphabet=("a", "b", "ab"), transitions=((1, 2, 3), (3, 0, 3), (3, 3, 0), (3, 3, 3)), start=0, accepting={0})
    names = make_labeler(d, "monoid").class_names
    assert len(set(names)) == len(names)
    assert all(" " in name for name in names if len(name) > 2)


def test_counter_target_reads_the_depth_of_a_bounded_counter_language():
    from automata_probe.automata import load_language

    lab = make_labeler(load_language("dyck1@4").dfa, "counter")
    assert lab.class_names == ("0", "1", "2", "3", "4", "rejected")
    np.testing.assert_array_equal(lab.word_labels("(()(("), [0, 1, 2, 1, 2, 3])
    np.testing.assert_array_equal(lab.word_labels("())("), [0, 1, 0, 5, 5])  # below zero: rejected for good
    np.testing.assert_array_equal(lab.word_labels("((((("), [0, 1, 2, 3, 4, 5])  # past the bound


def test_counter_target_needs_a_bounded_counter_language(tomita4):
    with pytest.raises(DataError, match="bounded counter language"):
        make_labeler(tomita4, "counter")
