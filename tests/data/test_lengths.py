"""Tests for automata_probe.data: tokens, alignment, exact samplers, bins, targets."""

from __future__ import annotations

import pytest

from automata_probe.data import (
    LengthBin,
    check_bins,
)
from automata_probe.errors import DataError


def test_length_bin_validation():
    assert LengthBin.of("101-150") == LengthBin(lo=101, hi=150)
    assert LengthBin.of((3, 3)) == LengthBin.of("3")
    assert list(LengthBin(lo=2, hi=4).lengths) == [2, 3, 4]
    with pytest.raises(DataError, match="lo > hi"):
        LengthBin(lo=5, hi=2)
    with pytest.raises(DataError, match="negative"):
        LengthBin.of("-3-4")
    with pytest.raises(DataError, match="LO-HI"):
        LengthBin.of("a-b")


def test_check_bins_overlap():
    train = LengthBin(lo=1, hi=100)
    check_bins(train, [LengthBin(lo=101, hi=150)])
    with pytest.raises(DataError, match=r"bin\(s\) 90-120, 100-100 overlap the training lengths 1-100"):
        check_bins(train, [LengthBin(lo=101, hi=150), LengthBin(lo=90, hi=120), LengthBin(lo=100, hi=100)])
    check_bins(train, [LengthBin(lo=90, hi=120)], allow_overlap=True)
