"""k-piecewise testability decided exactly, in time polynomial in the DFA for a fixed alphabet.

A language is k-PT iff it is a union of classes of Simon's congruence ~_k
(same subwords of length at most k). Two facts make this a reachability
question on the DFA instead of a search over sets of subwords:

- if u ~_k v, some w has both u and v as subwords and w ~_k u (Simon 1975);
  going from u to w one inserted letter at a time stays in the class, so the
  language is k-PT iff no single insertion ``xy -> xay`` with ``xay ~_k xy``
  changes membership;
- ``xay ~_k xy`` iff ``xa ~_p x`` and ``ay ~_q y`` for some ``p + q >= k``,
  and ``xa ~_p x`` iff ``x = x_0 x_1 ... x_p`` with
  ``a in alph(x_p) ⊆ alph(x_(p-1)) ⊆ ... ⊆ alph(x_1)`` (mirror for y:
  ``y = y_1 ... y_q y'`` with ``a in alph(y_1) ⊆ ... ⊆ alph(y_q)``)
  (Simon 1975; Lothaire, Combinatorics on Words, ch. 6).

So for each letter ``a`` and split ``p + q = k`` the search runs the DFA
on x alongside an automaton that guesses the blocks of x (block index and
two letter sets), then runs two copies of the DFA (after ``xa`` and after
``x``) on y alongside the automaton for y's blocks, looking for a pair that
one copy accepts and the other rejects. The nodes are
``states x (k + 1) x 3^|alphabet|`` for x and ``states^2 x ...`` for y; past
``budget`` nodes the answer is None and the caller falls back to the search
over subword sets (:func:`.testability.check_parameter`). A witness
``xay`` / ``xy`` is re-checked by definition. Tests tie the two methods on
random DFAs and check the lemma on all short words.
"""

from __future__ import annotations

from collections import deque

from ..automata.dfa import DFA

__all__ = ["piecewise_by_insertion"]

Node = tuple


def piecewise_by_insertion(
    dfa: DFA, k: int, *, budget: int = 200_000, spent: list[int] | None = None
) -> tuple[bool | None, tuple[tuple[int, ...], tuple[int, ...]] | None]:
    """Whether the language of ``dfa`` is k-piecewise testable, exactly.

    Returns ``(True, None)``, ``(False, (u, v))`` with ``u ~_k v`` (letter
    indices; ``u = xay``, ``v = xy``) and different membership, or
    ``(None, None)`` when more than ``budget`` nodes would be explored. The
    nodes explored are appended to ``spent`` when given.
    """
    used = [0]
    try:
        for a in range(dfa.n_letters):
            for p in range(k, -1, -1):
                found = _split(dfa, a, p, k - p, budget, used)
                if found is None:
                    return None, None
                if found:
                    x, y = found
                    return False, (x + (a,) + y, x + y)
        return True, None
    finally:
        if spent is not None:
            spent.append(used[0])


def _split(dfa: DFA, a: int, p: int, q: int, budget: int, used: list[int]):  # -> () | (x, y) | None
    """A pair (x, y) with ``xa ~_p x``, ``ay ~_q y`` and ``xay``, ``xy`` apart; () if none; None past the budget."""
    ends = _x_ends(dfa, a, p, budget, used)
    if ends is None:
        return None
    return _y_search(dfa, a, q, ends, budget, used)


def _x_ends(dfa: DFA, a: int, p: int, budget: int, used: list[int]) -> dict[int, tuple[int, ...]] | None:
    """For each DFA state, a word x reaching it with ``x = x_0 x_1 ... x_p``,
    ``a in alph(x_p) ⊆ ... ⊆ alph(x_1)``; None past the budget.

    Node ``(state, i, bound, cur)``: in block i (0 = the free prefix x_0),
    ``bound`` the letters block i may use (alph of block i - 1; all letters
    for block 1), ``cur`` the letters block i has used so far.
    """
    full = (1 << dfa.n_letters) - 1
    start: Node = (dfa.start, 0, full, 0)
    parent: dict[Node, tuple[Node, int] | None] = {start: None}
    queue = deque([start])
    ends: dict[int, tuple[int, ...]] = {}
    while queue:
        node = queue.popleft()
        s, i, bound, cur = node
        if i == p and (p == 0 or cur >> a & 1) and s not in ends:
            ends[s] = _word(node, parent)
        for c in range(dfa.n_letters):
            t, bit = dfa.transitions[s][c], 1 << c
            nxt = []
            if i == 0:
                nxt.append((t, 0, full, 0))
            elif bound & bit:
                nxt.append((t, i, bound, cur | bit))
            if i < p and (i == 0 or cur) and (cur if i else full) & bit:
                nxt.append((t, i + 1, cur if i else full, bit))
            for n in nxt:
                if n not in parent:
                    parent[n] = (node, c)
                    queue.append(n)
                    used[0] += 1
                    if used[0] > budget:
                        return None
    return ends


def _y_search(dfa: DFA, a: int, q: int, ends: dict[int, tuple[int, ...]], budget: int, used: list[int]):
    """A y with ``y = y_1 ... y_q y'``, ``a in alph(y_1) ⊆ ... ⊆ alph(y_q)``, taking some
    ``(s . a, s)`` (s in ``ends``) to an accepting and a rejecting state.

    Node ``(t1, t2, i, low, cur)``: in block i (q + 1 = the free suffix y'),
    ``low`` the letters block i must contain (alph of block i - 1; ``{a}``
    for block 1), ``cur`` the letters it has so far.
    """
    acc = dfa.accepting
    parent: dict[Node, tuple[Node, int] | None] = {}
    roots: dict[Node, int] = {}
    queue: deque[Node] = deque()
    a_bit = 1 << a
    for s in ends:
        node = (dfa.transitions[s][a], s, 1, a_bit if q else 0, 0)  # q = 0: phase 1 is the free suffix
        if node not in parent:
            parent[node], roots[node] = None, s
            queue.append(node)
    while queue:
        node = queue.popleft()
        t1, t2, i, low, cur = node
        done = i == q + 1 or (i == q and cur and low & ~cur == 0)
        if done and (t1 in acc) != (t2 in acc):
            y, root = _word(node, parent, with_root=True)
            return ends[roots[root]], y
        for c in range(dfa.n_letters):
            bit = 1 << c
            r1, r2 = dfa.transitions[t1][c], dfa.transitions[t2][c]
            nxt = [(r1, r2, i, low, cur | bit) if i <= q else (r1, r2, i, 0, 0)]
            if i <= q and cur and low & ~cur == 0:  # block i is complete: the letter opens the next
                nxt.append((r1, r2, i + 1, cur, bit) if i < q else (r1, r2, i + 1, 0, 0))
            for n in nxt:
                if n not in parent:
                    parent[n] = (node, c)
                    queue.append(n)
                    used[0] += 1
                    if used[0] > budget:
                        return None
    return ()


def _word(node: Node, parent: dict, *, with_root: bool = False):  # -> word, or (word, root)
    """The letters on the parent chain to ``node`` (and the chain's first node)."""
    out = []
    while parent[node] is not None:
        node, c = parent[node]
        out.append(c)
    word = tuple(reversed(out))
    return (word, node) if with_root else word
