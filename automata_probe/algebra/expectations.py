"""Check a language file's ``[expect]`` facts against what the computation says."""

from __future__ import annotations

from ..automata.words import format_word
from ..automata.language import Language
from .classification import classify
from .monoid import transition_monoid

__all__ = ["check_expectations"]


def check_expectations(language: Language, *, max_monoid: int = 2_000_000) -> list[str]:
    """Compare ``language.expect`` with what the computation says.

    Returns one line per fact that does not hold (an empty list when all
    do). Monoid facts use :func:`~automata_probe.algebra.classify`, run only
    when the language states one.
    """
    problems: list[str] = []
    e = language.expect
    dfa = language.dfa
    if "min_states" in e and dfa.n_states != e["min_states"]:
        problems.append(f"min_states: expected {e['min_states']}, the minimal DFA has {dfa.n_states}")
    for w in e.get("accepts", []):
        if not dfa.accepts(w):
            problems.append(f"accepts: {format_word(dfa.split(w), dfa.alphabet)!r} is rejected")
    for w in e.get("rejects", []):
        if dfa.accepts(w):
            problems.append(f"rejects: {format_word(dfa.split(w), dfa.alphabet)!r} is accepted")
    algebraic = {"star_free", "monoid_size", "aperiodicity_index", "complexity", "subgroups"}
    if algebraic & set(e):
        c = classify(dfa, max_monoid=max_monoid)
        if "star_free" in e and c.star_free != e["star_free"]:
            problems.append(f"star_free: expected {e['star_free']}, computed {c.star_free}")
        if "monoid_size" in e:
            size = c.monoid_size if c.monoid_size is not None else transition_monoid(dfa, max_monoid=max_monoid).size
            if size != e["monoid_size"]:
                problems.append(f"monoid_size: expected {e['monoid_size']}, computed {size}")
        if "aperiodicity_index" in e and c.aperiodicity_index != e["aperiodicity_index"]:
            problems.append(
                f"aperiodicity_index: expected {e['aperiodicity_index']}, computed {c.aperiodicity_index}"
            )
        if "complexity" in e and c.complexity != e["complexity"]:
            problems.append(f"complexity: expected {e['complexity']}, computed {c.complexity}")
        if "subgroups" in e:
            names = sorted(g.name for g in c.subgroups)
            if names != sorted(e["subgroups"]):
                problems.append(f"subgroups: expected {sorted(e['subgroups'])}, computed {names}")
    return problems
