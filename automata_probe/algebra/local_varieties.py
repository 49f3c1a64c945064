"""The classes decided on the syntactic *semigroup* ``S = eta(A+)`` (the
definite family, local testability, local threshold testability, dot-depth
one) and the two strict classes (SL, SP), each as a :class:`~.verdicts.ClassVerdict`.

The identities quantify over ``S`` and its idempotents ``E(S)``; they are
evaluated on "local" pieces ``eSf`` (Straubing's category of idempotents):

- definite ``s e = e``, reverse definite ``e s = e``, generalized definite
  ``e s e = e``, for ``e`` in ``E(S)``, ``s`` in ``S``;
- locally testable: every local monoid ``eSe`` is idempotent and commutative;
- locally threshold testable: aperiodic and ``p q r = r q p`` for ``p, r`` in
  ``eSf`` and ``q`` in ``fSe``;
- dot-depth one (Knast's identity, rewritten on ``eSf``):
  ``(ab)^ω a d (cd)^ω = (ab)^ω (cd)^ω`` for ``a, c`` in ``eSf`` and
  ``b, d`` in ``fSe``.
"""

from __future__ import annotations

import numpy as np

from ..automata.dfa import DFA
from ..automata.words import format_word
from .context import AlgebraContext, least_parameter
from .strict import strictly_local, strictly_piecewise
from .testability import check_parameter
from .verdicts import ClassVerdict, bounds_fields

__all__ = [
    "definite",
    "dot_depth_one",
    "generalized_definite",
    "locally_testable",
    "locally_threshold_testable",
    "reverse_definite",
    "strict_locality",
    "strict_piecewise_testability",
]


def _undecided(key: str, ctx: AlgebraContext) -> ClassVerdict:
    return ClassVerdict(
        key=key, holds=None,
        evidence=f"not decided: more than {ctx.budget:,} monoid products would be needed (raise max_products)",
    )


def _by_cost(ctx: AlgebraContext, pieces: dict, cost) -> list[tuple[int, int]]:  # noqa: ANN001
    """The pairs (e, f) in the order to check them: when all of them fit in the budget (a yes checks them
    all anyway), those whose idempotents have the shortest words first, so that a violation comes with
    short words; otherwise the cheapest first, so that a violation is found before the budget runs out."""
    costs = {ef: cost(pieces[ef][0].size, pieces[(ef[1], ef[0])][0].size) for ef in pieces}
    if ctx.affordable(sum(costs.values())):
        lengths = ctx.monoid.lengths
        return sorted(pieces, key=lambda ef: (int(lengths[ef[0]] + lengths[ef[1]]), costs[ef], ef))
    return sorted(pieces, key=lambda ef: (costs[ef], ef))


def _reps(ctx: AlgebraContext) -> str:
    return f"on one idempotent per D-class, {ctx.E_reps.size} of {ctx.E.size}: Tilson 1987"


# ---------------------------------------------------------- definite family
def _letters(ctx: AlgebraContext) -> np.ndarray:
    """The ids of the letters (they generate S): ``s e = e`` for every letter gives it for
    every ``s`` in S, by induction on the length of ``s`` (``a1 ... an e = a1 ... an-1 e``)."""
    return ctx.monoid.cayley[0]


def definite(ctx: AlgebraContext, budget: int) -> ClassVerdict:
    """``s e = e`` for every ``s`` in S and idempotent ``e`` of S (checked on the letters, which
    generate S); k exactly from ``eta(A^k)``."""
    ctx.fresh_budget()
    S, E, A = ctx.S, ctx.E, _letters(ctx)
    prod = ctx.mul(A[:, None], E[None, :])  # (|A|, |E|): a e
    bad = np.argwhere(prod != E[None, :])
    if bad.size:
        s, e = int(A[bad[0][0]]), int(E[bad[0][1]])
        return ClassVerdict(
            key="definite", holds=False,
            evidence=f"{format_word(ctx.word(s, True), ctx.dfa.alphabet)} times the idempotent {format_word(ctx.word(e, True), ctx.dfa.alphabet)} "
            "is not that idempotent",
            certificate=ctx.violation("y x^ω = x^ω", {"x": e, "y": s}, semigroup=True),
        )
    k = _definite_order(ctx)
    lower = check_parameter(ctx.dfa, "definite", k - 1, budget=budget)[1] if k > 0 else None
    return ClassVerdict(
        key="definite", holds=True,
        evidence=f"a e = e for every letter a and all {E.size} idempotents e, hence s e = e for all {S.size} s in S; "
        f"every word of length {k} maps all "
        f"states to one state, so the language is {k}-definite (least k, exact)",
        parameter={"k": k}, lower=lower,
    )


def _definite_order(ctx: AlgebraContext) -> int:
    """The least k such that every word of length k is a constant map (eta(A^k), level by level)."""
    rows = ctx.monoid.transformations
    level = np.zeros(1, dtype=np.intp)  # eta(A^0) = {1}
    seen: set[bytes] = set()
    k = 0
    while True:
        r = rows[level]
        if (r == r[:, :1]).all():
            return k
        key = np.sort(level).tobytes()
        if key in seen:  # pragma: no cover - a definite language reaches constants
            raise ValueError("the sets eta(A^k) cycle without becoming constant maps")
        seen.add(key)
        level = np.unique(ctx.monoid.cayley[level].ravel())
        k += 1


def reverse_definite(ctx: AlgebraContext, budget: int) -> ClassVerdict:
    """``e s = e`` (checked on the letters: ``e a1 ... an = e a2 ... an``); k exactly: the longest
    path from the start to a sink of the minimal DFA."""
    ctx.fresh_budget()
    S, E, A = ctx.S, ctx.E, _letters(ctx)
    prod = ctx.mul(E[:, None], A[None, :])  # (|E|, |A|): e a
    bad = np.argwhere(prod != E[:, None])
    if bad.size:
        e, s = int(E[bad[0][0]]), int(A[bad[0][1]])
        return ClassVerdict(
            key="reverse_definite", holds=False,
            evidence=f"the idempotent {format_word(ctx.word(e, True), ctx.dfa.alphabet)} times {format_word(ctx.word(s, True), ctx.dfa.alphabet)} "
            "is not that idempotent",
            certificate=ctx.violation("x^ω y = x^ω", {"x": e, "y": s}, semigroup=True),
        )
    k = _reverse_definite_order(ctx.dfa)
    lower = check_parameter(ctx.dfa, "reverse_definite", k - 1, budget=budget)[1] if k > 0 else None
    return ClassVerdict(
        key="reverse_definite", holds=True,
        evidence=f"e a = e for every letter a and all {E.size} idempotents e, hence e s = e for all {S.size} s in S; "
        f"every word of length {k} leads to a "
        f"sink, so the language is {k}-reverse definite (least k, exact)",
        parameter={"k": k}, lower=lower,
    )


def _reverse_definite_order(d: DFA) -> int:
    sinks = {q for q in range(d.n_states) if all(r == q for r in d.transitions[q])}
    memo: dict[int, int] = {}

    def longest(q: int, stack: frozenset[int]) -> int:
        if q in sinks:
            return 0
        if q in memo:
            return memo[q]
        if q in stack:  # pragma: no cover - reverse definite: no cycle outside the sinks
            raise ValueError("a cycle avoids the sinks")
        out = 1 + max(longest(r, stack | {q}) for r in d.transitions[q])
        memo[q] = out
        return out

    return longest(d.start, frozenset())


def _upper(out: dict[str, ClassVerdict], bounds: list[tuple[str, int, str]]) -> tuple[int, str] | None:
    """The smallest k a known parameter implies: ``(class key, shift, why)`` entries, k = parameter + shift."""
    best = None
    for key, shift, why in bounds:
        v = out.get(key)
        if v is not None and v.holds and v.parameter and "k" in v.parameter:
            k = v.parameter["k"] + shift
            if best is None or k < best[0]:
                best = (k, why.format(k=v.parameter["k"]))
    return best


def generalized_definite(ctx: AlgebraContext, budget: int, out: dict[str, ClassVerdict]) -> ClassVerdict:
    """``e s e = e``, on one idempotent per D-class (``eSe`` is ``eMe``, and D-equivalent idempotents
    have isomorphic local monoids); k by search over (first k, last k letters)."""
    ctx.fresh_budget()
    S, E = ctx.S, ctx.E_reps
    if not ctx.affordable(2 * S.size * E.size):
        return _undecided("generalized_definite", ctx)
    es = ctx.mul(E[:, None], S[None, :])
    ese = ctx.mul(es, E[:, None])
    bad = np.argwhere(ese != E[:, None])
    if bad.size:
        e, s = int(E[bad[0][0]]), int(S[bad[0][1]])
        return ClassVerdict(
            key="generalized_definite", holds=False,
            evidence=f"e s e is not e for e = {format_word(ctx.word(e, True), ctx.dfa.alphabet)}, s = {format_word(ctx.word(s, True), ctx.dfa.alphabet)}",
            certificate=ctx.violation("x^ω y x^ω = x^ω", {"x": e, "y": s}, semigroup=True),
        )
    upper = _upper(out, [("definite", 0, "the language is {k}-definite"),
                         ("reverse_definite", 0, "the language is {k}-reverse definite")])
    order = (S.size, f"|S| = {S.size}: every word of |S| letters has a factor mapped to an idempotent, "
                     "and LI satisfies x^ω y z^ω = x^ω z^ω (Pin 1986, Varieties of Formal Languages)")
    if upper is None or order[0] < upper[0]:
        upper = order
    k, lower, note, bounds = least_parameter(ctx.dfa, "generalized_definite", range(0, S.size + 1), budget,
                                             upper=upper)
    found = f"{k}-generalized definite (least k, by search{'; ' + note if note else ''})" if k is not None else note
    return ClassVerdict(
        key="generalized_definite", holds=True,
        evidence=f"e s e = e for all {S.size} s in S and every idempotent e ({_reps(ctx)}); {found}",
        parameter={"k": k} if k is not None else None, lower=lower, **bounds_fields(bounds),
    )


# ------------------------------------------------------- local testability
def _lt_upper(out: dict[str, ClassVerdict]) -> tuple[int, str] | None:
    """The least k of LT_k that the classes inside LT imply (SL_k, D_k, RD_k and GD_k lie in LT_(k+1) or LT_k)."""
    return _upper(out, [
        ("strictly_local", 0, "the language is strictly {k}-local"),
        ("definite", 1, "the language is {k}-definite"),
        ("reverse_definite", 1, "the language is {k}-reverse definite"),
        ("generalized_definite", 1, "the language is {k}-generalized definite"),
    ])


def locally_testable(ctx: AlgebraContext, budget: int, out: dict[str, ClassVerdict]) -> ClassVerdict:
    """Every local monoid ``eSe`` is idempotent and commutative; k by search."""
    ctx.fresh_budget()
    for e in ctx.E_reps.tolist():
        if not ctx.affordable(2 * ctx.S.size):
            return _undecided("locally_testable", ctx)
        local, source = ctx.local(e, e)
        if not ctx.affordable(local.size * local.size):
            return _undecided("locally_testable", ctx)
        sq = ctx.mul(local, local)
        bad = np.flatnonzero(sq != local)
        if bad.size:
            s = int(source[bad[0]])
            return ClassVerdict(
                key="locally_testable", holds=False,
                evidence=f"the local monoid eSe of e = {format_word(ctx.word(e, True), ctx.dfa.alphabet)} is not idempotent",
                certificate=ctx.violation("x^ω y x^ω y x^ω = x^ω y x^ω", {"x": e, "y": s}, semigroup=True),
            )
        ab = ctx.mul(local[:, None], local[None, :])
        bad2 = np.argwhere(ab != ab.T)
        if bad2.size:
            i, j = (int(v) for v in bad2[0])
            return ClassVerdict(
                key="locally_testable", holds=False,
                evidence=f"the local monoid eSe of e = {format_word(ctx.word(e, True), ctx.dfa.alphabet)} is not commutative",
                certificate=ctx.violation(
                    "x^ω y x^ω z x^ω = x^ω z x^ω y x^ω",
                    {"x": e, "y": int(source[i]), "z": int(source[j])}, semigroup=True,
                ),
            )
    upper = _lt_upper(out)
    order = trahtman_bound(ctx.dfa.n_states)
    if upper is None or order[0] < upper[0]:
        upper = order
    k, lower, note, bounds = least_parameter(ctx.dfa, "local", range(1, order[0] + 1), budget, upper=upper)
    found = f"{k}-locally testable (least k, by search{'; ' + note if note else ''})" if k is not None else note
    return ClassVerdict(
        key="locally_testable", holds=True,
        evidence=f"every local monoid eSe is idempotent and commutative ({_reps(ctx)}); {found}",
        parameter={"k": k} if k is not None else None, lower=lower, **bounds_fields(bounds),
    )


def trahtman_bound(n: int) -> tuple[int, str]:
    """The order of local testability a locally testable language with an ``n``-state (complete,
    minimal) DFA cannot exceed: ``(n^2 - n)/2 + 1``, sharp (Trahtman 1998, LNCS 1436; TCS 231, 2000)."""
    k = (n * n - n) // 2 + 1
    return k, f"its minimal DFA has {n} states and the LT order is at most (n^2 - n)/2 + 1 = {k} (Trahtman 2000)"


def locally_threshold_testable(
    ctx: AlgebraContext, aperiodic: ClassVerdict, lt: ClassVerdict, budget: int,
    out: dict[str, ClassVerdict] | None = None,
) -> ClassVerdict:
    """Aperiodic and ``p q r = r q p`` for ``p, r`` in eSf, ``q`` in fSe; (k, t) by search.

    ``out`` (the verdicts so far) bounds k when the LT search found no least k:
    an LT_k language is (k, 1)-LTT."""
    ctx.fresh_budget()
    if not aperiodic.holds:
        x = aperiodic.certificate.assignment["x"]
        return ClassVerdict(
            key="locally_threshold_testable", holds=False, evidence="not aperiodic",
            certificate=ctx.violation_words("x^(ω+1) = x^ω", {"x": x}, semigroup=True),
        )
    pieces = ctx.local_pieces(ctx.E_reps)
    if pieces is None:
        return _undecided("locally_threshold_testable", ctx)
    for e, f in _by_cost(ctx, pieces, lambda p, q: p * p * q):
        (P, ps), (Q, qs) = pieces[(e, f)], pieces[(f, e)]
        if not ctx.affordable(P.size * Q.size * (1 + P.size)):
            return _undecided("locally_threshold_testable", ctx)
        pq = ctx.mul(P[:, None], Q[None, :])  # (|P|, |Q|): p_i q_j
        uniq, inverse = np.unique(pq, return_inverse=True)
        u_r = ctx.mul(uniq[:, None], P[None, :])  # each distinct p q times each r
        pqr = u_r[inverse.reshape(pq.shape)]  # (|P|, |Q|, |P|): p_i q_j p_k
        bad = np.argwhere(pqr != pqr.transpose(2, 1, 0))
        if bad.size:
            i, j, k = (int(v) for v in bad[0])
            ids = {"x": e, "z": f, "y": int(ps[i]), "t": int(qs[j]), "u": int(ps[k])}
            return ClassVerdict(
                key="locally_threshold_testable", holds=False,
                evidence=f"p q r and r q p differ for p, r in eSf, q in fSe (e = {format_word(ctx.word(e, True), ctx.dfa.alphabet)}, "
                f"f = {format_word(ctx.word(f, True), ctx.dfa.alphabet)})",
                certificate=ctx.violation("x^ω y z^ω t x^ω u z^ω = x^ω u z^ω t x^ω y z^ω", ids, semigroup=True),
            )
    lt_upper = _lt_upper(out or {}) if lt.holds else None
    if lt.holds and lt.bounds and lt.bounds["k"][1] is not None and (lt_upper is None or lt.bounds["k"][1] < lt_upper[0]):
        lt_upper = (lt.bounds["k"][1], lt.bounds_by)  # LT_k for some k <= this, by a theorem
    k, t, lower, note, bounds = _threshold_search(ctx, lt, budget, lt_upper)
    found = (f"({k}, {t})-locally threshold testable (least k, then least t, by search{note})" if k is not None
             else note.lstrip("; "))
    return ClassVerdict(
        key="locally_threshold_testable", holds=True,
        evidence=f"aperiodic, and p q r = r q p for p, r in eSf and q in fSe ({_reps(ctx)}); {found}",
        parameter={"k": k, "t": t} if k is not None else None, lower=lower, **bounds_fields(bounds),
    )


def _threshold_search(ctx: AlgebraContext, lt: ClassVerdict, budget: int, lt_upper):  # noqa: ANN001
    """The least k with the language (k, t)-LTT for some t <= n + 1, then the least t for it.

    Keys refine as t grows, so one check at ``t = n + 1`` settles a k. An LT_k
    language is (k, 1)-LTT, so k never passes the LT order; below it, a
    smaller k is only an improvement and gets what is left of the budget
    (``budget`` bounds the pairs explored over the whole search). Without an
    LT order, ``lt_upper = (k, why)`` (a k with the language LT_k) caps k.
    Returns ``(k, t, lower, note, bounds)``; when a smaller k was left
    undecided by the budget, k and t are None and ``bounds`` says where k lies.
    """
    t_max = ctx.dfa.n_states + 1
    k_lt = lt.parameter["k"] if lt.holds and lt.parameter else None
    k_max = k_lt if k_lt is not None else max(ctx.dfa.n_states ** 2, 2) + 1
    bound = ""
    if k_lt is None and lt_upper is not None:
        k_max = lt_upper[0]
        bound = f"; ({k_max}, 1)-locally threshold testable since it is {k_max}-locally testable ({lt_upper[1]})"
    spent: list[int] = []
    skipped = []
    for k in range(1, k_max + 1):
        if k == k_lt or (bound and k == k_max):
            why = "; (k, 1) from the LT order" if k == k_lt else bound
            if skipped:  # a smaller k is possible: k is only bounded
                note = (f"; ({k}, 1)-locally threshold testable{why}, k = {', '.join(map(str, skipped))} "
                        "not excluded (search budget)")
                return None, None, None, note, (skipped[0], k, f"the language is ({k}, 1)-LTT{why}")
            return k, 1, None, why, None
        ok, _ = check_parameter(ctx.dfa, "threshold", k, t=t_max, budget=max(budget - sum(spent), 0), spent=spent)
        if ok is None:
            skipped.append(k)
            if k_lt is None:
                break
            continue
        if not ok:
            continue
        lower = None
        for t in range(1, t_max + 1):  # the least t
            ok_t, witness = check_parameter(ctx.dfa, "threshold", k, t=t, budget=max(budget - sum(spent), 0),
                                            spent=spent)
            if ok_t:
                if skipped:
                    return None, None, None, (f"; ({k}, {t})-locally threshold testable, k = "
                                              f"{', '.join(map(str, skipped))} not excluded (search budget)"), (
                        skipped[0], k, f"the language is ({k}, {t})-LTT (checked exactly)")
                return k, t, lower, "", None
            if ok_t is None:
                break
            lower = witness
        return None, None, None, f"k = {k} works with t = {t_max}; the least t passed the search budget", (
            skipped[0] if skipped else k, k, f"the language is ({k}, {t_max})-LTT (checked exactly)")
    first = skipped[0] if skipped else k_max + 1
    if bound:
        return None, None, None, f"no (k, t) with k < {k_max} found within the search budget of {budget:,}{bound}", (
            first, k_max, f"the language is {k_max}-locally testable ({lt_upper[1]}), so ({k_max}, 1)-LTT")
    return None, None, None, (f"no (k, t) with k <= {k_max}, t <= {t_max} found within the search budget of "
                              f"{budget:,}"), (first, None, "no theorem bounds k here (the search stops at n^2 + 1)")


# ------------------------------------------------------------ dot-depth one
def dot_depth_one(ctx: AlgebraContext) -> ClassVerdict:
    """Knast's identity on every pair of idempotents ``e, f`` of S (one per D-class)."""
    ctx.fresh_budget()
    eq = "(x^ω p y^ω q)^ω x^ω p y^ω s x^ω (r y^ω s x^ω)^ω = (x^ω p y^ω q)^ω x^ω (r y^ω s x^ω)^ω"
    pieces = ctx.local_pieces(ctx.E_reps)
    if pieces is None:
        return _undecided("dot_depth_one", ctx)
    checked = 0
    for e, f in _by_cost(ctx, pieces, lambda p, q: p * q):
        (P, ps), (Q, qs) = pieces[(e, f)], pieces[(f, e)]
        cost = 3 * P.size * Q.size
        if not ctx.affordable(cost):
            return _undecided("dot_depth_one", ctx)
        ab = ctx.mul(P[:, None], Q[None, :])  # a_i b_j
        w = ctx.omega(ab)
        # X: ((ab)^ω, (ab)^ω a) over a in eSf, b in fSe; Y: ((cd)^ω, d) over c in eSf, d in fSe
        xa = ctx.mul(w, P[:, None])
        X, xi = np.unique(np.stack([w.ravel(), xa.ravel()], axis=1), axis=0, return_index=True)
        Y, yi = np.unique(np.stack([w.ravel(), np.broadcast_to(Q[None, :], w.shape).ravel()], axis=1),
                          axis=0, return_index=True)
        if not ctx.affordable(3 * X.shape[0] * Y.shape[0]):
            return _undecided("dot_depth_one", ctx)
        lhs = ctx.mul(ctx.mul(X[:, 1][:, None], Y[:, 1][None, :]), Y[:, 0][None, :])
        rhs = ctx.mul(X[:, 0][:, None], Y[:, 0][None, :])
        checked += lhs.size
        bad = np.argwhere(lhs != rhs)
        if bad.size:
            i, j = (int(v) for v in bad[0])
            a_i, b_j = divmod(int(xi[i]), Q.size)
            c_i, d_j = divmod(int(yi[j]), Q.size)
            ids = {"x": e, "y": f, "p": int(ps[a_i]), "q": int(qs[b_j]), "r": int(ps[c_i]), "s": int(qs[d_j])}
            return ClassVerdict(
                key="dot_depth_one", holds=False,
                evidence=f"Knast's identity fails for e = {format_word(ctx.word(e, True), ctx.dfa.alphabet)}, "
                f"f = {format_word(ctx.word(f, True), ctx.dfa.alphabet)}",
                certificate=ctx.violation(eq, ids, semigroup=True),
            )
    return ClassVerdict(
        key="dot_depth_one", holds=True,
        evidence=f"Knast's identity holds on every eSf, fSe ({_reps(ctx)}; {checked:,} reduced cases)",
    )


# ------------------------------------------------------------ strict classes
def strict_locality(ctx: AlgebraContext) -> ClassVerdict:
    r = strictly_local(ctx.dfa)
    if r.holds is None:
        return ClassVerdict(key="strictly_local", holds=None, evidence=f"not decided: {ctx.dfa.n_states} states are too many")
    if not r.holds:
        return ClassVerdict(
            key="strictly_local", holds=False,
            evidence="suffix substitution fails for common factors of every length (a pumped factor)",
            certificate=r.certificate,
        )
    return ClassVerdict(
        key="strictly_local", holds=True,
        evidence=f"closed under suffix substitution for factors of length {r.k - 1}: strictly {r.k}-local "
        f"(least k, exact; k <= n^2 + 1)",
        parameter={"k": r.k}, lower=r.lower,
    )


def strict_piecewise_testability(ctx: AlgebraContext, budget: int) -> ClassVerdict:
    r = strictly_piecewise(ctx.dfa, budget=budget)
    if not r.holds:
        return ClassVerdict(
            key="strictly_piecewise", holds=False, evidence="not closed under deleting a letter",
            certificate=r.certificate,
        )
    if r.k is None:
        n = ctx.dfa.n_states
        why = (f"a minimal forbidden word labels a path of the {n}-state minimal DFA without a repeated state "
               f"(cutting a cycle out leaves a shorter forbidden subword), so it has at most {n - 1} letters")
        lo = 1 if len(ctx.dfa.accepting) < n else 0
        return ClassVerdict(
            key="strictly_piecewise", holds=True,
            evidence=f"closed under subwords; the longest minimal forbidden word was not found within {budget:,} "
            f"states; k <= {n - 1} since {why}",
            bounds={"k": (min(lo, n - 1), n - 1)}, bounds_by=why,
        )
    return ClassVerdict(
        key="strictly_piecewise", holds=True,
        evidence=f"closed under subwords; the longest minimal forbidden subword has length {r.k}: SP_{r.k} "
        "(least k, exact)",
        parameter={"k": r.k}, lower=r.lower,
    )
