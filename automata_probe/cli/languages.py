"""``automata-probe languages``: the built-in suite as a table, then the families.

For each language: its alphabet, the size of its minimal DFA, the size of its
syntactic monoid, whether it is star-free and its circuit class. Languages in
``./languages`` are listed too (they shadow suite entries of the same name).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..algebra import classify, transition_monoid
from ..automata import load_language, suite_names
from ..automata.families import FAMILIES
from ..errors import AutomataProbeError, MonoidTooLargeError

_DESCRIPTION_WIDTH = 64

#: Shown by ``--help`` above the arguments.
DESCRIPTION = __doc__.split("\n\n")[0]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--max-monoid",
        type=int,
        default=2_000_000,
        metavar="N",
        help="skip the monoid of a language past N elements (default 2,000,000)",
    )


def _names() -> list[str]:

    names = set(suite_names())
    local = Path.cwd() / "languages"
    if local.is_dir():
        names |= {p.stem for p in local.glob("*.toml")}
    return sorted(names, key=_sort_key)


def _sort_key(name: str) -> tuple[str, int, str]:
    """tomita1 < tomita2 < ... < tomita7, d1 < d2 < d12 (numbers compared as numbers)."""
    head = name.rstrip("0123456789")
    tail = name[len(head) :]
    return (head, int(tail) if tail else -1, name)


def _row(name: str, max_monoid: int) -> tuple[list[str], str | None]:

    try:
        language = load_language(name)
    except AutomataProbeError as e:
        return [name, "?", "?", "?", "?", "?", "unreadable"], str(e)
    dfa = language.dfa
    letters = " ".join(dfa.alphabet) if len(dfa.alphabet) <= 6 else f"{len(dfa.alphabet)} letters"
    try:
        c = classify(dfa, max_monoid=max_monoid)
        size = c.monoid_size if c.monoid_size is not None else transition_monoid(dfa, max_monoid=max_monoid).size
        monoid, star_free, klass = f"{size:,}", "yes" if c.star_free else "no", c.complexity
    except MonoidTooLargeError:
        monoid, star_free, klass = f">{max_monoid:,}", "?", "?"
    description = language.description
    if len(description) > _DESCRIPTION_WIDTH:
        description = description[: _DESCRIPTION_WIDTH - 3].rstrip() + "..."
    return [name, letters, str(dfa.n_states), monoid, star_free, klass, description], None


def _table(header: list[str], rows: list[list[str]], right: set[int]) -> list[str]:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    out = []
    for r in [header, *rows]:
        cells = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))]
        out.append("  ".join(cells).rstrip())
    return out


def run(args: argparse.Namespace) -> int:
    rows = []
    problems = []
    for name in _names():
        row, problem = _row(name, args.max_monoid)
        rows.append(row)
        if problem:
            problems.append(problem)
    header = ["name", "alphabet", "states", "monoid", "star-free", "class", "description"]
    for line in _table(header, rows, right={2, 3}):
        print(line)
    print()
    print("families (generated on demand, e.g. --dfa dyck-2-3):")

    rows = [[f.spec, f.language, ", ".join(f.examples)] for f in FAMILIES]
    for line in _table(["spec", "language", "examples"], rows, right=set()):
        print("  " + line)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 2 if problems else 0
