"""``automata-probe languages``: the built-in suite as a table, then the families.

For each language: its alphabet, the size of its minimal DFA, the size of its
syntactic monoid, whether it is star-free and its circuit class. Languages in
``./languages`` are listed too (they shadow suite entries of the same name).
``--classes`` adds a column per algebraic class (``automata-probe classify``):
the least parameter k where the class has one, ``yes``/``-`` otherwise.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..algebra import classify, transition_monoid
from ..algebra.varieties import decide_varieties
from ..algebra.verdicts import CLASSES
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
    p.add_argument("--classes", action="store_true", help="add a column per algebraic class (see classify)")


#: Column headers of ``--classes``, in the order of CLASSES.
CLASS_COLUMNS = {
    "aperiodic": "SF", "dot_depth_one": "DD1", "da": "DA", "r_trivial": "R", "l_trivial": "L",
    "j_trivial": "PT", "locally_threshold_testable": "LTT", "locally_testable": "LT",
    "generalized_definite": "GD", "definite": "D", "reverse_definite": "RD", "strictly_local": "SL",
    "strictly_piecewise": "SP", "commutative": "Com", "group": "Grp",
}


def _class_cells(dfa, max_monoid: int) -> list[str]:  # noqa: ANN001
    try:
        v = decide_varieties(dfa, max_monoid=max_monoid)
    except MonoidTooLargeError:
        return ["?"] * len(CLASSES)
    cells = []
    for c in CLASSES:
        verdict = v[c.key]
        if verdict.holds is None:
            cells.append("?")
        elif not verdict.holds:
            cells.append("-")
        elif verdict.parameter:
            cells.append(",".join(str(x) for x in verdict.parameter.values()))
        else:
            cells.append("yes")
    return cells


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


def _row(name: str, max_monoid: int, classes: bool = False) -> tuple[list[str], str | None]:

    try:
        language = load_language(name)
    except AutomataProbeError as e:
        return [name, "?", "?", "?", "?", "?", *(["?"] * len(CLASSES) if classes else []), "unreadable"], str(e)
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
    extra = _class_cells(dfa, max_monoid) if classes else []
    return [name, letters, str(dfa.n_states), monoid, star_free, klass, *extra, description], None


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
        row, problem = _row(name, args.max_monoid, args.classes)
        rows.append(row)
        if problem:
            problems.append(problem)
    header = ["name", "alphabet", "states", "monoid", "star-free", "class"]
    header += [CLASS_COLUMNS[c.key] for c in CLASSES] if args.classes else []
    for line in _table(header + ["description"], rows, right={2, 3}):
        print(line)
    if args.classes:
        print()
        print("classes: " + "; ".join(f"{CLASS_COLUMNS[c.key]} {c.name}" for c in CLASSES))
        print("a number is the least parameter found (k; k,t for LTT); - means no; ? means not decided")
    print()
    print("families (generated on demand, e.g. --dfa dyck-2-3):")

    rows = [[f.spec, f.language, ", ".join(f.examples)] for f in FAMILIES]
    for line in _table(["spec", "language", "examples"], rows, right=set()):
        print("  " + line)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 2 if problems else 0
