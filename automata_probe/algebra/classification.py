"""Star-freeness with evidence, and the finer algebraic classes: :func:`classify`.

A language is star-free iff its syntactic monoid is aperiodic, i.e. holds no
non-trivial group (Schützenberger 1965; McNaughton & Papert 1971).
:func:`classify` decides this with evidence either way:

- not star-free: a :class:`~.certificates.Certificate` (words ``x, w, y`` and
  a period ``p > 1`` such that membership of ``x w^n y`` cycles with period
  exactly ``p``);
- star-free: the monoid size and its aperiodicity index ``k`` (the least ``k``
  with ``m^k = m^(k+1)`` for every element ``m``), or, for a monoid past the
  cap, the order-preserving argument of
  :func:`~.certificates.preserves_state_order`;

and then the finer classes, each with its theorem:

- quasi-aperiodic (the stable semigroup ``eta(A^s)`` holds no non-trivial
  group): the language is in AC0 (Barrington, Compton, Straubing & Thérien
  1992); star-free languages are the aperiodic special case (FO[<]);
- otherwise, every subgroup solvable: in ACC0 and not in AC0 (Barrington &
  Thérien 1988; Furst, Saxe & Sipser 1984);
- some subgroup not solvable: NC1-complete (Barrington 1989).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..automata.counter import CounterLanguage, CounterMachine
from ..automata.dfa import DFA
from ..errors import DFAError, MonoidTooLargeError
from ._enumeration import (
    Enumeration,
    check_max_monoid,
    element_cap,
    enumerate_monoid,
    first_periodic,
    minimal_dfa,
    monoid_lower_bound,
    too_large_message,
)
from ._transforms import (
    fixed_point_counts,
    group_mask,
    idempotent_powers,
    nontrivial_group_mask,
)
from .certificates import (
    Certificate,
    certificate_for,
    preserves_state_order,
    quick_search,
)
from .groups import GroupFacts, GroupInfo, analyse_group
from .monoid import Monoid, monoid_from_enumeration
from .nonregular import reject_non_regular
from .predictions import Prediction, predictions_for
from .tracking import TrackingFacts, tracking_facts

__all__ = ["COMPLEXITY_CLASSES", "Classification", "classify", "is_star_free"]

#: Complexity classes :func:`classify` reports.
COMPLEXITY_CLASSES = ("AC0", "ACC0", "NC1-complete", "undetermined")


@dataclass(frozen=True, kw_only=True)
class Classification:
    """The verdict on a regular language and its algebraic evidence.

    Attributes
    ----------
    star_free
        Whether the syntactic monoid is aperiodic.
    certificate
        For a non-star-free language, the cycling words (else None).
    monoid_size
        Size of the syntactic monoid; None when the monoid passed the cap
        after a certificate had already decided the verdict.
    aperiodicity_index
        For a star-free language, the least ``k`` with ``m^k = m^(k+1)`` for
        all ``m`` (else None).
    subgroups
        The non-trivial maximal subgroups, one entry per isomorphism type
        (``count`` says how many H-classes have it).
    complexity
        ``"AC0"``, ``"ACC0"``, ``"NC1-complete"`` or ``"undetermined"`` (the
        monoid passed the cap).
    predictions
        Theorem-based expressivity per architecture.
    quasi_aperiodic
        Whether the stable semigroup ``eta(A^s)`` holds no non-trivial group.
    stability_index
        ``s``: the least ``s >= 1`` with ``eta(A^s) = eta(A^2s)`` (computed
        for non-aperiodic monoids; an aperiodic monoid holds no group at all,
        so it is quasi-aperiodic whatever ``s`` is).
    stable_semigroup_size
        ``|eta(A^s)|`` (with ``stability_index``).
    idempotents
        The number of idempotents of the monoid.
    evidence
        One sentence per fact, each with its citation.
    tracking
        What the state-tracking theorems need (:class:`~.tracking.TrackingFacts`:
        counting witnesses, group, Householder factors), when computed.
    """

    star_free: bool
    certificate: Certificate | None
    monoid_size: int | None
    aperiodicity_index: int | None
    subgroups: tuple[GroupInfo, ...]
    complexity: str
    predictions: tuple[Prediction, ...]
    quasi_aperiodic: bool | None = None
    stability_index: int | None = None
    stable_semigroup_size: int | None = None
    idempotents: int | None = None
    evidence: tuple[str, ...] = ()
    tracking: TrackingFacts | None = None

    def __post_init__(self) -> None:
        if self.complexity not in COMPLEXITY_CLASSES:
            raise DFAError(f"complexity {self.complexity!r} is not one of {', '.join(COMPLEXITY_CLASSES)}")
        if self.star_free and self.certificate is not None:
            raise DFAError("a star-free language cannot have a non-star-freeness certificate")
        if not self.star_free and self.certificate is None:
            raise DFAError("a non-star-free verdict needs a certificate")
        object.__setattr__(self, "subgroups", tuple(self.subgroups))
        object.__setattr__(self, "predictions", tuple(self.predictions))
        object.__setattr__(self, "evidence", tuple(self.evidence))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serializable dict (used by ``is-star-free --json``)."""
        return {
            "star_free": self.star_free,
            "certificate": self.certificate.to_dict() if self.certificate is not None else None,
            "monoid_size": self.monoid_size,
            "aperiodicity_index": self.aperiodicity_index,
            "quasi_aperiodic": self.quasi_aperiodic,
            "stability_index": self.stability_index,
            "stable_semigroup_size": self.stable_semigroup_size,
            "idempotents": self.idempotents,
            "subgroups": [g.to_dict() for g in self.subgroups],
            "complexity": self.complexity,
            "predictions": [p.to_dict() for p in self.predictions],
            "state_tracking": self.tracking.to_dict() if self.tracking is not None else None,
            "evidence": list(self.evidence),
        }


def is_star_free(dfa: DFA, *, max_monoid: int = 2_000_000) -> bool:
    """Whether the language of ``dfa`` is star-free (its syntactic monoid is
    aperiodic). Stops at the first element with a non-trivial cycle, so a
    non-star-free language is usually decided from a short word.

    A language whose letters preserve the order of the live states is star-free
    without enumerating anything (see :func:`.certificates.preserves_state_order`).

    Raises :class:`~automata_probe.errors.MonoidTooLargeError` when the monoid
    passes ``max_monoid`` elements with no such element found. A counter
    language (not regular) is not star-free: the answer is False.
    """
    if isinstance(dfa, (CounterLanguage, CounterMachine)):
        return False  # star-free languages are regular; see non_regular_certificate
    d = minimal_dfa(dfa)
    check_max_monoid(max_monoid)
    verdict, _, _ = quick_search(d.transitions, max_monoid=element_cap(d.n_states, max_monoid))
    if verdict in ("periodic", "aperiodic"):
        return verdict == "aperiodic"
    if preserves_state_order(d):  # O(n k), no enumeration
        return True
    if verdict == "too large":
        raise MonoidTooLargeError(too_large_message(d, max_monoid))
    # O(n) per element: the first non-trivial group element, not the first periodic one
    raw = enumerate_monoid(d, max_monoid=max_monoid, check="group", stop_at_periodic=True)
    if raw.first_periodic is not None:
        return False
    if raw.complete:
        return True
    # past the cap before any group element: a periodic element already seen still decides
    if first_periodic(raw.elements) is not None:
        return False
    raise MonoidTooLargeError(too_large_message(d, max_monoid))


def classify(dfa: DFA, *, max_monoid: int = 2_000_000) -> Classification:
    """Star-freeness with evidence, the finer algebraic class and predictions.

    Parameters
    ----------
    dfa
        Any DFA for the language (it is minimized first).
    max_monoid
        Cap on the monoid size, in elements of DFAs of up to 256 states (a
        larger DFA's element counts as ``row bytes / 256`` elements, so the
        cap bounds the memory too: about 512 MB of rows at the default).
        Past it, a language already shown not star-free (a certificate was
        found) gets a partial classification with ``monoid_size=None`` and
        complexity ``"undetermined"``, and a language whose letters preserve
        the order of its live states (star-free, hence AC0, by
        :func:`.certificates.preserves_state_order`) one with
        ``monoid_size=None`` and ``aperiodicity_index=None``; the evidence
        names the facts not computed. Otherwise :class:`~automata_probe.errors.MonoidTooLargeError`
        is raised, naming the cap and the flag that raises it.

    Returns
    -------
    Classification
        ``complexity`` is ``"AC0"`` when the stable semigroup holds no
        non-trivial group (every star-free language is such), else
        ``"NC1-complete"`` when some maximal subgroup is not solvable, else
        ``"ACC0"``.

    Raises
    ------
    NotRegularError
        For a counter language: it has no finite monoid to classify.
    """
    reject_non_regular(dfa, "classify")
    check_max_monoid(max_monoid)
    d = minimal_dfa(dfa)
    cap = element_cap(d.n_states, max_monoid)
    quick = quick_search(d.transitions)
    bound = monoid_lower_bound(d, cap) if quick[0] != "aperiodic" else 0
    if bound > cap:  # cannot be enumerated completely: decide with what stops early
        return _past_the_cap(d, max_monoid, quick, bound)
    raw, cert = _enumerate_with_certificate(d, max_monoid, quick)
    if not raw.complete:
        if cert is not None:
            return _undetermined(cert, f"more than {cap:,}", tracking_facts(d))
        if preserves_state_order(d):
            return _star_free_by_order(f"more than {cap:,}", tracking_facts(d))
        raise MonoidTooLargeError(too_large_message(d, max_monoid))
    monoid = monoid_from_enumeration(d, raw)
    star_free = cert is None
    facts = _aperiodic_facts(monoid) if star_free else _group_facts(monoid)
    complexity = _complexity(facts)
    whole = [g for g in facts.groups if g.order == monoid.size]  # the monoid is itself a group
    tracking = tracking_facts(d, whole[0].name if whole else None, monoid.size if whole else None)
    return Classification(
        star_free=star_free,
        certificate=cert,
        monoid_size=monoid.size,
        aperiodicity_index=facts.index,
        subgroups=facts.groups,
        complexity=complexity,
        predictions=predictions_for(star_free, complexity, tracking),
        tracking=tracking,
        quasi_aperiodic=facts.quasi,
        stability_index=facts.s,
        stable_semigroup_size=facts.stable_size,
        idempotents=facts.idempotents,
        evidence=_evidence(
            star_free=star_free,
            cert=cert,
            size=monoid.size,
            index=facts.index,
            quasi=facts.quasi,
            s=facts.s,
            stable_size=facts.stable_size,
            groups=facts.groups,
        ),
    )


@dataclass(frozen=True)
class _Facts:
    """The algebraic facts of a completely enumerated monoid."""

    idempotents: int
    groups: tuple[GroupInfo, ...]
    quasi: bool
    index: int | None = None  # aperiodic monoids only
    s: int | None = None  # non-aperiodic monoids only
    stable_size: int | None = None


def _past_the_cap(d: DFA, max_monoid: int, quick: tuple, bound: int) -> Classification:
    """Classify the minimal ``d`` whose monoid has ``bound`` > cap elements at
    least: a certificate (the quick search's, else the first periodic element
    of an enumeration that stops there), the state-order argument, or the
    one-line error. Nothing is enumerated past what the answer needs."""
    _, periodic_map, periodic_word = quick
    at_least = f"at least {bound:,}"
    if periodic_map is None and not preserves_state_order(d):
        # the first periodic element, in BFS order; not the first group element:
        # a periodic element's group (its powers) may lie past the cap
        raw = enumerate_monoid(d, max_monoid=max_monoid, check="periodic", stop_at_periodic=True)
        if raw.first_periodic is not None:
            periodic_map = tuple(int(v) for v in raw.elements[raw.first_periodic])
            periodic_word = raw.word_indices(raw.first_periodic)
    if periodic_map is not None:
        return _undetermined(certificate_for(d, periodic_word, periodic_map), at_least, tracking_facts(d))
    if preserves_state_order(d):
        return _star_free_by_order(at_least, tracking_facts(d))
    raise MonoidTooLargeError(too_large_message(d, max_monoid, at_least=bound))


def _enumerate_with_certificate(d: DFA, max_monoid: int, quick: tuple) -> tuple[Enumeration, Certificate | None]:
    """Enumerate the monoid of the minimal ``d``, with a certificate when it is
    not aperiodic (its word from the quick search, else from the enumeration)."""
    verdict, periodic_map, periodic_word = quick
    raw = enumerate_monoid(d, max_monoid=max_monoid, check="none", stop_at_periodic=False)
    if periodic_map is None and verdict == "unknown" and not preserves_state_order(d):
        i = _first_periodic_element(raw)
        if i is not None:
            periodic_map = tuple(int(v) for v in raw.elements[i])
            periodic_word = raw.word_indices(i)
    cert = certificate_for(d, periodic_word, periodic_map) if periodic_map is not None else None
    return raw, cert


def _first_periodic_element(raw: Enumeration) -> int | None:
    """The first element (BFS order) with a non-trivial cycle, or None. A
    complete monoid with no non-trivial group element has none: that test
    costs O(n) per element, the search for the first periodic one O(n log n)."""
    if raw.complete and not nontrivial_group_mask(raw.elements).any():
        return None
    return first_periodic(raw.elements)


def _undetermined(cert: Certificate, size: str, tracking: TrackingFacts | None = None) -> Classification:
    """The partial classification of a non-star-free language whose monoid passed the cap."""
    return Classification(
        star_free=False,
        certificate=cert,
        monoid_size=None,
        aperiodicity_index=None,
        subgroups=(),
        complexity="undetermined",
        predictions=predictions_for(False, "undetermined", tracking),
        tracking=tracking,
        evidence=_evidence(
            star_free=False,
            cert=cert,
            size=None,
            index=None,
            quasi=None,
            s=None,
            stable_size=None,
            groups=(),
        )
        + (
            (
                f"the monoid has {size} elements, more than the cap (max_monoid / --max-monoid), so its size, "
                "idempotents, subgroups, stable semigroup and circuit class were not computed"
            ),
        ),
    )


def _star_free_by_order(size: str, tracking: TrackingFacts | None = None) -> Classification:
    """The partial classification of a language whose letters preserve the
    order of the live states and whose monoid passed the cap."""
    return Classification(
        star_free=True,
        certificate=None,
        monoid_size=None,
        aperiodicity_index=None,
        subgroups=(),
        complexity="AC0",
        predictions=predictions_for(True, "AC0", tracking),
        tracking=tracking,
        quasi_aperiodic=True,
        evidence=(
            (
                "every letter preserves the order of the live states (q < q' gives q.a <= q'.a wherever both "
                "stay live), so every element of the syntactic monoid is an order-preserving partial map, whose "
                "orbits are monotone: no cycle of length > 1, the monoid is aperiodic and the language is "
                "star-free (Schützenberger 1965), i.e. definable in FO[<] (McNaughton & Papert 1971), hence in AC0"
            ),
            (
                f"the monoid has {size} elements, more than the cap (max_monoid / --max-monoid), so its size, "
                "aperiodicity index and idempotents were not computed"
            ),
        ),
    )


def _aperiodic_facts(monoid: Monoid) -> _Facts:
    # aperiodic: no group at all, so quasi-aperiodic; s is not needed
    stable = monoid.stable_indices()
    return _Facts(idempotents=int(monoid.idempotents().size), groups=(), quasi=True, index=int(stable.max()))


def _group_facts(monoid: Monoid) -> _Facts:
    structure = _structure(monoid)
    s, stable_ids = _stable_semigroup(monoid)
    return _Facts(
        idempotents=structure.idempotents,
        groups=_group_summaries(structure, monoid),
        quasi=not bool(structure.nontrivial_group_element[stable_ids].any()),
        s=s,
        stable_size=int(stable_ids.size),
    )


def _complexity(facts: _Facts) -> str:
    # quasi-aperiodic => AC0 is unconditional, so it is checked first (a
    # quasi-aperiodic language cannot be NC1-complete: parity is not in AC0)
    if facts.quasi:
        return "AC0"
    if any(not g.solvable for g in facts.groups):
        return "NC1-complete"
    return "ACC0"


@dataclass
class _Structure:
    idempotents: int
    groups: list[tuple[GroupFacts, int]]  # facts and the id of the idempotent
    nontrivial_group_element: np.ndarray  # group element that is not idempotent


def _structure(monoid: Monoid) -> _Structure:
    """Idempotents and the non-trivial maximal subgroups ``H_e``.

    ``y`` lies in a subgroup iff it permutes its image (``rank(y y) =
    rank(y)``), and then in exactly one maximal subgroup, ``H_e`` with ``e =
    y^omega``. Groups are analysed once per isomorphism invariant (order,
    degree and the sorted fixed-point counts of the powers of their elements).
    """
    rows = monoid.transformations
    n = rows.shape[1]
    gmask = group_mask(rows)
    gids = np.flatnonzero(gmask)
    grows = rows[gids]
    e_rows = idempotent_powers(grows)
    idem = (e_rows == grows).all(axis=1)
    nontrivial = np.zeros(monoid.size, dtype=bool)
    members = gids[~idem]
    nontrivial[members] = True
    groups: list[tuple[GroupFacts, int]] = []
    if members.size:
        e_ids = monoid.ids_of(e_rows[~idem])
        if (e_ids < 0).any():  # pragma: no cover - y^omega is a power of y
            raise DFAError("an idempotent power is missing from the monoid")
        fixed = fixed_point_counts(rows[members])
        order = np.lexsort((*fixed.T[::-1], e_ids))
        e_sorted, m_sorted, f_sorted = e_ids[order], members[order], fixed[order]
        cuts = np.flatnonzero(np.diff(e_sorted)) + 1
        cache: dict[bytes, GroupFacts] = {}
        starts = np.concatenate([[0], cuts])
        stops = np.concatenate([cuts, [e_sorted.size]])
        idems = e_sorted[starts]
        degrees = (rows[idems] == np.arange(n)).sum(axis=1)  # |im(e)|: an idempotent fixes its image
        for lo, hi, e, degree in zip(starts.tolist(), stops.tolist(), idems.tolist(), degrees.tolist()):
            key = degree.to_bytes(4, "little") + f_sorted[lo:hi].tobytes()
            facts = cache.get(key)
            if facts is None:
                image = np.flatnonzero(rows[e] == np.arange(n))  # idempotent: image = fixed points
                position = np.full(n, -1, dtype=np.int64)
                position[image] = np.arange(image.size)
                ms = m_sorted[lo:hi]
                perms = position[rows[np.concatenate([[e], ms])][:, image]]  # action on im(e)
                facts = analyse_group([tuple(int(v) for v in p) for p in perms], int(image.size))
                cache[key] = facts
            groups.append((facts, e))
    return _Structure(idempotents=int(idem.sum()), groups=groups, nontrivial_group_element=nontrivial)


def _stable_semigroup(monoid: Monoid) -> tuple[int, np.ndarray]:
    """The stability index ``s`` and the ids of ``eta(A^s)``.

    ``S_j = eta(A^j)`` satisfies ``S_(j+1) = S_j . A`` (a step along the
    Cayley graph); the sequence is eventually periodic, from ``i0`` with period
    ``pi``, and ``s`` is the least multiple of ``pi`` that is ``>= i0``.
    """
    m = monoid.size
    by_letter = [np.ascontiguousarray(monoid.cayley[:, a]) for a in range(monoid.dfa.n_letters)]

    def step(ids: np.ndarray) -> np.ndarray:
        mask = np.zeros(m, dtype=bool)
        for column in by_letter:
            mask[column[ids]] = True
        return mask

    mask = step(np.zeros(1, dtype=np.intp))  # eta(A^1)
    history = [np.packbits(mask)]  # history[j - 1] holds eta(A^j), packed
    seen = {history[0].tobytes(): 1}
    j = 1
    while True:
        mask = step(np.flatnonzero(mask))
        j += 1
        key = np.packbits(mask)
        earlier = seen.get(key.tobytes())
        if earlier is not None:
            i0, period = earlier, j - earlier
            break
        seen[key.tobytes()] = j
        history.append(key)
    s = period * max(1, -(-i0 // period))
    if s > len(history):  # eta(A^s) = eta(A^(i0 + (s - i0) mod period)) for s >= i0
        s_equiv = i0 + (s - i0) % period
    else:
        s_equiv = s
    stable = np.flatnonzero(np.unpackbits(history[s_equiv - 1], count=m))
    return s, stable


def _group_summaries(structure: _Structure, monoid: Monoid) -> tuple[GroupInfo, ...]:
    merged: dict[tuple[int, bool, bool, str], list[int]] = {}
    for facts, e in structure.groups:
        merged.setdefault((facts.order, facts.abelian, facts.solvable, facts.name), []).append(e)
    out = []
    for (order, abelian, solvable, name), es in sorted(merged.items(), key=lambda kv: (kv[0][0], kv[0][3])):
        out.append(
            GroupInfo(
                order=order,
                abelian=abelian,
                solvable=solvable,
                name=name,
                count=len(es),
                identity_word=monoid.word(min(es)),
            )
        )
    return tuple(out)


def _evidence(
    *,
    star_free: bool,
    cert: Certificate | None,
    size: int | None,
    index: int | None,
    quasi: bool | None,
    s: int | None,
    stable_size: int | None,
    groups: tuple[GroupInfo, ...],
) -> tuple[str, ...]:
    out = []
    if star_free:
        out.append(
            f"the syntactic monoid ({size} elements) is aperiodic: m^{index} = m^{index + 1} for every m, "
            "so the language is star-free (Schützenberger 1965), i.e. definable in FO[<] "
            "(McNaughton & Papert 1971), hence in AC0"
        )
    else:
        assert cert is not None
        out.append(
            f"membership of x w^n y cycles with period {cert.period} > 1 ({cert}): the syntactic monoid "
            "holds a non-trivial group, so the language is not star-free (Schützenberger 1965)"
        )
    if quasi is not None and s is not None:
        if quasi:
            out.append(
                f"the stable semigroup eta(A^{s}) ({stable_size} elements) holds no non-trivial group: "
                "quasi-aperiodic, so the language is in AC0 (Barrington, Compton, Straubing & Thérien 1992)"
            )
        else:
            out.append(
                f"the stable semigroup eta(A^{s}) ({stable_size} elements) holds a non-trivial group: not "
                "quasi-aperiodic, so the language is not in AC0 (Barrington, Compton, Straubing & Thérien 1992)"
            )
    if groups:
        names = ", ".join(g.name for g in groups)
        bad = [g.name for g in groups if not g.solvable]
        if quasi:
            kinds = "not all solvable" if bad else "all solvable"
            out.append(
                f"maximal subgroups {names} ({kinds}); the stable semigroup meets each only in its identity"
            )
        elif bad:
            out.append(
                f"maximal subgroups {names}; {', '.join(bad)} is not solvable, so the language is "
                "NC1-complete (Barrington 1989)"
            )
        else:
            out.append(
                f"maximal subgroups {names}, all solvable: the language is in ACC0 (Barrington & Thérien 1988)"
            )
    return tuple(out)
