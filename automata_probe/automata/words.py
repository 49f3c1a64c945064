"""Words and alphabets: how a string becomes letters and letters become text."""

from __future__ import annotations

from typing import Sequence

from ..errors import AlphabetError

__all__ = ["Word", "check_alphabet", "split_word", "format_word"]

#: A word is either a string (split into letters, see :meth:`DFA.split`) or a
#: sequence of letters.
Word = str | Sequence[str]


def check_alphabet(alphabet: Sequence[str]) -> tuple[str, ...]:
    """``alphabet`` as a tuple, checked: not empty, non-empty strings, no letter twice."""
    letters = tuple(alphabet)
    if not letters:
        raise AlphabetError("the alphabet is empty")
    for a in letters:
        if not isinstance(a, str) or a == "":
            raise AlphabetError(f"alphabet letter {a!r} is not a non-empty string")
    seen: set[str] = set()
    for a in letters:
        if a in seen:
            raise AlphabetError(f"letter {a!r} appears twice in the alphabet")
        seen.add(a)
    return letters


def split_word(word: Word, alphabet: Sequence[str]) -> tuple[str, ...]:
    """A word as a tuple of letters.

    A string is read character by character when every letter of
    ``alphabet`` is one character long, and split on whitespace otherwise
    (``"push( pop)"``). A sequence is taken as a sequence of letters.
    """
    if isinstance(word, str):
        if all(len(a) == 1 for a in alphabet):
            return tuple(word)
        return tuple(word.split())
    return tuple(word)


def format_word(word: Sequence[str], alphabet: Sequence[str] | None = None, *, sep: str | None = None) -> str:
    """Readable form of a word, the inverse of :func:`split_word`: ``ε`` for
    the empty word, letters joined by nothing when every letter of the
    alphabet is one character long, by spaces otherwise.

    Give ``alphabet`` whenever it is known: over ``{a, b, ab}`` the word
    ``(a, b)`` is ``a b`` and ``(ab,)`` is ``ab``, where judging by the word
    alone would print both as ``ab``. Without it, the word's own letters
    decide.
    """
    if len(word) == 0:
        return "ε"
    if sep is None:
        letters = word if alphabet is None else alphabet
        sep = "" if all(len(a) == 1 for a in letters) else " "
    return sep.join(word)
