"""Regular expressions to minimal DFAs, with intersection and complement.

A parser turns a pattern into a syntax tree (so a malformed pattern is an
error that names its position), and the tree is compiled (Thompson fragments
and the subset construction, :mod:`automata_probe.automata.nfa`) to a
minimal, complete, canonically numbered :class:`~automata_probe.automata.dfa.DFA`.
Parser and walks keep their own stacks, so a pattern nested thousands deep is
no problem; sizes have budgets instead (see :func:`regex_to_dfa`):
``((a{1000}){1000})`` is refused before anything is built, and
``(a|b)*a(a|b){20}``, whose DFA has 2^21 states, once the subset construction
passes ``max_states``.

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
from typing import Callable, Sequence, TypeVar, Union

from .dfa import DFA
from .nfa import DEFAULT_MAX_DFA_STATES, DEFAULT_MAX_NFA_STATES, NFA_FLAG, Fragment, NFABuilder
from ..errors import AlphabetError, RegexError, StateSpaceTooLargeError, excerpt

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
    "nfa_size",
]

T = TypeVar("T")

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
class _Group:
    """One level of parentheses being parsed (the top level is one too)."""

    __slots__ = ("open_at", "outer_tildes", "tildes", "ands", "options", "parts")

    def __init__(self, open_at: int | None, outer_tildes: int):
        self.open_at = open_at  # position of its '(' (None at the top level)
        self.outer_tildes = outer_tildes  # '~'s written before the '(', applied to the whole group
        self.tildes = 0  # '~'s waiting for the next operand inside the group
        self.ands: list[Node] = []  # finished operands of '&'
        self.options: list[Node] = []  # finished operands of '|'
        self.parts: list[Node] = []  # the concatenation being read


class _Parser:
    """The grammar in the module docstring, read left to right with an explicit
    stack of open parentheses (so nesting depth costs memory, not Python's stack)::

        intersection := union ('&' union)*      union := concat ('|' concat)*
        concat := unary+                         unary := '~' unary | postfix
        postfix := atom ('*' | '+' | '?' | '{m}' | '{m,}' | '{m,n}')*
        atom := '(' intersection ')' | '(' ')' | '[...]' | '.' | 'ε' | '∅' | '\\' c | letter
    """

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
        groups = [_Group(None, 0)]
        while True:
            group = groups[-1]
            c = self.peek()
            if c == "~":
                self.pos += 1
                if self.peek() is None or self.peek() in "|&)":
                    raise self.error(f"'~' needs an operand, found {self.describe_here()}")
                group.tildes += 1
            elif c is None or c in "|&)":
                group.options.append(self.finish_concat(group))
                if c is not None and c in "|&":
                    self.pos += 1
                    if c == "&":
                        group.ands.append(self.finish_union(group))
                    continue
                group.ands.append(self.finish_union(group))
                node = group.ands[0] if len(group.ands) == 1 else Intersection(tuple(group.ands))
                if c is None:
                    if len(groups) > 1:
                        raise self.error("'(' is never closed", groups[-1].open_at)
                    return node
                if len(groups) == 1:
                    raise self.error("unbalanced ')'")
                self.pos += 1
                groups.pop()
                self.operand(groups[-1], node, group.outer_tildes)
            elif c == "(":
                at = self.pos
                self.pos += 1
                if self.peek() == ")":
                    self.pos += 1
                    self.operand(group, Epsilon(), group.tildes)
                else:
                    groups.append(_Group(at, group.tildes))
                group.tildes = 0
            else:
                self.operand(group, self.atom(), group.tildes)
                group.tildes = 0

    def operand(self, group: _Group, node: Node, tildes: int) -> None:
        """An atom read: apply its postfix operators, then the '~'s before it."""
        node = self.postfix(node)
        for _ in range(tildes):
            node = Complement(node)
        group.parts.append(node)

    def finish_concat(self, group: _Group) -> Node:
        parts, group.parts = group.parts, []
        if not parts:
            raise self.error(f"empty alternative before {self.describe_here()}; write ε (or ()) for the empty word")
        return parts[0] if len(parts) == 1 else Concat(tuple(parts))

    @staticmethod
    def finish_union(group: _Group) -> Node:
        options, group.options = group.options, []
        return options[0] if len(options) == 1 else Alternation(tuple(options))

    def postfix(self, node: Node) -> Node:
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
        while self.pos < len(self.pattern) and self.pattern[self.pos] in "0123456789":
            self.pos += 1
        if self.pos == start:
            raise self.error(f"expected a number in {{m,n}}, found {self.describe_here()}")
        if self.pos - start > len(str(MAX_REPEAT)) or int(self.pattern[start : self.pos]) > MAX_REPEAT:
            shown = excerpt(self.pattern[start : self.pos], 12)
            raise self.error(f"repetition bound {shown} is larger than {MAX_REPEAT}", start)
        return int(self.pattern[start : self.pos])

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
        if c is None:
            raise self.error("unexpected end of the pattern")
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
    for i, c in enumerate(pattern):
        if "\ud800" <= c <= "\udfff":  # what a command-line argument that is not UTF-8 decodes to
            what = f"byte 0x{ord(c) - 0xDC00:02x}" if c >= "\udc80" else f"lone surrogate U+{ord(c):04X}"
            raise RegexError(f"{what} is not text (the pattern is not valid UTF-8)", pattern=pattern, position=i)
    return _Parser(pattern).parse()


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, (Concat, Intersection)):
        return node.parts
    if isinstance(node, Alternation):
        return node.options
    if isinstance(node, (Complement, Repeat)):
        return (node.inner,)
    if isinstance(node, (Letter, AnyLetter, CharClass, Epsilon, EmptySet)):
        return ()
    raise TypeError(f"not a regex node: {node!r}")  # internal invariant


def _fold(root: Node, combine: Callable[[Node, list[T]], T]) -> T:
    """``combine(node, results of its children)`` over the tree, children first.

    Iterative (an explicit stack): a tree nested ten thousand deep costs
    memory, not Python's recursion limit. Every walk over a tree goes through here.
    """
    stack: list[tuple[Node, bool]] = [(root, False)]
    results: list[T] = []
    while stack:
        node, expanded = stack.pop()
        kids = _children(node)
        if not expanded:
            stack.append((node, True))
            stack.extend((k, False) for k in reversed(kids))
            continue
        cut = len(results) - len(kids)
        args = results[cut:]
        del results[cut:]
        results.append(combine(node, args))
    return results[0]


def regex_letters(node: Node) -> frozenset[str]:
    """The letters written in the tree (literals, class members and ranges)."""
    letters: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, Letter):
            letters.add(n.char)
        elif isinstance(n, CharClass):
            letters.update(n.chars)
        else:
            stack.extend(_children(n))
    return frozenset(letters)


# ----------------------------------------------------------------- compiling
def _resolve(root: Node, alphabet: tuple[str, ...]) -> Node:
    """Replace ``.`` and classes by explicit letter sets and fold away empty sets."""

    def resolve(node: Node, kids: list[Node]) -> Node:
        if isinstance(node, (Letter, Epsilon, EmptySet)):
            return node
        if isinstance(node, AnyLetter):
            return CharClass(frozenset(alphabet))
        if isinstance(node, CharClass):
            chars = frozenset(a for a in alphabet if a not in node.chars) if node.negated else node.chars
            if not chars:
                return EmptySet()
            return Letter(next(iter(chars))) if len(chars) == 1 else CharClass(chars)
        if isinstance(node, (Concat, Intersection)):
            if any(isinstance(p, EmptySet) for p in kids):
                return EmptySet()
            return type(node)(_flat(type(node), kids))
        if isinstance(node, Alternation):
            options = _flat(Alternation, [o for o in kids if not isinstance(o, EmptySet)])
            if not options:
                return EmptySet()
            return options[0] if len(options) == 1 else Alternation(options)
        if isinstance(node, Complement):
            return Complement(kids[0])
        assert isinstance(node, Repeat)
        if isinstance(kids[0], EmptySet):  # {} repeated: only the empty word survives, if low == 0
            return Epsilon() if node.low == 0 else EmptySet()
        return Repeat(kids[0], node.low, node.high)

    return _fold(root, resolve)


def _flat(kind: type, kids: list[Node]) -> tuple[Node, ...]:
    """The operands of an associative operator, its nested uses spliced in:
    ``(a|(b|(c|d)))`` has one union of four (a chain of nested unions would
    make the epsilon closures quadratic)."""
    out: list[Node] = []
    for k in kids:
        out.extend(_children(k) if isinstance(k, kind) else (k,))
    return tuple(out)


def nfa_size(root: Node) -> int:
    """A lower bound on the states of the NFA that :func:`regex_to_dfa` builds
    for a resolved tree: exact without ``~`` and ``&`` (each counts as its
    smallest, three states), with every bounded repetition written out.

    Cheap (one pass over the tree, big integers allowed), so a pattern such as
    ``((a{1000}){1000})`` is refused before any state is built.
    """

    def size(node: Node, kids: list[int]) -> int:
        if isinstance(node, (Complement, Intersection)):
            return 3
        if isinstance(node, Concat):
            return sum(kids)
        if isinstance(node, Alternation):
            return sum(kids) + 2
        if isinstance(node, Repeat):
            low, high = node.low, node.high
            if high == 0:
                return 2
            if high is None:
                return kids[0] + 2 if low == 0 else low * kids[0] + 1
            return high * kids[0] + (0 if high == low else high - low + 1)
        return 2  # a letter, a class, ε, ∅

    return _fold(root, size)


def _compile(root: Node, letters: tuple[str, ...], b: NFABuilder) -> DFA:
    """The minimal DFA of a resolved tree: Thompson fragments, the subset
    construction, and DFAs for ``~`` and ``&`` (made back into fragments)."""
    index = {a: i for i, a in enumerate(letters)}

    def minimal(f: Fragment) -> DFA:
        return f.dfa if f.dfa is not None else b.to_dfa(f, letters).minimize()

    def build(node: Node, kids: list[Fragment]) -> Fragment:
        if isinstance(node, Letter):
            return b.letters([index[node.char]])
        if isinstance(node, CharClass):  # resolved: not negated
            return b.letters(sorted(index[a] for a in node.chars))
        if isinstance(node, Epsilon):
            return b.epsilon()
        if isinstance(node, EmptySet):
            return b.empty()
        if isinstance(node, Concat):
            return b.concat(kids)
        if isinstance(node, Alternation):
            return b.union(kids)
        if isinstance(node, Repeat):
            return b.repeat(kids[0], node.low, node.high)
        # ~ and &: through minimal DFAs; the operands' states are no longer needed
        dfas = [minimal(k) for k in kids]
        dfa = dfas[0].complement().minimize() if isinstance(node, Complement) else b.intersection(dfas)
        b.truncate(kids[0].lo)
        return b.from_dfa(dfa)

    return minimal(_fold(root, build))


def _normalize_alphabet(alphabet: str | Sequence[str]) -> tuple[str, ...]:
    letters = tuple(alphabet)
    if not letters:
        raise AlphabetError("the alphabet is empty")
    seen: set[str] = set()
    for a in letters:
        if not isinstance(a, str) or len(a) != 1:
            raise AlphabetError(
                f"letter {excerpt(repr(a), 40)}: regex letters are single characters; build languages over "
                "longer letters with a table or a family"
            )
        if a in _WHITESPACE:
            raise AlphabetError("a letter cannot be a space")
        if a in seen:
            raise AlphabetError(f"letter {a!r} appears twice in the alphabet")
        seen.add(a)
    return letters


def regex_to_dfa(
    pattern: str,
    alphabet: str | Sequence[str] | None = None,
    *,
    name: str = "",
    max_nfa_states: int = DEFAULT_MAX_NFA_STATES,
    max_states: int = DEFAULT_MAX_DFA_STATES,
) -> DFA:
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
    max_nfa_states
        Cap on the Thompson NFA, bounded repetitions written out
        (``a{1000}`` is a thousand copies of ``a``, and nested bounds
        multiply). Checked on the syntax tree before anything is built.
    max_states
        Cap on every DFA built on the way (the subset construction, products
        for ``&``) and on the memory of the subset construction.

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
    StateSpaceTooLargeError
        Past ``max_nfa_states`` or ``max_states`` (the message names the limit).
    """
    tree = parse_regex(pattern)
    used = regex_letters(tree)
    shown = excerpt(pattern)
    if alphabet is None:
        if not used:
            raise AlphabetError(f"regex {shown!r} names no letters; pass an alphabet")
        letters = tuple(sorted(used))
    else:
        letters = _normalize_alphabet(alphabet)
        outside = sorted(used - set(letters))
        if outside:
            named = ", ".join(repr(a) for a in outside[:10]) + (f", ... ({len(outside)} letters)" if len(outside) > 10 else "")
            raise AlphabetError(f"regex {shown!r} uses {named}, not in the alphabet {{{', '.join(letters)}}}")
    builder = NFABuilder(len(letters), max_nfa_states=max_nfa_states, max_states=max_states, what=f"regex {shown!r}")
    resolved = _resolve(tree, letters)
    size = nfa_size(resolved)
    if size > max_nfa_states:
        raise StateSpaceTooLargeError(
            f"regex {shown!r} needs an NFA of at least {_count(size)} states once its bounded repetitions are "
            f"written out (a{{m,n}} is n copies of a, and nested bounds multiply), more than {max_nfa_states:,}; "
            f"raise the limit with {NFA_FLAG}"
        )
    if isinstance(resolved, EmptySet):
        dfa = DFA(alphabet=letters, transitions=(tuple(0 for _ in letters),), start=0, accepting=frozenset())
    else:
        dfa = _compile(resolved, letters, builder)
    log.debug("regex %r -> %d-state minimal DFA over %s", shown, dfa.n_states, letters)
    return dfa.with_name(name or pattern)


def _count(n: int) -> str:
    """``1,000,000``; astronomically large counts as a power of ten."""
    return f"{n:,}" if n < 10**15 else f"about 10^{len(str(n)) - 1}"


def to_pattern(node: Node) -> str:
    """Write a tree back in this module's syntax (fully parenthesized where needed).

    ``parse_regex(to_pattern(t))`` describes the same language as ``t``.
    """

    def wrap(child: Node, text: str, loose: tuple[type, ...]) -> str:
        return f"({text})" if isinstance(child, loose) else text

    def write(node: Node, kids: list[str]) -> str:
        pairs = list(zip(_children(node), kids))
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
            return "".join(wrap(c, t, (Alternation, Intersection)) for c, t in pairs)
        if isinstance(node, Alternation):
            return "|".join(wrap(c, t, (Intersection,)) for c, t in pairs)
        if isinstance(node, Intersection):
            return "&".join(kids)
        if isinstance(node, Complement):
            return "~" + wrap(node.inner, kids[0], (Alternation, Intersection, Concat))
        assert isinstance(node, Repeat)
        inner = wrap(node.inner, kids[0], (Alternation, Intersection, Concat, Complement))
        if node.high is None:
            return inner + ("*" if node.low == 0 else "+" if node.low == 1 else f"{{{node.low},}}")
        if (node.low, node.high) == (0, 1):
            return inner + "?"
        if node.low == node.high:
            return inner + f"{{{node.low}}}"
        return inner + f"{{{node.low},{node.high}}}"

    return _fold(node, write)
