"""The verdicts of :func:`~.varieties.decide_varieties`: the classes, one
verdict per class with its evidence, and the collection of all of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..automata.dfa import DFA
from ..errors import DFAError

__all__ = ["CLASSES", "ClassInfo", "ClassVerdict", "Varieties", "bounds_fields"]


@dataclass(frozen=True)
class ClassInfo:
    """A class :func:`decide_varieties` decides: its name, equations, theorem."""

    key: str
    name: str
    equation: str
    theorem: str
    semigroup: bool = False


#: The classes, in the order they are reported (coarser before finer).
CLASSES: tuple[ClassInfo, ...] = (
    ClassInfo("aperiodic", "star-free (aperiodic)", "x^(ω+1) = x^ω",
              "Schützenberger 1965: star-free iff the syntactic monoid is aperiodic; = FO[<] (McNaughton & Papert 1971)"),
    ClassInfo("dot_depth_one", "dot-depth at most one",
              "(x^ω p y^ω q)^ω x^ω p y^ω s x^ω (r y^ω s x^ω)^ω = (x^ω p y^ω q)^ω x^ω (r y^ω s x^ω)^ω",
              "Knast 1983: dot-depth <= 1 iff the syntactic semigroup satisfies Knast's identity", True),
    ClassInfo("da", "DA (FO2[<])", "(xy)^ω y (xy)^ω = (xy)^ω",
              "Thérien & Wilke 1998: FO2[<] iff the syntactic monoid is in DA (Schützenberger 1976: regular "
              "D-classes are aperiodic semigroups)"),
    ClassInfo("r_trivial", "R-trivial", "(xy)^ω x = (xy)^ω",
              "Eilenberg 1976; Brzozowski & Fich 1980: R-trivial syntactic monoid"),
    ClassInfo("l_trivial", "L-trivial", "y(xy)^ω = (xy)^ω", "Eilenberg 1976: L-trivial syntactic monoid"),
    ClassInfo("j_trivial", "piecewise testable (J-trivial)", "(xy)^ω x = (xy)^ω = y(xy)^ω",
              "Simon 1975: piecewise testable iff the syntactic monoid is J-trivial; k-PT decided exactly by "
              "single-letter insertions (Simon's lemmas; polynomial for a fixed alphabet), k at most the depth "
              "of the minimal DFA (Klíma & Polák 2013); k-PT is coNP-complete for k >= 4 when the alphabet "
              "grows (Klíma, Kunc & Polák 2014; Masopust & Thomazo 2015)"),
    ClassInfo("locally_threshold_testable", "locally threshold testable",
              "x^(ω+1) = x^ω, x^ω y z^ω t x^ω u z^ω = x^ω u z^ω t x^ω y z^ω",
              "Beauquier & Pin 1989 (Thérien & Weiss 1985): aperiodic and e x f y e z f = e z f y e x f", True),
    ClassInfo("locally_testable", "locally testable",
              "x^ω y x^ω y x^ω = x^ω y x^ω, x^ω y x^ω z x^ω = x^ω z x^ω y x^ω",
              "Brzozowski & Simon 1973; McNaughton 1974: every local monoid eSe is idempotent and commutative; "
              "the order k is at most (n^2 - n)/2 + 1 for n states (Trahtman 2000), NP-hard to find exactly "
              "(Kim, McNaughton & McCloskey 1991), hence a search with these bounds",
              True),
    ClassInfo("generalized_definite", "generalized definite", "x^ω y x^ω = x^ω",
              "Ginzburg 1966; Eilenberg 1976 (LI): eSe = {e} for every idempotent e of S", True),
    ClassInfo("definite", "definite", "y x^ω = x^ω",
              "Perles, Rabin & Shamir 1963; Eilenberg 1976 (D): s e = e for s in S, e idempotent", True),
    ClassInfo("reverse_definite", "reverse definite", "x^ω y = x^ω",
              "Perles, Rabin & Shamir 1963; Eilenberg 1976 (K): e s = e for s in S, e idempotent", True),
    ClassInfo("strictly_local", "strictly local", "closed under suffix substitution",
              "McNaughton & Papert 1971; Rogers & Pullum 2011: SL_k iff closed under suffix substitution "
              "for factors of length k-1"),
    ClassInfo("strictly_piecewise", "strictly piecewise", "closed under subwords",
              "Rogers, Heinz, Bailey, Edlefsen, Visscher, Wellcome & Wibel 2010"),
    ClassInfo("commutative", "commutative", "xy = yx", "Eilenberg 1976 (Com): the syntactic monoid is commutative"),
    ClassInfo("group", "group language", "x^ω = 1",
              "the syntactic monoid is a group iff every letter permutes the states of the minimal DFA"),
)

_INFO = {c.key: c for c in CLASSES}


def bounds_fields(bounds: tuple[int, int | None, str] | None) -> dict[str, Any]:
    """``ClassVerdict`` keyword arguments for the bounds ``(at_least, at_most, why)`` a search left on k."""
    if bounds is None:
        return {}
    lo, hi, why = bounds
    return {"bounds": {"k": (lo, hi)}, "bounds_by": why}


@dataclass(frozen=True, kw_only=True)
class ClassVerdict:
    """Whether the language is in one class, with its evidence.

    ``holds`` is None when the question was not decided within the budgets.
    ``certificate`` (for a no) and ``lower`` (for a yes with a parameter: the
    words showing the parameter cannot be smaller) re-check on any DFA for the
    language with :meth:`check`.
    """

    key: str
    holds: bool | None
    evidence: str
    certificate: Any = None
    parameter: dict[str, int] | None = None
    lower: Any = None
    #: For a yes whose least parameter the search left open: ``{"k": (at_least, at_most)}``,
    #: ``at_most`` None when nothing bounds it; ``bounds_by`` says what gives ``at_most``.
    bounds: dict[str, tuple[int, int | None]] | None = None
    bounds_by: str = ""

    def __post_init__(self) -> None:
        if self.key not in _INFO:
            raise DFAError(f"unknown class {self.key!r}")
        if self.holds is False and self.certificate is None:
            raise DFAError(f"a 'no' for {self.key} needs a certificate")
        for name, (lo, hi) in (self.bounds or {}).items():
            if hi is not None and hi < lo:
                raise DFAError(f"bounds on {name} for {self.key}: {lo} > {hi}")

    @property
    def info(self) -> ClassInfo:
        return _INFO[self.key]

    @property
    def name(self) -> str:
        return self.info.name

    def check(self, dfa: DFA) -> bool:
        """Re-verify every certificate this verdict carries on ``dfa`` (True when there is none)."""
        return all(c.check(dfa) for c in (self.certificate, self.lower) if c is not None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "class": self.key,
            "name": self.name,
            "holds": self.holds,
            "equation": self.info.equation,
            "theorem": self.info.theorem,
            "evidence": self.evidence,
            "parameter": self.parameter,
            "certificate": self.certificate.to_dict() if self.certificate is not None else None,
            "lower": self.lower.to_dict() if self.lower is not None else None,
            "parameter_bounds": None if self.bounds is None else {
                name: {"at_least": lo, "at_most": hi, "exact": lo == hi} for name, (lo, hi) in self.bounds.items()
            },
            "parameter_bounds_by": self.bounds_by or None,
        }


@dataclass(frozen=True, kw_only=True)
class Varieties:
    """Every class of :data:`CLASSES` decided for one language."""

    monoid_size: int
    semigroup_size: int
    verdicts: tuple[ClassVerdict, ...] = field(default=())

    def __getitem__(self, key: str) -> ClassVerdict:
        for v in self.verdicts:
            if v.key == key:
                return v
        raise KeyError(key)

    def check(self, dfa: DFA) -> bool:
        """Re-verify every certificate on ``dfa``."""
        return all(v.check(dfa) for v in self.verdicts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "monoid_size": self.monoid_size,
            "semigroup_size": self.semigroup_size,
            "classes": [v.to_dict() for v in self.verdicts],
        }
