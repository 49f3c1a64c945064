"""Strictly local (SL) and strictly piecewise (SP) languages, decided exactly
on the minimal DFA, with the least k and certificates.

Neither class is a variety (neither is closed under complement), so neither is
decided on the syntactic monoid:

- SL_k (McNaughton & Papert 1971): membership is "no forbidden k-factor" of
  the word between boundary markers. Rogers & Pullum (2011, after De Luca &
  Restivo 1980): L is SL_k iff it is closed under *suffix substitution* for
  common factors of length k-1: ``u1 x v1, u2 x v2 in L`` imply ``u1 x v2 in L``.
- SP_k (Rogers et al. 2010): membership is "no forbidden subsequence of
  length at most k"; L is SP iff it is closed under deleting letters, and k
  is the length of its longest minimal forbidden word.

Both reduce to which states' languages contain which: ``diff[x, y]`` says
some word is accepted from ``x`` and rejected from ``y``, one fixpoint over
pairs of states (vectorized).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from ..automata.dfa import DFA
from ..automata.words import format_word
from ..errors import DFAError

__all__ = [
    "DeletionViolation",
    "LocalResult",
    "MinimalForbidden",
    "SubstitutionViolation",
    "strictly_local",
    "strictly_piecewise",
]

#: Above this many pairs of states, SL is not decided (the pair sets are n^2 booleans per level).
MAX_PAIRS = 4_000_000


@dataclass(frozen=True, kw_only=True)
class SubstitutionViolation:
    """A failure of suffix-substitution closure: for every ``n >= n_min``,
    ``u1 x v1`` and ``u2 x v2`` are in the language but ``u1 x v2`` is not,
    where ``x = x1 z^n x2``. With ``z`` empty the common factor has the fixed
    length ``|x1 x2|`` and the language is not SL for that length + 1; with
    ``z`` non-empty it is arbitrarily long and the language is not SL at all."""

    u1: tuple[str, ...]
    v1: tuple[str, ...]
    u2: tuple[str, ...]
    v2: tuple[str, ...]
    x1: tuple[str, ...]
    z: tuple[str, ...] = ()
    x2: tuple[str, ...] = ()
    n_min: int = 0
    #: The language's alphabet, when known: it decides how words print (over
    #: ``{a, b, ab}`` the word ``(a, b)`` prints ``a b``); not part of ``==``.
    alphabet: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def words(self, n: int) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        """``u1 x v1``, ``u2 x v2`` and ``u1 x v2`` for ``x = x1 z^n x2``."""
        x = self.x1 + self.z * n + self.x2
        return self.u1 + x + self.v1, self.u2 + x + self.v2, self.u1 + x + self.v2

    def check(self, dfa: DFA) -> bool:
        """Re-verify on ``dfa`` for every ``n >= n_min`` (exactly: the states
        after ``u x1 z^n`` are eventually periodic in ``n``)."""
        if not self.z:
            a, b, c = self.words(0)
            return dfa.accepts(a) and dfa.accepts(b) and not dfa.accepts(c)
        p = dfa.delta_star(dfa.start, self.u1 + self.x1)
        q = dfa.delta_star(dfa.start, self.u2 + self.x1)
        seen: set[tuple[int, int]] = set()
        n = 0
        while (p, q) not in seen or n <= self.n_min:
            if n >= self.n_min:
                seen.add((p, q))
                r1, r2 = dfa.delta_star(p, self.x2), dfa.delta_star(q, self.x2)
                if not (
                    dfa.delta_star(r1, self.v1) in dfa.accepting
                    and dfa.delta_star(r2, self.v2) in dfa.accepting
                    and dfa.delta_star(r1, self.v2) not in dfa.accepting
                ):
                    return False
            p, q = dfa.delta_star(p, self.z), dfa.delta_star(q, self.z)
            n += 1
        return True

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: list(getattr(self, k)) for k in ("u1", "v1", "u2", "v2", "x1", "z", "x2")}
        out["n_min"] = self.n_min
        return out

    def __str__(self) -> str:
        letters = self.alphabet or (*self.u1, *self.v1, *self.u2, *self.v2, *self.x1, *self.z, *self.x2)

        def fmt(w: tuple[str, ...]) -> str:
            return format_word(w, letters)

        if self.z:
            sep = "" if all(len(a) == 1 for a in letters) else " "
            parts = [fmt(self.x1) if self.x1 else "", f"({fmt(self.z)})^n", fmt(self.x2) if self.x2 else ""]
            x = sep.join(p for p in parts if p)
        else:
            x = fmt(self.x1 + self.x2)
        return (
            f"u1 = {fmt(self.u1)}, u2 = {fmt(self.u2)}, x = {x}, "
            f"v1 = {fmt(self.v1)}, v2 = {fmt(self.v2)}: u1 x v1 and u2 x v2 are in, u1 x v2 is out"
        )


@dataclass(frozen=True, kw_only=True)
class DeletionViolation:
    """``u a v`` is in the language and ``u v`` is not: the language is not
    closed under taking subwords, so it is not strictly piecewise."""

    u: tuple[str, ...]
    a: str
    v: tuple[str, ...]
    #: The language's alphabet, when known: it decides how words print (over
    #: ``{a, b, ab}`` the word ``(a, b)`` prints ``a b``); not part of ``==``.
    alphabet: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def check(self, dfa: DFA) -> bool:
        return dfa.accepts(self.u + (self.a,) + self.v) and not dfa.accepts(self.u + self.v)

    def to_dict(self) -> dict[str, Any]:
        return {"u": list(self.u), "a": self.a, "v": list(self.v)}

    def __str__(self) -> str:
        letters = self.alphabet or (*self.u, self.a, *self.v)
        return (
            f"{format_word(self.u + (self.a,) + self.v, letters)} is in; deleting its {self.a} after "
            f"{format_word(self.u, letters)} gives {format_word(self.u + self.v, letters)}, which is out"
        )


@dataclass(frozen=True, kw_only=True)
class MinimalForbidden:
    """A word outside the language all of whose one-letter deletions are in
    it: a minimal forbidden subsequence, so an SP language is not SP_k for
    any k below its length."""

    word: tuple[str, ...]
    #: The language's alphabet, when known: it decides how words print (over
    #: ``{a, b, ab}`` the word ``(a, b)`` prints ``a b``); not part of ``==``.
    alphabet: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def check(self, dfa: DFA) -> bool:
        w = self.word
        return not dfa.accepts(w) and all(dfa.accepts(w[:i] + w[i + 1 :]) for i in range(len(w)))

    def to_dict(self) -> dict[str, Any]:
        return {"word": list(self.word)}

    def __str__(self) -> str:
        return f"{format_word(self.word, self.alphabet or self.word)} is out, every one-letter deletion of it is in"


@dataclass(frozen=True, kw_only=True)
class LocalResult:
    """The verdict of :func:`strictly_local` or :func:`strictly_piecewise`.

    ``holds`` is None when the DFA was too large to decide. ``k`` is the least
    k for which the language is SL_k (SP_k) when it is; ``lower`` shows it is
    not SL_(k-1) (SP_(k-1)); ``certificate`` shows it is not SL (SP) at all.
    """

    holds: bool | None
    k: int | None
    lower: Any = None
    certificate: Any = None


# -------------------------------------------------------------- state pairs
def _inclusion_failures(d: DFA) -> np.ndarray:
    """``diff[x, y]``: some word is accepted from ``x`` and rejected from ``y``
    (the least fixpoint of "target pair, or a letter leads to one")."""
    acc = d.accept_mask.astype(bool)
    table = np.asarray(d.table)
    diff = acc[:, None] & ~acc[None, :]
    while True:
        grown = diff.copy()
        for a in range(d.n_letters):
            col = table[:, a]
            grown |= diff[col[:, None], col[None, :]]
        if np.array_equal(grown, diff):
            return diff
        diff = grown


def _words_to(d: DFA) -> dict[int, tuple[int, ...]]:
    words = {d.start: ()}
    queue = deque([d.start])
    while queue:
        q = queue.popleft()
        for a in range(d.n_letters):
            r = d.transitions[q][a]
            if r not in words:
                words[r] = words[q] + (a,)
                queue.append(r)
    return words


def _difference(d: DFA, p: int, q: int) -> tuple[int, ...] | None:
    """A shortest word accepted from ``p`` and rejected from ``q``."""
    seen = {(p, q): ()}
    queue = deque([(p, q)])
    while queue:
        a, b = queue.popleft()
        if a in d.accepting and b not in d.accepting:
            return seen[(a, b)]
        for i in range(d.n_letters):
            nxt = (d.transitions[a][i], d.transitions[b][i])
            if nxt not in seen:
                seen[nxt] = seen[(a, b)] + (i,)
                queue.append(nxt)
    return None


def _letters(d: DFA, w: Sequence[int]) -> tuple[str, ...]:
    return tuple(d.alphabet[a] for a in w)


# ------------------------------------------------------------ strictly local
def strictly_local(dfa: DFA) -> LocalResult:
    """Whether the language is strictly local, and the least k.

    Pairs of states ``(p1, p2)`` reached after some prefixes by a common word
    of length j form a set ``R_j``; ``R_0`` holds every pair and ``R_(j+1)``
    is ``R_j`` moved by one letter, so the sets only shrink and stabilize
    within ``n^2`` steps. A pair is *bad* when ``L_p1`` is not empty and
    ``L_p2`` is not inside ``L_p1``. L is SL_k iff ``R_(k-1)`` holds no bad
    pair; L is SL iff the limit holds none (then ``k <= n^2 + 1``).
    """
    d = dfa.minimize()
    n = d.n_states
    if n * n > MAX_PAIRS:
        return LocalResult(holds=None, k=None)
    diff = _inclusion_failures(d)
    table = np.asarray(d.table)
    nonempty = d.accept_mask.astype(bool)  # some word is accepted from the state
    while True:
        grown = nonempty | nonempty[table].any(axis=1)
        if np.array_equal(grown, nonempty):
            break
        nonempty = grown
    bad = nonempty[:, None] & diff.T  # bad[p1, p2]
    succ = [(table[:, a][:, None] * n + table[:, a][None, :]).ravel() for a in range(d.n_letters)]
    level = np.ones(n * n, dtype=bool)
    parents: list[tuple[np.ndarray, np.ndarray]] = []  # per level j >= 1: parent pair id, letter
    previous_hit = None
    while True:
        hits = np.flatnonzero(level & bad.ravel())
        if hits.size == 0:
            lower = _fixed_substitution(d, diff, parents, int(previous_hit)) if previous_hit is not None else None
            return LocalResult(holds=True, k=len(parents) + 1, lower=lower)
        nxt = np.zeros(n * n, dtype=bool)
        parent = np.full(n * n, -1, dtype=np.int64)
        letter = np.full(n * n, -1, dtype=np.int64)
        ids = np.flatnonzero(level)
        for a in range(d.n_letters):
            targets = succ[a][ids]
            fresh = parent[targets] < 0
            parent[targets[fresh]] = ids[fresh]
            letter[targets[fresh]] = a
            nxt[targets] = True
        if np.array_equal(nxt, level):
            return LocalResult(holds=False, k=None, certificate=_pumped_substitution(d, diff, succ, level, int(hits[0])))
        parents.append((parent, letter))
        previous_hit = hits[0]
        level = nxt


def _fixed_substitution(d: DFA, diff: np.ndarray, parents: list, pair: int) -> SubstitutionViolation:
    """The witness for the last level with a bad pair: walk its parents back to ``R_0``."""
    x: list[int] = []
    node = pair
    for parent, letter in reversed(parents[:-1] if parents else []):
        x.append(int(letter[node]))
        node = int(parent[node])
    x.reverse()
    return _violation(d, diff, node, pair, x, z=(), x2=())


def _violation(d: DFA, diff: np.ndarray, origin: int, bad_pair: int, x1, z, x2) -> SubstitutionViolation:
    n = d.n_states
    to = _words_to(d)
    r1, r2 = divmod(origin, n)
    p1, p2 = divmod(bad_pair, n)
    v1 = _accepted_from(d, p1)
    v2 = _difference(d, p2, p1)
    if v1 is None or v2 is None:  # pragma: no cover - a bad pair has both
        raise DFAError("internal error: a bad pair without witnesses")
    return SubstitutionViolation(
        u1=_letters(d, to[r1]), u2=_letters(d, to[r2]), x1=_letters(d, x1), z=_letters(d, z), x2=_letters(d, x2),
        v1=_letters(d, v1), v2=_letters(d, v2), alphabet=d.alphabet,
    )


def _accepted_from(d: DFA, q: int) -> tuple[int, ...] | None:
    seen = {q: ()}
    queue = deque([q])
    while queue:
        r = queue.popleft()
        if r in d.accepting:
            return seen[r]
        for a in range(d.n_letters):
            s = d.transitions[r][a]
            if s not in seen:
                seen[s] = seen[r] + (a,)
                queue.append(s)
    return None


def _pumped_substitution(d: DFA, diff: np.ndarray, succ: list, stable: np.ndarray, bad_pair: int) -> SubstitutionViolation:
    """From a bad pair of the stable set, walk back inside it until a pair repeats:
    that pair lies on a cycle ``z`` of the pair graph and reaches the bad pair by ``x2``."""
    walk = [bad_pair]
    letters: list[int] = []
    index = {bad_pair: 0}
    while True:
        prev, a = _predecessor(succ, stable, walk[-1])
        letters.append(a)  # prev --a--> walk[-1]
        if prev in index:
            break
        index[prev] = len(walk)
        walk.append(prev)
    i = index[prev]
    # walk[t + 1] --letters[t]--> walk[t], and prev = walk[i] --letters[-1]--> walk[-1]
    to_bad = [letters[t] for t in range(i - 1, -1, -1)]
    cycle = [letters[-1]] + [letters[t] for t in range(len(walk) - 2, i - 1, -1)]
    return _violation(d, diff, prev, bad_pair, (), cycle, to_bad)


def _predecessor(succ: list, stable: np.ndarray, pair: int) -> tuple[int, int]:
    for a, s in enumerate(succ):
        hits = np.flatnonzero(stable & (s == pair))
        if hits.size:
            return int(hits[0]), a
    raise DFAError("internal error: a pair of the stable set has no predecessor in it")  # pragma: no cover


# -------------------------------------------------------- strictly piecewise
def strictly_piecewise(dfa: DFA, *, budget: int = 200_000) -> LocalResult:
    """Whether the language is strictly piecewise (closed under subwords), and the least k.

    L is SP iff ``L_(q.a)`` is inside ``L_q`` for every state ``q`` and letter
    ``a`` of the minimal DFA (deleting a letter keeps a word in L). Then k is
    the length of the longest minimal forbidden word (Rogers et al. 2010),
    found on the automaton of pairs (state of ``w``, states of the one-letter
    deletions of ``w``); ``k`` is None when that automaton passes ``budget``.
    """
    d = dfa.minimize()
    diff = _inclusion_failures(d)
    table = np.asarray(d.table)
    to = _words_to(d)
    best = None
    for q in sorted(to, key=lambda s: (len(to[s]), s)):
        for a in range(d.n_letters):
            if diff[table[q, a], q]:
                v = _difference(d, int(table[q, a]), q)
                assert v is not None
                if best is None or len(to[q]) + len(v) < len(best[0]) + len(best[2]):
                    best = (to[q], a, v)
    if best is not None:
        u, a, v = best
        return LocalResult(
            holds=False, k=None, certificate=DeletionViolation(u=_letters(d, u), a=d.alphabet[a], v=_letters(d, v), alphabet=d.alphabet)
        )
    word = _longest_minimal_forbidden(d, budget)
    if word is None:
        return LocalResult(holds=True, k=None)
    if not word:
        return LocalResult(holds=True, k=0)
    return LocalResult(holds=True, k=len(word[0]), lower=MinimalForbidden(word=_letters(d, word[0]), alphabet=d.alphabet))


def _longest_minimal_forbidden(d: DFA, budget: int):  # -> tuple[tuple[int, ...]] | () | None
    """``(w,)`` for a longest minimal forbidden word ``w``; ``()`` when nothing
    is forbidden; None past the budget."""
    start = (d.start, frozenset())
    succ: dict[tuple, list[tuple[int, tuple]]] = {start: []}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        q, dels = node
        for a in range(d.n_letters):
            nxt = (d.transitions[q][a], frozenset(d.transitions[p][a] for p in dels) | {q})
            succ[node].append((a, nxt))
            if nxt not in succ:
                succ[nxt] = []
                if len(succ) > budget:
                    return None
                queue.append(nxt)
    targets = {s for s in succ if s[0] not in d.accepting and s[1] <= d.accepting}
    if not targets:
        return ()
    pred: dict[tuple, list[tuple]] = {s: [] for s in succ}
    for s, out in succ.items():
        for _, t in out:
            pred[t].append(s)
    useful = set(targets)
    stack = list(targets)
    while stack:
        for p in pred[stack.pop()]:
            if p not in useful:
                useful.add(p)
                stack.append(p)
    order = _topological_order(succ, useful)
    if order is None:  # pragma: no cover - SP languages have finitely many minimal forbidden words
        raise DFAError("infinitely many minimal forbidden words: the language is not strictly piecewise")
    best: dict[tuple, tuple[int, ...]] = {start: ()}
    for s in order:
        if s not in best:
            continue
        for a, t in succ[s]:
            if t in useful and (t not in best or len(best[s]) + 1 > len(best[t])):
                best[t] = best[s] + (a,)
    return (max((best[t] for t in targets if t in best), key=len),)


def _topological_order(succ: dict, useful: set) -> list | None:
    indeg = {s: 0 for s in useful}
    for s in useful:
        for _, t in succ[s]:
            if t in useful:
                indeg[t] += 1
    ready = sorted((s for s in useful if indeg[s] == 0), key=repr)
    order = []
    while ready:
        s = ready.pop()
        order.append(s)
        for _, t in succ[s]:
            if t in useful:
                indeg[t] -= 1
                if indeg[t] == 0:
                    ready.append(t)
    return order if len(order) == len(useful) else None
