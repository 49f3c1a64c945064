"""Languages that are not regular: the plain verdict and a Myhill-Nerode certificate.

A counter language (:mod:`automata_probe.automata.counter`) has no finite
syntactic monoid, so star-freeness, aperiodicity and the circuit classes of
:func:`~automata_probe.algebra.classify` do not apply: it is not star-free
because star-free languages are regular. The certificate is a family of
prefixes ``u_0, u_1, ...`` and suffixes ``v_0, v_1, ...`` with ``u_i v_j`` in
the language exactly when ``i = j``: the ``u_i`` lie in pairwise distinct
Myhill-Nerode classes, and infinitely many classes means no DFA
(Myhill-Nerode theorem). :func:`non_regular_certificate` checks the family on
the machine for ``i, j < n``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..automata.counter import CounterLanguage, CounterMachine, counter_language
from ..automata.words import format_word
from ..errors import NotRegularError, ParameterError

__all__ = ["NonRegularCertificate", "non_regular_certificate", "reject_non_regular"]


@dataclass(frozen=True, kw_only=True)
class NonRegularCertificate:
    """Evidence that a language is not regular.

    Attributes
    ----------
    language
        Its name.
    checked
        ``n``: ``u_i v_j`` was checked for every ``i, j < n`` (``n**2`` words).
    prefixes, suffixes
        The first few ``u_i`` and ``v_i``, readable.
    counters
        Counters of the machine.
    """

    language: str
    checked: int
    prefixes: tuple[str, ...]
    suffixes: tuple[str, ...]
    counters: int

    def explain(self) -> str:
        """One paragraph for people."""
        pairs = ", ".join(f"{u or 'ε'} | {v}" for u, v in zip(self.prefixes, self.suffixes))
        return (
            f"{self.language} is not regular: the prefixes u_i and suffixes v_j ({pairs}, ...) give "
            f"u_i v_j in the language exactly when i = j (checked for i, j < {self.checked}), so the u_i "
            f"are pairwise inequivalent and the language has infinitely many Myhill-Nerode classes. "
            f"It is recognized by a deterministic counter machine with {self.counters} "
            f"counter{'s' * (self.counters != 1)}. Not star-free: star-free languages are regular."
        )

    def to_dict(self) -> dict[str, Any]:
        return {"language": self.language, "regular": False, "star_free": False, "checked": self.checked,
                "prefixes": list(self.prefixes), "suffixes": list(self.suffixes), "counters": self.counters}


def non_regular_certificate(language: CounterLanguage | str, n: int = 8) -> NonRegularCertificate:
    """Check the language's witness family for ``i, j < n`` and return the certificate.

    Raises
    ------
    ParameterError
        ``n < 2``, or the witness fails (a bug in the language's definition).
    """
    lang = counter_language(language) if isinstance(language, str) else language
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ParameterError(f"the certificate needs n >= 2 prefixes, got {n!r}")
    words = [lang.witness_words(i) for i in range(n)]
    for i, (u, _) in enumerate(words):
        for j, (_, v) in enumerate(words):
            if lang.accepts(u + v) != (i == j):
                raise ParameterError(f"{lang.name}: the witness fails at u_{i} v_{j} = {format_word(u + v)}")
    return NonRegularCertificate(
        language=lang.name,
        checked=n,
        prefixes=tuple(format_word(u) for u, _ in words[:3]),
        suffixes=tuple(format_word(v) for _, v in words[:3]),
        counters=lang.machine.n_counters,
    )


def reject_non_regular(obj: Any, what: str) -> None:
    """Raise :class:`NotRegularError` when ``obj`` is a counter language or machine."""
    if isinstance(obj, (CounterLanguage, CounterMachine)):
        raise NotRegularError(
            f"{obj.name} is not regular (a deterministic counter machine), so {what} does not apply: "
            f"it has no finite syntactic monoid; see non_regular_certificate"
        )
