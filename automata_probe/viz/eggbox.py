"""Egg-box diagrams of a monoid's D-classes (matplotlib, Agg).

One box per D-class, placed in rows by their rank in the J-order (the
identity's D-class on top) and joined by the Hasse diagram of the J-order.
Inside a box, rows are R-classes and columns L-classes; each cell is an
H-class listing the shortest words of its elements. A group H-class (one
holding an idempotent) is shaded, its idempotent is marked ``*`` and the
cell is labelled with the group's name when the group is not trivial; a
non-regular D-class (no idempotent) is drawn with a dashed outline, as in
GAP's Semigroups package.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from ..algebra.green import DClass, GreenRelations
from ..automata.words import format_word
from .saving import save_figure

__all__ = ["draw_egg_box", "save_egg_box_figure"]

#: At most this many words are written in one H-class cell (more when a D-class has one or two cells).
_WORDS_PER_CELL = 3
_WORDS_PER_LONE_CELL = 8
#: Above this many cells a D-class is drawn without words.
_MAX_LABELLED_CELLS = 144
_GROUP_FILL = "#cfe3f7"
_PLAIN_FILL = "#ffffff"
_LEGEND = "shaded: group H-class (* marks its idempotent)\ndashed: non-regular D-class; lines: the J-order"


def _cell_text(green: GreenRelations, d: DClass, r: int, c: int, limit: int) -> str:
    m = green.monoid
    idem = set(d.idempotents)
    cell = d.cells[r][c]
    words = [("*" if x in idem else "") + format_word(m.word(x), m.dfa.alphabet) for x in cell[:limit]]
    if len(cell) > limit:
        words.append(f"... ({len(cell)})")
    return "\n".join(words)


def _word_limit(d: DClass) -> int:
    return _WORDS_PER_LONE_CELL if len(d.cells) * len(d.cells[0]) <= 2 else _WORDS_PER_CELL


def _box_size(green: GreenRelations, d: DClass) -> tuple[float, float, float, float, bool]:
    """Width, height, cell width and cell height of a D-class box, and whether it carries words."""
    rows, cols = len(d.cells), len(d.cells[0])
    labelled = rows * cols <= _MAX_LABELLED_CELLS
    if not labelled:
        return cols * 0.25, rows * 0.25, 0.25, 0.25, False
    limit = _word_limit(d)
    texts = [_cell_text(green, d, r, c, limit) for r in range(rows) for c in range(cols)]
    chars = max(max((len(line) for line in t.split("\n")), default=1) for t in texts)
    lines = max(t.count("\n") + 1 for t in texts)
    group_line = 1 if d.group is not None and d.group.order > 1 else 0
    cw = max(0.55, 0.11 * chars + 0.25)
    ch = 0.3 + 0.2 * (lines + group_line)
    return cols * cw, rows * ch, cw, ch, True


def _positions(green: GreenRelations, sizes: dict[int, tuple[float, float, float, float, bool]]):
    """Lower-left corner of each box: rows by rank, centred, top rank highest."""
    ranks: dict[int, list[int]] = {}
    for d in green.d_classes:
        ranks.setdefault(d.rank, []).append(d.index)
    gap_x, gap_y = 0.6, 0.9
    widths = {r: sum(sizes[i][0] for i in ids) + gap_x * (len(ids) - 1) for r, ids in ranks.items()}
    total_w = max(widths.values())
    pos: dict[int, tuple[float, float]] = {}
    y = 0.0
    for r in sorted(ranks):
        ids = ranks[r]
        height = max(sizes[i][1] for i in ids)
        x = (total_w - widths[r]) / 2
        for i in ids:
            w, h = sizes[i][0], sizes[i][1]
            pos[i] = (x, y - h)
            x += w + gap_x
        y -= height + gap_y
    return pos, total_w, -y - gap_y


def draw_egg_box(ax: Any, green: GreenRelations, *, title: str = "") -> None:
    """Draw the egg-box diagram of every D-class of ``green`` on ``ax``."""
    from matplotlib.patches import Rectangle

    sizes = {d.index: _box_size(green, d) for d in green.d_classes}
    pos, total_w, total_h = _positions(green, sizes)
    for hi, lo in green.j_order:
        (x0, y0), (w0, _h0) = pos[hi], sizes[hi][:2]
        (x1, y1), (w1, h1) = pos[lo], sizes[lo][:2]
        ax.plot([x0 + w0 / 2, x1 + w1 / 2], [y0, y1 + h1], color="#888888", lw=0.8, zorder=0)
    for d in green.d_classes:
        x, y = pos[d.index]
        w, h, cw, ch, labelled = sizes[d.index]
        rows, cols = len(d.cells), len(d.cells[0])
        for r in range(rows):
            for c in range(cols):
                group = d.is_group_cell(r, c)
                cx, cy = x + c * cw, y + h - (r + 1) * ch
                ax.add_patch(Rectangle((cx, cy), cw, ch, facecolor=_GROUP_FILL if group else _PLAIN_FILL,
                                       edgecolor="#555555", lw=0.5))
                if not labelled:
                    continue
                text = _cell_text(green, d, r, c, _word_limit(d))
                if group and d.group is not None and d.group.order > 1:
                    text = f"{text}\n[{d.group.name}]"
                ax.text(cx + cw / 2, cy + ch / 2, text, ha="center", va="center", fontsize=7, family="monospace")
        ax.add_patch(Rectangle((x, y), w, h, fill=False, edgecolor="black", lw=1.4,
                               linestyle="-" if d.regular else "--"))
        ax.text(x - 0.08, y + h, f"D{d.index}", ha="right", va="top", fontsize=8, color="#333333")
    ax.text(total_w / 2, -total_h - 0.05, _LEGEND, ha="center", va="top", fontsize=7, color="#444444")
    ax.set_xlim(-0.6, total_w + 0.3)
    ax.set_ylim(-total_h - 0.45, 0.3)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if title:
        ax.set_title("\n".join(textwrap.wrap(title, width=max(40, int(12 * total_w)))), fontsize=10)


def save_egg_box_figure(green: GreenRelations, path: str | Path, *, title: str = "") -> Path:
    """Draw the egg-box diagrams to ``path`` (PNG) and return the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = {d.index: _box_size(green, d) for d in green.d_classes}
    _, total_w, total_h = _positions(green, sizes)
    scale = 1.1
    fig, ax = plt.subplots(figsize=(min(max(3.0, scale * total_w + 1), 30), min(max(2.5, scale * total_h + 1), 40)))
    try:
        draw_egg_box(ax, green, title=title)
        path = save_figure(fig, path, dpi=110, bbox_inches="tight", close=False)
    finally:
        plt.close(fig)
    return Path(path)
