"""What the class decisions share: the minimal DFA, its syntactic monoid and
semigroup, Green's relations, products, and the construction of certificates.

Products use the multiplication table when the monoid is small enough
(:data:`~.products.TABLE_LIMIT`), otherwise they compose transformations and
look the result up; either way every product is counted against a budget so
that the semigroup identities (which quantify over several variables) stop
with an honest "undecided" instead of running for hours.
"""

from __future__ import annotations

import numpy as np

from ..automata.dfa import DFA
from ..errors import DFAError
from ._transforms import compose
from .equations import EquationViolation, parse_equation, separating_context, term_transformation
from .green import GreenRelations, green_relations
from .monoid import Monoid
from .products import TABLE_LIMIT, idempotent_power_ids, multiplication_table, semigroup_mask, semigroup_word
from .testability import ParameterWitness, check_parameter

__all__ = ["AlgebraContext", "least_parameter"]


class AlgebraContext:
    """The algebra of one minimal DFA's language, shared by the class checks.

    Attributes
    ----------
    dfa, monoid, green
        The minimal DFA, its transition (= syntactic) monoid and Green's relations.
    S, E
        Ids of the syntactic semigroup ``eta(A+)`` and of its idempotents.
    E_reps
        One idempotent of ``S`` per D-class: D-equivalent idempotents are
        isomorphic objects of the category of idempotents, and an equivalent
        category satisfies the same identities (Tilson 1987), so identities on
        ``eSf`` need only these.
    """

    def __init__(self, dfa: DFA, monoid: Monoid, *, max_products: int):
        self.dfa = dfa
        self.monoid = monoid
        self.m = monoid.size
        self.green: GreenRelations = green_relations(monoid)
        self.table = multiplication_table(monoid) if monoid.size <= TABLE_LIMIT else None
        self.omega_ids = idempotent_power_ids(monoid, self.table)
        s_mask = semigroup_mask(monoid)
        self.S = np.flatnonzero(s_mask)
        idem = np.zeros(self.m, dtype=bool)
        idem[list(self.green.idempotents)] = True
        self.E = np.flatnonzero(idem & s_mask)
        d_of = self.green.d_class[self.E]
        _, first = np.unique(d_of, return_index=True)
        self.E_reps = np.sort(self.E[first])
        self.budget = max_products
        self.spent = 0
        self._pieces: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}

    # ------------------------------------------------------------ products
    def mul(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Element-wise products of two id arrays (broadcast)."""
        a, b = np.broadcast_arrays(np.asarray(a), np.asarray(b))
        self.spent += a.size
        if self.table is not None:
            return self.table[a, b]
        rows = compose(self.monoid.elements[a.ravel()], self.monoid.elements[b.ravel()])
        return self.monoid.ids_of(rows).reshape(a.shape)

    def omega(self, a: np.ndarray) -> np.ndarray:
        """Idempotent powers of an id array."""
        return self.omega_ids[np.asarray(a)]

    def fresh_budget(self) -> None:
        """Start counting products anew (each class gets the whole budget)."""
        self.spent = 0

    def affordable(self, cost: int) -> bool:
        """Whether ``cost`` more products stay within the budget."""
        return self.spent + cost <= self.budget

    def local(self, e: int, f: int) -> tuple[np.ndarray, np.ndarray]:
        """The distinct elements of ``e S f`` and, for each, an ``s`` in S with ``e s f`` equal to it."""
        if (e, f) not in self._pieces:
            self._local_row(e, np.asarray([f]))
        return self._pieces[(e, f)]

    def local_pieces(self, es: np.ndarray) -> dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] | None:
        """:meth:`local` for every pair of ``es`` (one vectorized pass per ``e``), or
        None when that costs more products than the budget has left."""
        if not self.affordable(es.size * self.S.size * (1 + es.size)):
            return None
        for e in es.tolist():
            missing = np.asarray([f for f in es.tolist() if (e, f) not in self._pieces])
            if missing.size:
                self._local_row(e, missing)
        return {(e, f): self._pieces[(e, f)] for e in es.tolist() for f in es.tolist()}

    def _local_row(self, e: int, fs: np.ndarray) -> None:
        es = self.mul(np.full(self.S.size, e), self.S)  # e s
        esf = self.mul(es[:, None], fs[None, :])  # (|S|, |fs|): e s f
        key = np.arange(fs.size)[None, :] * self.m + esf
        uniq, first = np.unique(key.T.ravel(), return_index=True)
        cols, vals = np.divmod(uniq, self.m)
        sources = self.S[first % self.S.size]
        cuts = np.searchsorted(cols, np.arange(1, fs.size))
        for f, v, src in zip(fs.tolist(), np.split(vals, cuts), np.split(sources, cuts)):
            self._pieces[(e, f)] = (v, src)

    # ---------------------------------------------------------- certificates
    def word(self, i: int, semigroup: bool) -> tuple[str, ...]:
        """The shortest word of element ``i`` (non-empty when ``semigroup``)."""
        return semigroup_word(self.monoid, int(i)) if semigroup else self.monoid.word(int(i))

    def violation(self, equation: str, ids: dict[str, int], *, semigroup: bool) -> EquationViolation:
        """A certificate that ``equation`` fails with the shortest words of ``ids`` for its variables."""
        words = {v: self.word(i, semigroup) for v, i in ids.items()}
        return self.violation_words(equation, words, semigroup=semigroup)

    def violation_words(
        self, equation: str, words: dict[str, tuple[str, ...]], *, semigroup: bool
    ) -> EquationViolation:
        """A certificate that ``equation`` fails with ``words`` for its variables: a separating context."""
        eq = parse_equation(equation)
        lhs = term_transformation(eq.lhs, words, self.dfa)
        rhs = term_transformation(eq.rhs, words, self.dfa)
        prefix, suffix = separating_context(self.dfa, lhs, rhs)
        cert = EquationViolation(
            equation=equation, variables=tuple(sorted(words.items())), prefix=prefix, suffix=suffix,
            semigroup=semigroup, alphabet=self.dfa.alphabet,
        )
        if not cert.check(self.dfa):  # pragma: no cover - internal invariant
            raise DFAError(f"internal error: the certificate for {equation} does not re-check")
        return cert


def least_parameter(
    dfa: DFA,
    family: str,
    ks: range,
    budget: int,
    *,
    t: int = 1,
    upper: tuple[int, str] | None = None,
) -> tuple[int | None, ParameterWitness | None, str, tuple[int, int | None, str] | None]:
    """The least ``k`` in ``ks`` for which the language is k-X (``family``), the
    witness that ``k-1`` fails (None when ``k`` is the first value tried), a
    note (why no k was found, or which theorem settled it), and, when the
    search ran out before settling k, the bounds it leaves:
    ``(at_least, at_most, why)`` with ``at_most`` None when no theorem bounds
    k (``why`` then says so).

    ``budget`` bounds the (key, state) pairs explored over all the values of k
    together. ``upper = (k_u, reason)`` is a k known to work by a theorem: the
    search stops there without the (costly, exhaustive) check of a yes.
    """
    lower = None
    last = None
    spent: list[int] = []
    for k in ks:
        if upper is not None and k >= upper[0]:
            return upper[0], (lower if last == upper[0] - 1 else None), f"k <= {upper[0]} since {upper[1]}", None
        left = budget - sum(spent)
        ok, witness = check_parameter(dfa, family, k, t=t, budget=max(left, 0), spent=spent)
        if ok:
            return k, lower, "", None
        if ok is None:
            bound = f"; k <= {upper[0]} since {upper[1]}" if upper is not None else ""
            bounds = (k, upper[0], upper[1]) if upper is not None else (k, None, "no theorem bounds k here")
            return None, None, f"k = {k} passed the search budget of {budget:,} (key, state) pairs" + (
                f"; no k <= {last} works" if last is not None else ""
            ) + bound, bounds
        lower, last = witness, k
    at_least = last + 1 if last is not None else ks.start
    return None, None, (f"no k <= {last} works (searched)" if last is not None else "not searched"), (
        at_least, None, f"k > {ks.stop - 1} was not searched")
