"""Flip-flop (FFL(p)) and Dyck(k, m) corpora: the distributions, the targets, close-accuracy labels."""

from __future__ import annotations

import numpy as np
import pytest

from automata_probe.automata import load_language
from automata_probe.data.bounded_dyck import dyck_alphabet, dyck_lm_batch, sample_bounded_dyck
from automata_probe.data.flipflop import FLIP_FLOP_ALPHABET, flip_flop_batch, flip_flop_gaps, sample_flip_flop
from automata_probe.errors import DataError


def test_flip_flop_reads_recall_the_latest_write_and_start_with_w_end_with_r():
    seqs = sample_flip_flop(200, 64, 0.8, 0)
    letters = np.array(FLIP_FLOP_ALPHABET)[seqs]
    assert (letters[:, 0] == "w").all() and (letters[:, -2] == "r").all()
    for row in letters[:20]:
        memory = None
        for ins, bit in zip(row[0::2], row[1::2]):
            if ins == "w":
                memory = bit
            elif ins == "r":
                assert bit == memory


def test_flip_flop_strings_are_in_the_suites_language():
    lang = load_language("flip_flop")
    seqs = sample_flip_flop(30, 40, 0.5, 1)
    assert all(lang.accepts([FLIP_FLOP_ALPHABET[i] for i in row]) for row in seqs)


def test_sparse_sets_have_longer_gaps():
    gaps = {p: np.median(flip_flop_gaps(sample_flip_flop(300, 512, p, 2))) for p in (0.1, 0.8, 0.98)}
    assert gaps[0.1] < gaps[0.8] < gaps[0.98]


def test_flip_flop_batch_hides_read_bits_and_scores_only_them():
    seqs = sample_flip_flop(5, 16, 0.5, 3)
    tokens, targets, mask = flip_flop_batch(seqs)
    reads = seqs[:, :-1] == FLIP_FLOP_ALPHABET.index("r")
    assert mask[:, 2:].tolist() == reads.tolist() and not mask[:, :2].any()
    assert (tokens[mask] == 2 + FLIP_FLOP_ALPHABET.index("-")).all()
    assert set(np.unique(targets[mask])) <= {0, 1} and (targets[~mask] == -1).all()


@pytest.mark.parametrize("length,p", [(3, 0.8), (10, 1.0)])
def test_impossible_flip_flop_requests_fail(length, p):
    with pytest.raises(DataError):
        sample_flip_flop(1, length, p, 0)


def test_bounded_dyck_words_are_balanced_bounded_and_in_range():
    k, depth = 3, 4
    words = sample_bounded_dyck(50, k, depth, 10, 40, 0)
    for w in words:
        assert 10 <= len(w) <= 40 and w[-1] == 2 * k
        d, deepest = 0, 0
        for x in w[:-1]:
            d += 1 if x < k else -1
            deepest = max(deepest, d)
            assert d >= 0
        assert d == 0 and deepest <= depth


def test_close_labels_name_the_stack_top():
    k = 2
    alphabet = dyck_alphabet(k)  # (a (b a) b) END
    word = np.array([alphabet.index(x) for x in ("(a", "(b", "b)", "a)", "END")])
    tokens, targets, mask, close = dyck_lm_batch([word], k)
    assert tokens[0].tolist() == [1, 2, 3, 5, 4] and targets[0].tolist() == word.tolist()
    # after (a: a) closes; after (a (b: b); after (a (b b): a); after all: empty
    assert close[0].tolist() == [-1, alphabet.index("a)"), alphabet.index("b)"), alphabet.index("a)"), -1]
