"""Parameters of testable languages, found by bounded search, and the strict classes.

A family of "k-testable" languages fixes what a word's membership may depend
on: its key. A language is k-X iff two words with the same k-key are both in
or both out of it. :func:`check_parameter` decides this exactly for one k by
a breadth-first search over pairs (key, DFA state): the key of a word is
updated letter by letter, so the pairs reached are exactly those of some
word, and the language is k-X iff no key is reached with both an accepting
and a rejecting state. When it is not, the two words that reached them are
the witness. The keys (``*_key`` functions, read straight from the
definitions) are the readable reference; the search updates them
incrementally and a test ties the two.

Keys (letters as indices; short words are compared exactly):

- ``piecewise`` (Simon 1975): the subwords (scattered) of length at most k;
- ``local`` (McNaughton & Papert 1971): the prefix and suffix of length k-1
  and the set of factors of length k;
- ``threshold`` (Beauquier & Pin 1989): as ``local``, with each k-factor's
  number of occurrences counted up to t;
- ``definite`` / ``reverse_definite`` / ``generalized_definite``
  (Perles, Rabin & Shamir 1963; Ginzburg 1966): the last k letters / the first
  k letters / both.

Strict locality and strict piecewise testability live in :mod:`.strict`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable, Sequence

from ..automata.dfa import DFA
from ..automata.words import format_word
from ..errors import DFAError
from .piecewise import piecewise_by_insertion

__all__ = [
    "FAMILIES",
    "ParameterWitness",
    "check_parameter",
    "definite_key",
    "generalized_definite_key",
    "local_key",
    "piecewise_key",
    "reverse_definite_key",
    "threshold_key",
]

#: The parametrised families :func:`check_parameter` knows.
FAMILIES = ("piecewise", "local", "threshold", "definite", "reverse_definite", "generalized_definite")

Word = tuple[int, ...]


# ------------------------------------------------------- keys by definition
def _last(w: Word, j: int) -> Word:
    """The last ``j`` letters of ``w`` (all of it when shorter)."""
    return w[max(len(w) - j, 0) :] if j > 0 else ()


def piecewise_key(w: Sequence[int], k: int) -> frozenset[Word]:
    """The subwords of ``w`` (scattered) of length at most ``k``."""
    out: set[Word] = {()}
    for a in w:
        out |= {s + (a,) for s in out if len(s) < k}
    return frozenset(out)


def local_key(w: Sequence[int], k: int) -> tuple[Word, Word, frozenset[Word]]:
    """Prefix and suffix of length ``k-1`` (the whole word when shorter) and the factors of length ``k``."""
    w = tuple(w)
    j = max(k - 1, 0)
    return w[:j], _last(w, j), frozenset(w[i : i + k] for i in range(len(w) - k + 1))


def threshold_key(w: Sequence[int], k: int, t: int) -> tuple[Word, Word, frozenset[tuple[Word, int]]]:
    """As :func:`local_key`, each k-factor with its number of occurrences counted up to ``t``."""
    w = tuple(w)
    j = max(k - 1, 0)
    counts: dict[Word, int] = {}
    for i in range(len(w) - k + 1):
        f = w[i : i + k]
        counts[f] = min(counts.get(f, 0) + 1, t)
    return w[:j], _last(w, j), frozenset(counts.items())


def definite_key(w: Sequence[int], k: int) -> Word:
    """The last ``k`` letters (the whole word when shorter)."""
    return _last(tuple(w), k)


def reverse_definite_key(w: Sequence[int], k: int) -> Word:
    """The first ``k`` letters (the whole word when shorter)."""
    return tuple(w)[:k]


def generalized_definite_key(w: Sequence[int], k: int) -> tuple[Word, Word]:
    """The first and the last ``k`` letters (the whole word when shorter)."""
    w = tuple(w)
    return w[:k], _last(w, k)


# ------------------------------------------------ keys updated letter by letter
def _step(family: str, k: int, t: int) -> tuple[Hashable, Callable[[Any, int], Any]]:
    """The key of the empty word and the update ``key, a -> key of (word + a)``."""
    j = max(k - 1, 0)
    if family == "piecewise":

        def pw(key: frozenset, a: int) -> frozenset:
            return key | frozenset(s + (a,) for s in key if len(s) < k)

        return frozenset({()}), pw
    if family in ("local", "threshold"):

        def lt(key: tuple, a: int) -> tuple:
            prefix, window, factors = key
            if len(prefix) < j:
                prefix = prefix + (a,)
            new = window + (a,)
            if len(window) == j:  # a complete k-factor ends here
                if family == "local":
                    factors = factors | {new}
                else:
                    counts = dict(factors)
                    counts[new] = min(counts.get(new, 0) + 1, t)
                    factors = frozenset(counts.items())
            return prefix, _last(new, j), factors

        return ((), (), frozenset()), lt
    if family == "definite":
        return (), lambda key, a: _last(key + (a,), k)
    if family == "reverse_definite":
        return (), lambda key, a: key + (a,) if len(key) < k else key
    if family == "generalized_definite":

        def gd(key: tuple, a: int) -> tuple:
            prefix, window = key
            if len(prefix) < k:
                prefix = prefix + (a,)
            window = _last(window + (a,), k)
            return prefix, window

        return ((), ()), gd
    raise DFAError(f"unknown family {family!r}; expected one of {', '.join(FAMILIES)}")


@dataclass(frozen=True, kw_only=True)
class ParameterWitness:
    """Two words with the same key for ``family`` at ``k`` (and ``t``) but
    different membership: the language is not k-X. ``u`` is in the language,
    ``v`` is not."""

    family: str
    k: int
    u: tuple[str, ...]
    v: tuple[str, ...]
    t: int = 1
    #: The language's alphabet, when known: it decides how words print (over
    #: ``{a, b, ab}`` the word ``(a, b)`` prints ``a b``); not part of ``==``.
    alphabet: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def key(self, dfa: DFA, word: Sequence[str]) -> Hashable:
        w = tuple(dfa.encode(word).tolist())
        return _key_by_definition(self.family, w, self.k, self.t)

    def check(self, dfa: DFA) -> bool:
        """Re-verify by definition and by running ``dfa``: same key, ``u`` in, ``v`` out."""
        return self.key(dfa, self.u) == self.key(dfa, self.v) and dfa.accepts(self.u) and not dfa.accepts(self.v)

    def to_dict(self) -> dict[str, Any]:
        out = {"family": self.family, "k": self.k, "in": list(self.u), "out": list(self.v)}
        if self.family == "threshold":
            out["t"] = self.t
        return out

    def __str__(self) -> str:
        letters = self.alphabet or (*self.u, *self.v)
        return f"{format_word(self.u, letters)} (in) and {format_word(self.v, letters)} (out)"


def _key_by_definition(family: str, w: Word, k: int, t: int) -> Hashable:
    if family == "piecewise":
        return piecewise_key(w, k)
    if family == "local":
        return local_key(w, k)
    if family == "threshold":
        return threshold_key(w, k, t)
    if family == "definite":
        return definite_key(w, k)
    if family == "reverse_definite":
        return reverse_definite_key(w, k)
    if family == "generalized_definite":
        return generalized_definite_key(w, k)
    raise DFAError(f"unknown family {family!r}; expected one of {', '.join(FAMILIES)}")


def check_parameter(
    dfa: DFA,
    family: str,
    k: int,
    *,
    t: int = 1,
    budget: int = 200_000,
    spent: list[int] | None = None,
    method: str = "auto",
) -> tuple[bool | None, ParameterWitness | None]:
    """Whether the language of ``dfa`` is k-X for ``family`` (exactly).

    Returns ``(True, None)``, ``(False, witness)``, or ``(None, None)`` when
    more than ``budget`` (key, state) pairs would have to be explored. The
    number of pairs explored is appended to ``spent`` when given.

    For ``piecewise``, ``method="auto"`` first decides by single-letter
    insertions (:func:`.piecewise.piecewise_by_insertion`: polynomial in the
    DFA for a fixed alphabet, no sets of subwords), and runs the key search
    below, with a budget of its own, only when that one passes ``budget``
    nodes; ``"insertion"`` and ``"keys"`` run one method alone (the key
    search is the readable reference; tests tie the two).

    The search runs first over the states that can still reach acceptance
    (every accepted word stays among them), collecting the keys of accepted
    words; then into the other states, whose words are all rejected and so
    conflict only with an accepted key. For the families whose keys only grow
    (subwords, factor sets, capped counts) a branch there is pruned as soon
    as its key holds something no accepted key holds: it can never become
    equal to one.
    """
    if k < 0 or t < 1:
        raise DFAError(f"k = {k} and t = {t}: need k >= 0 and t >= 1")
    if method not in ("auto", "insertion", "keys") or (method == "insertion" and family != "piecewise"):
        raise DFAError(f"method {method!r}: expected auto, keys, or insertion (piecewise only)")
    if family == "piecewise" and method != "keys":
        used: list[int] = []
        ok, pair = piecewise_by_insertion(dfa, k, budget=budget, spent=used)
        if spent is not None:
            spent.extend(used)
        if ok is not None or method == "insertion":
            return ok, None if ok is not False else _letter_witness(dfa, k, pair)
    parent: dict[tuple, tuple | None] = {}
    try:
        return _check(dfa, family, k, t, budget, parent)
    finally:
        if spent is not None:
            spent.append(len(parent))


def _check(
    dfa: DFA, family: str, k: int, t: int, budget: int, parent: dict[tuple, tuple | None]
) -> tuple[bool | None, ParameterWitness | None]:
    key0, step = _step(family, k, t)
    live = _co_accessible(dfa)
    start = (key0, dfa.start)
    parent[start] = None
    letter: dict[tuple, int] = {}
    seen_key: dict[Hashable, tuple] = {key0: start}
    later: list[tuple] = []  # first nodes outside the live states
    queue = deque([start] if dfa.start in live else [])
    if dfa.start not in live:
        later.append(start)
    while queue:
        node = queue.popleft()
        key, q = node
        for a in range(dfa.n_letters):
            nxt = (step(key, a), dfa.transitions[q][a])
            if nxt in parent:
                continue
            parent[nxt] = node
            letter[nxt] = a
            if nxt[1] not in live:
                later.append(nxt)
                continue
            other = seen_key.setdefault(nxt[0], nxt)
            if (other[1] in dfa.accepting) != (nxt[1] in dfa.accepting):
                return False, _witness(dfa, family, k, t, other, nxt, parent, letter)
            if len(parent) > budget:
                return None, None
            queue.append(nxt)
    grows = _monotone_part(family)
    bound = _union([grows(key) for key, q in seen_key.values() if q in dfa.accepting]) if grows else None
    queue = deque(later)
    while queue:
        node = queue.popleft()
        key, q = node
        if bound is not None and not _within(grows(key), bound):
            continue  # the key already holds what no accepted key holds
        other = seen_key.get(key)
        if other is not None and other[1] in dfa.accepting:
            return False, _witness(dfa, family, k, t, other, node, parent, letter)
        for a in range(dfa.n_letters):
            nxt = (step(key, a), dfa.transitions[q][a])
            if nxt in parent:
                continue
            parent[nxt] = node
            letter[nxt] = a
            if len(parent) > budget:
                return None, None
            queue.append(nxt)
    return True, None


def _letter_witness(dfa: DFA, k: int, pair: tuple[tuple[int, ...], tuple[int, ...]]) -> ParameterWitness:
    """The k-PT witness of :func:`.piecewise.piecewise_by_insertion` (letter indices), the word in the language first."""
    u, v = (tuple(dfa.alphabet[i] for i in w) for w in pair)
    if not dfa.accepts(u):
        u, v = v, u
    witness = ParameterWitness(family="piecewise", k=k, u=u, v=v, alphabet=dfa.alphabet)
    if not witness.check(dfa):  # pragma: no cover - the lemmas behind the search guarantee it
        raise DFAError(f"internal error: the {k}-PT witness {witness} does not re-check")
    return witness


def _witness(dfa: DFA, family: str, k: int, t: int, a: tuple, b: tuple, parent: dict, letter: dict) -> ParameterWitness:
    u, v = _path(dfa, a, parent, letter), _path(dfa, b, parent, letter)
    if a[1] not in dfa.accepting:
        u, v = v, u
    return ParameterWitness(family=family, k=k, t=t, u=u, v=v, alphabet=dfa.alphabet)


def _co_accessible(dfa: DFA) -> set[int]:
    """The states from which some word is accepted."""
    back: dict[int, set[int]] = {q: set() for q in range(dfa.n_states)}
    for q in range(dfa.n_states):
        for r in dfa.transitions[q]:
            back[r].add(q)
    live = set(dfa.accepting)
    stack = list(live)
    while stack:
        for p in back[stack.pop()]:
            if p not in live:
                live.add(p)
                stack.append(p)
    return live


def _monotone_part(family: str) -> Callable[[Any], dict] | None:
    """The part of a key that only grows as letters are appended, as {item: count}; None if there is none."""
    if family == "piecewise":
        return lambda key: dict.fromkeys(key, 1)
    if family == "local":
        return lambda key: dict.fromkeys(key[2], 1)
    if family == "threshold":
        return lambda key: dict(key[2])
    return None


def _union(parts: list[dict]) -> dict:
    out: dict = {}
    for part in parts:
        for item, count in part.items():
            if count > out.get(item, 0):
                out[item] = count
    return out


def _within(part: dict, bound: dict) -> bool:
    return all(count <= bound.get(item, 0) for item, count in part.items())


def _path(dfa: DFA, node: tuple, parent: dict, letter: dict) -> tuple[str, ...]:
    out = []
    while parent[node] is not None:
        out.append(dfa.alphabet[letter[node]])
        node = parent[node]
    return tuple(reversed(out))
