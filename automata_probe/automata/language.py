"""A language: a minimal DFA and what a study needs to know about it.

:class:`Language` couples the DFA with a description, its source, facts the
tests check (``expect``) and the default train/test lengths (:class:`Experiment`).
Files, names and families become languages in :mod:`automata_probe.automata.resolve`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from ..errors import AlphabetError, DataError, LanguageFileError
from .dfa import DFA

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["Experiment", "Language", "EXPECT_KEYS", "DEFAULT_EXPERIMENT", "language_and_dfa", "partition_classes"]

#: Keys allowed in a file's ``[expect]`` table, with their types.
EXPECT_KEYS: Mapping[str, type | tuple[type, ...]] = {
    "star_free": bool,
    "min_states": int,
    "monoid_size": int,
    "aperiodicity_index": int,
    "complexity": str,
    "subgroups": list,
    "accepts": list,
    "rejects": list,
}



@dataclass(frozen=True, kw_only=True)
class Experiment:
    """Default lengths for training and for the length-generalization bins.

    Both ends are inclusive. The test bins should not overlap the training
    lengths (Sarrof et al.'s release overlapped for a few languages; the suite
    does not).
    """

    train_lengths: tuple[int, int]
    test_bins: tuple[tuple[int, int], ...]

    def __post_init__(self) -> None:
        train = _length_range(self.train_lengths, "train_lengths")
        bins = tuple(_length_range(b, f"test_bins[{i}]") for i, b in enumerate(self.test_bins))
        object.__setattr__(self, "train_lengths", train)
        object.__setattr__(self, "test_bins", bins)

    def overlapping_bins(self) -> tuple[tuple[int, int], ...]:
        """Test bins that share a length with the training range."""
        lo, hi = self.train_lengths
        return tuple(b for b in self.test_bins if b[0] <= hi and b[1] >= lo)


def _length_range(value: Any, what: str) -> tuple[int, int]:
    try:
        lo, hi = value
    except (TypeError, ValueError):
        raise LanguageFileError(f"{what} must be a pair [low, high], not {value!r}") from None
    if not all(isinstance(x, int) and not isinstance(x, bool) for x in (lo, hi)):
        raise LanguageFileError(f"{what} must hold two integers, not {value!r}")
    if lo < 0 or hi < lo:
        raise LanguageFileError(f"{what} = [{lo}, {hi}] is not a range of lengths (0 <= low <= high)")
    return (int(lo), int(hi))


#: Lengths for a language that names none (a regex typed on the command line).
DEFAULT_EXPERIMENT = Experiment(train_lengths=(1, 50), test_bins=((51, 100),))


@dataclass(frozen=True, kw_only=True)
class Language:
    """A language and what we know about it.

    Parameters
    ----------
    name
        Short name (``tomita3``, ``dyck-2-3``, or the regex itself).
    description
        One line for people.
    alphabet
        The letters, in the order that numbers them (``dfa.alphabet``).
    dfa
        The minimal complete DFA, canonically numbered, named ``name``.
    regex
        The defining regular expression, if any.
    source
        Where the language comes from (papers).
    expect
        Facts the tests check (keys in :data:`EXPECT_KEYS`).
    experiment
        Default train/test lengths.
    family
        The family kind (``"dyck"``, ``"Dn"``, ``"group"``, ``"mod"``) for
        generated languages, else None.
    partitions
        Named coarsenings of the minimal DFA's states, from the file's
        ``[partitions]`` table: ``name -> {block name: state labels}``
        (probing targets ``partition:<name>``; checked by
        :func:`partition_classes`).
    path
        The file it was read from, if any.
    """

    name: str
    description: str
    alphabet: tuple[str, ...]
    dfa: DFA
    regex: str | None = None
    source: str = ""
    expect: dict[str, Any] = field(default_factory=dict, hash=False)
    experiment: Experiment = DEFAULT_EXPERIMENT
    family: str | None = None
    partitions: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict, hash=False)
    path: Path | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise LanguageFileError("a language needs a non-empty name")
        object.__setattr__(self, "alphabet", tuple(self.alphabet))
        if self.dfa.alphabet != self.alphabet:
            raise AlphabetError(
                f"language {self.name!r}: alphabet {{{', '.join(self.alphabet)}}} differs from its DFA's "
                f"{{{', '.join(self.dfa.alphabet)}}}"
            )
        unknown = set(self.expect) - set(EXPECT_KEYS)
        if unknown:
            raise LanguageFileError(f"language {self.name!r}: unknown [expect] key {sorted(unknown)[0]!r}")
        object.__setattr__(self, "expect", dict(self.expect))
        minimal = self.dfa.minimize()
        for pname, blocks in self.partitions.items():
            partition_classes(minimal, blocks, what=f"language {self.name!r}: partition {pname!r}")

    @property
    def n_states(self) -> int:
        return self.dfa.n_states

    def accepts(self, word: str | Sequence[str]) -> bool:
        return self.dfa.accepts(word)


def language_and_dfa(language: "Language | DFA") -> tuple[str, DFA]:
    """``(name, dfa)`` of a :class:`Language` or a bare DFA."""

    if isinstance(language, DFA):
        return language.name or "dfa", language
    if isinstance(language, Language):
        return language.name, language.dfa
    raise DataError(f"{language!r} is neither a Language nor a DFA")


def partition_classes(dfa: DFA, blocks: Mapping[str, Sequence[str]], *, what: str = "partition") -> np.ndarray:
    """The block of each state of ``dfa`` under a partition given by state labels.

    Parameters
    ----------
    dfa
        The automaton whose states are partitioned (usually minimal).
    blocks
        Block name -> labels of its states (``dfa.label(q)``); every state in
        exactly one block, no block empty.
    what
        How the partition is named in an error.

    Returns
    -------
    ndarray (n_states,)
        Index of each state's block, in the order of ``blocks``.

    Raises
    ------
    DataError
        An unknown state, a state in two blocks, an empty block, or a state in none.
    """
    index = {dfa.label(q): q for q in range(dfa.n_states)}
    known = ", ".join(index)
    out = np.full(dfa.n_states, -1, dtype=np.int64)
    for b, (name, states) in enumerate(blocks.items()):
        if isinstance(states, str) or not len(states):
            raise DataError(f"{what}: block {name!r} must be a non-empty list of states")
        for label in states:
            if label not in index:
                raise DataError(f"{what}: {dfa.name or 'the DFA'} has no state {label!r} (states: {known})")
            q = index[label]
            if out[q] >= 0:
                raise DataError(f"{what}: state {label!r} is in two blocks")
            out[q] = b
    missing = [dfa.label(q) for q in np.flatnonzero(out < 0)]
    if missing:
        raise DataError(f"{what} does not cover state {missing[0]!r} of {dfa.name or 'the DFA'} "
                        f"({len(missing)} state(s) in no block)")
    return out
