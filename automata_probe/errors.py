"""One exception root for the package, with specific subclasses.

Every message names the culprit (a file, a letter, a position, a state), so the
CLI can print it on one line and exit with status 2.
"""

from __future__ import annotations

__all__ = [
    "AutomataProbeError",
    "DFAError",
    "AlphabetError",
    "RegexError",
    "LanguageNotFoundError",
    "LanguageFileError",
    "StateSpaceTooLargeError",
    "MonoidTooLargeError",
    "CheckpointError",
    "DataError",
    "ModelError",
    "ParameterError",
    "NotRegularError",
    "excerpt",
]


def excerpt(text: str, limit: int = 60, *, around: int | None = None) -> str:
    """``text`` cut to ``limit`` characters around position ``around`` (default:
    the start), with ``…`` where it was cut: user input in a one-line message."""
    if len(text) <= limit:
        return text
    center = 0 if around is None else around
    lo = max(0, min(center - limit // 2, len(text) - limit))
    hi = lo + limit
    return ("…" if lo else "") + text[lo:hi] + ("…" if hi < len(text) else "")


class AutomataProbeError(Exception):
    """Root of every error this package raises on purpose."""


class DFAError(AutomataProbeError, ValueError):
    """A DFA that fails validation (missing transition, unknown state, ...)."""


class AlphabetError(AutomataProbeError, ValueError):
    """A letter outside the alphabet, or two alphabets that do not fit."""


class RegexError(AutomataProbeError, ValueError):
    """A malformed regular expression; the message names the position."""

    def __init__(self, message: str, *, pattern: str = "", position: int | None = None):
        self.pattern = pattern
        self.position = position
        where = f" at position {position}" if position is not None else ""
        shown = f" in {excerpt(pattern, around=position)!r}" if pattern else ""
        if len(pattern) > 60:
            shown += f" ({len(pattern):,} characters)"
        super().__init__(f"{message}{where}{shown}")


class LanguageNotFoundError(AutomataProbeError, LookupError):
    """A language name that resolves to no file, suite entry or family."""

    def __init__(self, name: str, suggestions: list[str] | tuple[str, ...] = ()):
        self.name = name
        self.suggestions = tuple(suggestions)
        hint = f"; did you mean {', '.join(self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"unknown language {excerpt(name)!r}{hint}")

    def __str__(self) -> str:  # LookupError quotes its argument otherwise
        return self.args[0]


class LanguageFileError(AutomataProbeError, ValueError):
    """A language file that cannot be read or whose contents are invalid."""


class StateSpaceTooLargeError(AutomataProbeError, RuntimeError):
    """An implicit automaton with more reachable states than the cap."""


class MonoidTooLargeError(AutomataProbeError, RuntimeError):
    """A transition monoid with more elements than the configured cap."""


class CheckpointError(AutomataProbeError, ValueError):
    """A checkpoint that is missing, truncated, not ours, or would run code."""


class DataError(AutomataProbeError, ValueError):
    """Impossible data requests: an empty length bin, a language with no words."""


class ModelError(AutomataProbeError, ValueError):
    """An invalid model configuration, an unknown site or backend, or weights that do not fit."""


class ParameterError(AutomataProbeError, ValueError):
    """An argument outside its range (a cap below 1, a negative count): the message names it."""


class NotRegularError(AutomataProbeError, ValueError):
    """A non-regular language (a counter language) where a DFA is required: the message says so."""
