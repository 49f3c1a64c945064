"""Length bins: inclusive ranges of word lengths, and the no-overlap rule for evaluation bins."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..errors import DataError

__all__ = ["LengthBin", "check_bins"]


@dataclass(frozen=True, kw_only=True)
class LengthBin:
    """Word lengths ``lo..hi`` (both inclusive).

    Parameters
    ----------
    lo, hi
        Smallest and largest length; ``0 <= lo <= hi``.
    """

    lo: int
    hi: int

    def __post_init__(self) -> None:
        for name, v in (("lo", self.lo), ("hi", self.hi)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise DataError(f"length bin bound {name}={v!r} is not an integer")
        object.__setattr__(self, "lo", int(self.lo))
        object.__setattr__(self, "hi", int(self.hi))
        if self.lo < 0:
            raise DataError(f"length bin {self.lo}-{self.hi} has a negative length")
        if self.lo > self.hi:
            raise DataError(f"length bin {self.lo}-{self.hi} is empty (lo > hi)")

    @classmethod
    def of(cls, value: "LengthBin | Sequence[int] | str") -> "LengthBin":
        """A bin from ``(lo, hi)``, ``"lo-hi"``, ``"n"`` or a bin."""
        if isinstance(value, LengthBin):
            return value
        if isinstance(value, str):
            text = value.strip()
            parts = text.split("-") if "-" in text[1:] else [text]
            if text.startswith("-"):
                raise DataError(f"length bin {value!r} has a negative length")
            try:
                nums = [int(p) for p in parts]
            except ValueError:
                raise DataError(f"length bin {value!r} is not of the form LO-HI") from None
            if len(nums) == 1:
                nums = nums * 2
            if len(nums) != 2:
                raise DataError(f"length bin {value!r} is not of the form LO-HI")
            return cls(lo=nums[0], hi=nums[1])
        try:
            lo, hi = value
        except (TypeError, ValueError):
            raise DataError(f"length bin {value!r} is not a pair (lo, hi)") from None
        return cls(lo=lo, hi=hi)

    @property
    def lengths(self) -> range:
        return range(self.lo, self.hi + 1)

    def __contains__(self, length: object) -> bool:
        return isinstance(length, (int, np.integer)) and self.lo <= length <= self.hi

    def overlaps(self, other: "LengthBin") -> bool:
        return self.lo <= other.hi and other.lo <= self.hi

    def __str__(self) -> str:
        return f"{self.lo}-{self.hi}"


def check_bins(train: LengthBin, bins: Sequence[LengthBin], *, allow_overlap: bool = False) -> None:
    """Raise :class:`DataError` if an evaluation bin overlaps the training lengths.

    Parameters
    ----------
    train
        Training lengths.
    bins
        Evaluation bins.
    allow_overlap
        Accept overlapping bins (e.g. to evaluate at training lengths).
    """
    if allow_overlap:
        return
    train = LengthBin.of(train)
    bad = [LengthBin.of(b) for b in bins if LengthBin.of(b).overlaps(train)]
    if bad:
        names = ", ".join(str(b) for b in bad)
        raise DataError(
            f"evaluation bin(s) {names} overlap the training lengths {train} "
            "(pass allow_overlap to evaluate there anyway)"
        )
