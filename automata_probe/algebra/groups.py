"""Maximal subgroups of a monoid, up to isomorphism: :class:`GroupInfo`, and
permutation-group analysis (order, abelian, solvable by the derived series)
and naming (``Z3``, ``S3``, ``A5``, ``A4xZ5``, ...).

Groups arrive as permutations of the image of their idempotent
(:func:`analyse_group`); everything here is small, exact and pure Python.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any, Sequence

from ..errors import DFAError

__all__ = ["GroupFacts", "GroupInfo", "analyse_group"]


@dataclass(frozen=True, kw_only=True)
class GroupInfo:
    """A maximal subgroup ``H_e`` of the monoid, up to isomorphism.

    ``name`` is ``Z<n>`` (cyclic), ``V4`` (Klein four-group), ``Z<a>xZ<b>...``
    (other abelian groups, invariant factors), ``S3``, ``Dih<m>`` (dihedral of
    order ``2m``; ``Dih<m>`` avoids a clash with the Dyck languages ``D<n>``),
    ``Q8``, ``A4``, ``S4``, ``A5``, ``S5``, ``A5xZ2``, ``SL(2,5)``, ``GxZ<m>``
    (a direct product with a central cyclic factor of coprime order, e.g.
    ``A4xZ5``), or ``group of order <n>``.
    """

    order: int
    abelian: bool
    solvable: bool
    name: str
    count: int = 1
    identity_word: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.order < 1:
            raise DFAError(f"group order {self.order} is not positive")
        if self.count < 1:
            raise DFAError(f"group count {self.count} is not positive")
        object.__setattr__(self, "identity_word", tuple(self.identity_word))

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "order": self.order,
            "abelian": self.abelian,
            "solvable": self.solvable,
            "count": self.count,
            "identity_word": list(self.identity_word),
        }


#: A permutation of ``0..degree-1`` as the tuple of images.
Perm = tuple[int, ...]


def _pmul(a: Perm, b: Perm) -> Perm:
    """``a then b``."""
    return tuple(b[i] for i in a)


def _pinv(a: Perm) -> Perm:
    out = [0] * len(a)
    for i, j in enumerate(a):
        out[j] = i
    return tuple(out)


def _closure_of(gens: Sequence[Perm], degree: int) -> set[Perm]:
    identity = tuple(range(degree))
    group = {identity}
    frontier = [identity]
    while frontier:
        nxt = []
        for g in frontier:
            for s in gens:
                h = _pmul(g, s)
                if h not in group:
                    group.add(h)
                    nxt.append(h)
        frontier = nxt
    return group


def _generators(elements: Sequence[Perm], degree: int) -> tuple[list[Perm], set[Perm]]:
    """A small generating set (greedy: each new generator at least doubles the
    subgroup), and the generated group."""
    gens: list[Perm] = []
    group = {tuple(range(degree))}
    for g in sorted(elements):
        if g not in group:
            gens.append(g)
            group = _closure_of(gens, degree)
    return gens, group


def _normal_closure(gens: list[Perm], of: list[Perm], degree: int) -> tuple[list[Perm], set[Perm]]:
    """The smallest subgroup holding ``gens`` and normalized by ``of``."""
    gens = list(gens)
    group = _closure_of(gens, degree)
    changed = True
    while changed:
        changed = False
        for g in of:
            gi = _pinv(g)
            for h in list(gens):
                c = _pmul(_pmul(gi, h), g)
                if c not in group:
                    gens.append(c)
                    group = _closure_of(gens, degree)
                    changed = True
    return gens, group


def _derived(gens: list[Perm], degree: int) -> tuple[list[Perm], set[Perm]]:
    """Generators and elements of the commutator subgroup ``[G, G]``."""
    comms = []
    identity = tuple(range(degree))
    for i, a in enumerate(gens):
        for b in gens[i + 1 :]:
            c = _pmul(_pmul(_pmul(_pinv(a), _pinv(b)), a), b)
            if c != identity:
                comms.append(c)
    if not comms:
        return [], {identity}
    return _normal_closure(comms, gens, degree)


def _order_of(g: Perm) -> int:
    seen = [False] * len(g)
    order = 1
    for s in range(len(g)):
        if seen[s]:
            continue
        length = 0
        q = s
        while not seen[q]:
            seen[q] = True
            q = g[q]
            length += 1
        order = order * length // math.gcd(order, length)
    return order


def _abelian_invariants(order_counts: Counter, n: int) -> list[int]:
    """Invariant factors of an abelian group of order ``n`` from its element orders.

    For a prime ``p`` with p-part ``Z_(p^e1) x ... x Z_(p^er)``, the number of
    elements with ``x^(p^j) = 1`` is ``p^(sum_i min(j, e_i))``; successive
    ratios give ``#{i : e_i >= j}``.
    """
    primes = [p for p in range(2, n + 1) if n % p == 0 and all(p % d for d in range(2, math.isqrt(p) + 1))]
    per_prime: dict[int, list[int]] = {}
    for p in primes:
        def log_count(j: int) -> int:
            c = sum(cnt for o, cnt in order_counts.items() if p**j % o == 0)
            return round(math.log(c, p)) if c > 1 else 0

        at_least = []  # at_least[j-1] = #{i : e_i >= j}
        j = 1
        while True:
            a = log_count(j) - log_count(j - 1)
            if a == 0:
                break
            at_least.append(a)
            j += 1
        exps: list[int] = []
        for j, a in enumerate(at_least, start=1):
            nxt = at_least[j] if j < len(at_least) else 0
            exps.extend([j] * (a - nxt))
        per_prime[p] = sorted(exps, reverse=True)
    width = max((len(v) for v in per_prime.values()), default=0)
    factors = []
    for i in range(width):
        d = 1
        for p, exps in per_prime.items():
            if i < len(exps):
                d *= p ** exps[i]
        factors.append(d)
    return sorted(factors)


def _dihedral_counts(m: int) -> Counter:
    c: Counter = Counter()
    for i in range(m):
        c[m // math.gcd(i, m)] += 1
    c[2] += m
    return c


_NAMED = {
    # (order, sorted element-order histogram) -> name, for non-abelian groups
    (8, ((1, 1), (2, 1), (4, 6))): "Q8",
    (12, ((1, 1), (2, 3), (3, 8))): "A4",
    (12, ((1, 1), (2, 1), (3, 2), (4, 6), (6, 2))): "Dic3",
    (24, ((1, 1), (2, 9), (3, 8), (4, 6))): "S4",
    (24, ((1, 1), (2, 1), (3, 8), (4, 6), (6, 8))): "SL(2,3)",
    (120, ((1, 1), (2, 25), (3, 20), (4, 30), (5, 24), (6, 20))): "S5",
}


@dataclass(frozen=True)
class GroupFacts:
    """What :func:`analyse_group` finds about one group."""

    order: int
    abelian: bool
    solvable: bool
    name: str


def analyse_group(elements: Sequence[Perm], degree: int) -> GroupFacts:
    """Order, abelian, solvable (derived series) and a name."""
    order = len(elements)
    gens, group = _generators(elements, degree)
    if len(group) != order:  # pragma: no cover - H_e is a group, so closed
        raise DFAError(f"subgroup of order {order} generates {len(group)} elements")
    abelian = all(_pmul(a, b) == _pmul(b, a) for i, a in enumerate(gens) for b in gens[i + 1 :])
    solvable = True
    cur_gens, cur = gens, group
    while len(cur) > 1:
        nxt_gens, nxt = _derived(cur_gens, degree)
        if len(nxt) == len(cur):
            solvable = False
            break
        cur_gens, cur = _generators(list(nxt), degree) if nxt_gens else ([], nxt)
    name = _name_group(list(group), gens, degree, abelian, solvable)
    return GroupFacts(order=order, abelian=abelian, solvable=solvable, name=name)


def _name_group(elements: list[Perm], gens: list[Perm], degree: int, abelian: bool, solvable: bool) -> str:
    n = len(elements)
    if n == 1:
        return "trivial"
    counts = Counter(_order_of(g) for g in elements)
    if abelian:
        inv = _abelian_invariants(counts, n)
        if inv == [2, 2]:
            return "V4"
        return "x".join(f"Z{d}" for d in inv)
    center = [z for z in elements if all(_pmul(z, g) == _pmul(g, z) for g in gens)]
    zc = len(center)
    if 1 < zc < n and math.gcd(zc, n // zc) == 1:
        q = n // zc
        identity = tuple(range(degree))
        k_part = [g for g in elements if _power(g, q) == identity]
        z_facts = _name_group(center, _generators(center, degree)[0], degree, True, True)
        if len(k_part) == q:
            k_gens = _generators(k_part, degree)[0]
            k_abelian = all(_pmul(a, b) == _pmul(b, a) for i, a in enumerate(k_gens) for b in k_gens[i + 1 :])
            return f"{_name_group(k_part, k_gens, degree, k_abelian, solvable)}x{z_facts}"
    hist = tuple(sorted(counts.items()))
    if n % 2 == 0 and n >= 6 and counts == _dihedral_counts(n // 2):
        return "S3" if n == 6 else f"Dih{n // 2}"
    if (n, hist) in _NAMED:
        return _NAMED[(n, hist)]
    if not solvable and n == 60:
        return "A5"  # the only non-solvable group of order 60
    if not solvable and n == 120 and zc == 2:
        return "SL(2,5)" if counts[2] == 1 else "A5xZ2"
    return f"group of order {n}"


def _power(g: Perm, e: int) -> Perm:
    result = tuple(range(len(g)))
    base = g
    while e:
        if e & 1:
            result = _pmul(result, base)
        base = _pmul(base, base)
        e >>= 1
    return result
