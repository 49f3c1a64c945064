"""Krohn-Rhodes: the holonomy decomposition of a minimal DFA, and an exact
check that its cascade product emulates the DFA.

The construction follows Eilenberg (1976, vol. B, ch. II) and Zeiger (1967),
as SgpDec computes it (Egri-Nagy & Nehaniv 2015, "Computational holonomy
decomposition of transformation semigroups"):

- the *extended image set* ``X``: the images ``Q.s`` of the state set under
  the transition monoid, and every singleton;
- *tiles* of ``A`` in ``X``: the maximal elements of ``X`` properly inside ``A``;
- *subduction*: ``A <= B`` iff ``A`` lies inside some ``B.s``; sets that
  subduce each other are equivalent (for images: the strong components of
  the orbit graph); each class gets a representative ``R``;
- the *height* of a class: the longest chain of strictly smaller classes
  down to a singleton (singletons have height 0); the decomposition has
  ``h(Q)`` levels, level 1 on top;
- the *holonomy group* of a class: the permutations of ``R``'s tiles induced
  by the monoid elements that map ``R`` onto itself.

Level ``d`` is a permutation-reset automaton on the tiles of the
representatives of depth ``d`` (one slot per class) plus a "don't care"
state ``*``: its letters are the holonomy groups' permutations and all
constant maps. A state ``q`` is coded by a chain of tiles from ``Q`` down to
``{q}``: at the depth of each set of the chain, the tile chosen below it,
carried to the representative; skipped levels read ``*``.

A letter acts on a coded chain level by level, each level reading only the
levels above it (a cascade): map the chain by the letter, take the tile
chain that dominates the image, and at each level either permute (the set at
that level is carried onto the new one) or reset (to the new chain's tile).
:meth:`Holonomy.verify` builds that cascade from its components and checks,
on every coded chain of every state, that decoding commutes with every
letter: a surjective morphism from a sub-automaton of the cascade onto the
DFA, checked on the product, not sampled.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ..automata.dfa import DFA
from ..errors import DFAError, MonoidTooLargeError
from .groups import GroupInfo, analyse_group
from .monoid import transition_monoid
from .products import tarjan_components

__all__ = ["EmulationCheck", "Holonomy", "HolonomyComponent", "HolonomyLevel", "holonomy"]

#: Most images of the state set the decomposition explores (there can be 2^n).
MAX_SETS = 100_000
#: Most tile chains :meth:`Holonomy.verify` checks one by one (there can be 2^levels: D_n has 2^(n+1);
#: 16,384 take about 2.5 s of CPU).
MAX_CHAINS = 50_000

Set = frozenset  # a set of states of the minimal DFA
STAR = -1  # the "don't care" coordinate


@dataclass(frozen=True, kw_only=True)
class HolonomyComponent:
    """One slot of a level: a class of equivalent sets, its representative and tiles.

    The slot acts as a permutation-reset automaton on ``len(tiles)`` states:
    the holonomy ``group`` permutes the tiles, and any letter that does not
    carry the set onto itself resets to a tile. ``reset`` says the group is
    trivial (a pure reset automaton; with two tiles, a flip-flop).
    """

    level: int
    representative: tuple[int, ...]
    tiles: tuple[tuple[int, ...], ...]
    group: GroupInfo
    class_size: int

    @property
    def states(self) -> int:
        return len(self.tiles)

    @property
    def reset(self) -> bool:
        return self.group.order == 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "representative": list(self.representative),
            "tiles": [list(t) for t in self.tiles],
            "group": self.group.to_dict(),
            "reset": self.reset,
            "equivalent_sets": self.class_size,
        }


@dataclass(frozen=True, kw_only=True)
class HolonomyLevel:
    """One level of the cascade: its slots (components side by side)."""

    level: int
    components: tuple[HolonomyComponent, ...]

    @property
    def states(self) -> int:
        """The level's states: every slot's tiles, plus ``*``."""
        return sum(c.states for c in self.components) + 1

    @property
    def reset(self) -> bool:
        return all(c.reset for c in self.components)

    def to_dict(self) -> dict[str, Any]:
        return {"level": self.level, "states": self.states, "components": [c.to_dict() for c in self.components]}


@dataclass(frozen=True, kw_only=True)
class EmulationCheck:
    """The outcome of :meth:`Holonomy.verify`.

    ``chains`` coded states were checked against every letter; ``reachable``
    cascade states are reached from the code of the start state; ``ok`` says
    every transition commutes with decoding, the coded states are closed
    under the letters and decoding reaches every DFA state. ``skipped`` says
    why nothing was checked (more tile chains than allowed); ``ok`` is then
    False.
    """

    ok: bool
    chains: int
    transitions: int
    reachable: int
    surjective: bool
    closed: bool
    groups_ok: bool
    failures: tuple[str, ...] = ()
    skipped: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("ok", "chains", "transitions", "reachable", "surjective", "closed",
                                               "groups_ok", "skipped")} | {"failures": list(self.failures)}


@dataclass(frozen=True, kw_only=True, eq=False)
class Holonomy:
    """The holonomy decomposition of a minimal DFA (see the module docstring).

    Attributes
    ----------
    dfa
        The minimal DFA decomposed.
    levels
        Level 1 (top) first. Empty for a one-state DFA.
    """

    dfa: DFA
    levels: tuple[HolonomyLevel, ...]
    _sk: "_Skeleton" = field(repr=False)

    @property
    def n_levels(self) -> int:
        return len(self.levels)

    @property
    def reset_only(self) -> bool:
        """Whether every component is a reset automaton (every holonomy group trivial)."""
        return all(lv.reset for lv in self.levels)

    # --------------------------------------------------------- coordinates
    def encode(self, q: int) -> tuple[int, ...]:
        """A code of state ``q``: the tile chain choosing the first tile that holds ``q``."""
        return self._sk.encode(self._sk.chain_to(q))

    def decode(self, coords: Sequence[int]) -> int:
        """The state a code stands for (:class:`DFAError` for a malformed code)."""
        return self._sk.decode(tuple(coords))

    def action(self, level: int, letter: int, prefix: Sequence[int]) -> tuple[str, Any]:
        """The component action at ``level`` (1-based) for ``letter`` given the
        coordinates ``prefix`` of the levels above: ``("perm", {old: new})`` or
        ``("const", value)`` (``-1`` is ``*``)."""
        if len(prefix) != level - 1:
            raise DFAError(f"level {level} reads the {level - 1} levels above it, got {len(prefix)}")
        return self._sk.dependency(level, letter, tuple(prefix))

    def step(self, coords: Sequence[int], letter: int) -> tuple[int, ...]:
        """The cascade's transition: each level's component action applied to its coordinate."""
        coords = tuple(coords)
        dependency = self._sk.dependency
        out = []
        for d in range(1, self.n_levels + 1):
            kind, value = dependency(d, letter, coords[: d - 1])
            if kind == "const":
                out.append(value)
            elif coords[d - 1] in value:
                out.append(value[coords[d - 1]])
            else:
                raise DFAError(f"level {d}: the permutation does not act on coordinate {coords[d - 1]}")
        return tuple(out)

    def verify(self, *, max_chains: int = MAX_CHAINS) -> EmulationCheck:
        """Check exactly that the cascade emulates the DFA (see the module docstring); with more
        than ``max_chains`` coded states, check nothing and say so (``EmulationCheck.skipped``)."""
        return _verify(self, max_chains)

    @property
    def n_chains(self) -> int:
        """The number of tile chains (coded states) :meth:`verify` checks, counted without listing them."""
        return self._sk.count_chains()

    def to_dict(self) -> dict[str, Any]:
        return {
            "levels": [lv.to_dict() for lv in self.levels],
            "n_levels": self.n_levels,
            "reset_only": self.reset_only,
            "states": self.dfa.n_states,
        }


def holonomy(dfa: DFA, *, max_sets: int = MAX_SETS) -> Holonomy:
    """The holonomy decomposition of the minimal DFA of ``dfa``'s language.

    Raises
    ------
    MonoidTooLargeError
        When the state set has more than ``max_sets`` images.
    """
    d = dfa.minimize()
    sk = _Skeleton(d, max_sets)
    levels = tuple(
        HolonomyLevel(level=lv, components=tuple(sk.component(c) for c in sk.classes_at(lv)))
        for lv in range(1, sk.n_levels + 1)
    )
    return Holonomy(dfa=d, levels=levels, _sk=sk)


# ------------------------------------------------------------------ skeleton
class _Skeleton:
    """Images, tiles, classes, heights and the maps to and from representatives."""

    def __init__(self, d: DFA, max_sets: int):
        self.d = d
        n = d.n_states
        self.top: Set = frozenset(range(n))
        self.gens = [tuple(d.transitions[q][a] for q in range(n)) for a in range(d.n_letters)]
        self._images: dict[tuple[Set, int], Set] = {}
        self._children: dict[tuple[Set, int], Set] = {}
        self.orbit, self.words = self._orbit(max_sets)
        self.sets: list[Set] = list(self.orbit) + [frozenset({q}) for q in range(n) if frozenset({q}) not in self.words]
        self.tiles: dict[Set, tuple[Set, ...]] = {A: self._tiles_of(A) for A in self.sets if len(A) > 1}
        self._classes()
        self._heights()
        self._slots()
        self.cache: dict[tuple[int, int, tuple[int, ...]], tuple[str, Any]] = {}
        self._perm_cache: dict[int, set[tuple[int, ...]]] = {}

    # the orbit of Q, in BFS order, with a word for each image
    def _orbit(self, max_sets: int) -> tuple[list[Set], dict[Set, tuple[int, ...]]]:
        words: dict[Set, tuple[int, ...]] = {self.top: ()}
        order = [self.top]
        for A in order:  # grows while iterated
            for a, g in enumerate(self.gens):
                B = frozenset(g[q] for q in A)
                if B not in words:
                    words[B] = words[A] + (a,)
                    order.append(B)
                    if len(order) > max_sets:
                        raise MonoidTooLargeError(
                            f"the state set has more than {max_sets:,} images; the holonomy decomposition "
                            "is not computed (raise max_sets)"
                        )
        return order, words

    def image(self, A: Set, a: int) -> Set:
        key = (A, a)
        out = self._images.get(key)
        if out is None:
            g = self.gens[a]
            out = self._images[key] = frozenset(g[q] for q in A)
        return out

    def _tiles_of(self, A: Set) -> tuple[Set, ...]:
        inside = [B for B in self.sets if B < A]
        maximal = [B for B in inside if not any(B < C for C in inside)]
        return tuple(sorted(maximal, key=lambda B: (-len(B), sorted(B))))

    def _classes(self) -> None:
        """Equivalence classes of images: strong components of the orbit graph."""
        index = {A: i for i, A in enumerate(self.orbit)}
        graph = [[index[self.image(A, a)] for a in range(len(self.gens))] for A in self.orbit]
        labels = tarjan_components(graph).tolist() if graph and graph[0] else list(range(len(self.orbit)))
        self.class_of: dict[Set, int] = {A: labels[i] for i, A in enumerate(self.orbit)}
        nxt = max(labels, default=-1) + 1
        for A in self.sets:
            if A not in self.class_of:
                self.class_of[A] = nxt
                nxt += 1
        self.members: dict[int, list[Set]] = {}
        for A in self.sets:
            self.members.setdefault(self.class_of[A], []).append(A)
        # the representative: the class's first set in BFS order; bijections to and from it
        self.rep: dict[int, Set] = {c: ms[0] for c, ms in self.members.items()}
        self.from_rep: dict[Set, dict[int, int]] = {}
        self.to_rep: dict[Set, dict[int, int]] = {}
        for c, ms in self.members.items():
            R = self.rep[c]
            if len(R) == 1:
                continue
            for A, w in self._words_within(R, set(ms)).items():
                fwd = {q: self._run(q, w) for q in R}  # R -> A, a bijection
                if frozenset(fwd.values()) != A:  # pragma: no cover - internal invariant
                    raise DFAError("internal error: a word inside a class does not carry the representative")
                self.from_rep[A] = fwd
                self.to_rep[A] = {v: k for k, v in fwd.items()}

    def _words_within(self, R: Set, members: set[Set]) -> dict[Set, tuple[int, ...]]:
        words = {R: ()}
        queue = deque([R])
        while queue:
            A = queue.popleft()
            for a in range(len(self.gens)):
                B = self.image(A, a)
                if B in members and B not in words:
                    words[B] = words[A] + (a,)
                    queue.append(B)
        return words

    def _run(self, q: int, w: Sequence[int]) -> int:
        for a in w:
            q = self.gens[a][q]
        return q

    def _heights(self) -> None:
        succ: dict[int, set[int]] = {c: set() for c in self.members}
        for A in self.sets:
            if len(A) == 1:
                continue
            c = self.class_of[A]
            for a in range(len(self.gens)):
                succ[c].add(self.class_of[self.image(A, a)])
            for T in self.tiles[A]:
                succ[c].add(self.class_of[T])
            succ[c].discard(c)
        height: dict[int, int] = {}

        def h(c: int) -> int:
            if c in height:
                return height[c]
            if len(self.rep[c]) == 1:
                height[c] = 0
            else:
                height[c] = 1 + max(h(s) for s in succ[c])
            return height[c]

        for c in sorted(self.members):
            h(c)
        self.height = height
        self.n_levels = height[self.class_of[self.top]]
        self.depth_of = {A: self.n_levels - height[self.class_of[A]] + 1 for A in self.sets}

    def depth(self, A: Set) -> int:
        """Level of the set (1 = top); singletons sit below the last level."""
        return self.depth_of[A]

    def classes_at(self, level: int) -> list[int]:
        cs = [c for c in self.members if len(self.rep[c]) > 1 and self.n_levels - self.height[c] + 1 == level]
        return sorted(cs, key=lambda c: self.orbit.index(self.rep[c]) if self.rep[c] in self.words else len(self.orbit))

    def _slots(self) -> None:
        """Each level's coordinate values: the tiles of its classes' representatives, slot after slot."""
        self.offset: dict[int, int] = {}
        self.tile_index: dict[int, dict[Set, int]] = {}
        self.level_tiles: dict[int, list[tuple[int, Set]]] = {}
        for lv in range(1, self.n_levels + 1):
            values: list[tuple[int, Set]] = []
            for c in self.classes_at(lv):
                self.offset[c] = len(values)
                tiles = self.tiles[self.rep[c]]
                self.tile_index[c] = {T: i for i, T in enumerate(tiles)}
                values.extend((c, T) for T in tiles)
            self.level_tiles[lv] = values

    # ------------------------------------------------------------- groups
    def component(self, c: int) -> HolonomyComponent:
        R = self.rep[c]
        tiles = self.tiles[R]
        perms = self.group_perms(c)
        facts = analyse_group(sorted(perms), len(tiles))
        group = GroupInfo(order=facts.order, abelian=facts.abelian, solvable=facts.solvable, name=facts.name)
        return HolonomyComponent(
            level=self.depth(R), representative=tuple(sorted(R)), tiles=tuple(tuple(sorted(T)) for T in tiles),
            group=group, class_size=len(self.members[c]),
        )

    def group_perms(self, c: int) -> set[tuple[int, ...]]:
        """The holonomy group of class ``c``: permutations of its representative's
        tiles induced by the monoid elements mapping the representative onto itself."""
        if c in self._perm_cache:
            return self._perm_cache[c]
        if not hasattr(self, "_monoid_rows"):
            self._monoid_rows = transition_monoid(self.d, minimize=False).elements
        rows = self._monoid_rows
        R = self.rep[c]
        r = np.asarray(sorted(R))
        keep = (np.sort(rows[:, r], axis=1) == r).all(axis=1)
        index = self.tile_index[c]
        out = set()
        for row in rows[keep].tolist():
            out.add(tuple(index[frozenset(row[q] for q in T)] for T in self.tiles[R]))
        self._perm_cache[c] = out
        return out

    # ------------------------------------------------------------- chains
    def first_tile(self, A: Set, inside: Set) -> Set:
        """The first tile of ``A`` holding ``inside``."""
        return next(T for T in self.tiles[A] if inside <= T)

    def chain_to(self, q: int) -> list[Set]:
        chain = [self.top]
        target = frozenset({q})
        while chain[-1] != target:
            chain.append(self.first_tile(chain[-1], target))
        return chain

    def count_chains(self) -> int:
        """Tile chains from the top down to singletons, counted over the sets (no enumeration)."""
        memo: dict[Set, int] = {}
        order = sorted(self.tiles, key=len)  # tiles are strictly smaller: smallest sets first
        for A in order:
            memo[A] = sum(memo[T] if len(T) > 1 else 1 for T in self.tiles[A])
        return memo[self.top] if len(self.top) > 1 else 1

    def all_chains(self, limit: int) -> list[list[Set]]:
        out: list[list[Set]] = []
        stack = [[self.top]]
        while stack:
            chain = stack.pop()
            A = chain[-1]
            if len(A) == 1:
                out.append(chain)
                if len(out) > limit:
                    raise MonoidTooLargeError(f"more than {limit:,} tile chains")
                continue
            for T in reversed(self.tiles[A]):
                stack.append(chain + [T])
        return out

    def encode(self, chain: Sequence[Set]) -> tuple[int, ...]:
        coords = [STAR] * self.n_levels
        for A, T in zip(chain, chain[1:]):
            c = self.class_of[A]
            rep_tile = frozenset(self.to_rep[A][q] for q in T)
            coords[self.depth(A) - 1] = self.offset[c] + self.tile_index[c][rep_tile]
        return tuple(coords)

    def child(self, A: Set, value: int) -> Set:
        """The tile of ``A`` that coordinate ``value`` codes (at ``A``'s level)."""
        out = self._children.get((A, value))
        if out is None:
            out = self._children[(A, value)] = self._child(A, value)
        return out

    def _child(self, A: Set, value: int) -> Set:
        c = self.class_of[A]
        lv = self.depth(A)
        values = self.level_tiles[lv]
        if not 0 <= value < len(values) or values[value][0] != c:
            raise DFAError(f"coordinate {value} at level {lv} is not a tile of the set {sorted(A)}")
        rep_tile = values[value][1]
        return frozenset(self.from_rep[A][q] for q in rep_tile)

    def decode(self, coords: tuple[int, ...]) -> int:
        if len(coords) != self.n_levels:
            raise DFAError(f"a code has {self.n_levels} coordinates, got {len(coords)}")
        A = self.top
        expected = 1
        while len(A) > 1:
            lv = self.depth(A)
            if any(coords[i] != STAR for i in range(expected - 1, lv - 1)):
                raise DFAError("a skipped level of a code must read *")
            A = self.child(A, coords[lv - 1])
            expected = lv + 1
        if any(coords[i] != STAR for i in range(expected - 1, self.n_levels)):
            raise DFAError("a skipped level of a code must read *")
        return next(iter(A))

    # ---------------------------------------------------------- dependency
    def dependency(self, level: int, a: int, prefix: tuple[int, ...]) -> tuple[str, Any]:
        """The action at ``level`` read from the levels above only (see the module docstring);
        cached, since the dependency functions of a cascade form a finite table."""
        key = (level, a, prefix)
        out = self.cache.get(key)
        if out is None:
            out = self.cache[key] = self._dependency(level, a, prefix)
        return out

    def _dependency(self, level: int, a: int, prefix: tuple[int, ...]) -> tuple[str, Any]:
        chain = [self.top]
        while len(chain[-1]) > 1 and self.depth(chain[-1]) < level:
            chain.append(self.child(chain[-1], prefix[self.depth(chain[-1]) - 1]))
        stage = chain[-1]
        images = [self.image(A, a) for A in chain]
        dominating = self._dominate(images)
        stage_q = next((B for B in dominating if len(B) == 1 or self.depth(B) >= level), None)
        if stage_q is None or len(stage_q) == 1 or self.depth(stage_q) != level:
            return "const", STAR
        c = self.class_of[stage_q]
        image = self.image(stage, a)
        if image == stage_q:  # carried onto itself: a permutation of the tiles
            if len(stage) == 1 or self.depth(stage) != level:  # pragma: no cover - depths never rise
                raise DFAError("internal error: a set was carried up a level")
            mapping = {}
            for T, i in self.tile_index[self.class_of[stage]].items():
                real = frozenset(self.from_rep[stage][q] for q in T)
                moved = self.image(real, a)
                back = frozenset(self.to_rep[stage_q][q] for q in moved)
                mapping[self.offset[self.class_of[stage]] + i] = self.offset[c] + self.tile_index[c][back]
            return "perm", mapping
        below = dominating[dominating.index(stage_q) + 1]  # the image lies strictly inside stage_q
        rep_tile = frozenset(self.to_rep[stage_q][q] for q in below)
        return "const", self.offset[c] + self.tile_index[c][rep_tile]

    def _dominate(self, images: list[Set]) -> list[Set]:
        """The tile chain from Q through every set of the (decreasing) chain ``images``."""
        out = [self.top]
        for target in images:
            while out[-1] != target:
                A = out[-1]
                out.append(target if target in self.tiles[A] else self.first_tile(A, target))
        return out


# -------------------------------------------------------------- verification
def _verify(h: Holonomy, max_chains: int) -> EmulationCheck:
    sk = h._sk
    d = h.dfa
    failures: list[str] = []
    n_chains = sk.count_chains()
    if n_chains > max_chains:
        return EmulationCheck(
            ok=False, chains=0, transitions=0, reachable=0, surjective=False, closed=False, groups_ok=False,
            skipped=f"{n_chains:,} coded states (tile chains), more than max_chains = {max_chains:,}",
        )
    chains = sk.all_chains(max_chains)
    domain = {sk.encode(ch): next(iter(ch[-1])) for ch in chains}
    transitions = 0
    closed = True
    for code, q in domain.items():
        for a in range(d.n_letters):
            nxt = h.step(code, a)
            transitions += 1
            target = d.transitions[q][a]
            if nxt not in domain:
                closed = False
                failures.append(f"{code} --{d.alphabet[a]}--> {nxt}: not a code of a tile chain")
            elif domain[nxt] != target:
                failures.append(f"{code} --{d.alphabet[a]}--> {nxt} decodes to {domain[nxt]}, not {target}")
            if len(failures) > 10:
                break
    reachable = _reachable(h, d, domain, failures)
    surjective = set(domain.values()) == set(range(d.n_states)) if domain else False
    groups_ok = _groups_ok(h)
    ok = not failures and closed and surjective and groups_ok and bool(domain)
    return EmulationCheck(
        ok=ok, chains=len(domain), transitions=transitions, reachable=reachable, surjective=surjective,
        closed=closed, groups_ok=groups_ok, failures=tuple(failures[:10]),
    )


def _reachable(h: Holonomy, d: DFA, domain: dict, failures: list[str]) -> int:
    """Walk the cascade from the code of the start state, checking every step against the DFA."""
    start = h.encode(d.start)
    seen = {start: d.start}
    queue = deque([start])
    while queue:
        code = queue.popleft()
        q = seen[code]
        for a in range(d.n_letters):
            nxt = h.step(code, a)
            target = d.transitions[q][a]
            state = domain[nxt] if nxt in domain else h.decode(nxt)
            if state != target:
                failures.append(f"from the start: {code} --{d.alphabet[a]}--> {nxt} is not state {target}")
                return len(seen)
            if nxt not in seen:
                seen[nxt] = target
                queue.append(nxt)
    return len(seen)


def _groups_ok(h: Holonomy) -> bool:
    """Every permutation the cascade used (all its dependency-table entries so
    far) lies in that slot's holonomy group."""
    sk = h._sk
    for (lv, _a, _prefix), (kind, mapping) in list(sk.cache.items()):
        if kind != "perm":
            continue
        c = sk.level_tiles[lv][next(iter(mapping))][0]
        off = sk.offset[c]
        size = len(sk.tiles[sk.rep[c]])
        perm = tuple(mapping[off + i] - off for i in range(size))
        if perm not in sk.group_perms(c):
            return False
    return True
