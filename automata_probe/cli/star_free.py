"""``is-star-free``: is a regular language star-free, and what is the evidence?

    is-star-free '(ab)*'                  # star-free: exit 0
    is-star-free '(aa)*' --alphabet ab    # not star-free, with a certificate: exit 1
    is-star-free --dfa tomita3 --json     # the verdict and its evidence as JSON

A counter language (``--dfa dyck1``) is not regular: the answer is "not
star-free (not regular)" with a Myhill-Nerode certificate, exit 1.

Exit status: 0 star-free, 1 not star-free, 2 bad input (malformed regex,
unknown language, a size limit passed: ``--max-monoid``, ``--max-states``,
``--max-nfa-states``), 3 a bug (never 1). Also ``automata-probe is-star-free``.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any, Sequence

from ..algebra import classify, non_regular_certificate
from ..automata import counter_language, language_from_regex, load_language, suite_names
from ..automata.counter import is_counter_name
from ..automata.dfa import DFA
from ..automata.families import DEFAULT_MAX_STATES
from ..automata.nfa import DEFAULT_MAX_NFA_STATES
from ..automata.words import format_word
from ..errors import excerpt
from . import HelpFormatter

EXIT_STAR_FREE = 0
EXIT_NOT_STAR_FREE = 1

#: How many values of n the certificate table shows (at least two periods).
_MIN_CERTIFICATE_ROW = 8


def _certificate_row(cert: Any) -> int:
    """How many ``n`` to show for ``x w^n y``: two periods and more, at least 8."""
    return max(_MIN_CERTIFICATE_ROW, 2 * int(cert.period) + 2)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("pattern", nargs="?", metavar="PATTERN", help="a regular expression (see automata_probe.automata.regex)")
    p.add_argument("--dfa", metavar="NAME", help="a language: suite name, .toml file or family (dyck-2-3, group-S5)")
    p.add_argument("--alphabet", metavar="LETTERS", help="the alphabet, e.g. ab (default: the letters of the regex)")
    p.add_argument("--json", action="store_true", help="print the verdict and evidence as JSON")
    p.add_argument(
        "--max-monoid",
        type=int,
        default=2_000_000,
        metavar="N",
        help="stop with an error past N monoid elements (default 2,000,000)",
    )
    add_size_arguments(p)


def add_size_arguments(p: argparse.ArgumentParser) -> None:
    """``--max-states`` and ``--max-nfa-states``: the limits on building a language."""
    p.add_argument(
        "--max-states",
        type=int,
        default=DEFAULT_MAX_STATES,
        metavar="N",
        help=f"stop with an error past N DFA states: a family, or the automata built for a regex "
        f"(default {DEFAULT_MAX_STATES:,})",
    )
    p.add_argument(
        "--max-nfa-states",
        type=int,
        default=DEFAULT_MAX_NFA_STATES,
        metavar="N",
        help=f"stop with an error when a regex's NFA, bounded repetitions written out, passes N states "
        f"(default {DEFAULT_MAX_NFA_STATES:,})",
    )


def size_limits(args: argparse.Namespace) -> dict[str, int]:
    """The keyword arguments of :func:`load_language` and :func:`language_from_regex` set by the flags."""
    return {"max_states": args.max_states, "max_nfa_states": args.max_nfa_states}


#: Shown by ``--help`` above the arguments.
DESCRIPTION = __doc__.split("\n\n")[0]




def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="is-star-free",
        description="Decide whether a regular language is star-free (its syntactic monoid is aperiodic) "
        "and print the evidence. Exit 0 star-free, 1 not, 2 error.",
        formatter_class=HelpFormatter,  # run_standalone's too; argparse's own imports shutil (startup)
        epilog="examples:\n  is-star-free '(ab)*'\n  is-star-free '(aa)*' --alphabet ab\n"
        "  is-star-free --dfa tomita3 --json",
    )
    add_arguments(p)
    return p



# ------------------------------------------------------------------- logic
def usage_problem(args: argparse.Namespace) -> str | None:
    """Why PATTERN / --dfa are not exactly one of the two, or None."""
    if args.dfa and args.pattern:
        return f"give a PATTERN or --dfa NAME, not both ({args.pattern!r} and --dfa {args.dfa})"
    if not args.dfa and args.pattern is None:
        return "give a PATTERN such as '(ab)*' or --dfa NAME such as --dfa tomita3"
    return None


def add_regex_flag(p: argparse.ArgumentParser) -> None:
    """``--regex PATTERN``, the flag form of the positional PATTERN (``show`` takes a regex this way)."""
    p.add_argument("--regex", metavar="PATTERN", help="the same as PATTERN: a regular expression")


def take_regex_flag(args: argparse.Namespace) -> str | None:
    """Fold ``--regex`` into PATTERN; why it cannot be (both given), or None."""
    flag = getattr(args, "regex", None)
    if flag is not None:
        if args.pattern is not None:
            return f"give PATTERN or --regex PATTERN, not both ({args.pattern!r} and --regex {flag!r})"
        args.pattern = flag
    return None


def resolve_language(args: argparse.Namespace):  # -> Language
    """The language named by ``--dfa`` or written as PATTERN."""

    if args.dfa:
        return load_language(args.dfa, alphabet=args.alphabet, **size_limits(args))
    return language_from_regex(args.pattern, args.alphabet, **size_limits(args))


def run(args: argparse.Namespace) -> int:

    problem = usage_problem(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    for flag in ("max_monoid", "max_states", "max_nfa_states"):
        if getattr(args, flag) < 1:
            print(f"error: --{flag.replace('_', '-')} must be at least 1", file=sys.stderr)
            return 2
    if args.dfa and is_counter_name(args.dfa) and "@" not in args.dfa:
        return _not_regular(args)
    language = resolve_language(args)
    hint_if_name(args)
    c = classify(language.dfa, max_monoid=args.max_monoid)
    if args.json:
        import json  # local: only for --json (startup)

        print(json.dumps(verdict_dict(language, c), indent=2, ensure_ascii=False))
    else:
        print(render_verdict(language, c))
    return EXIT_STAR_FREE if c.star_free else EXIT_NOT_STAR_FREE


def _not_regular(args: argparse.Namespace) -> int:
    """A counter language: not regular, hence not star-free, with its Myhill-Nerode certificate."""
    cert = non_regular_certificate(counter_language(args.dfa))
    if args.json:
        import json  # local: only for --json (startup)

        print(json.dumps(cert.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(f"{cert.language}: not star-free (not regular)\n\n{cert.explain()}")
    return EXIT_NOT_STAR_FREE


def hint_if_name(args: argparse.Namespace) -> None:
    """A PATTERN that is also a suite name was probably meant as ``--dfa``: say so on stderr."""
    if not args.pattern or args.dfa or not re.fullmatch(r"[\w.+-]+", args.pattern):
        return  # a pattern with regex operators names no language (and listing the suite costs startup)
    try:
        if args.pattern in suite_names():
            print(
                f"note: {args.pattern!r} is read as a regex; use --dfa {args.pattern} for the language of that name",
                file=sys.stderr,
            )
    except Exception:  # a hint must never break the command
        pass


def verdict_dict(language: Any, c: Any) -> dict[str, Any]:
    """The JSON document ``--json`` prints."""
    dfa = language.dfa
    out: dict[str, Any] = {
        "language": language.name,
        "description": language.description,
        "alphabet": list(dfa.alphabet),
        "min_states": dfa.n_states,
        "dead_state": dfa.dead,
    }
    out.update(c.to_dict())
    if c.certificate is not None:
        out["certificate_memberships"] = list(c.certificate.memberships(dfa, _certificate_row(c.certificate)))
    return out


def alphabet_text(alphabet: Sequence[str], limit: int = 12) -> str:
    """``{a, b}``; long alphabets are cut: ``{12345, 23145, ... (60 letters)}``."""
    if len(alphabet) <= limit:
        return "{" + ", ".join(alphabet) + "}"
    return "{" + ", ".join(alphabet[: limit - 2]) + f", ... ({len(alphabet)} letters)}}"


def _word(w: Sequence[str], alphabet: Sequence[str]) -> str:
    return format_word(tuple(w), alphabet)


def _yes_no(value: bool | None) -> str:
    return {True: "yes", False: "no", None: "open"}[value]


def render_verdict(language: Any, c: Any) -> str:
    """The human-readable report (what ``is-star-free`` prints)."""
    dfa = language.dfa
    lines = []
    name = language.name
    if len(name) > 200:
        name = f"{excerpt(name, 200)} ({len(name):,} characters)"
    title = name if language.regex != language.name else f"the regex {name}"
    lines.append(f"language     {title}")
    if language.description and language.regex != language.name:
        lines.append(f"             {language.description}")
    lines.append(f"alphabet     {alphabet_text(dfa.alphabet)}")
    dead = f", dead state {dfa.dead}" if dfa.dead is not None else ", no dead state"
    lines.append(f"minimal DFA  {dfa.n_states} states{dead}")
    lines.append("")
    verdict = "STAR-FREE" if c.star_free else "NOT STAR-FREE"
    lines.append(f"verdict      {verdict}")
    lines.extend(render_evidence(dfa, c))
    lines.extend(render_reasons(c))
    lines.extend(render_predictions(c))
    return "\n".join(lines)


def render_evidence(dfa: DFA, c: Any) -> list[str]:
    """Certificate (if any), monoid facts, subgroups, complexity class."""
    lines = []
    cert = c.certificate
    if cert is not None:
        a = dfa.alphabet
        spaced = "   (letters separated by spaces)" if any(len(letter) > 1 for letter in a) else ""
        lines.append(
            f"certificate  x = {_word(cert.x, a)}   w = {_word(cert.w, a)}   y = {_word(cert.y, a)}   "
            f"period p = {cert.period}{spaced}"
        )
        members = cert.memberships(dfa, _certificate_row(cert))
        row = " ".join("in " if m else "out" for m in members)
        lines.append(f"             x w^n y for n = 0..{len(members) - 1}:  {row}")
    if c.monoid_size is not None:
        extra = ""
        if c.idempotents is not None:
            extra = f", {c.idempotents:,} idempotent{'s' if c.idempotents != 1 else ''}"
        lines.append(f"monoid       {c.monoid_size:,} elements{extra}")
    else:
        lines.append(f"monoid       not enumerated: larger than the cap (--max-monoid); the {'certificate' if cert else 'state order'} decided")
    if c.aperiodicity_index is not None:
        k = c.aperiodicity_index
        lines.append(f"aperiodic    index {k}: m^{k} = m^{k + 1} for every element m")
    if c.subgroups:
        parts = []
        for g in c.subgroups:
            traits = ["abelian" if g.abelian else "non-abelian", "solvable" if g.solvable else "NOT solvable"]
            times = f" x{g.count}" if getattr(g, "count", 1) > 1 else ""
            parts.append(f"{g.name}{times} (order {g.order}, {', '.join(traits)})")
        lines.append("subgroups    " + "; ".join(parts))
    elif c.monoid_size is not None:
        lines.append("subgroups    trivial only")
    lines.append(f"class        {c.complexity}{_CLASS_NOTES.get(c.complexity, '')}")
    return lines


_CLASS_NOTES = {
    "AC0": "  (quasi-aperiodic: Barrington, Compton, Straubing & Thérien 1992)",
    "ACC0": "  (solvable groups only, not quasi-aperiodic: Barrington & Thérien 1988)",
    "NC1-complete": "  (a non-solvable group: Barrington 1989)",
    "undetermined": "  (the monoid was not enumerated)",
}


def render_reasons(c: Any, width: int = 100) -> list[str]:
    """A's evidence sentences, each with its citation, wrapped."""
    import textwrap

    if not c.evidence:
        return []
    lines = ["", "why"]
    for sentence in c.evidence:
        lines.extend(
            textwrap.wrap(sentence, width=width, initial_indent="  - ", subsequent_indent="    ", break_on_hyphens=False)
        )
    return lines


def render_predictions(c: Any, width: int = 100, *, reasons: bool = False) -> list[str]:
    """One line per architecture: the theorem's answer, the architecture, the citation
    (and with ``reasons``, the theorem's reason below it)."""
    import textwrap

    if not c.predictions:
        return []
    lines = ["", "predictions  can the architecture express it at every length? (theorems, not measurements)"]
    for p in c.predictions:
        when = f" [{p.conditions}]" if p.conditions else ""
        text = f"{_yes_no(p.expressible):<4}  {p.architecture}{when} ({p.citation})"
        lines.extend(textwrap.wrap(text, width=width, initial_indent="  ", subsequent_indent="        "))
        if reasons:
            lines.extend(textwrap.wrap(p.reason, width=width, initial_indent="        ", subsequent_indent="        "))
    return lines


