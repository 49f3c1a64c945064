"""Green's relations as text and as a figure, for ``automata-probe show --green`` (a helper, not a command)."""

from __future__ import annotations

from pathlib import Path

from ..algebra.green import GreenRelations, green_relations
from ..automata.dfa import DFA
from ..automata.words import format_word
from ..viz.eggbox import save_egg_box_figure

#: Egg-boxes with more cells than this are summarized, not drawn as text.
_MAX_TEXT_CELLS = 64


def render_green(dfa: DFA, *, max_monoid: int = 2_000_000) -> list[str]:
    """Green's relations of the syntactic monoid of ``dfa``: counts, then each D-class as a text egg-box."""
    g = green_relations(dfa, max_monoid=max_monoid)
    regular = sum(d.regular for d in g.d_classes)
    lines = [
        f"green        {_count(g.monoid.size, 'element')}: {_count(g.n_d, 'D-class')} ({regular} regular), "
        f"{_count(g.n_r, 'R-class')}, {_count(g.n_l, 'L-class')}, {_count(g.n_h, 'H-class')}, "
        f"{_count(len(g.idempotents), 'idempotent')}",
        f"J-order      {', '.join(f'D{hi} > D{lo}' for hi, lo in g.j_order) or 'one D-class'}",
    ]
    for d in g.d_classes:
        lines.extend(_egg_box(g, d.index))
    return lines


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "es" if noun.endswith("s") else "s")


def _egg_box(g: GreenRelations, index: int) -> list[str]:
    d = g.d_classes[index]
    rows, cols = len(d.r_classes), len(d.l_classes)
    group = ""
    if d.group is not None:
        group = f", group H-classes {d.group.name}" + (f" x{d.group.count}" if d.group.count > 1 else "")
    head = (f"D{d.index} (J-order level {d.rank}): {_count(d.size, 'element')}, {rows} R x {cols} L, "
            f"H-classes of {d.h_size}, "
            f"{'regular' if d.regular else 'not regular'}{group}")
    if rows * cols > _MAX_TEXT_CELLS:
        return [head, "  (too large to print; --png draws it)"]
    idem = set(d.idempotents)
    cells = [["/".join(("*" if x in idem else "") + format_word(g.monoid.word(x), g.monoid.dfa.alphabet) for x in cell[:3])
              + ("/..." if len(cell) > 3 else "") for cell in row] for row in d.cells]
    width = max(len(c) for row in cells for c in row)
    bar = "  +" + "+".join("-" * (width + 2) for _ in range(cols)) + "+"
    out = [head, bar]
    for row in cells:
        out.append("  |" + "|".join(f" {c:<{width}} " for c in row) + "|")
        out.append(bar)
    return out


def save_green(dfa: DFA, path: Path, *, title: str = "", max_monoid: int = 2_000_000) -> Path:
    """Draw the egg-box diagrams of the syntactic monoid of ``dfa`` to ``path``."""
    return save_egg_box_figure(green_relations(dfa, max_monoid=max_monoid), path, title=title)
