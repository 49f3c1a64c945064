"""Profinite equations (identities with ``omega``) and certificates that a
language's syntactic monoid violates one.

An equation is written as text, e.g. ``"(xy)^ω x = (xy)^ω"``: single-letter
variables, juxtaposition for the product, ``^ω`` for the idempotent power
(``x^ω`` is the unique idempotent among the powers of ``x``), ``^(ω+1)``,
``^n`` for a number and ``1`` for the identity. :func:`parse_equation` turns
it into a tree that can be evaluated

- on element ids of a monoid (:meth:`Equation.evaluate`, vectorized), to
  decide and to search for violations;
- on the transformations of *any* DFA for the language
  (:func:`term_transformation`), to re-check a certificate independently of
  the monoid that produced it.

A :class:`EquationViolation` names words for the variables and a context
``(prefix, suffix)`` such that ``prefix lhs suffix`` and ``prefix rhs
suffix`` differ in membership: the two sides are different elements of the
syntactic monoid, so the language's monoid does not satisfy the equation.
Every DFA for the language maps onto the syntactic monoid, so an idempotent
power computed in any of them is the syntactic ``omega`` power.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from ..automata.dfa import DFA
from ..automata.words import format_word
from ..errors import DFAError

__all__ = ["Equation", "EquationViolation", "parse_equation", "separating_context", "term_transformation"]

#: ``("var", name)``, ``("one",)``, ``("prod", (t1, t2, ...))``, ``("pow", t, "ω" | "ω+1" | n)``
Term = tuple


@dataclass(frozen=True)
class Equation:
    """A parsed identity ``lhs = rhs``."""

    text: str
    lhs: Term
    rhs: Term

    @property
    def variables(self) -> tuple[str, ...]:
        out: set[str] = set()
        _collect(self.lhs, out)
        _collect(self.rhs, out)
        return tuple(sorted(out))

    def evaluate(self, assign: dict[str, np.ndarray], mul: Callable, omega: Callable) -> tuple[np.ndarray, np.ndarray]:
        """Both sides on element ids: ``assign[v]`` is an id array (all of one
        shape), ``mul(a, b)`` multiplies id arrays and ``omega(a)`` gives idempotent powers."""
        return _eval_ids(self.lhs, assign, mul, omega), _eval_ids(self.rhs, assign, mul, omega)


def _collect(t: Term, out: set[str]) -> None:
    if t[0] == "var":
        out.add(t[1])
    elif t[0] == "prod":
        for p in t[1]:
            _collect(p, out)
    elif t[0] == "pow":
        _collect(t[1], out)


class _Parser:
    def __init__(self, text: str):
        self.s = text.replace(" ", "").replace("w", "ω")
        self.i = 0

    def fail(self, why: str) -> DFAError:
        return DFAError(f"equation {self.s!r}: {why} at position {self.i}")

    def peek(self) -> str | None:
        return self.s[self.i] if self.i < len(self.s) else None

    def term(self) -> Term:
        parts = []
        while self.peek() is not None and self.peek() not in ")=":
            parts.append(self.factor())
        if not parts:
            raise self.fail("expected a term")
        return parts[0] if len(parts) == 1 else ("prod", tuple(parts))

    def factor(self) -> Term:
        c = self.peek()
        if c == "(":
            self.i += 1
            inner = self.term()
            if self.peek() != ")":
                raise self.fail("expected ')'")
            self.i += 1
        elif c == "1":
            self.i += 1
            inner = ("one",)
        elif c is not None and c.isalpha() and c != "ω":
            self.i += 1
            inner = ("var", c)
        else:
            raise self.fail(f"unexpected {c!r}")
        while self.peek() == "^":
            self.i += 1
            inner = ("pow", inner, self.exponent())
        return inner

    def exponent(self) -> str | int:
        rest = self.s[self.i :]
        for token, value in (("(ω+1)", "ω+1"), ("ω+1", "ω+1"), ("ω", "ω")):
            if rest.startswith(token):
                self.i += len(token)
                return value
        digits = ""
        while self.peek() is not None and self.peek().isdigit():  # type: ignore[union-attr]
            digits += self.s[self.i]
            self.i += 1
        if not digits:
            raise self.fail("expected ω, (ω+1) or a number after ^")
        return int(digits)


def parse_equation(text: str) -> Equation:
    """Parse ``"lhs = rhs"`` (see the module docstring for the syntax)."""
    if text.count("=") != 1:
        raise DFAError(f"equation {text!r} needs exactly one '='")
    left, right = text.split("=")
    lhs, rhs = _Parser(left).term(), _Parser(right).term()
    for side in (left, right):
        p = _Parser(side)
        p.term()
        if p.peek() is not None:
            raise p.fail("trailing text")
    return Equation(text=text, lhs=lhs, rhs=rhs)


def _eval_ids(t: Term, assign: dict[str, np.ndarray], mul: Callable, omega: Callable) -> np.ndarray:
    kind = t[0]
    if kind == "var":
        return assign[t[1]]
    if kind == "one":
        some = next(iter(assign.values()))
        return np.zeros_like(some)
    if kind == "prod":
        out = _eval_ids(t[1][0], assign, mul, omega)
        for p in t[1][1:]:
            out = mul(out, _eval_ids(p, assign, mul, omega))
        return out
    base = _eval_ids(t[1], assign, mul, omega)
    if t[2] == "ω":
        return omega(base)
    if t[2] == "ω+1":
        return mul(omega(base), base)
    out = base
    for _ in range(int(t[2]) - 1):
        out = mul(out, base)
    return out


# ------------------------------------------------------ on any DFA's states
Transformation = tuple[int, ...]


def _word_map(dfa: DFA, word: Sequence[str]) -> Transformation:
    idx = dfa.encode(word).tolist()
    out = []
    for q in range(dfa.n_states):
        for a in idx:
            q = dfa.transitions[q][a]
        out.append(q)
    return tuple(out)


def _then(u: Transformation, v: Transformation) -> Transformation:
    return tuple(v[q] for q in u)


def _omega_map(x: Transformation) -> Transformation:
    """The idempotent power of ``x``: ``x^k`` for the least ``k`` with ``x^k x^k = x^k``."""
    p = x
    for _ in range(10**6):
        if _then(p, p) == p:
            return p
        p = _then(p, x)
    raise DFAError("no idempotent power found")  # pragma: no cover - x^k is idempotent for some k <= n!


def term_transformation(t: Term, assign: dict[str, Sequence[str]], dfa: DFA) -> Transformation:
    """The transformation of ``dfa``'s states by the term ``t`` with words for its variables."""
    kind = t[0]
    if kind == "var":
        return _word_map(dfa, assign[t[1]])
    if kind == "one":
        return tuple(range(dfa.n_states))
    if kind == "prod":
        out = term_transformation(t[1][0], assign, dfa)
        for p in t[1][1:]:
            out = _then(out, term_transformation(p, assign, dfa))
        return out
    base = term_transformation(t[1], assign, dfa)
    if t[2] == "ω":
        return _omega_map(base)
    if t[2] == "ω+1":
        return _then(_omega_map(base), base)
    out = base
    for _ in range(int(t[2]) - 1):
        out = _then(out, base)
    return out


def _omega_exponent(x: Transformation) -> int:
    p, k = x, 1
    while _then(p, p) != p:
        p, k = _then(p, x), k + 1
    return k


def _term_words(t: Term, assign: dict[str, Sequence[str]], dfa: DFA) -> tuple[str, ...]:
    """The term as an explicit word, ``omega`` replaced by exponents computed on ``dfa``."""
    kind = t[0]
    if kind == "var":
        return tuple(assign[t[1]])
    if kind == "one":
        return ()
    if kind == "prod":
        return tuple(a for p in t[1] for a in _term_words(p, assign, dfa))
    inner = _term_words(t[1], assign, dfa)
    if t[2] in ("ω", "ω+1"):
        k = _omega_exponent(term_transformation(t[1], assign, dfa)) + (t[2] == "ω+1")
    else:
        k = int(t[2])
    return inner * k


@dataclass(frozen=True, kw_only=True)
class EquationViolation:
    """Evidence that the syntactic monoid (or semigroup) violates ``equation``.

    With the words ``variables`` for its variables, the two sides differ: the
    words ``prefix lhs suffix`` and ``prefix rhs suffix`` are not both in or
    both out of the language. ``semigroup`` says the variables range over
    ``eta(A^+)``, so every word is non-empty.
    """

    equation: str
    variables: tuple[tuple[str, tuple[str, ...]], ...]
    prefix: tuple[str, ...]
    suffix: tuple[str, ...]
    semigroup: bool = False
    #: The language's alphabet, when known: it decides how words print (over
    #: ``{a, b, ab}`` the word ``(a, b)`` prints ``a b``); not part of ``==``.
    alphabet: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "alphabet", tuple(self.alphabet))
        object.__setattr__(self, "variables", tuple((v, tuple(w)) for v, w in self.variables))
        object.__setattr__(self, "prefix", tuple(self.prefix))
        object.__setattr__(self, "suffix", tuple(self.suffix))
        eq = parse_equation(self.equation)
        missing = set(eq.variables) - {v for v, _ in self.variables}
        if missing:
            raise DFAError(f"equation violation gives no word for {', '.join(sorted(missing))}")

    @property
    def assignment(self) -> dict[str, tuple[str, ...]]:
        return dict(self.variables)

    def sides(self, dfa: DFA) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Both sides as explicit words (``omega`` exponents computed on ``dfa``)."""
        eq = parse_equation(self.equation)
        return _term_words(eq.lhs, self.assignment, dfa), _term_words(eq.rhs, self.assignment, dfa)

    def memberships(self, dfa: DFA) -> tuple[bool, bool]:
        """Membership of ``prefix lhs suffix`` and ``prefix rhs suffix``, computed on ``dfa``'s states."""
        eq = parse_equation(self.equation)
        q = dfa.delta_star(dfa.start, self.prefix)
        out = []
        for side in (eq.lhs, eq.rhs):
            r = term_transformation(side, self.assignment, dfa)[q]
            out.append(dfa.delta_star(r, self.suffix) in dfa.accepting)
        return out[0], out[1]

    def check(self, dfa: DFA) -> bool:
        """Re-verify on any DFA for the language: the words are non-empty where
        the equation is over the semigroup, and the context separates the sides."""
        if self.semigroup and any(len(w) == 0 for _, w in self.variables):
            return False
        a, b = self.memberships(dfa)
        return a != b

    def to_dict(self) -> dict[str, Any]:
        return {
            "equation": self.equation,
            "variables": {v: list(w) for v, w in self.variables},
            "prefix": list(self.prefix),
            "suffix": list(self.suffix),
            "semigroup": self.semigroup,
        }

    def __str__(self) -> str:
        # without the alphabet, the letters of all the words decide together
        letters = self.alphabet or (*self.prefix, *self.suffix, *(a for _, w in self.variables for a in w))
        names = ", ".join(f"{v} = {format_word(w, letters)}" for v, w in self.variables)
        return (f"{self.equation} fails for {names}; "
                f"context ({format_word(self.prefix, letters)}, {format_word(self.suffix, letters)})")


# ------------------------------------------------------------- contexts
def separating_context(dfa: DFA, u: Sequence[int], v: Sequence[int]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Shortest-first words ``(p, s)`` with ``p u s`` and ``p v s`` differing in
    membership, for two different transformations ``u, v`` of a *minimal*
    ``dfa`` (every state reachable, states pairwise distinguishable)."""
    to_state = _shortest_words_from(dfa, dfa.start)
    best = None
    for q in range(dfa.n_states):
        if u[q] != v[q] and q in to_state:
            suffix = _separator(dfa, u[q], v[q])
            if suffix is None:
                continue
            cand = (to_state[q], suffix)
            if best is None or len(cand[0]) + len(cand[1]) < len(best[0]) + len(best[1]):
                best = cand
    if best is None:
        raise DFAError("the two elements act alike on every reachable state: no context separates them")
    return best


def _shortest_words_from(dfa: DFA, start: int) -> dict[int, tuple[str, ...]]:
    words = {start: ()}
    queue = deque([start])
    while queue:
        q = queue.popleft()
        for a, letter in enumerate(dfa.alphabet):
            r = dfa.transitions[q][a]
            if r not in words:
                words[r] = words[q] + (letter,)
                queue.append(r)
    return words


def _separator(dfa: DFA, p: int, q: int) -> tuple[str, ...] | None:
    """A shortest word accepted from exactly one of ``p`` and ``q``."""
    seen = {(p, q): ()}
    queue = deque([(p, q)])
    while queue:
        a, b = queue.popleft()
        if (a in dfa.accepting) != (b in dfa.accepting):
            return seen[(a, b)]
        for i, letter in enumerate(dfa.alphabet):
            nxt = (dfa.transitions[a][i], dfa.transitions[b][i])
            if nxt not in seen:
                seen[nxt] = seen[(a, b)] + (letter,)
                queue.append(nxt)
    return None
