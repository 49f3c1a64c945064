"""Parametric language families, generated on demand as implicit DFAs.

A family is named by a spec (``dyck-2-3``, ``Dn-4``, ``group-A5-all``,
``mod-3-1``; :data:`FAMILIES` lists them); :func:`family` returns its
:class:`Family` (an :class:`~automata_probe.automata.dfa.ImplicitDFA` explored
lazily, and its exact state count known before anything is explored) and
:func:`family_dfa` the minimal explicit DFA. The groups, their generators and
the names of their elements are in the languages guide (``docs/languages.md``).
"""

from __future__ import annotations

import itertools
import logging
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable

from .dfa import DFA
from .implicit import ImplicitDFA
from .nfa import DEFAULT_MAX_DFA_STATES, DFA_FLAG
from ..errors import LanguageNotFoundError, StateSpaceTooLargeError, excerpt

__all__ = [
    "FAMILIES",
    "FamilySpec",
    "Family",
    "FAMILY_EXAMPLES",
    "family",
    "family_implicit",
    "family_dfa",
    "is_family_spec",
    "dyck",
    "dyck_depth",
    "group",
    "mod_counting",
    "DEFAULT_MAX_STATES",
]

log = logging.getLogger(__name__)

#: The default of ``max_states`` (``--max-states``): one budget for every DFA
#: built, a family's or a regex's (:data:`~automata_probe.automata.nfa.DEFAULT_MAX_DFA_STATES`).
DEFAULT_MAX_STATES = DEFAULT_MAX_DFA_STATES

#: Families with more states than this are refused as soon as they are named,
#: whatever ``max_states`` says: no DFA that large can be built, and the exact
#: count itself can be costly (``S_n`` has ``n!`` elements, ``dyck-99-99``
#: 3.7e197 states), so it is not computed past this.
COUNT_CEILING = 10**15


def too_large_error(name: str, size: int | float | None, max_states: int, what: str = "states") -> StateSpaceTooLargeError:
    """The one-line error for a family past ``max_states``: its size (an int:
    exact; a float: its log10, for sizes past :data:`COUNT_CEILING`; None: past
    the ceiling, not estimated), the cap and the flag that raises it."""
    if size is None:
        text = f"more than {COUNT_CEILING:.0e}".replace("e+", "e")
    elif isinstance(size, int):
        text = f"{size:,}"
    else:
        exponent = math.floor(size)
        text = f"about {10 ** (size - exponent):.1f}e{exponent}"
    return StateSpaceTooLargeError(
        f"language {name!r} has {text} {what}, past the cap of {max_states:,}; raise the limit with {DFA_FLAG}"
    )


def _parameter(text: str) -> int | None:
    """A family's numeric parameter; None past :data:`COUNT_CEILING` (a family
    with such a parameter is past the ceiling too, and ``int`` would refuse a
    string of more than 4,300 digits)."""
    digits = text.lstrip("0") or "0"
    return int(digits) if len(digits) <= 16 and int(digits) <= COUNT_CEILING else None


def _bounded(size: int | float) -> int | float:
    """An exact size up to :data:`COUNT_CEILING`, else its log10 (a float)."""
    return size if isinstance(size, int) and size <= COUNT_CEILING else math.log10(size)


#: Names shown in help texts and offered as close matches for typos.
FAMILY_EXAMPLES = (
    "dyck-2-3",
    "dyck-8-10",
    "Dn-4",
    "group-Z5",
    "group-S3",
    "group-S5",
    "group-A5",
    "group-A5-all",
    "group-A4xZ5",
    "group-A4xZ5-all",
    "group-Z60",
    "group-Z60-all",
    "group-D4",
    "mod-3",
    "mod-3-1",
)


@dataclass(frozen=True, kw_only=True)
class FamilySpec:
    """One row of the catalogue: how a family is named, what it is, examples."""

    spec: str
    language: str
    examples: tuple[str, ...]


#: The families, as ``automata-probe languages`` and the docs list them.
FAMILIES: tuple[FamilySpec, ...] = (
    FamilySpec(spec="dyck-K-h", language="bounded Dyck(K,h): K bracket kinds, depth <= h",
               examples=("dyck-2-3", "dyck-1-5")),
    FamilySpec(spec="Dn-N, DN", language="D_N: Dyck-1 over a (open), b (close), depth <= N", examples=("Dn-4", "D12")),
    FamilySpec(spec="group-G", language="word problem of G over its generators; G = Zn, Sn, An, Dn or products AxB",
               examples=("group-S5", "group-A4xZ5")),
    FamilySpec(spec="group-G-all", language="the same with every element of G as a letter (Merrill et al. 2024)",
               examples=("group-A5-all", "group-Z60-all")),
    FamilySpec(spec="mod-p, mod-p-r", language="words over {a,b} whose number of a's is r mod p",
               examples=("mod-3", "mod-5-2")),
)


@dataclass(frozen=True, kw_only=True)
class Family:
    """A generated language: its implicit DFA and what to say about it.

    ``n_states`` is the exact number of states of the explored automaton
    (dead state included), known from the parameters before anything is
    explored.
    """

    name: str
    kind: str
    description: str
    source: str
    implicit: ImplicitDFA
    n_states: int
    train_lengths: tuple[int, int]
    test_bins: tuple[tuple[int, int], ...]
    state_name: Callable[[Any], str] = field(default=str, compare=False, repr=False)

    def dfa(self, *, max_states: int = DEFAULT_MAX_STATES) -> DFA:
        """The minimal DFA, canonically numbered, states labelled.

        Raises
        ------
        StateSpaceTooLargeError
            When the family has more than ``max_states`` states (checked
            before anything is explored).
        """
        if self.n_states > max_states:
            raise too_large_error(self.name, self.n_states, max_states)
        implicit = self.implicit
        seen: dict[str, Any] = {str(implicit.start): implicit.start}

        def recording_step(q: Any, letter: str) -> Any:
            r = implicit.step(q, letter)
            if r is not None:
                seen.setdefault(str(r), r)
            return r

        raw = ImplicitDFA(
            name=self.name,
            alphabet=implicit.alphabet,
            start=implicit.start,
            step=recording_step,
            accepting=implicit.accepting,
        ).materialize(max_states=max_states)
        # materialize labels a state str(state); give it its readable name
        labels = tuple(
            self.state_name(seen[s]) if s in seen else s for s in (raw.state_labels or ())
        )
        labelled = DFA(
            alphabet=raw.alphabet,
            transitions=raw.transitions,
            start=raw.start,
            accepting=raw.accepting,
            name=self.name,
            state_labels=labels,
        )
        return labelled.minimize()


# ----------------------------------------------------------------- Dyck
_BRACKETS = (("(", ")"), ("[", "]"), ("{", "}"), ("<", ">"))


def _bracket_pairs(k: int) -> tuple[tuple[str, str], ...]:
    if k <= len(_BRACKETS):
        return _BRACKETS[:k]
    return tuple((f"({i}", f"){i}") for i in range(1, k + 1))


def dyck(k: int, h: int, *, max_states: int = DEFAULT_MAX_STATES) -> Family:
    """Bounded Dyck(K, h): balanced over ``k`` bracket kinds, depth <= ``h``.

    A state is the stack of open brackets (a tuple of kind indices); opening
    past depth ``h`` or closing the wrong kind goes to the dead state.
    ``max_states`` only names the cap in the error raised for a family past
    :data:`COUNT_CEILING` states (:meth:`Family.dfa` applies it).
    """
    if k < 1 or h < 1:
        raise LanguageNotFoundError(f"dyck-{k}-{h}", [f"dyck-{max(k, 1)}-{max(h, 1)}"])
    # 1 + k + ... + k^h stacks, and the dead state
    if k == 1:
        n_states: int | float = h + 2
    else:
        log = (h + 1) * math.log10(k) - math.log10(k - 1)
        n_states = (k ** (h + 1) - 1) // (k - 1) + 1 if log < 16 else log
    if isinstance(n_states, float) or n_states > COUNT_CEILING:
        raise too_large_error(f"dyck-{k}-{h}", n_states if isinstance(n_states, float) else _bounded(n_states), max_states)
    pairs = _bracket_pairs(k)
    alphabet = tuple(x for pair in pairs for x in pair)
    opens = {p[0]: i for i, p in enumerate(pairs)}
    closes = {p[1]: i for i, p in enumerate(pairs)}

    def step(stack: tuple[int, ...], letter: str) -> tuple[int, ...] | None:
        if letter in opens:
            return stack + (opens[letter],) if len(stack) < h else None
        if stack and stack[-1] == closes[letter]:
            return stack[:-1]
        return None

    def state_name(stack: tuple[int, ...]) -> str:
        return "".join(pairs[i][0] for i in stack) or "ε"

    name = f"dyck-{k}-{h}"
    return Family(
        name=name,
        kind="dyck",
        description=f"bounded Dyck({k},{h}): balanced words over {k} bracket kind(s), depth at most {h}",
        source="Yao et al. 2021 (Dyck(K,h)); Sarrof, Veitsman & Hahn 2024, Section 5",
        implicit=ImplicitDFA(
            name=name, alphabet=alphabet, start=(), step=step, accepting=lambda s: s == (), description=name
        ),
        n_states=n_states,
        train_lengths=(1, 100),
        test_bins=((101, 200),),
        state_name=state_name,
    )


def dyck_depth(n: int) -> Family:
    """D_n over {a, b}: Dyck-1 with depth at most ``n`` (Bhattamishra et al. 2020)."""
    if n < 1:
        raise LanguageNotFoundError(f"Dn-{n}", ["Dn-1"])

    def step(depth: int, letter: str) -> int | None:
        if letter == "a":
            return depth + 1 if depth < n else None
        return depth - 1 if depth > 0 else None

    name = f"Dn-{n}"
    return Family(
        name=name,
        kind="Dn",
        description=f"D_{n}: Dyck-1 over a (open), b (close) with depth at most {n}; D_n = (a D_(n-1) b)*",
        source="Bhattamishra, Ahuja & Goyal 2020; Sarrof, Veitsman & Hahn 2024",
        implicit=ImplicitDFA(name=name, alphabet=("a", "b"), start=0, step=step, accepting=lambda d: d == 0),
        n_states=n + 2,
        train_lengths=(2, 100),
        test_bins=((101, 200),),
        state_name=lambda d: f"depth{d}",
    )


def mod_counting(p: int, r: int = 0) -> Family:
    """Words over {a, b} whose number of a's is congruent to ``r`` mod ``p``."""
    if p < 2 or not 0 <= r < p:
        raise LanguageNotFoundError(f"mod-{p}-{r}", [f"mod-{p}-{r % p}" if p >= 2 else "mod-2"])
    name = f"mod-{p}" if r == 0 else f"mod-{p}-{r}"
    return Family(
        name=name,
        kind="mod",
        description=f"words over {{a, b}} whose number of a's is {r} mod {p}",
        source="counting modulo p: MOD_p, in ACC0 but not AC0 (Smolensky 1987)",
        implicit=ImplicitDFA(
            name=name,
            alphabet=("a", "b"),
            start=0,
            step=lambda q, x: (q + 1) % p if x == "a" else q,
            accepting=lambda q: q == r,
        ),
        n_states=p,
        train_lengths=(1, 50),
        test_bins=((51, 100),),
        state_name=lambda q: f"{q}mod{p}",
    )


# ---------------------------------------------------------------- groups
@dataclass(frozen=True)
class _Factor:
    """One finite group: elements, identity, product, generators, names.

    Permutation groups store an element as the tuple of images of 0..n-1; the
    product ``x * y`` means *first x, then y* (so a word is read left to right).
    """

    kind: str  # "Z", "S", "A", "D"
    n: int

    @property
    def label(self) -> str:
        return f"{self.kind}{self.n}"

    @property
    def log10_order(self) -> float:
        """log10 of :attr:`order`, cheap for any ``n``."""
        if self.kind in "SA":
            return math.lgamma(self.n + 1) / math.log(10) - (self.kind == "A") * math.log10(2)
        return math.log10(self.n * (2 if self.kind == "D" else 1))

    @property
    def order(self) -> int:
        """The exact order (``n!`` for ``S_n``: check :attr:`log10_order` first)."""
        if self.kind == "Z":
            return self.n
        if self.kind == "D":
            return 2 * self.n
        return math.factorial(self.n) // (2 if self.kind == "A" else 1)

    @property
    def identity(self) -> Hashable:
        return 0 if self.kind == "Z" else tuple(range(self.n))

    def mul(self, x: Any, y: Any) -> Any:
        if self.kind == "Z":
            return (x + y) % self.n
        return tuple(y[i] for i in x)

    def _cycle(self, points: list[int]) -> tuple[int, ...]:
        images = list(range(self.n))
        for i, p in enumerate(points):
            images[p] = points[(i + 1) % len(points)]
        return tuple(images)

    def generators(self) -> dict[str, Any]:
        n = self.n
        if self.kind == "Z":
            return {"1": 1 % n}
        if self.kind == "S":
            return {"t": self._cycle([0, 1]), "c": self._cycle(list(range(n)))}
        if self.kind == "A":
            gens = {"a": self._cycle([0, 1, 2])}
            if n > 3:
                gens["b"] = self._cycle(list(range(n)) if n % 2 else list(range(1, n)))
            return gens
        # dihedral
        return {"r": tuple((i + 1) % n for i in range(n)), "s": tuple((-i) % n for i in range(n))}

    def name_of(self, x: Any) -> str:
        if self.kind == "Z":
            return str(x)
        if self.kind == "D":
            return self._dihedral_names()[x]
        sep = "" if self.n <= 9 else "."
        return sep.join(str(i + 1) for i in x)

    def _dihedral_names(self) -> dict[tuple[int, ...], str]:
        gens = self.generators()
        names: dict[tuple[int, ...], str] = {}
        rot = self.identity
        for k in range(self.n):
            names[rot] = f"r{k}"
            names[self.mul(gens["s"], rot)] = f"s{k}"
            rot = self.mul(rot, gens["r"])
        return names

    def elements(self) -> list[Any]:
        """All elements, breadth-first from the identity over the generators."""
        gens = list(self.generators().values())
        order = [self.identity]
        seen = {self.identity}
        head = 0
        while head < len(order):
            x = order[head]
            head += 1
            for g in gens:
                y = self.mul(x, g)
                if y not in seen:
                    seen.add(y)
                    order.append(y)
        return order


_FACTOR_RE = re.compile(r"^([ZSAD])(\d+)$")


def _parse_factors(spec: str, max_states: int) -> tuple[_Factor, ...] | None:
    factors = []
    for part in spec.split("x"):
        m = _FACTOR_RE.match(part.upper())
        if not m:
            return None
        kind, n = m.group(1), _parameter(m.group(2))
        if n is None:
            raise too_large_error(f"group-{excerpt(spec, 60)}", None, max_states)
        minimum = {"Z": 1, "S": 2, "A": 3, "D": 3}[kind]
        if n < minimum:
            raise LanguageNotFoundError(f"group-{spec}", [f"group-{kind}{minimum}"])
        factors.append(_Factor(kind, n))
    return tuple(factors)


def group(spec: str, *, all_elements: bool = False, max_states: int = DEFAULT_MAX_STATES) -> Family:
    """Word problem of the group ``spec`` (``"S5"``, ``"A4xZ5"``, ...).

    With ``all_elements`` every element is a letter (Merrill et al. 2024);
    otherwise the documented generators are.
    """
    factors = _parse_factors(spec, max_states)
    if factors is None:
        import difflib  # local: only for an unknown group (startup)

        groups = [e for e in FAMILY_EXAMPLES if e.startswith("group-")]
        close = difflib.get_close_matches(f"group-{excerpt(spec, 60)}", groups, n=3, cutoff=0.4)
        raise LanguageNotFoundError(f"group-{excerpt(spec, 60)}", close or groups[:4])
    label = "x".join(f.label for f in factors)
    log_order = sum(f.log10_order for f in factors)
    if log_order > math.log10(COUNT_CEILING) + 0.5:
        raise too_large_error(f"group-{label}" + ("-all" if all_elements else ""), log_order, max_states)
    order = math.prod(f.order for f in factors)
    if order > max_states:  # checked before any element is built (a D_n element has n points)
        what = "states (one letter per element)" if all_elements else "states"
        raise too_large_error(f"group-{label}" + ("-all" if all_elements else ""), order, max_states, what)
    single = len(factors) == 1
    identity = tuple(f.identity for f in factors)

    def mul(x: tuple, y: tuple) -> tuple:
        return tuple(f.mul(a, b) for f, a, b in zip(factors, x, y))

    def name_of(x: tuple) -> str:
        names = [f.name_of(a) for f, a in zip(factors, x)]
        return names[0] if single else "(" + ",".join(names) + ")"

    if all_elements:
        elements = [tuple(p) for p in itertools.product(*(f.elements() for f in factors))]
        letters = {name_of(x): x for x in elements}
    else:
        letters = {}
        for i, f in enumerate(factors):
            for g_name, g in f.generators().items():
                x = tuple(g if j == i else other.identity for j, other in enumerate(factors))
                if single:
                    letters[g_name] = x
                else:
                    letters["(" + ",".join(g_name if j == i else "e" for j in range(len(factors))) + ")"] = x

    name = f"group-{label}" + ("-all" if all_elements else "")
    what = "every element as a letter" if all_elements else "generators " + ", ".join(letters)
    return Family(
        name=name,
        kind="group",
        description=f"word problem of {label} (order {order}), {what}; accept iff the product is the identity",
        source="Barrington 1989; Merrill, Petty & Sabharwal 2024",
        implicit=ImplicitDFA(
            name=name,
            alphabet=tuple(letters),
            start=identity,
            step=lambda q, a: mul(q, letters[a]),
            accepting=lambda q: q == identity,
        ),
        n_states=order,
        train_lengths=(2, 20),
        test_bins=((21, 40),),
        state_name=name_of,
    )


# ------------------------------------------------------------- dispatch
def family(spec: str, *, max_states: int = DEFAULT_MAX_STATES) -> Family | None:
    """The family named by ``spec``, or None when ``spec`` is no family name.

    Raises
    ------
    LanguageNotFoundError
        When ``spec`` has a family's shape but impossible parameters
        (``dyck-0-3``, ``group-A2``).
    StateSpaceTooLargeError
        For ``group-G-all`` past ``max_states`` elements (its alphabet alone
        would be that large).
    """
    s = spec.strip()
    low = s.lower()
    m = re.fullmatch(r"dyck-(\d+)-(\d+)|d(?:n-)?(\d+)|mod-(\d+)(?:-(\d+))?", low)
    if m and m.group(5) is not None and _parameter(m.group(5)) is None:  # a remainder past any modulus
        raise LanguageNotFoundError(excerpt(s, 60), [f"mod-{excerpt(m.group(4), 20)}"])
    if m and None in [_parameter(g) for g in m.groups()[:4] if g is not None]:
        raise too_large_error(excerpt(s, 60), None, max_states)
    if m := re.fullmatch(r"dyck-(\d+)-(\d+)", low):
        return dyck(int(m.group(1)), int(m.group(2)), max_states=max_states)
    if m := re.fullmatch(r"d(?:n-)?(\d+)", low):
        return dyck_depth(int(m.group(1)))
    if m := re.fullmatch(r"mod-(\d+)(?:-(\d+))?", low):
        return mod_counting(int(m.group(1)), int(m.group(2) or 0))
    if m := re.fullmatch(r"group-([a-z0-9]+?)(-all)?", low):
        return group(s[m.start(1) : m.end(1)], all_elements=bool(m.group(2)), max_states=max_states)
    return None


def is_family_spec(spec: str) -> bool:
    """Whether ``spec`` has the shape of a family name (parameters unchecked)."""
    return bool(re.fullmatch(r"dyck-\d+-\d+|d(n-)?\d+|mod-\d+(-\d+)?|group-[a-z0-9]+?(-all)?", spec.strip().lower()))


def family_implicit(spec: str) -> ImplicitDFA:
    """The implicit DFA of a family (no state limit: explore it lazily)."""
    fam = family(spec, max_states=COUNT_CEILING)
    if fam is None:
        raise LanguageNotFoundError(spec, FAMILY_EXAMPLES[:4])
    return fam.implicit


def family_dfa(spec: str, *, max_states: int = DEFAULT_MAX_STATES) -> DFA:
    """The minimal DFA of a family (see the module docstring for the names)."""
    fam = family(spec, max_states=max_states)
    if fam is None:
        raise LanguageNotFoundError(spec, FAMILY_EXAMPLES[:4])
    return fam.dfa(max_states=max_states)
