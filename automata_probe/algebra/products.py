"""Products in a :class:`~.monoid.Monoid`: the left Cayley graph, the
multiplication table, idempotent powers, the syntactic semigroup, and
strongly connected components of Cayley graphs.

Everything works on element ids (BFS order, see :mod:`.monoid`) and follows
Froidure & Pin (1997): a product ``u w_j`` is read along the right Cayley
graph letter by letter of the shortest word ``w_j``, and the left Cayley graph
comes from the right one without a single hash lookup,
``a w_i = (a w_parent(i)) last(i)``.

Glossary (code name -> textbook symbol)::

    left[i, a]        eta(a w_i): the left Cayley graph
    table[i, j]       eta(w_i w_j)
    omega[i]          i^omega, the idempotent power of element i
    semigroup mask    S = eta(A^+), the syntactic semigroup
"""

from __future__ import annotations

import logging
from typing import Sequence

import numpy as np

from ..errors import DFAError, MonoidTooLargeError
from ._transforms import compose, layer_bounds
from .monoid import Monoid

__all__ = [
    "TABLE_LIMIT",
    "idempotent_power_ids",
    "left_cayley_graph",
    "multiplication_table",
    "semigroup_mask",
    "semigroup_word",
    "strongly_connected_components",
    "tarjan_components",
]

log = logging.getLogger(__name__)

#: Largest monoid whose full ``(m, m)`` multiplication table is built (64 MiB of int32).
TABLE_LIMIT = 4096

#: Graphs with more vertices than this go to scipy's strong components (when installed).
_SCIPY_FROM = 50_000


def left_cayley_graph(monoid: Monoid) -> np.ndarray:
    """``(m, k)`` int32: ``left[i, a]`` is the id of ``eta(a w_i)``.

    Froidure-Pin: ``a w_i = (a w_p) b`` where ``w_i = w_p b``, so a BFS layer
    is one gather in the right Cayley graph from the previous layers.
    """
    m, k = monoid.size, monoid.dfa.n_letters
    left = np.empty((m, k), dtype=np.int32)
    left[0] = monoid.cayley[0]
    parents, letters, right = monoid.parents, monoid.letters, monoid.cayley
    for start, stop in layer_bounds(parents)[1:]:
        p = parents[start:stop]
        left[start:stop] = right[left[p], letters[start:stop, None]]
    left.setflags(write=False)
    return left


def multiplication_table(monoid: Monoid, *, limit: int = TABLE_LIMIT) -> np.ndarray:
    """``(m, m)`` int32: ``table[i, j]`` is the id of ``eta(w_i w_j)``.

    Column ``j`` is column ``parent(j)`` followed by one step of the right
    Cayley graph, so each BFS layer of columns is one gather.

    Raises
    ------
    MonoidTooLargeError
        When the monoid has more than ``limit`` elements.
    """
    m = monoid.size
    if m > limit:
        raise MonoidTooLargeError(
            f"the monoid has {m:,} elements; its multiplication table is built only up to {limit:,}"
        )
    table = np.empty((m, m), dtype=np.int32)
    table[:, 0] = np.arange(m, dtype=np.int32)
    parents, letters, right = monoid.parents, monoid.letters, monoid.cayley
    for start, stop in layer_bounds(parents)[1:]:
        table[:, start:stop] = right[table[:, parents[start:stop]], letters[start:stop]]
    table.setflags(write=False)
    return table


def idempotent_power_ids(monoid: Monoid, table: np.ndarray | None = None) -> np.ndarray:
    """``(m,)`` int32: the id of ``x^omega`` (the unique idempotent power) of each element.

    With a multiplication table the powers are gathered from it; otherwise
    they are composed as transformations and looked up.
    """
    m = monoid.size
    if table is None:
        rows = monoid.elements
        power = rows.copy()
        out_rows = np.empty_like(rows)
        done = np.zeros(m, dtype=bool)
        for _ in range(m + 1):
            idem = ~done & (compose(power, power) == power).all(axis=1)
            out_rows[idem] = power[idem]
            done |= idem
            if done.all():
                break
            power = compose(power, rows)
        ids = monoid.ids_of(out_rows)
        if not done.all() or (ids < 0).any():  # pragma: no cover - x^omega is a power of x
            raise DFAError("an idempotent power is missing from the monoid")
        return ids.astype(np.int32)
    power = np.arange(m, dtype=np.int32)  # x^1
    idx = np.arange(m)
    out = np.full(m, -1, dtype=np.int32)
    for _ in range(m + 1):
        todo = out < 0
        if not todo.any():
            break
        idem = table[power, power] == power
        hit = todo & idem
        out[hit] = power[hit]
        power = table[power, idx]
    if (out < 0).any():  # pragma: no cover - x^k is idempotent for some k <= m
        raise DFAError("no idempotent power found")
    return out


def semigroup_mask(monoid: Monoid) -> np.ndarray:
    """``(m,)`` bool: the elements of the syntactic semigroup ``S = eta(A^+)``.

    ``eta(A^+) = eta(A^*) A``: the targets of the right Cayley graph. The
    identity belongs to ``S`` only when a non-empty word acts as the identity.
    """
    mask = np.zeros(monoid.size, dtype=bool)
    mask[monoid.cayley.ravel()] = True
    return mask


def semigroup_word(monoid: Monoid, i: int) -> tuple[str, ...]:
    """A shortest *non-empty* word of element ``i`` of ``S`` (its shortest word,
    except for the identity, which needs a non-empty word acting as it)."""
    if i != 0:
        return monoid.word(i)
    hits = np.argwhere(monoid.cayley == 0)
    if hits.size == 0:
        raise DFAError("the identity is not in the syntactic semigroup: no non-empty word acts as it")
    lengths = monoid.lengths[hits[:, 0]]
    src, a = hits[int(np.argmin(lengths))]
    return monoid.word(int(src)) + (monoid.dfa.alphabet[int(a)],)


# ----------------------------------------------------------- strong components
def tarjan_components(graph: Sequence[Sequence[int]] | np.ndarray) -> np.ndarray:
    """Strongly connected components of the graph ``i -> graph[i][c]`` (the
    readable reference: Tarjan 1972, iterative).

    Returns ``(m,)`` int32 labels numbered by their smallest vertex, so that
    component 0 holds vertex 0 and labels grow with the first vertex.
    """
    adj = np.asarray(graph).tolist() if isinstance(graph, np.ndarray) else [list(r) for r in graph]
    m = len(adj)
    index = [-1] * m
    low = [0] * m
    on_stack = [False] * m
    stack: list[int] = []
    comp = [-1] * m
    counter = 0
    n_comp = 0
    for root in range(m):
        if index[root] >= 0:
            continue
        work = [(root, 0)]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack[root] = True
        while work:
            v, pos = work[-1]
            succ = adj[v]
            if pos < len(succ):
                work[-1] = (v, pos + 1)
                w = succ[pos]
                if index[w] < 0:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = True
                    work.append((w, 0))
                elif on_stack[w] and index[w] < low[v]:
                    low[v] = index[w]
                continue
            work.pop()
            if work and low[v] < low[work[-1][0]]:
                low[work[-1][0]] = low[v]
            if low[v] == index[v]:
                while True:
                    w = stack.pop()
                    on_stack[w] = False
                    comp[w] = n_comp
                    if w == v:
                        break
                n_comp += 1
    return _by_first_vertex(np.asarray(comp, dtype=np.int64))


def strongly_connected_components(graph: np.ndarray) -> np.ndarray:
    """Strong components of ``i -> graph[i, c]`` (an ``(m, c)`` int array),
    labelled as :func:`tarjan_components` labels them.

    Large graphs use ``scipy.sparse.csgraph`` when scipy is installed; the
    pure-Python :func:`tarjan_components` is the reference (a test ties them).
    """
    graph = np.asarray(graph)
    m = graph.shape[0]
    if m > _SCIPY_FROM:
        try:
            from scipy.sparse import csr_matrix
            from scipy.sparse.csgraph import connected_components
        except ImportError:  # pragma: no cover - scipy comes with scikit-learn
            log.info("scipy is not installed: strong components of %d vertices in pure Python", m)
        else:
            return _scipy_components(graph, csr_matrix, connected_components)
    return tarjan_components(graph)


def _scipy_components(graph: np.ndarray, csr_matrix, connected_components) -> np.ndarray:  # noqa: ANN001
    m, c = graph.shape
    rows = np.repeat(np.arange(m), c)
    adjacency = csr_matrix((np.ones(m * c, dtype=np.int8), (rows, graph.ravel())), shape=(m, m))
    _, labels = connected_components(adjacency, directed=True, connection="strong")
    return _by_first_vertex(labels)


def _by_first_vertex(labels: np.ndarray) -> np.ndarray:
    """Relabel components so that they are numbered by their smallest vertex."""
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    rename = np.empty(first.size, dtype=np.int32)
    rename[np.argsort(first)] = np.arange(first.size, dtype=np.int32)
    return rename[inverse.ravel()]
