"""Green's relations of a monoid: R, L, H and D (= J) classes, regular
D-classes, idempotents, group H-classes and the J-order.

For a finite monoid ``M``:

- ``x R y`` iff ``xM = yM``: the strong components of the right Cayley graph;
- ``x L y`` iff ``Mx = My``: the strong components of the left Cayley graph;
- ``x J y`` iff ``MxM = MyM``: the strong components of both graphs together,
  and ``J = D = R o L`` (Green 1951; finite monoids are stable);
- ``H = R n L``; an H-class holding an idempotent ``e`` is a group, the maximal
  subgroup ``H_e``; a D-class is regular iff it holds an idempotent, and then
  all its group H-classes are isomorphic (Green's lemma).

Every R-class of a D-class meets every L-class of it, so a D-class is a grid
of H-classes, the "egg-box" (Clifford & Preston 1961). The J-order
``D_x >= D_y`` iff ``y in MxM`` is drawn as its Hasse diagram.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from ..automata.dfa import DFA
from ..automata.words import format_word
from ..errors import DFAError
from .groups import GroupInfo, analyse_group
from .monoid import Monoid, transition_monoid
from .products import left_cayley_graph, strongly_connected_components

__all__ = ["DClass", "GreenRelations", "green_relations"]


@dataclass(frozen=True, kw_only=True)
class DClass:
    """One D-class (= J-class) of the monoid, as an egg-box.

    Attributes
    ----------
    index
        Position in :attr:`GreenRelations.d_classes` (numbered by their first
        element in BFS order: the D-class of the identity is 0).
    elements
        Element ids, ascending.
    r_classes, l_classes
        Ids of the R-classes (rows of the egg-box) and L-classes (columns),
        each ordered by its first element.
    cells
        ``cells[r][c]``: the element ids of the H-class ``R_r n L_c`` (never
        empty: every R-class of a D-class meets every L-class of it).
    idempotents
        Element ids of the idempotents (one per group H-class).
    group
        For a regular D-class, its maximal subgroup up to isomorphism
        (``count`` = the number of group H-classes); None otherwise.
    rank
        Length of the longest chain of D-classes above this one in the J-order
        (0 for the D-class of the identity).
    """

    index: int
    elements: tuple[int, ...]
    r_classes: tuple[int, ...]
    l_classes: tuple[int, ...]
    cells: tuple[tuple[tuple[int, ...], ...], ...]
    idempotents: tuple[int, ...]
    group: GroupInfo | None
    rank: int

    def __post_init__(self) -> None:
        if not self.elements:
            raise DFAError("a D-class has at least one element")
        if len(self.cells) != len(self.r_classes) or any(len(row) != len(self.l_classes) for row in self.cells):
            raise DFAError("the egg-box grid must have one row per R-class and one column per L-class")

    @property
    def regular(self) -> bool:
        """Whether the D-class holds an idempotent."""
        return bool(self.idempotents)

    @property
    def size(self) -> int:
        return len(self.elements)

    @property
    def h_size(self) -> int:
        """The size of every H-class of the D-class (Green's lemma)."""
        return len(self.cells[0][0])

    def is_group_cell(self, r: int, c: int) -> bool:
        """Whether the H-class in row ``r`` and column ``c`` holds an idempotent."""
        idem = set(self.idempotents)
        return any(x in idem for x in self.cells[r][c])


@dataclass(frozen=True, kw_only=True, eq=False)
class GreenRelations:
    """Green's relations of a :class:`~.monoid.Monoid`.

    ``r_class[i]``, ``l_class[i]``, ``h_class[i]`` and ``d_class[i]`` are the
    class ids of element ``i``, each numbered by the classes' first elements
    (the identity is in class 0 of each). :attr:`d_classes` holds the egg-boxes
    and :attr:`j_order` the Hasse diagram of the J-order between them.
    """

    monoid: Monoid
    left_cayley: np.ndarray
    r_class: np.ndarray
    l_class: np.ndarray
    h_class: np.ndarray
    d_class: np.ndarray
    d_classes: tuple[DClass, ...]
    j_order: tuple[tuple[int, int], ...]

    def __post_init__(self) -> None:
        m = self.monoid.size
        for name in ("r_class", "l_class", "h_class", "d_class"):
            arr = np.asarray(getattr(self, name))
            if arr.shape != (m,):
                raise DFAError(f"{name} has shape {arr.shape}, expected ({m},)")
            arr = arr.astype(np.int32, copy=True)
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        object.__setattr__(self, "d_classes", tuple(self.d_classes))
        object.__setattr__(self, "j_order", tuple(self.j_order))

    # --------------------------------------------------------------- counts
    @property
    def n_r(self) -> int:
        return int(self.r_class.max()) + 1

    @property
    def n_l(self) -> int:
        return int(self.l_class.max()) + 1

    @property
    def n_h(self) -> int:
        return int(self.h_class.max()) + 1

    @property
    def n_d(self) -> int:
        return len(self.d_classes)

    @cached_property
    def idempotents(self) -> tuple[int, ...]:
        return tuple(sorted(e for d in self.d_classes for e in d.idempotents))

    def is_trivial(self, relation: str) -> bool:
        """Whether every class of ``relation`` (``"R"``, ``"L"``, ``"H"``, ``"J"`` or ``"D"``) is a singleton."""
        arr = {"R": self.r_class, "L": self.l_class, "H": self.h_class, "J": self.d_class, "D": self.d_class}.get(
            relation
        )
        if arr is None:
            raise DFAError(f"unknown Green relation {relation!r}; expected R, L, H, J or D")
        return int(arr.max()) + 1 == self.monoid.size

    def below(self, d: int) -> tuple[int, ...]:
        """The D-classes covered by D-class ``d`` in the J-order."""
        return tuple(lo for hi, lo in self.j_order if hi == d)

    # -------------------------------------------------------------- export
    def to_dict(self) -> dict[str, Any]:
        m = self.monoid

        def word(i: int) -> str:
            return format_word(m.word(i), m.dfa.alphabet)

        return {
            "monoid_size": m.size,
            "r_classes": self.n_r,
            "l_classes": self.n_l,
            "h_classes": self.n_h,
            "d_classes": [
                {
                    "index": d.index,
                    "rank": d.rank,
                    "size": d.size,
                    "regular": d.regular,
                    "group": d.group.to_dict() if d.group is not None else None,
                    "egg_box": [[[word(x) for x in cell] for cell in row] for row in d.cells],
                    "idempotents": [word(e) for e in d.idempotents],
                    "below": list(self.below(d.index)),
                }
                for d in self.d_classes
            ],
            "j_order": [list(e) for e in self.j_order],
        }


def green_relations(source: Monoid | DFA, *, max_monoid: int = 2_000_000) -> GreenRelations:
    """Green's relations of a monoid, or of the syntactic monoid of a DFA's language.

    Parameters
    ----------
    source
        A :class:`~.monoid.Monoid`, or a DFA (its minimal DFA's transition
        monoid is used).
    max_monoid
        Cap on the monoid size when ``source`` is a DFA.

    Returns
    -------
    GreenRelations
    """
    monoid = source if isinstance(source, Monoid) else transition_monoid(source, max_monoid=max_monoid)
    left = left_cayley_graph(monoid)
    right = monoid.cayley
    r_class = strongly_connected_components(right)
    l_class = strongly_connected_components(left)
    d_class = strongly_connected_components(np.concatenate([right, left], axis=1))
    h_class = _pair_ids(r_class, l_class)
    edges = _d_edges(d_class, right, left)
    order, ranks = _topological(int(d_class.max()) + 1, edges)
    hasse = _hasse(edges, order)
    d_classes = tuple(
        _d_class(monoid, d, ids, r_class, l_class, ranks[d])
        for d, ids in enumerate(_groups_of(d_class))
    )
    return GreenRelations(
        monoid=monoid,
        left_cayley=left,
        r_class=r_class,
        l_class=l_class,
        h_class=h_class,
        d_class=d_class,
        d_classes=d_classes,
        j_order=hasse,
    )


# ------------------------------------------------------------------ helpers
def _pair_ids(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Ids of the pairs ``(a[i], b[i])``, numbered by first occurrence."""
    key = a.astype(np.int64) * (int(b.max()) + 1) + b
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    rename = np.empty(first.size, dtype=np.int32)
    rename[np.argsort(first)] = np.arange(first.size, dtype=np.int32)
    return rename[inverse.ravel()]


def _groups_of(labels: np.ndarray) -> list[np.ndarray]:
    """Element ids of each label, ascending, in label order."""
    order = np.argsort(labels, kind="stable")
    cuts = np.flatnonzero(np.diff(labels[order])) + 1
    return np.split(order, cuts)


def _d_edges(d_class: np.ndarray, right: np.ndarray, left: np.ndarray) -> dict[int, set[int]]:
    """D-class -> the D-classes one multiplication by a letter below it."""
    src = np.repeat(d_class, right.shape[1] + left.shape[1])
    dst = d_class[np.concatenate([right, left], axis=1).ravel()]
    keep = src != dst
    pairs = np.unique(np.stack([src[keep], dst[keep]], axis=1), axis=0)
    edges: dict[int, set[int]] = {d: set() for d in range(int(d_class.max()) + 1)}
    for s, t in pairs.tolist():
        edges[s].add(t)
    return edges


def _topological(n: int, edges: dict[int, set[int]]) -> tuple[list[int], list[int]]:
    """A topological order of the D-class DAG (top first) and each class's rank
    (longest path from a maximal class)."""
    indegree = [0] * n
    for targets in edges.values():
        for t in targets:
            indegree[t] += 1
    ready = [d for d in range(n) if indegree[d] == 0]
    order: list[int] = []
    rank = [0] * n
    while ready:
        d = ready.pop(0)
        order.append(d)
        for t in sorted(edges[d]):
            rank[t] = max(rank[t], rank[d] + 1)
            indegree[t] -= 1
            if indegree[t] == 0:
                ready.append(t)
    if len(order) != n:  # pragma: no cover - the condensation of a graph is acyclic
        raise DFAError("the J-order has a cycle")
    return order, rank


def _hasse(edges: dict[int, set[int]], order: list[int]) -> tuple[tuple[int, int], ...]:
    """The covering pairs ``(upper, lower)`` of the order generated by ``edges``."""
    reach: dict[int, int] = {}
    for d in reversed(order):
        bits = 0
        for t in edges[d]:
            bits |= (1 << t) | reach[t]
        reach[d] = bits
    out = []
    for d in order:
        indirect = 0
        for t in edges[d]:
            indirect |= reach[t]
        out.extend((d, t) for t in sorted(edges[d]) if not indirect >> t & 1)
    return tuple(sorted(out))


def _d_class(
    monoid: Monoid, index: int, ids: np.ndarray, r_class: np.ndarray, l_class: np.ndarray, rank: int
) -> DClass:
    rows = sorted(set(r_class[ids].tolist()), key=lambda r: int(ids[r_class[ids] == r].min()))
    cols = sorted(set(l_class[ids].tolist()), key=lambda c: int(ids[l_class[ids] == c].min()))
    row_of = {r: i for i, r in enumerate(rows)}
    col_of = {c: j for j, c in enumerate(cols)}
    grid: list[list[list[int]]] = [[[] for _ in cols] for _ in rows]
    for x in ids.tolist():
        grid[row_of[int(r_class[x])]][col_of[int(l_class[x])]].append(x)
    t = monoid.transformations
    n = t.shape[1]
    idem = [x for x in ids.tolist() if np.array_equal(t[x][t[x]], t[x])]
    group = None
    if idem:
        e = idem[0]
        cell = grid[row_of[int(r_class[e])]][col_of[int(l_class[e])]]
        image = np.flatnonzero(t[e] == np.arange(n))  # an idempotent fixes its image
        position = np.full(n, -1, dtype=np.int64)
        position[image] = np.arange(image.size)
        perms = [tuple(int(v) for v in position[t[h][image]]) for h in cell]
        facts = analyse_group(perms, int(image.size))
        group = GroupInfo(
            order=facts.order,
            abelian=facts.abelian,
            solvable=facts.solvable,
            name=facts.name,
            count=len(idem),
            identity_word=monoid.word(e),
        )
    return DClass(
        index=index,
        elements=tuple(ids.tolist()),
        r_classes=tuple(int(r) for r in rows),
        l_classes=tuple(int(c) for c in cols),
        cells=tuple(tuple(tuple(c) for c in row) for row in grid),
        idempotents=tuple(idem),
        group=group,
        rank=rank,
    )
