"""Regular expressions to minimal DFAs, with intersection and complement.

A small recursive-descent parser turns a pattern into a syntax tree (so a
malformed pattern is an error that names its position), and the tree is
compiled to Thompson NFAs (:mod:`.thompson`, pure Python), determinized by
subset construction and minimized to a complete, canonically numbered
:class:`~automata_probe.automata.dfa.DFA`. The same compilation through
automata-lib is kept as the reference (``_Compiler(..., engine="automata-lib")``)
and the tests tie the two.

Syntax
------
Every letter is one non-space character. Operators, from the loosest to the
tightest binding::

    r & s        intersection                    (loosest)
    r | s        union
    r s          concatenation
    ~r           complement, relative to Sigma*  (prefix)
    r* r+ r?     repetition (postfix); r{m} r{m,} r{m,n} bounded repetition
    atoms        a   \\*   .   [abc]  [a-c]  [^ab]   (r)   ε   ()   ∅   (tightest)

- ``.`` is any letter of the alphabet; ``[^ab]`` any letter of the alphabet but
  ``a`` and ``b``; ``ε`` and ``()`` are the empty word; ``∅`` is the empty
  language, so ``~∅`` is Sigma* and star-free expressions need no star:
  ``~(~∅ aa ~∅)`` is "no two consecutive a's".
- ``~`` takes the repetition that follows it: ``~a*`` is ``~(a*)`` (every word
  that is not all a's), ``~ab`` is ``(~a)b``, ``~a|b`` is ``(~a)|b``; write
  ``(~a)*`` for the other reading. Complement is always relative to Sigma*,
  the words over the *whole* alphabet (so it depends on ``alphabet=``).
- ``&`` binds looser than ``|``: ``a|b & b|c`` is ``(a|b) & (b|c)``.
- ``\\`` makes the next character a letter: ``\\(``, ``\\*``, ``\\\\``, ``\\ε``.
  The characters that need it are ``( ) [ ] { } | & ~ * + ? . \\ ε ∅``.
- Spaces and tabs are ignored (``(1|01|001)* (0|00)?`` is fine); a letter can
  never be a space.
- An empty alternative (``a|``, ``(|a)``) is an error; write ``a|ε``.

Alphabet: by default the letters that appear in the pattern (in a character
class or range too), in sorted order. ``alphabet=`` fixes it (in the order
given): it may hold letters the pattern never uses, and a pattern letter outside
it is an :class:`~automata_probe.errors.AlphabetError` naming the letter.
Multi-character letters (``"w0"``, ``"push("``) cannot be written in this
syntax; languages over them are built as tables or families
(:mod:`automata_probe.automata.families`).

Examples
--------
>>> regex_to_dfa("(ab)*").n_states
3
>>> regex_to_dfa("~(.*aa.*)", alphabet="ab").accepts("abab")
True
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Sequence, Union

from .dfa import DFA
from .thompson import Fragment, ThompsonNFA
from ..errors import AlphabetError, RegexError

__all__ = [
    "regex_to_dfa",
    "parse_regex",
    "regex_letters",
    "to_pattern",
    "Node",
    "Letter",
    "AnyLetter",
    "CharClass",
    "Epsilon",
    "EmptySet",
    "Concat",
    "Alternation",
    "Intersection",
    "Complement",
    "Repeat",
    "SPECIAL_CHARACTERS",
    "MAX_REPEAT",
]

log = logging.getLogger(__name__)

#: Characters with a meaning in the syntax; escape them with ``\`` to use them as letters.
SPECIAL_CHARACTERS = frozenset("()[]{}|&~*+?.\\ε∅")
#: Largest bound allowed in ``{m,n}`` (larger bounds build huge automata).
MAX_REPEAT = 1000
EPSILON = "ε"
EMPTY_SET = "∅"
_WHITESPACE = frozenset(" \t\r\n")


# ---------------------------------------------------------------- syntax tree
@dataclass(frozen=True)
class Letter:
    """One letter."""

    char: str


@dataclass(frozen=True)
class AnyLetter:
    """``.``: any letter of the alphabet."""


@dataclass(frozen=True)
class CharClass:
    """``[...]`` (or ``[^...]`` when ``negated``): one letter from a set."""

    chars: frozenset[str]
    negated: bool = False


@dataclass(frozen=True)
class Epsilon:
    """The empty word (``ε`` or ``()``)."""


@dataclass(frozen=True)
class EmptySet:
    """``∅``: the empty language (also what ``[^ab]`` is over the alphabet {a, b})."""


@dataclass(frozen=True)
class Concat:
    parts: tuple["Node", ...]


@dataclass(frozen=True)
class Alternation:
    options: tuple["Node", ...]


@dataclass(frozen=True)
class Intersection:
    parts: tuple["Node", ...]


@dataclass(frozen=True)
class Complement:
    """``~r``: Sigma* minus the language of ``r``."""

    inner: "Node"


@dataclass(frozen=True)
class Repeat:
    """``r{low,high}``; ``high`` None means unbounded (``*`` is ``{0,}``, ``+`` is
    ``{1,}``, ``?`` is ``{0,1}``)."""

    inner: "Node"
    low: int
    high: int | None


Node = Union[Letter, AnyLetter, CharClass, Epsilon, EmptySet, Concat, Alternation, Intersection, Complement, Repeat]


# --------------------------------------------------------------------- parser
class _Parser:
    """Recursive descent over the grammar in the module docstring."""

    def __init__(self, pattern: str):
        self.pattern = pattern
        self.pos = 0

    # -- helpers
    def error(self, message: str, position: int | None = None) -> RegexError:
        return RegexError(message, pattern=self.pattern, position=self.pos if position is None else position)

    def skip_space(self) -> None:
        while self.pos < len(self.pattern) and self.pattern[self.pos] in _WHITESPACE:
            self.pos += 1

    def peek(self) -> str | None:
        self.skip_space()
        return self.pattern[self.pos] if self.pos < len(self.pattern) else None

    def describe_here(self) -> str:
        c = self.peek()
        return "the end of the pattern" if c is None else repr(c)

    # -- grammar
    def parse(self) -> Node:
        if self.peek() is None:
            raise self.error("empty regex; write ε or () for the empty word", 0)
        node = self.intersection()
        if self.peek() is not None:
            c = self.peek()
            if c == ")":
                raise self.error("unbalanced ')'")
            raise self.error(f"unexpected {c!r}")
        return node

    def intersection(self) -> Node:
        parts = [self.union()]
        while self.peek() == "&":
            self.pos += 1
            parts.append(self.union())
        return parts[0] if len(parts) == 1 else Intersection(tuple(parts))

    def union(self) -> Node:
        options = [self.concat()]
        while self.peek() == "|":
            self.pos += 1
            options.append(self.concat())
        return options[0] if len(options) == 1 else Alternation(tuple(options))

    def concat(self) -> Node:
        start = self.pos
        parts: list[Node] = []
        while True:
            c = self.peek()
            if c is None or c in "|&)":
                break
            parts.append(self.unary())
        if not parts:
            self.skip_space()
            raise self.error(
                f"empty alternative before {self.describe_here()}; write ε (or ()) for the empty word",
                self.pos if self.pos > start else start,
            )
        return parts[0] if len(parts) == 1 else Concat(tuple(parts))

    def unary(self) -> Node:
        if self.peek() == "~":
            self.pos += 1
            if self.peek() is None or self.peek() in "|&)":
                raise self.error(f"'~' needs an operand, found {self.describe_here()}")
            return Complement(self.unary())
        return self.postfix()

    def postfix(self) -> Node:
        node = self.atom()
        while True:
            c = self.peek()
            if c == "*":
                self.pos += 1
                node = Repeat(node, 0, None)
            elif c == "+":
                self.pos += 1
                node = Repeat(node, 1, None)
            elif c == "?":
                self.pos += 1
                node = Repeat(node, 0, 1)
            elif c == "{":
                low, high = self.bounds()
                node = Repeat(node, low, high)
            else:
                return node

    def number(self) -> int:
        self.skip_space()
        start = self.pos
        while self.pos < len(self.pattern) and self.pattern[self.pos].isdigit():
            self.pos += 1
        if self.pos == start:
            raise self.error(f"expected a number in {{m,n}}, found {self.describe_here()}")
        value = int(self.pattern[start : self.pos])
        if value > MAX_REPEAT:
            raise self.error(f"repetition bound {value} is larger than {MAX_REPEAT}", start)
        return value

    def bounds(self) -> tuple[int, int | None]:
        open_at = self.pos
        self.pos += 1  # '{'
        low = self.number()
        high: int | None = low
        if self.peek() == ",":
            self.pos += 1
            high = None if self.peek() == "}" else self.number()
        if self.peek() != "}":
            raise self.error(f"expected '}}' to close the '{{' at position {open_at}, found {self.describe_here()}")
        self.pos += 1
        if high is not None and high < low:
            raise self.error(f"repetition {{{low},{high}}} has its bounds the wrong way round", open_at)
        return low, high

    def escaped(self) -> str:
        """The letter after a backslash (``self.pos`` is on the backslash)."""
        at = self.pos
        self.pos += 1
        if self.pos >= len(self.pattern):
            raise self.error("'\\' at the end of the pattern escapes nothing", at)
        c = self.pattern[self.pos]
        if c in _WHITESPACE:
            raise self.error("a letter cannot be a space", at)
        self.pos += 1
        return c

    def atom(self) -> Node:
        c = self.peek()
        at = self.pos
        if c is None:
            raise self.error("unexpected end of the pattern")
        if c == "(":
            self.pos += 1
            if self.peek() == ")":
                self.pos += 1
                return Epsilon()
            node = self.intersection()
            if self.peek() != ")":
                raise self.error("'(' is never closed", at)
            self.pos += 1
            return node
        if c == "[":
            return self.char_class()
        if c == ".":
            self.pos += 1
            return AnyLetter()
        if c == EPSILON:
            self.pos += 1
            return Epsilon()
        if c == EMPTY_SET:
            self.pos += 1
            return EmptySet()
        if c == "\\":
            return Letter(self.escaped())
        if c in "*+?{":
            raise self.error(f"{c!r} has nothing to repeat")
        if c == ")":
            raise self.error("unbalanced ')'")
        if c in "]}":
            raise self.error(f"unbalanced {c!r}; escape it as \\{c} to use it as a letter")
        self.pos += 1
        return Letter(c)

    def class_char(self) -> str:
        if self.pos >= len(self.pattern):
            raise self.error("unexpected end of the pattern inside '[...]'")
        c = self.pattern[self.pos]
        if c == "\\":
            return self.escaped()
        if c in _WHITESPACE:
            raise self.error("a letter cannot be a space")
        self.pos += 1
        return c

    def char_class(self) -> CharClass:
        open_at = self.pos
        self.pos += 1  # '['
        negated = self.pos < len(self.pattern) and self.pattern[self.pos] == "^"
        if negated:
            self.pos += 1
        chars: set[str] = set()
        while True:
            if self.pos >= len(self.pattern):
                raise self.error("'[' is never closed", open_at)
            if self.pattern[self.pos] == "]":
                break
            start_at = self.pos
            first = self.class_char()
            if self.pos < len(self.pattern) - 1 and self.pattern[self.pos] == "-" and self.pattern[self.pos + 1] != "]":
                self.pos += 1
                last = self.class_char()
                if ord(last) < ord(first):
                    raise self.error(f"range {first}-{last} is empty (bounds the wrong way round)", start_at)
                if ord(last) - ord(first) > 4 * MAX_REPEAT:
                    raise self.error(f"range {first}-{last} is too large", start_at)
                chars.update(chr(i) for i in range(ord(first), ord(last) + 1))
            else:
                chars.add(first)
        if not chars:
            raise self.error("empty character class '[]'", open_at)
        self.pos += 1  # ']'
        return CharClass(frozenset(chars), negated)


def parse_regex(pattern: str) -> Node:
    """Parse ``pattern`` into a syntax tree.

    Raises
    ------
    RegexError
        If the pattern is malformed; the message names the position.
    """
    if not isinstance(pattern, str):
        raise RegexError(f"a regex must be a string, not {type(pattern).__name__}")
    return _Parser(pattern).parse()


def regex_letters(node: Node) -> frozenset[str]:
    """The letters written in the tree (literals, class members and ranges)."""
    if isinstance(node, Letter):
        return frozenset({node.char})
    if isinstance(node, CharClass):
        return node.chars
    if isinstance(node, (AnyLetter, Epsilon, EmptySet)):
        return frozenset()
    if isinstance(node, (Concat, Intersection)):
        return frozenset().union(*(regex_letters(p) for p in node.parts))
    if isinstance(node, Alternation):
        return frozenset().union(*(regex_letters(p) for p in node.options))
    if isinstance(node, (Complement, Repeat)):
        return regex_letters(node.inner)
    raise TypeError(f"not a regex node: {node!r}")  # internal invariant


# ----------------------------------------------------------------- compiling
def _resolve(node: Node, alphabet: tuple[str, ...]) -> Node | EmptySet:
    """Replace ``.`` and classes by explicit letter sets and fold away empty sets."""
    if isinstance(node, (Letter, Epsilon, EmptySet)):
        return node
    if isinstance(node, AnyLetter):
        return CharClass(frozenset(alphabet))
    if isinstance(node, CharClass):
        chars = frozenset(a for a in alphabet if a not in node.chars) if node.negated else node.chars
        if not chars:
            return EmptySet()
        return Letter(next(iter(chars))) if len(chars) == 1 else CharClass(chars)
    if isinstance(node, Concat):
        parts = [_resolve(p, alphabet) for p in node.parts]
        if any(isinstance(p, EmptySet) for p in parts):
            return EmptySet()
        return Concat(tuple(parts))  # type: ignore[arg-type]
    if isinstance(node, Alternation):
        options = [o for o in (_resolve(p, alphabet) for p in node.options) if not isinstance(o, EmptySet)]
        if not options:
            return EmptySet()
        return options[0] if len(options) == 1 else Alternation(tuple(options))  # type: ignore[arg-type]
    if isinstance(node, Intersection):
        parts = [_resolve(p, alphabet) for p in node.parts]
        if any(isinstance(p, EmptySet) for p in parts):
            return EmptySet()
        return Intersection(tuple(parts))  # type: ignore[arg-type]
    if isinstance(node, Complement):
        return Complement(_resolve(node.inner, alphabet))  # type: ignore[arg-type]
    if isinstance(node, Repeat):
        inner = _resolve(node.inner, alphabet)
        if isinstance(inner, EmptySet):  # {} repeated: only the empty word survives, if low == 0
            return Epsilon() if node.low == 0 else EmptySet()
        return Repeat(inner, node.low, node.high)
    raise TypeError(f"not a regex node: {node!r}")  # internal invariant


def _has_complement(node: Node | EmptySet) -> bool:
    if isinstance(node, Complement):
        return True
    if isinstance(node, (Concat, Intersection)):
        return any(_has_complement(p) for p in node.parts)
    if isinstance(node, Alternation):
        return any(_has_complement(p) for p in node.options)
    if isinstance(node, Repeat):
        return _has_complement(node.inner)
    return False


class _Compiler:
    """Compile a resolved tree to Thompson NFAs (``engine="thompson"``, the
    default) or through automata-lib (``engine="automata-lib"``, the reference).

    Letters are renamed to private-use code points, so letters such as ``(``
    or ``*`` need no escaping in automata-lib's regex syntax. There,
    complement-free subtrees go through ``NFA.from_regex`` in one piece. In
    both engines a complement or an intersection goes through complete DFAs
    and comes back as an NFA.
    """

    def __init__(self, alphabet: tuple[str, ...], engine: str = "thompson"):
        if engine not in ("thompson", "automata-lib"):
            raise ValueError(f"unknown regex engine {engine!r}")  # internal: callers pass a constant
        self.alphabet = alphabet
        self.engine = engine
        self.code = {a: chr(0xF0000 + i) for i, a in enumerate(alphabet)}
        self.symbols = set(self.code.values())

    def fragment(self, t: ThompsonNFA, node: Node | EmptySet) -> Fragment:
        """The Thompson fragment of ``node`` inside ``t``."""
        if isinstance(node, EmptySet):
            return t.empty()
        if isinstance(node, Letter):
            return t.symbols([self.code[node.char]])
        if isinstance(node, CharClass):
            return t.symbols(self.code[a] for a in sorted(node.chars))
        if isinstance(node, Epsilon):
            return t.epsilon()
        if isinstance(node, Concat):
            return t.concat([self.fragment(t, p) for p in node.parts])
        if isinstance(node, Alternation):
            return t.union([self.fragment(t, p) for p in node.options])
        if isinstance(node, Intersection):
            out = self.dfa(node.parts[0])
            for p in node.parts[1:]:
                out = out.intersection(self.dfa(p)).minimize()
            return t.dfa(out, self.code)
        if isinstance(node, Complement):
            return t.dfa(self.dfa(node.inner).complement().minimize(), self.code)
        if isinstance(node, Repeat):
            parts = [self.fragment(t, node.inner) for _ in range(node.low)]
            if node.high is None:
                parts.append(t.star(self.fragment(t, node.inner)))
            else:
                parts += [t.option(self.fragment(t, node.inner)) for _ in range(node.high - node.low)]
            return t.concat(parts) if parts else t.epsilon()
        raise TypeError(f"cannot compile {node!r}")  # internal invariant

    def to_automata_regex(self, node: Node) -> str:
        """automata-lib syntax, parenthesized only where precedence needs it."""
        if isinstance(node, Letter):
            return self.code[node.char]
        if isinstance(node, Epsilon):
            return "()"
        if isinstance(node, CharClass):
            return "(" + "|".join(self.code[a] for a in sorted(node.chars)) + ")"
        if isinstance(node, Concat):
            return "".join(self.wrapped(p, (Alternation, Intersection)) for p in node.parts)
        if isinstance(node, Alternation):
            return "|".join(self.wrapped(p, (Alternation, Intersection)) for p in node.options)
        if isinstance(node, Intersection):
            return "&".join(self.wrapped(p, (Alternation, Intersection)) for p in node.parts)
        if isinstance(node, Repeat):
            if node.high == 0:
                return "()"
            inner = self.wrapped(node.inner, (Concat, Alternation, Intersection, Repeat))
            if node.high is None:
                return inner + ("*" if node.low == 0 else "+" if node.low == 1 else f"{{{node.low},}}")
            return inner + f"{{{node.low},{node.high}}}"
        raise TypeError(f"cannot serialize {node!r}")  # internal invariant

    def wrapped(self, node: Node, loose: tuple[type, ...]) -> str:
        text = self.to_automata_regex(node)
        return f"({text})" if isinstance(node, loose) else text

    def nfa(self, node: Node):  # -> ThompsonNFA | automata.fa.nfa.NFA
        if self.engine == "thompson":
            t = ThompsonNFA()
            return t.finish(self.fragment(t, node))
        return self.reference_nfa(node)

    def reference_nfa(self, node: Node):  # -> automata.fa.nfa.NFA
        from automata.fa.nfa import NFA

        if isinstance(node, EmptySet):  # no final state; only reached as ~∅
            return NFA(
                states={0}, input_symbols=self.symbols, transitions={0: {}}, initial_state=0, final_states=set()
            )
        if not _has_complement(node):
            return NFA.from_regex(self.to_automata_regex(node), input_symbols=self.symbols)
        if isinstance(node, Complement):
            inner = self.dfa(node.inner)
            return NFA.from_dfa(self.to_automata_lib(inner.complement().minimize()))
        if isinstance(node, Concat):
            out = self.nfa(node.parts[0])
            for p in node.parts[1:]:
                out = out.concatenate(self.nfa(p))
            return out
        if isinstance(node, Alternation):
            out = self.nfa(node.options[0])
            for p in node.options[1:]:
                out = out.union(self.nfa(p))
            return out
        if isinstance(node, Intersection):
            out = self.dfa(node.parts[0])
            for p in node.parts[1:]:
                out = out.intersection(self.dfa(p)).minimize()
            return NFA.from_dfa(self.to_automata_lib(out))
        if isinstance(node, Repeat):
            return self.repeat(self.nfa(node.inner), node.low, node.high)
        raise TypeError(f"cannot compile {node!r}")  # internal invariant

    @staticmethod
    def repeat(inner, low: int, high: int | None):
        from automata.fa.nfa import NFA

        if high is None:
            star = inner.kleene_star()
            out = star
            for _ in range(low):
                out = inner.concatenate(out)
            return out
        if high == 0:
            return NFA.from_regex("()", input_symbols=set(inner.input_symbols))
        optional = inner.option()
        parts = [inner] * low + [optional] * (high - low)
        out = parts[0]
        for p in parts[1:]:
            out = out.concatenate(p)
        return out

    def to_automata_lib(self, dfa: DFA):
        from automata.fa.dfa import DFA as ALDFA

        return ALDFA(
            states=set(range(dfa.n_states)),
            input_symbols=self.symbols,
            transitions={
                q: {self.code[a]: dfa.transitions[q][i] for i, a in enumerate(dfa.alphabet)}
                for q in range(dfa.n_states)
            },
            initial_state=dfa.start,
            final_states=set(dfa.accepting),
        )

    def dfa(self, node: Node) -> DFA:
        """Minimal complete DFA of ``node`` over ``self.alphabet``."""
        return self.determinize(self.nfa(node)).minimize()

    def determinize(self, nfa) -> DFA:
        """Subset construction on an automata-lib NFA, sets of NFA states as int bitmasks.

        States come out in breadth-first order with letters in alphabet order,
        and the empty set is the dead state, so the result is complete. This
        replaces ``automata.fa.dfa.DFA.from_nfa``, whose frozen-dict DFA
        objects cost more than the construction itself.
        """
        states = list(nfa.states)
        n = len(states)
        index = {q: i for i, q in enumerate(states)}
        transitions = nfa.transitions
        # lambda closures, each as a bitmask
        eps = [[index[t] for t in transitions.get(q, {}).get("", ())] for q in states]
        closure = [0] * n
        for i in range(n):
            seen, stack = 1 << i, [i]
            while stack:
                for j in eps[stack.pop()]:
                    if not seen >> j & 1:
                        seen |= 1 << j
                        stack.append(j)
            closure[i] = seen
        n_bytes = max(1, (n + 7) // 8)
        steps = []  # steps[letter][i]: closure of the successors of NFA state i
        for a in self.alphabet:
            code = self.code[a]
            step = [0] * n
            for q in states:
                mask = 0
                for t in transitions.get(q, {}).get(code, ()):
                    mask |= closure[index[t]]
                step[index[q]] = mask
            steps.append(step)
        # caches[letter][c][b]: successor of the NFA states in byte c of a mask, when that byte is b
        caches: list[list[dict[int, int]]] = [[{} for _ in range(n_bytes)] for _ in self.alphabet]
        final = 0
        for q in nfa.final_states:
            final |= 1 << index[q]
        start = closure[index[nfa.initial_state]]
        ids = {start: 0}
        order = [start]
        rows = []
        head = 0
        while head < len(order):
            mask = order[head]
            head += 1
            chunks = mask.to_bytes(n_bytes, "little")
            row = []
            for letter, cache in enumerate(caches):
                succ = 0
                for c, b in enumerate(chunks):
                    if b:
                        part = cache[c].get(b)
                        if part is None:
                            part = cache[c][b] = _byte_successor(steps[letter], c, b)
                        succ |= part
                j = ids.get(succ)
                if j is None:
                    j = ids[succ] = len(order)
                    order.append(succ)
                row.append(j)
            rows.append(tuple(row))
        return DFA(
            alphabet=self.alphabet,
            transitions=tuple(rows),
            start=0,
            accepting=frozenset(i for i, m in enumerate(order) if m & final),
        )


def _byte_successor(step: list[int], c: int, b: int) -> int:
    """OR of ``step[i]`` over the set bits ``i`` of byte ``b`` at byte position ``c``."""
    out, base = 0, 8 * c
    while b:
        low = b & -b
        out |= step[base + low.bit_length() - 1]
        b ^= low
    return out


def _normalize_alphabet(alphabet: str | Sequence[str]) -> tuple[str, ...]:
    letters = tuple(alphabet)
    if not letters:
        raise AlphabetError("the alphabet is empty")
    seen: set[str] = set()
    for a in letters:
        if not isinstance(a, str) or len(a) != 1:
            raise AlphabetError(
                f"letter {a!r}: regex letters are single characters; build languages over "
                "longer letters with a table or a family"
            )
        if a in _WHITESPACE:
            raise AlphabetError("a letter cannot be a space")
        if a in seen:
            raise AlphabetError(f"letter {a!r} appears twice in the alphabet")
        seen.add(a)
    return letters


def regex_to_dfa(pattern: str, alphabet: str | Sequence[str] | None = None, *, name: str = "") -> DFA:
    """The minimal complete DFA of a regular expression.

    Parameters
    ----------
    pattern
        The expression (syntax in the module docstring).
    alphabet
        The letters, as a string (``"ab"``) or a sequence of one-character
        strings, in the order that numbers them. Default: the letters of the
        pattern, sorted.
    name
        Name of the DFA (default: the pattern).

    Returns
    -------
    DFA
        Minimal, complete (dead state explicit), canonically numbered.

    Raises
    ------
    RegexError
        A malformed pattern (the message names the position).
    AlphabetError
        A pattern letter outside ``alphabet``, or no letters at all.
    """
    tree = parse_regex(pattern)
    used = regex_letters(tree)
    if alphabet is None:
        if not used:
            raise AlphabetError(f"regex {pattern!r} names no letters; pass an alphabet")
        letters = tuple(sorted(used))
    else:
        letters = _normalize_alphabet(alphabet)
        outside = sorted(used - set(letters))
        if outside:
            shown = ", ".join(repr(a) for a in outside)
            raise AlphabetError(
                f"regex {pattern!r} uses {shown}, not in the alphabet {{{', '.join(letters)}}}"
            )
    resolved = _resolve(tree, letters)
    if isinstance(resolved, EmptySet):
        dfa = DFA(alphabet=letters, transitions=(tuple(0 for _ in letters),), start=0, accepting=frozenset())
    else:
        dfa = _Compiler(letters).dfa(resolved)
    log.debug("regex %r -> %d-state minimal DFA over %s", pattern, dfa.n_states, letters)
    return dfa.with_name(name or pattern)


def to_pattern(node: Node) -> str:
    """Write a tree back in this module's syntax (fully parenthesized where needed).

    ``parse_regex(to_pattern(t))`` describes the same language as ``t``.
    """
    if isinstance(node, Letter):
        return "\\" + node.char if node.char in SPECIAL_CHARACTERS else node.char
    if isinstance(node, AnyLetter):
        return "."
    if isinstance(node, Epsilon):
        return EPSILON
    if isinstance(node, EmptySet):
        return EMPTY_SET
    if isinstance(node, CharClass):
        body = "".join("\\" + c if c in "]\\^-" else c for c in sorted(node.chars))
        return f"[{'^' if node.negated else ''}{body}]"
    if isinstance(node, Concat):
        return "".join(_wrap(p, (Alternation, Intersection)) for p in node.parts)
    if isinstance(node, Alternation):
        return "|".join(_wrap(p, (Intersection,)) for p in node.options)
    if isinstance(node, Intersection):
        return "&".join(to_pattern(p) for p in node.parts)
    if isinstance(node, Complement):
        return "~" + _wrap(node.inner, (Alternation, Intersection, Concat))
    if isinstance(node, Repeat):
        inner = _wrap(node.inner, (Alternation, Intersection, Concat, Complement))
        if node.high is None:
            return inner + ("*" if node.low == 0 else "+" if node.low == 1 else f"{{{node.low},}}")
        if (node.low, node.high) == (0, 1):
            return inner + "?"
        if node.low == node.high:
            return inner + f"{{{node.low}}}"
        return inner + f"{{{node.low},{node.high}}}"
    raise TypeError(f"not a regex node: {node!r}")


def _wrap(node: Node, loose: tuple[type, ...]) -> str:
    text = to_pattern(node)
    return f"({text})" if isinstance(node, loose) else text
