"""Tests for automata_probe.data: tokens, alignment, exact samplers, bins, targets."""

from __future__ import annotations

import pytest

from automata_probe.data import (
    Tokenizer,
)
from automata_probe.errors import AlphabetError


def test_tokenizer_ids_and_roundtrip(tomita4):
    tok = Tokenizer.for_dfa(tomita4)
    assert (tok.PAD, tok.BOS, tok.vocab_size) == (0, 1, 4)
    assert tok.encode("0110").tolist() == [1, 2, 3, 3, 2]
    assert tok.encode("").tolist() == [1]
    assert tok.decode([1, 2, 3, 3, 2, 0, 0]) == ("0", "1", "1", "0")


def test_tokenizer_rejects_unknown_letter(tomita4):
    with pytest.raises(AlphabetError, match="'2' at position 1"):
        Tokenizer.for_dfa(tomita4).encode("021")
