"""What the state-tracking theorems need to know about a language: :class:`TrackingFacts`.

Grazzi et al. 2025 (ICLR; arXiv:2411.12537v5) state their negative results on
the unary languages ``(1^m)*`` (Thm 1: parity, ``m = 2``; Thm 2: counting
modulo ``m``, ``m`` not a power of two) and their positive ones on automata
whose transition monoid is a group (Thm 3: one layer of products of ``k - 1``
generalized Householder matrices) or on any automaton (Thm 4: repeated
products, up to ``2^|Q|`` layers). To apply them to a language we need:

- a **counting witness**: a word ``u`` and a letter ``a`` such that
  ``{k : u a^k in L}`` is ``{k : k = 0 mod p}`` (or its complement). A linear
  RNN of the papers' form (their eq. 1) that recognizes ``L`` at every length
  is, restarted from its states after ``u``, one of the same form that
  recognizes ``(a^p)*`` (or its complement: negate the decoder), so Thm 1
  (``p = 2``) and Thm 2 (``p`` not a power of two) apply to it;
- whether the syntactic monoid is a group (every letter permutes the states
  of the minimal DFA), and then how many Householder reflections a letter
  needs: a permutation of ``n`` points with ``c`` cycles is a product of
  ``n - c`` swaps, each a reflection (Grazzi et al., Thm 3 and its proof), in
  the smallest faithful permutation action we find; a cyclic group needs two
  (a rotation of the plane, Thm 3), ``Z2`` one (the scalar -1, Thm 3).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

from ..automata.dfa import DFA

__all__ = ["CountingWitness", "TrackingFacts", "tracking_facts", "SO3_GROUPS"]

#: Finite groups with a faithful rotation representation in R^3 (cyclic,
#: dihedral, tetrahedral, octahedral, icosahedral): every element is then a
#: product of at most two reflections (Cartan-Dieudonné).
SO3_GROUPS = ("V4", "S3", "A4", "S4", "A5")

#: Groups up to this order get the search over 1- and 2-generated subgroups
#: for a smaller faithful permutation action; larger ones use the DFA's own.
_COSET_SEARCH_MAX = 120


@dataclass(frozen=True, kw_only=True)
class CountingWitness:
    """After ``prefix``, ``letter^k`` is accepted iff ``k = 0 mod period``
    (``complemented``: iff ``k != 0 mod period``)."""

    prefix: tuple[str, ...]
    letter: str
    period: int
    complemented: bool = False

    def describe(self) -> str:
        u = " ".join(self.prefix) if self.prefix else "the empty word"
        verb = "rejected" if self.complemented else "accepted"
        return f"after {u}, {self.letter}^k is {verb} iff k = 0 mod {self.period}"

    def to_dict(self) -> dict[str, Any]:
        return {"prefix": list(self.prefix), "letter": self.letter, "period": self.period,
                "complemented": self.complemented}


@dataclass(frozen=True, kw_only=True)
class TrackingFacts:
    """Facts about a minimal DFA that decide which state-tracking theorems apply.

    Attributes
    ----------
    n_states
        States of the minimal DFA (``|Q|`` in Grazzi et al.'s Thm 4).
    is_group
        Every letter permutes the states: the syntactic monoid is a group.
    group, group_order
        Its name and order (when ``is_group``).
    householders
        When ``is_group``: reflections per letter that suffice for one layer
        (see the module docstring); ``householder_basis`` says which
        construction gives it.
    degree
        The number of points of the permutation action used (None for the
        cyclic and rotation constructions).
    permutation_householders, permutation_degree
        The bound of Grazzi et al.'s Thm 3 itself: the worst letter's
        ``n - cycles`` in the smallest faithful permutation action found.
    witnesses
        One :class:`CountingWitness` per period found, shortest prefix first.
    """

    n_states: int
    is_group: bool
    group: str | None = None
    group_order: int | None = None
    householders: int | None = None
    householder_basis: str = ""
    degree: int | None = None
    permutation_householders: int | None = None
    permutation_degree: int | None = None
    witnesses: tuple[CountingWitness, ...] = ()

    @property
    def periods(self) -> tuple[int, ...]:
        return tuple(sorted({w.period for w in self.witnesses}))

    def witness(self, period: int | None = None, *, power_of_two: bool | None = None) -> CountingWitness | None:
        """The first witness with this period, or whose period is (not) a power of two."""
        for w in self.witnesses:
            if period is not None and w.period != period:
                continue
            if power_of_two is not None and _is_power_of_two(w.period) != power_of_two:
                continue
            return w
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"n_states": self.n_states, "is_group": self.is_group, "group": self.group,
                "group_order": self.group_order, "householders": self.householders,
                "householder_basis": self.householder_basis, "degree": self.degree,
                "permutation_householders": self.permutation_householders,
                "permutation_degree": self.permutation_degree,
                "witnesses": [w.to_dict() for w in self.witnesses]}


def _is_power_of_two(n: int) -> bool:
    return n >= 1 and n & (n - 1) == 0


def _access_tree(d: DFA) -> tuple[list[int], list[int], list[int]]:
    """BFS from the start: per state its parent, the letter from it and the
    depth (-1: unreachable). Words are read back only where needed: storing
    one per state would take O(n^2) memory on a long chain (D_n, n = 10^5)."""
    n = d.n_states
    parent, letter, depth = [-1] * n, [-1] * n, [-1] * n
    depth[d.start] = 0
    queue = deque([d.start])
    while queue:
        q = queue.popleft()
        for i, r in enumerate(d.transitions[q]):
            if depth[r] < 0:
                parent[r], letter[r], depth[r] = q, i, depth[q] + 1
                queue.append(r)
    return parent, letter, depth


def _word_to(q: int, parent: list[int], letter: list[int]) -> list[int]:
    out = []
    while parent[q] >= 0:
        out.append(letter[q])
        q = parent[q]
    return out[::-1]


def _minimal_period(bits: list[bool]) -> int:
    n = len(bits)
    for p in range(1, n + 1):
        if n % p == 0 and all(bits[j] == bits[j % p] for j in range(n)):
            return p
    return n


def _functional_graph(f: list[int]) -> tuple[list[int], list[int], list[int], list[list[int]]]:
    """For the map ``f`` on ``0..n-1``: per state its distance to its cycle,
    the cycle's id, the position where it enters the cycle; and the cycles. O(n)."""
    n = len(f)
    dist, cid, entry = [-1] * n, [-1] * n, [-1] * n
    cycles: list[list[int]] = []
    state = [0] * n  # 0 new, 1 on the current walk, 2 done
    for q0 in range(n):
        if state[q0]:
            continue
        walk, q = [], q0
        while state[q] == 0:
            state[q] = 1
            walk.append(q)
            q = f[q]
        if state[q] == 1:  # a new cycle: the tail of the walk from q
            start = walk.index(q)
            cycle = walk[start:]
            for i, r in enumerate(cycle):
                dist[r], cid[r], entry[r], state[r] = 0, len(cycles), i, 2
            cycles.append(cycle)
            walk = walk[:start]
        for r in reversed(walk):
            nxt = f[r]
            dist[r], cid[r], entry[r] = dist[nxt] + 1, cid[nxt], entry[nxt]
        for r in walk:
            state[r] = 2
    return dist, cid, entry, cycles


def counting_witnesses(d: DFA) -> tuple[CountingWitness, ...]:
    """One :class:`CountingWitness` per period ``p >= 2``, with a short prefix. O(|Q| |A|)."""
    parent, via, depth = _access_tree(d)
    order = sorted((q for q in range(d.n_states) if depth[q] >= 0), key=lambda q: depth[q])
    best: dict[int, tuple[int, int, int, str, bool]] = {}  # period -> (prefix length, state, shift, letter, compl.)
    for i, letter in enumerate(d.alphabet):
        dist, cid, entry, cycles = _functional_graph([row[i] for row in d.transitions])
        shape = []  # per cycle: (period, odd position, complemented) or None
        for cycle in cycles:
            bits = [s in d.accepting for s in cycle[:64 * 1024]] if len(cycle) <= 64 * 1024 else []
            p = _minimal_period(bits) if bits else 0
            ones = sum(bits[:p])
            if p < 2 or ones not in (1, p - 1):
                shape.append(None)
                continue
            complemented = ones == p - 1
            shape.append((p, bits[:p].index(not complemented), complemented))
        for q in order:
            sh = shape[cid[q]]
            if sh is None:
                continue
            p, odd, complemented = sh
            if p in best and best[p][0] <= depth[q]:
                continue
            shift = dist[q] + (odd - entry[q]) % p  # u a^shift sits on the odd residue
            if p not in best or depth[q] + shift < best[p][0]:
                best[p] = (depth[q] + shift, q, shift, letter, complemented)
    found = []
    for p, (_, q, shift, letter, complemented) in best.items():
        prefix = tuple(d.alphabet[j] for j in _word_to(q, parent, via)) + (letter,) * shift
        found.append(CountingWitness(prefix=prefix, letter=letter, period=p, complemented=complemented))
    return tuple(sorted(found, key=lambda w: (len(w.prefix), w.period)))


# ------------------------------------------------------------------ groups
Perm = tuple[int, ...]


def _compose(a: Perm, b: Perm) -> Perm:
    """``a`` then ``b``."""
    return tuple(b[x] for x in a)


def _cycles(p: Perm) -> int:
    seen = [False] * len(p)
    c = 0
    for i in range(len(p)):
        if not seen[i]:
            c += 1
            j = i
            while not seen[j]:
                seen[j] = True
                j = p[j]
    return c


def _closure(gens: list[Perm], limit: int) -> list[Perm] | None:
    identity = tuple(range(len(gens[0])))
    elements = {identity: 0}
    queue = deque([identity])
    while queue:
        g = queue.popleft()
        for s in gens:
            h = _compose(g, s)
            if h not in elements:
                if len(elements) >= limit:
                    return None
                elements[h] = len(elements)
                queue.append(h)
    return list(elements)


def _multiplication_table(group: list[Perm]) -> list[list[int]]:
    """``mul[a][b]``: the index of ``a`` then ``b`` (one numpy gather, rows
    looked up by their bytes; the readable form is ``index[_compose(a, b)]``)."""
    import numpy as np

    arr = np.asarray(group, dtype=np.int32)  # (n, degree)
    n = len(group)
    index = {row.tobytes(): i for i, row in enumerate(arr)}
    table = []
    for a in range(n):
        rows = arr[:, arr[a]]  # (n, degree): row b is b[a[x]], i.e. a then b
        table.append([index[r.tobytes()] for r in rows])
    return table


def _coset_bound(group: list[Perm], letters: list[Perm]) -> tuple[int, int]:
    """``(reflections, degree)``: the smallest worst-letter ``n - cycles`` over
    faithful actions on the cosets of 1- and 2-generated subgroups."""
    index = {g: i for i, g in enumerate(group)}
    mul = _multiplication_table(group)
    n = len(group)
    letter_ids = [index[x] for x in letters]
    best = (max(len(x) - _cycles(x) for x in letters), len(letters[0]))
    seen: set[frozenset[int]] = set()
    for a in range(n):
        cyclic = {0}
        x = a
        while x not in cyclic:
            cyclic.add(x)
            x = mul[x][a]
        for b in range(a, n):
            if b != a and b in cyclic:
                continue  # <a, b> = <a>, met at b = a
            sub = {0}
            frontier = [0]
            while frontier:
                nxt = []
                for x in frontier:
                    for s in (a, b):
                        y = mul[x][s]
                        if y not in sub:
                            sub.add(y)
                            nxt.append(y)
                frontier = nxt
            key = frozenset(sub)
            if key in seen or len(sub) == 1:
                continue
            seen.add(key)
            cosets: dict[frozenset[int], int] = {}
            coset_of = [0] * n
            for g in range(n):  # right cosets H g
                c = frozenset(mul[h][g] for h in sub)
                coset_of[g] = cosets.setdefault(c, len(cosets))
            reps = {c: min(c) for c in cosets}
            rep_list = [reps[c] for c in sorted(cosets, key=cosets.get)]
            # the action of g on cosets: H x -> H x g; faithful iff only the identity fixes all
            def action(g: int) -> Perm:
                return tuple(coset_of[mul[x][g]] for x in rep_list)
            if any(all(coset_of[mul[x][g]] == i for i, x in enumerate(rep_list)) for g in range(1, n)):
                continue  # not faithful: the subgroup contains a normal subgroup
            cost = max(len(rep_list) - _cycles(action(i)) for i in letter_ids)
            if (cost, len(rep_list)) < best:
                best = (cost, len(rep_list))
    return best


def tracking_facts(d: DFA, group_name: str | None = None, group_order: int | None = None) -> TrackingFacts:
    """The :class:`TrackingFacts` of a *minimal* DFA (``group_name`` and
    ``group_order`` from the classification, when the monoid is a group)."""
    witnesses = counting_witnesses(d)
    rows = d.transitions
    letters = [tuple(rows[q][i] for q in range(d.n_states)) for i in range(d.n_letters)]
    is_group = all(len(set(x)) == len(x) for x in letters)
    if not is_group:
        return TrackingFacts(n_states=d.n_states, is_group=False, witnesses=witnesses)
    nontrivial = [x for x in letters if x != tuple(range(d.n_states))]
    if not nontrivial:  # every letter is the identity: the trivial group
        return TrackingFacts(n_states=d.n_states, is_group=True, group="trivial", group_order=1, householders=0,
                             householder_basis="no letter moves a state", permutation_householders=0,
                             witnesses=witnesses)
    degree: int | None
    cost, degree = max(len(x) - _cycles(x) for x in nontrivial), d.n_states
    basis = f"permutations of the {d.n_states} states of the minimal DFA"
    if (group_order or 0) <= _COSET_SEARCH_MAX:
        group = _closure(nontrivial, limit=_COSET_SEARCH_MAX + 1)
        if group is not None:
            c, n = _coset_bound(group, nontrivial)
            if (c, n) < (cost, degree):
                cost, degree, basis = c, n, f"permutations of {n} points (cosets of a core-free subgroup)"
    perm_cost, perm_degree = cost, degree
    name = group_name
    if name == "Z2" and cost > 1:
        cost, degree, basis = 1, None, "the scalar -1 (Grazzi et al. 2025, Thm 3, m = 2)"
    elif name and name.startswith("Z") and name[1:].isdigit() and cost > 2:
        cost, degree, basis = 2, None, "rotations of the plane (Grazzi et al. 2025, Thm 3, cyclic case)"
    elif name and (name in SO3_GROUPS or name.startswith("Dih")) and cost > 2:
        cost, degree, basis = 2, None, ("rotations of R^3, each a product of two reflections (Cartan-Dieudonné), "
                                        "in place of the permutations of Grazzi et al.'s proof of Thm 3")
    return TrackingFacts(n_states=d.n_states, is_group=True, group=name, group_order=group_order,
                         householders=cost, householder_basis=basis, degree=degree,
                         permutation_householders=perm_cost, permutation_degree=perm_degree, witnesses=witnesses)
