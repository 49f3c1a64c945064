"""Automata in other tools' formats: AT&T FSM text and Graphviz dot.

The language TOML (:mod:`.files`) stays the home format; these move automata
in and out of other tools.

**AT&T FSM text** (OpenFst's ``fstcompile``/``fstprint``, the Language
Toolkit, MLRegTest's data): one arc per line, ``src dst label`` (acceptor)
or ``src dst ilabel olabel`` (transducer), optionally followed by a weight;
a line with one state (and an optional weight) marks it final. The source
state of the first arc is the start state. Labels are symbols, or integers
with a symbol table (``<eps> 0`` / ``a 1`` lines). :func:`read_att` reads
either kind, ignores weights (a final weight of ``Infinity`` means not
final), projects a transducer on its input labels, and determinizes an
automaton with epsilon arcs or choices (subset construction); missing arcs
go to a dead state. :func:`write_att` writes the partial DFA without its
dead state (as OpenFst does), four columns by default so that both acceptor
and transducer readers take it.

**Graphviz dot**: :func:`write_dot` is :meth:`DFA.to_dot`; :func:`read_dot`
reads that and the usual hand-written conventions: accepting states drawn
``doublecircle`` (also through a ``node [shape=doublecircle]`` default),
the start state marked by an edge from a ``point``/``none`` node or a node
named ``start``/``__start``/``init``, edge labels holding one or several
letters separated by commas.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import Iterable, Sequence

from ..errors import AlphabetError, LanguageFileError
from .dfa import DFA

__all__ = ["EPSILON_LABELS", "read_att", "read_dot", "write_att", "write_dot"]

log = logging.getLogger(__name__)

#: Labels read as the empty word.
EPSILON_LABELS = frozenset({"<eps>", "<epsilon>", "eps", "ε", "@_EPSILON_SYMBOL_@"})


# ------------------------------------------------------------------- AT&T
def write_att(dfa: DFA, *, acceptor: bool = False, keep_dead: bool = False) -> str:
    """The AT&T FSM text of ``dfa``: arcs in state and alphabet order, then the final states.

    Parameters
    ----------
    acceptor
        Three columns (``src dst label``) instead of four (``src dst label label``).
    keep_dead
        Keep the dead state and the arcs into it (by default they are left
        out: a missing arc means rejection).
    """
    _check_letters(dfa, "AT&T FSM text", "whitespace separates its columns", lambda a: any(c.isspace() for c in a))
    dead = frozenset() if keep_dead else dfa.dead_states
    order = [dfa.start] + [q for q in range(dfa.n_states) if q != dfa.start]
    lines = []
    for q in order:
        if q in dead:
            continue
        for i, a in enumerate(dfa.alphabet):
            r = dfa.transitions[q][i]
            if r in dead:
                continue
            lines.append(f"{q}\t{r}\t{a}" if acceptor else f"{q}\t{r}\t{a}\t{a}")
    for q in order:
        if q in dfa.accepting:
            lines.append(str(q))
    if not lines:  # the empty language: one state, nothing final
        lines.append(f"{dfa.start}\t{dfa.start}\t{dfa.alphabet[0]}" + ("" if acceptor else f"\t{dfa.alphabet[0]}"))
    return "\n".join(lines) + "\n"


def _check_letters(dfa: DFA, fmt: str, why: str, bad) -> None:  # noqa: ANN001
    """Refuse a letter the format's reader would read back as something else."""
    for a in dfa.alphabet:
        if a in EPSILON_LABELS:
            raise AlphabetError(f"cannot write the letter {a!r} as {fmt}: it is read back as the empty word")
        if not a.strip() or bad(a):
            raise AlphabetError(f"cannot write the letter {a!r} as {fmt}: {why}")


def att_symbols(dfa: DFA) -> str:
    """An OpenFst symbol table for ``dfa``'s letters (``<eps>`` is 0)."""
    return "".join(f"{s}\t{i}\n" for i, s in enumerate(("<eps>",) + dfa.alphabet))


def _parse_symbols(text: str) -> dict[str, str]:
    table = {}
    for n, line in enumerate(text.splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 2:
            raise LanguageFileError(f"symbol table line {n}: expected 'symbol number', got {line!r}")
        table[parts[1]] = parts[0]
    return table


def read_att(
    source: str | os.PathLike[str],
    *,
    symbols: str | os.PathLike[str] | None = None,
    alphabet: Sequence[str] | None = None,
    name: str = "",
) -> DFA:
    """Read an AT&T FSM text automaton (a path, or the text itself) as a minimal DFA.

    Parameters
    ----------
    source
        A file path, or the text (anything with a newline is read as text).
    symbols
        An OpenFst symbol table (path or text) mapping integer labels to letters.
    alphabet
        The alphabet and its order (default: the labels, sorted); it may hold
        letters that no arc uses.
    """
    text, where = _text(source)
    table = _parse_symbols(_text(symbols)[0]) if symbols is not None else None
    arcs: list[tuple[str, str, str | None]] = []
    finals: set[str] = set()
    start = None
    for n, raw in enumerate(text.splitlines(), 1):
        parts = raw.split()
        if not parts or parts[0].startswith("#"):
            continue
        if len(parts) <= 2:  # a final state, with an optional weight
            if len(parts) == 2 and not _is_number(parts[1]):
                raise LanguageFileError(f"{where} line {n}: expected 'state [weight]', got {raw!r}")
            if len(parts) == 2 and parts[1].lower() in ("infinity", "inf"):
                continue
            finals.add(parts[0])
            continue
        if len(parts) > 5:
            raise LanguageFileError(f"{where} line {n}: too many columns in {raw!r}")
        if len(parts) == 5 and not _is_number(parts[4]):
            raise LanguageFileError(f"{where} line {n}: the weight {parts[4]!r} is not a number")
        src, dst, ilabel = parts[0], parts[1], parts[2]
        if len(parts) >= 4 and not _is_weight(parts[3], len(parts)) and parts[3] != ilabel:
            log.info("%s line %d: transducer arc %s:%s read on its input label", where, n, ilabel, parts[3])
        if table is not None:
            if ilabel not in table:
                raise LanguageFileError(f"{where} line {n}: label {ilabel!r} is not in the symbol table")
            ilabel = table[ilabel]
        start = src if start is None else start
        arcs.append((src, dst, None if ilabel in EPSILON_LABELS or (table is not None and ilabel == "<eps>") else ilabel))
    if start is None:
        if not finals:
            raise LanguageFileError(f"{where}: no arcs and no final states")
        start = sorted(finals)[0]
    letters = sorted({a for _, _, a in arcs if a is not None})
    if alphabet is not None:
        missing = sorted(set(letters) - set(alphabet))
        if missing:
            raise LanguageFileError(f"{where}: labels {', '.join(missing)} are not in the alphabet {{{', '.join(alphabet)}}}")
        letters = list(alphabet)
    if not letters:
        raise LanguageFileError(f"{where}: no letters (give an alphabet)")
    return _determinize(arcs, start, finals, tuple(letters), name or Path(where).stem)


def _is_number(token: str) -> bool:
    """Is ``token`` a weight: a float, or OpenFst's ``Infinity``?"""
    try:
        float(token)
    except ValueError:
        return False
    return True


def _is_weight(token: str, columns: int) -> bool:
    """In a four-column line, is the fourth column a weight (acceptor) rather than an output label?"""
    if columns != 4:
        return False
    try:
        float(token)
    except ValueError:
        return token.lower() in ("infinity", "inf")
    return "." in token or "e" in token.lower()


def _text(source: str | os.PathLike[str]) -> tuple[str, str]:
    if isinstance(source, os.PathLike) or ("\n" not in str(source) and Path(str(source)).exists()):
        path = Path(source)
        try:
            return path.read_text(encoding="utf-8"), str(path)
        except OSError as e:
            raise LanguageFileError(f"cannot read {path}: {e.strerror}") from None
    if "\n" not in str(source):
        raise LanguageFileError(f"{source}: no such file")
    return str(source), "<text>"


def _determinize(
    arcs: Iterable[tuple[str, str, str | None]], start: str, finals: set[str], letters: tuple[str, ...], name: str
) -> DFA:
    """Subset construction over the arcs (``None`` label = epsilon); the empty set is the dead state."""
    succ: dict[tuple[str, str | None], set[str]] = {}
    for src, dst, a in arcs:
        succ.setdefault((src, a), set()).add(dst)

    def closure(states: Iterable[str]) -> frozenset[str]:
        out = set(states)
        stack = list(out)
        while stack:
            for r in succ.get((stack.pop(), None), ()):
                if r not in out:
                    out.add(r)
                    stack.append(r)
        return frozenset(out)

    first = closure([start])
    ids = {first: 0}
    order = [first]
    rows = []
    for current in order:  # grows while iterated
        row = []
        for a in letters:
            nxt = closure(r for s in current for r in succ.get((s, a), ()))
            if nxt not in ids:
                ids[nxt] = len(order)
                order.append(nxt)
            row.append(ids[nxt])
        rows.append(tuple(row))
    accepting = frozenset(i for i, S in enumerate(order) if S & finals)
    return DFA(alphabet=letters, transitions=tuple(rows), start=0, accepting=accepting, name=name).minimize()


# -------------------------------------------------------------------- dot
def write_dot(dfa: DFA, *, hide_dead: bool = True) -> str:
    """Graphviz source of ``dfa`` (:meth:`DFA.to_dot`); :class:`AlphabetError` for a
    letter that :func:`read_dot` could not read back (a comma, a blank letter, an epsilon label)."""
    _check_letters(dfa, "Graphviz dot", "edge labels are letters separated by commas, spaces stripped", lambda a: "," in a or a != a.strip())
    return dfa.to_dot(hide_dead=hide_dead)


_TOKEN = re.compile(
    r'"(?:[^"\\]|\\.)*"'  # a quoted string
    r"|->|--|\n|[{}\[\];,=]"
    r"|[A-Za-z0-9_.\-]+",
)


def read_dot(source: str | os.PathLike[str], *, alphabet: Sequence[str] | None = None, name: str = "") -> DFA:
    """Read a Graphviz ``digraph`` drawing a (possibly partial or nondeterministic) automaton.

    See the module docstring for the conventions read. Edges from the start
    marker are not transitions; letters come from edge labels (comma
    separated); the result is the minimal DFA.
    """
    text, where = _text(source)
    text = re.sub(r"//[^\n]*|/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"^\s*#[^\n]*", "", text, flags=re.M)
    tokens = _TOKEN.findall(text)
    words = [t for t in tokens if t != "\n"]
    if "digraph" not in words[:3] or "{" not in tokens:
        raise LanguageFileError(f"{where}: not a Graphviz digraph")
    body = tokens[tokens.index("{") + 1 :]
    nodes: dict[str, dict[str, str]] = {}
    edges: list[tuple[str, str, dict[str, str]]] = []
    defaults: dict[str, str] = {}
    for stmt in _statements(body):
        attrs, rest = _attributes(stmt)
        if not rest or rest[0] in ("graph", "edge", "subgraph") or (len(rest) >= 2 and rest[1] == "="):
            continue
        if rest[0] == "node":
            defaults.update(attrs)
            continue
        if "->" in rest:
            ids = [_unquote(t) for t in rest if t != "->"]
            for v in ids:
                nodes.setdefault(v, dict(defaults))
            edges.extend((a, b, attrs) for a, b in zip(ids, ids[1:]))
            continue
        for t in rest:  # node ids, several at once as in "node [shape=doublecircle]; q1 q2;"
            if t != ",":
                nodes.setdefault(_unquote(t), dict(defaults)).update(attrs)
    return _dot_automaton(nodes, edges, alphabet, name or Path(where).stem, where)


def _statements(tokens: list[str]) -> Iterable[list[str]]:
    """Statements end at ``;``, ``}`` or a line break outside an attribute list."""
    stmt: list[str] = []
    depth = 0
    for t in tokens:
        if t == "[":
            depth += 1
        elif t == "]":
            depth -= 1
        if depth == 0 and t in (";", "}", "\n"):
            if stmt:
                yield stmt
            stmt = []
            continue
        if t != "\n":
            stmt.append(t)
    if stmt:
        yield stmt


def _attributes(stmt: list[str]) -> tuple[dict[str, str], list[str]]:
    """``key=value`` pairs inside brackets, and the statement's other tokens."""
    attrs: dict[str, str] = {}
    rest: list[str] = []
    inside = False
    for i, t in enumerate(stmt):
        if t == "[":
            inside = True
        elif t == "]":
            inside = False
        elif inside:
            if t == "=" and 0 < i < len(stmt) - 1:
                attrs[stmt[i - 1]] = _unquote(stmt[i + 1])
        else:
            rest.append(t)
    return attrs, rest


def _unquote(t: str) -> str:
    if len(t) >= 2 and t[0] == t[-1] == '"':
        return re.sub(r'\\(["\\])', r"\1", t[1:-1])
    return t


def _dot_automaton(nodes, edges, alphabet, name: str, where: str) -> DFA:  # noqa: ANN001
    def is_marker(v: str) -> bool:
        a = nodes.get(v, {})
        return a.get("shape") in ("point", "none", "plaintext") or v.lower() in ("start", "__start", "init", "__init")

    starts = [b for a, b, _ in edges if is_marker(a) and not is_marker(b)]
    states = [v for v in nodes if not is_marker(v)]
    if not states:
        raise LanguageFileError(f"{where}: no states")
    if len(set(starts)) > 1:
        raise LanguageFileError(f"{where}: several start states ({', '.join(sorted(set(starts)))})")
    start = starts[0] if starts else states[0]
    finals = {v for v in states if nodes[v].get("shape") in ("doublecircle", "doubleoctagon", "Msquare")}
    arcs = []
    for a, b, attrs in edges:
        if is_marker(a) or is_marker(b):
            continue
        label = attrs.get("label", "")
        for letter in (x.strip() for x in label.split(",")) if label else ():
            if letter:
                arcs.append((a, b, None if letter in EPSILON_LABELS else letter))
    letters = sorted({x for _, _, x in arcs if x is not None})
    if alphabet is not None:
        missing = sorted(set(letters) - set(alphabet))
        if missing:
            raise LanguageFileError(f"{where}: labels {', '.join(missing)} are not in the alphabet")
        letters = list(alphabet)
    if not letters:
        raise LanguageFileError(f"{where}: no labelled edges (give an alphabet)")
    return _determinize(arcs, start, finals, tuple(letters), name)
