"""Brute force from the definitions, for the variety tests.

Independent of the package: the monoid is a naive BFS over tuples, products
compose tuples, ``omega`` iterates powers, and every equation is checked over
all tuples of monoid (or semigroup) elements with plain loops or numpy
broadcasting over a naively built table. Parameters (the k of k-PT, k-LT,
...) are checked on all words up to a length.
"""

from __future__ import annotations

from itertools import product

import numpy as np

from .reference import naive_monoid


def compose(u, v):
    return tuple(v[q] for q in u)


class Brute:
    """The syntactic monoid of a minimal DFA, by brute force."""

    def __init__(self, dfa):
        d = dfa.minimize()
        self.dfa = d
        maps, _ = naive_monoid(d)
        self.maps = maps
        self.index = {x: i for i, x in enumerate(maps)}
        m = len(maps)
        self.table = np.array([[self.index[compose(x, y)] for y in maps] for x in maps], dtype=np.int64)
        gens = {tuple(d.transitions[q][a] for q in range(d.n_states)) for a in range(d.n_letters)}
        # S = eta(A+): closure of the letters under products
        s = {self.index[g] for g in gens}
        frontier = list(s)
        while frontier:
            nxt = []
            for i in frontier:
                for g in gens:
                    j = self.table[i, self.index[g]]
                    if j not in s:
                        s.add(int(j))
                        nxt.append(int(j))
            frontier = nxt
        self.S = np.array(sorted(s), dtype=np.int64)
        self.M = np.arange(m)
        self.omega = np.array([self._omega(i) for i in range(m)], dtype=np.int64)
        idem = [i for i in range(m) if self.table[i, i] == i]
        self.E_S = np.array([e for e in idem if e in s], dtype=np.int64)
        self.identity = self.index[tuple(range(d.n_states))]

    def _omega(self, i):
        p = i
        while self.table[p, p] != p:
            p = self.table[p, i]
        return p

    def mul(self, *xs):
        out = xs[0]
        for x in xs[1:]:
            out = self.table[out, x]
        return out

    def w(self, x):
        return self.omega[x]

    # ------------------------------------------------------------- equations
    def holds(self, key):
        T, w, M = self.mul, self.w, self.M
        if key == "aperiodic":
            return bool((T(w(M), M) == w(M)).all())
        x, y = np.meshgrid(M, M, indexing="ij")
        if key == "r_trivial":
            return bool((T(w(T(x, y)), x) == w(T(x, y))).all())
        if key == "l_trivial":
            return bool((T(y, w(T(x, y))) == w(T(x, y))).all())
        if key == "j_trivial":
            return self.holds("r_trivial") and self.holds("l_trivial")
        if key == "da":
            e = w(T(x, y))
            return bool((T(e, y, e) == e).all())
        if key == "commutative":
            return bool((T(x, y) == T(y, x)).all())
        if key == "group":
            return bool((w(M) == self.identity).all())
        return self._semigroup(key)

    def _semigroup(self, key):
        T, w, S, E = self.mul, self.w, self.S, self.E_S
        if key in ("definite", "reverse_definite", "generalized_definite"):
            e, s = np.meshgrid(E, S, indexing="ij")
            lhs = {"definite": T(s, e), "reverse_definite": T(e, s), "generalized_definite": T(e, s, e)}[key]
            return bool((lhs == e).all())
        if key == "locally_testable":
            e, x, y = np.meshgrid(E, S, S, indexing="ij")
            exe, eye = T(e, x, e), T(e, y, e)
            return bool((T(exe, exe) == exe).all() and (T(exe, eye) == T(eye, exe)).all())
        if key == "locally_threshold_testable":
            if not (T(w(S), S) == w(S)).all():
                return False
            e, f, x, y, z = np.meshgrid(E, E, S, S, S, indexing="ij")
            return bool((T(e, x, f, y, e, z, f) == T(e, z, f, y, e, x, f)).all())
        if key == "dot_depth_one":  # Knast's identity, raw form
            e, f, x, y, u, v = np.meshgrid(E, E, S, S, S, S, indexing="ij")
            p = w(T(e, x, f, y))
            q = w(T(u, f, v, e))
            return bool((T(p, e, x, f, v, e, q) == T(p, e, q)).all())
        raise KeyError(key)


def words_up_to(n_letters, length):
    for n in range(length + 1):
        yield from product(range(n_letters), repeat=n)


def memberships(dfa, max_len):
    """{word (letter indices): in the language?} for every word up to ``max_len``, by running the DFA letter by letter."""
    state = {(): dfa.start}
    frontier = [()]
    for _ in range(max_len):
        nxt = []
        for w in frontier:
            q = state[w]
            for a in range(dfa.n_letters):
                state[w + (a,)] = dfa.transitions[q][a]
                nxt.append(w + (a,))
        frontier = nxt
    return {w: q in dfa.accepting for w, q in state.items()}


def key_is_sound(member, key_fn):
    """Every two words of ``member`` with the same key have the same membership."""
    seen = {}
    for w, m in member.items():
        if seen.setdefault(key_fn(w), m) != m:
            return False
    return True


def boundary_factors(w, k):
    """The k-factors of the word with boundary markers (-1 start, -2 end); the whole marked word when shorter."""
    marked = (-1,) + tuple(w) + (-2,)
    if len(marked) <= k:
        return {marked}
    return {marked[i : i + k] for i in range(len(marked) - k + 1)}
