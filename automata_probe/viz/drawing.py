"""Pictures of automata: two DFAs side by side, and disagreement curves.

:func:`draw_comparison` draws the true and the extracted automaton next to
each other with networkx and matplotlib (Agg backend, no display needed):
states matched by the mapping share a color, accepting states have a double
ring, the start state an incoming arrow, parallel edges are merged into one
edge labelled with all their letters, and the dead state is hidden (or drawn
grey). :func:`plot_disagreement` plots the per-length disagreement rate of
one or more comparisons. Graphviz source is available from
:meth:`automata_probe.automata.dfa.DFA.to_dot`.
"""

from __future__ import annotations

import logging
import math
import textwrap
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from ..automata.dfa import DFA
from ..compare import StateMapping, state_mapping
from .saving import save_figure

__all__ = ["draw_comparison", "draw_dfa", "plot_disagreement", "save_dfa_figure"]

log = logging.getLogger(__name__)

_GREY = "#d0d0d0"


def _palette(n: int) -> list[str]:
    import matplotlib

    cmap = matplotlib.colormaps["tab20" if n > 10 else "tab10"]
    return [matplotlib.colors.to_hex(cmap(i % cmap.N)) for i in range(n)]


def _tint(color: str, amount: float = 0.65) -> str:
    """``color`` blended toward white."""
    import matplotlib

    r, g, b = matplotlib.colors.to_rgb(color)
    return matplotlib.colors.to_hex((r + (1 - r) * amount, g + (1 - g) * amount, b + (1 - b) * amount))


def _layout(dfa: DFA, nodes: list[int], radius: float | None = None) -> dict[int, np.ndarray]:
    """Nodes on a circle in BFS order, the start state on top, going clockwise.

    On a circle no straight edge passes through a third node.
    """
    order = [q for q in dfa.reachable().tolist() if q in nodes] + [q for q in nodes if q not in dfa.reachable()]
    n = len(order)
    if n == 1:
        return {order[0]: np.zeros(2)}
    r = radius if radius is not None else _radius(n)
    return {q: r * np.array([math.cos(math.pi / 2 - 2 * math.pi * j / n), math.sin(math.pi / 2 - 2 * math.pi * j / n)])
            for j, q in enumerate(order)}


def _radius(n: int) -> float:
    return max(1.3, 0.5 * n)


def _rot(v: np.ndarray, degrees: float) -> np.ndarray:
    a = math.radians(degrees)
    return np.array([v[0] * math.cos(a) - v[1] * math.sin(a), v[0] * math.sin(a) + v[1] * math.cos(a)])


def _edge_labels(g: object, pos: Mapping[int, np.ndarray], ax: object, labels: Mapping[tuple[int, int], str],
                 connectionstyle: str) -> None:
    """Letters on the edges, upright: turned along a vertical edge, ``b`` would read as ``q``."""
    import networkx as nx

    nx.draw_networkx_edge_labels(
        g, pos, ax=ax, edge_labels=dict(labels), connectionstyle=connectionstyle, rotate=False,
        font_size=8, bbox=dict(boxstyle="round,pad=0.1", fc="white", ec="none"),
    )


def draw_dfa(
    ax: object,
    dfa: DFA,
    *,
    colors: Mapping[int, str] | None = None,
    hide_dead: bool = True,
    title: str = "",
    radius: float | None = None,
) -> None:
    """Draw ``dfa`` on a matplotlib axis.

    Parameters
    ----------
    ax
        A matplotlib ``Axes``.
    colors
        Fill color per state (default: light blue); states without a color are grey.
    hide_dead
        Leave the dead state(s) and the edges into them out; otherwise draw
        them grey.
    radius
        Radius of the circle the states sit on (data units; default from the
        number of states). Panels drawn side by side share one, so that
        nodes, loops and labels come out the same size.
    """
    import networkx as nx
    from matplotlib.patches import FancyArrowPatch

    dead = dfa.dead_states
    reach = set(dfa.reachable().tolist())
    nodes = [q for q in range(dfa.n_states) if q in reach and not (hide_dead and q in dead)]
    pos = _layout(dfa, nodes, radius)
    g = nx.DiGraph()
    g.add_nodes_from(nodes)
    labels: dict[tuple[int, int], list[str]] = {}
    for q in nodes:
        for i, a in enumerate(dfa.alphabet):
            t = dfa.transitions[q][i]
            if t in pos:
                labels.setdefault((q, t), []).append(a)
    g.add_edges_from(labels)
    default = {q: _GREY if q in dead else "#9ecae1" for q in nodes}
    fill = [(colors or default).get(q, default[q]) for q in nodes]
    names = {q: dfa.label(q) for q in nodes}
    longest = max((len(t) for t in names.values()), default=1)
    # long state names (M0a, q10, 0/1/0) get bigger circles and smaller type instead of spilling out
    size = 900 if longest <= 3 else min(1800, 900 + 220 * (longest - 3))
    font_size = 9 if longest <= 4 else max(6, round(9 * 4 / longest))
    nx.draw_networkx_nodes(g, pos, ax=ax, nodelist=nodes, node_color=fill, node_size=size, edgecolors="black")
    acc = [q for q in nodes if q in dfa.accepting]
    if acc:  # double ring
        nx.draw_networkx_nodes(
            g, pos, ax=ax, nodelist=acc, node_color="none", node_size=size * 0.62, edgecolors="black", linewidths=1.0
        )
    nx.draw_networkx_labels(g, pos, ax=ax, labels=names, font_size=font_size)
    sep = "" if dfa.single_char_letters else " "
    loops = [(u, v) for (u, v) in labels if u == v]
    straight = [(u, v) for (u, v) in labels if u != v and (v, u) not in labels]
    curved = [(u, v) for (u, v) in labels if u != v and (v, u) in labels]
    edge_kw = dict(ax=ax, node_size=size, arrows=True, arrowsize=14, edge_color="#444444")
    nx.draw_networkx_edges(g, pos, edgelist=straight, connectionstyle="arc3,rad=0.08", **edge_kw)
    nx.draw_networkx_edges(g, pos, edgelist=curved, connectionstyle="arc3,rad=0.25", **edge_kw)
    text = {e: ",".join(labels[e]) if not sep else " ".join(labels[e]) for e in labels}
    _edge_labels(g, pos, ax, {e: text[e] for e in straight}, "arc3,rad=0.08")
    _edge_labels(g, pos, ax, {e: text[e] for e in curved}, "arc3,rad=0.25")
    for u, _ in loops:  # self-loops: a small arc pointing away from the centre, drawn by hand
        p = pos[u]
        d = p / np.linalg.norm(p) if np.linalg.norm(p) > 0 else np.array([0.0, 1.0])
        ax.add_patch(
            FancyArrowPatch(
                tuple(p + 0.3 * _rot(d, 40)), tuple(p + 0.3 * _rot(d, -40)), connectionstyle="arc3,rad=-1.6",
                arrowstyle="-|>", mutation_scale=12, color="#444444", lw=1.0,
            )
        )
        lx, ly = p + 0.85 * d
        ax.text(lx, ly, text[(u, u)], ha="center", va="center", fontsize=8)
    sx, sy = pos[dfa.start]
    ax.annotate("", xy=(sx - 0.3, sy), xytext=(sx - 0.95, sy), arrowprops=dict(arrowstyle="-|>", color="black"))
    r = (radius if radius is not None else _radius(len(nodes))) if len(nodes) > 1 else 0.0
    if radius is not None:
        r = radius
    ax.set_xlim(-r - 1.2, r + 1.1)
    ax.set_ylim(-r - 1.1, r + 1.1)
    ax.set_aspect("equal")
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=10)


def save_dfa_figure(dfa: DFA, path: str | Path, *, hide_dead: bool = True, title: str = "") -> Path:
    """Draw ``dfa`` alone to ``path`` (a PNG; matplotlib's Agg backend) and return the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = dfa.n_states
    side = min(4.0 + 0.6 * n, 16.0)
    fig, ax = plt.subplots(figsize=(side, side))
    try:
        draw_dfa(ax, dfa, hide_dead=hide_dead, title=title)
        path = save_figure(fig, path, dpi=110, bbox_inches="tight", close=False)
    finally:
        plt.close(fig)
    return Path(path)


def draw_comparison(
    truth: DFA,
    other: DFA,
    path: str | Path,
    *,
    mapping: "StateMapping | None" = None,
    hide_dead: bool = True,
    titles: Sequence[str] | None = None,
    suptitle: str = "",
) -> Path:
    """Draw ``truth`` and ``other`` side by side and save a PNG.

    Parameters
    ----------
    truth, other
        The automata (states as given; pass minimized DFAs for clean pictures).
    path
        Output file (format from the suffix, PNG normally).
    mapping
        State mapping (truth state, other state) from
        :func:`automata_probe.compare.state_mapping`; matched pairs share a
        color; a state outside the matching gets a pale tint of the truth
        state it co-occurs with most. Computed when omitted.
    hide_dead
        Hide dead states instead of drawing them grey.
    titles
        Panel titles (default: the DFAs' names and state counts).
    suptitle
        A line above both panels (e.g. the comparison's verdict).

    Returns
    -------
    The path written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if mapping is None:
        mapping = state_mapping(truth, other)
    pal = _palette(max(truth.n_states, 1))
    c_truth = {p: pal[i % len(pal)] for i, p in enumerate(range(truth.n_states))}
    c_other = {q: "#ffffff" for q in range(other.n_states)}
    # states outside the one-to-one matching: a pale tint of their majority truth state
    C = np.asarray(mapping.cooccurrence, dtype=float)  # (n_truth, n_other)
    if C.size and C.shape == (truth.n_states, other.n_states):
        for q in range(other.n_states):
            if C[:, q].sum() > 0:
                c_other[q] = _tint(c_truth[int(C[:, q].argmax())])
    for p, q in mapping.pairs:
        c_other[q] = c_truth[p]
    for q in truth.dead_states:
        c_truth[q] = _GREY
    for p, q in mapping.pairs:
        if p in truth.dead_states:
            c_other[q] = _GREY
    if titles is None:
        titles = (
            f"{truth.name or 'truth'} ({truth.n_states} states)",
            f"{other.name or 'other'} ({other.n_states} states)",
        )
    def shown(d: DFA) -> int:
        reach = d.reachable().tolist()
        return len([q for q in reach if not (hide_dead and q in d.dead_states)])

    n = max(shown(truth), shown(other))
    radius = _radius(n)
    side = min(0.85 * (2 * radius + 2.3), 11.0)  # inches per panel: about 0.85 in per unit
    fig, axes = plt.subplots(1, 2, figsize=(2 * side, side + 0.6))
    try:
        draw_dfa(axes[0], truth, colors=c_truth, hide_dead=hide_dead, title=titles[0], radius=radius)
        draw_dfa(axes[1], other, colors=c_other, hide_dead=hide_dead, title=titles[1], radius=radius)
        top = 1.0
        if suptitle:
            text = textwrap.fill(suptitle, width=int(2 * side * 11))
            fig.suptitle(text, fontsize=10)
            top = 1.0 - (0.3 + 0.18 * text.count("\n")) / (side + 0.6)
        if hide_dead and (truth.dead_states or other.dead_states):
            fig.text(0.5, 0.01, "dead state and edges into it hidden", ha="center", fontsize=8, color="#666666")
        fig.tight_layout(rect=(0, 0.03, 1, top))
        p = save_figure(fig, path, dpi=120, close=False)
    finally:
        plt.close(fig)
    return p


def plot_disagreement(
    curves: Mapping[str, Sequence[float]],
    path: str | Path,
    *,
    sampled: Mapping[str, Sequence[bool]] | None = None,
    title: str = "disagreement with the truth per length",
    log_scale: bool | None = None,
) -> Path:
    """Plot disagreement rate against word length for each named curve.

    Parameters
    ----------
    curves
        Name -> rate at lengths ``0, 1, 2, ...``.
    path
        Output PNG.
    sampled
        Name -> per-length flag: True where the rate was estimated from a
        sample (drawn with hollow markers), False where exact.
    log_scale
        Logarithmic y axis; default: when positive rates span more than two
        decades or one lies below 1% (a linear axis would hide it); else a
        linear axis topped by the largest rate. Zero rates cannot sit on a log axis and are drawn on the
        bottom edge with a marker labelled 0.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    positive = [r for c in curves.values() for r in c if r > 0]
    if log_scale is None:  # a rate below 1% would sit on the floor of a linear axis
        log_scale = bool(positive) and (max(positive) / min(positive) > 100 or min(positive) < 0.01)
    floor = min(positive) / 3 if positive and log_scale else 0.0
    fig, ax = plt.subplots(figsize=(7, 4))
    try:
        for i, (name, rates) in enumerate(curves.items()):
            n = np.arange(len(rates))
            r = np.asarray(rates, dtype=float)
            flags = np.zeros(len(r), dtype=bool) if sampled is None or name not in sampled else np.asarray(
                sampled[name], dtype=bool
            )
            shown = np.where(r > 0, r, floor) if log_scale else r
            (line,) = ax.plot(n, shown, "-", lw=1.2, label=name)
            color = line.get_color()
            ax.plot(n[~flags], shown[~flags], "o", ms=4, color=color)
            if flags.any():
                ax.plot(n[flags], shown[flags], "o", ms=5, mfc="white", color=color)
        if log_scale:
            ax.set_yscale("log")
            ax.axhline(floor, color="#999999", lw=0.6, ls=":")
            ax.text(0, floor, " 0", va="bottom", fontsize=8, color="#666666")
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("word length n")
        ax.set_ylabel("disagreeing words / all words")
        ax.set_title(title, fontsize=10)
        if not log_scale:  # adaptive: the largest rate fills the axis
            top = 1.15 * max(positive, default=0.0) or 1.0
            ax.set_ylim(-0.03 * top, top)
        if not positive:
            ax.text(0.5, 0.5, "no disagreement at any length", transform=ax.transAxes, ha="center", color="#666666")
        if sampled is not None and any(np.any(v) for v in sampled.values()):
            ax.plot([], [], "o", mfc="white", color="#444444", label="sampled")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
        fig.tight_layout()
        p = save_figure(fig, path, dpi=120, close=False)
    finally:
        plt.close(fig)
    return p

