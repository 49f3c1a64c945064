"""``automata-probe classify``: every algebraic class of a regular language, yes or no, with evidence.

    automata-probe classify '(ab)*' --alphabet ab
    automata-probe classify --dfa tomita7 --json
    automata-probe classify --regex '(ab)*' --alphabet ab   # the same as the positional PATTERN

For each class (star-free, dot-depth one, DA / FO2[<], R-, L-, J-trivial
(piecewise testable), locally (threshold) testable, the definite family,
strictly local, strictly piecewise, commutative, group) the verdict, the
least parameter found for a yes (the k of k-piecewise testable ...), the
evidence, and the theorem. Every "no" comes with words that a reader can run
through the automaton: the table's certificates were re-checked on it.
Exit status 0, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from typing import Any

from ..algebra import classify
from ..algebra.equations import EquationViolation
from ..algebra.varieties import decide_varieties
from ..algebra.verdicts import ClassVerdict, Varieties
from ..automata.dfa import DFA
from ..automata.words import format_word
from .star_free import (
    add_regex_flag,
    add_size_arguments,
    alphabet_text,
    hint_if_name,
    render_predictions,
    resolve_language,
    take_regex_flag,
    usage_problem,
)

#: Shown by ``--help`` above the arguments.
DESCRIPTION = __doc__.split("\n\n")[0]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("pattern", nargs="?", metavar="PATTERN", help="a regular expression (see automata_probe.automata.regex)")
    p.add_argument("--dfa", metavar="NAME", help="a language: suite name, .toml file or family (dyck-2-3, group-S5)")
    add_regex_flag(p)
    p.add_argument("--alphabet", metavar="LETTERS", help="the alphabet, e.g. ab (default: the letters of the regex)")
    p.add_argument("--json", action="store_true", help="print every verdict and its evidence as JSON")
    p.add_argument("--max-monoid", type=int, default=2_000_000, metavar="N",
                   help="stop with an error past N monoid elements (default 2,000,000)")
    p.add_argument("--budget", type=int, default=200_000, metavar="N",
                   help="(key, state) pairs a parameter search may explore in all (default 200,000)")
    add_size_arguments(p)


def run(args: argparse.Namespace) -> int:
    problem = take_regex_flag(args) or usage_problem(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    if args.max_monoid < 1 or args.budget < 1:
        print("error: --max-monoid and --budget must be at least 1", file=sys.stderr)
        return 2
    language = resolve_language(args)
    hint_if_name(args)
    dfa = language.dfa
    v = decide_varieties(dfa, max_monoid=args.max_monoid, budget=args.budget)
    c = classify(dfa, max_monoid=args.max_monoid)
    if not v.check(dfa):  # pragma: no cover - decide_varieties re-checks every certificate it builds
        raise RuntimeError("a certificate failed its re-check on the minimal DFA")  # a bug: exit 3
    if args.json:
        print(json.dumps(report_dict(language, v, c), indent=2, ensure_ascii=False))
    else:
        print("\n".join(render(language, v, c)))
    return 0


def report_dict(language: Any, v: Varieties, c: Any) -> dict[str, Any]:
    dfa = language.dfa
    out: dict[str, Any] = {
        "language": language.name,
        "description": language.description,
        "alphabet": list(dfa.alphabet),
        "min_states": dfa.n_states,
        "monoid_size": v.monoid_size,
        "semigroup_size": v.semigroup_size,
        "complexity": c.complexity,
        "subgroups": [g.to_dict() for g in c.subgroups],
        "classes": [],
        "predictions": [p.to_dict() for p in c.predictions],
        "state_tracking": c.tracking.to_dict() if c.tracking is not None else None,
    }
    for verdict in v.verdicts:
        entry = verdict.to_dict()
        if isinstance(verdict.certificate, EquationViolation):
            entry["certificate_words"] = _equation_words(verdict.certificate, dfa)
        out["classes"].append(entry)
    return out


def _equation_words(cert: EquationViolation, dfa: DFA) -> dict[str, Any]:
    lhs, rhs = cert.sides(dfa)
    a, b = cert.memberships(dfa)
    return {
        "lhs_word": list(cert.prefix + lhs + cert.suffix),
        "rhs_word": list(cert.prefix + rhs + cert.suffix),
        "lhs_in": a,
        "rhs_in": b,
    }


def _verdict_text(verdict: ClassVerdict) -> str:
    if verdict.holds is None:
        return "?"
    if not verdict.holds:
        return "no"
    if verdict.parameter:
        return "yes, " + ", ".join(f"{k} = {val}" for k, val in verdict.parameter.items())
    if verdict.bounds:
        return "yes, " + ", ".join(f"{lo} <= {k} <= {hi}" if hi is not None else f"{k} >= {lo}"
                                   for k, (lo, hi) in verdict.bounds.items())
    return "yes"


def render(language: Any, v: Varieties, c: Any, width: int = 100) -> list[str]:
    """The human-readable report."""
    dfa = language.dfa
    title = language.name if language.regex != language.name else f"the regex {language.name}"
    lines = [f"language     {title}"]
    if language.description and language.regex != language.name:
        lines.append(f"             {language.description}")
    dead = f", dead state {dfa.dead}" if dfa.dead is not None else ", no dead state"
    lines += [
        f"alphabet     {alphabet_text(dfa.alphabet)}",
        f"minimal DFA  {dfa.n_states} states{dead}",
        f"monoid       {v.monoid_size:,} elements (syntactic semigroup eta(A+): {v.semigroup_size:,}); "
        f"circuit class {c.complexity}",
        "",
    ]
    names = [verdict.name for verdict in v.verdicts]
    w_name = max(len(n) for n in names)
    w_verdict = max(len(_verdict_text(x)) for x in v.verdicts)
    lines.append(f"{'class':<{w_name}}  {'verdict':<{w_verdict}}  evidence")
    indent = " " * (w_name + w_verdict + 4)
    for verdict in v.verdicts:
        head = f"{verdict.name:<{w_name}}  {_verdict_text(verdict):<{w_verdict}}  "
        wrapped = textwrap.wrap(verdict.evidence, width=max(40, width - len(head))) or [""]
        lines.append(head + wrapped[0])
        lines.extend(indent + rest for rest in wrapped[1:])
    lines += ["", "certificates (each re-checked by running the minimal DFA)"]
    for verdict in v.verdicts:
        lines.extend(_certificate_lines(verdict, dfa, width))
    lines += ["", "theorems"]
    for verdict in v.verdicts:
        lines.extend(textwrap.wrap(f"{verdict.name}: {verdict.info.theorem}", width=width,
                                   initial_indent="  - ", subsequent_indent="    "))
    lines.extend(render_predictions(c, width, reasons=True))
    return lines


def _certificate_lines(verdict: ClassVerdict, dfa: DFA, width: int) -> list[str]:
    out = []
    cert, lower = verdict.certificate, verdict.lower
    if cert is not None:
        out.append(f"  {verdict.name}: no")
        if isinstance(cert, EquationViolation):
            words = _equation_words(cert, dfa)
            out.extend(textwrap.wrap(str(cert), width=width, initial_indent="    ", subsequent_indent="      "))
            for side in ("lhs", "rhs"):
                word = format_word(tuple(words[f"{side}_word"]), dfa.alphabet)
                if len(word) > width - 20:
                    word = word[: width - 23] + "..."
                out.append(f"      {side}: {word}  {'in' if words[f'{side}_in'] else 'out'}")
        else:
            out.extend(textwrap.wrap(str(cert), width=width, initial_indent="    ", subsequent_indent="      "))
    if verdict.bounds:
        for name, (lo, hi) in verdict.bounds.items():
            top = f"at most {hi}" if hi is not None else "no upper bound known"
            out.extend(textwrap.wrap(
                f"{verdict.name}: the least {name} is a bound, not settled by the search: at least {lo}, {top} "
                f"({verdict.bounds_by})", width=width, initial_indent="  ", subsequent_indent="    "))
    if lower is not None and verdict.parameter:
        k = verdict.parameter.get("k")
        out.append(f"  {verdict.name}: not smaller than k = {k}")
        out.extend(textwrap.wrap(f"k = {lower.k if hasattr(lower, 'k') else k - 1} fails: {lower}", width=width,
                                 initial_indent="    ", subsequent_indent="      "))
    return out
