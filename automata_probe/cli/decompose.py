"""``automata-probe decompose``: the Krohn-Rhodes (holonomy) cascade of a language's minimal DFA.

    automata-probe decompose --dfa d3
    automata-probe decompose '(aa)*' --alphabet ab --json
    automata-probe decompose --regex '(aa)*' --alphabet ab  # the same as the positional PATTERN

Prints the levels of the holonomy decomposition (Eilenberg 1976; as SgpDec
computes it), each level's components with their tiles, holonomy group and
whether they are pure reset automata, then the exact check that the cascade
product emulates the DFA. For a star-free language every component is a
reset automaton. Exit status 0, 2 on bad input; a failed check would be a
bug (status 3).
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap

from ..algebra.cascade import MAX_CHAINS, Holonomy, holonomy
from ..automata.dfa import DFA
from .star_free import (
    add_regex_flag,
    add_size_arguments,
    alphabet_text,
    hint_if_name,
    resolve_language,
    take_regex_flag,
    usage_problem,
)

#: Shown by ``--help`` above the arguments.
DESCRIPTION = __doc__.split("\n\n")[0]

#: What the literature ties to the number of levels, printed with every decomposition.
DEPTH_NOTE = (
    "Sarrof, Veitsman & Hahn (2024) build SSMs with non-negative gates for star-free languages from a "
    "Krohn-Rhodes cascade of reset automata, stacking layers along the cascade; so the number of levels "
    "bounds the depth their construction uses from above. It is only an upper bound: the holonomy "
    "decomposition is not minimal in length, and a trained model may need fewer layers (see "
    "benchmarks/holonomy_depth.py for the depth our sweeps needed). Non-star-free languages have "
    "permutation components, which non-negative gates cannot carry at every length (Sarrof et al. 2024)."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("pattern", nargs="?", metavar="PATTERN", help="a regular expression (see automata_probe.automata.regex)")
    p.add_argument("--dfa", metavar="NAME", help="a language: suite name, .toml file or family (dyck-2-3, group-S5)")
    add_regex_flag(p)
    p.add_argument("--alphabet", metavar="LETTERS", help="the alphabet, e.g. ab (default: the letters of the regex)")
    p.add_argument("--json", action="store_true", help="print the decomposition and the check as JSON")
    p.add_argument("--no-verify", action="store_true", help="skip the emulation check")
    p.add_argument(
        "--max-chains", type=int, default=MAX_CHAINS, metavar="N",
        help=f"check the cascade only up to N coded states (default {MAX_CHAINS:,}; D_n has 2^(n+1))",
    )
    add_size_arguments(p)


def _set_text(dfa: DFA, states: tuple[int, ...], limit: int = 8) -> str:
    names = [dfa.label(q) for q in states[:limit]]
    more = f", ... ({len(states)})" if len(states) > limit else ""
    return "{" + ", ".join(names) + more + "}"


def render(language, h: Holonomy, check) -> list[str]:  # noqa: ANN001
    dfa = h.dfa
    title = language.name if language.regex != language.name else f"the regex {language.name}"
    lines = [
        f"language     {title}",
        f"alphabet     {alphabet_text(dfa.alphabet)}",
        f"minimal DFA  {dfa.n_states} states",
        f"levels       {h.n_levels}" + ("  (every component a reset automaton: star-free)" if h.reset_only else ""),
        "",
    ]
    for lv in h.levels:
        lines.append(f"level {lv.level}: {lv.states} states ({lv.states - 1} tiles + *)")
        for c in lv.components:
            kind = ("reset" if c.states > 2 else "flip-flop") if c.reset else f"permutation-reset, group {c.group.name}"
            if c.reset and c.states == 1:
                kind = "trivial"
            lines.append(
                f"  {_set_text(dfa, c.representative)}  {c.states} tiles, {kind}"
                + (f"  (order {c.group.order})" if not c.reset else "")
                + (f"  [{c.class_size} equivalent sets]" if c.class_size > 1 else "")
            )
    if check is not None and check.skipped:
        lines.append("")
        lines.append(f"cascade      not checked: {check.skipped} (--max-chains to check it anyway)")
    elif check is not None:
        lines.append("")
        verdict = "emulates the DFA" if check.ok else "DOES NOT emulate the DFA"
        lines.append(
            f"cascade      {verdict}: {check.chains} coded states x {dfa.n_letters} letters = "
            f"{check.transitions} transitions checked; {check.reachable} cascade states reachable from the start; "
            f"decoding onto all {dfa.n_states} states: {'yes' if check.surjective else 'no'}; "
            f"every permutation in its holonomy group: {'yes' if check.groups_ok else 'no'}"
        )
        for f in check.failures:
            lines.append(f"  failure: {f}")
    lines.append("")
    lines.extend(textwrap.wrap(DEPTH_NOTE, width=100))
    return lines


def run(args: argparse.Namespace) -> int:
    problem = take_regex_flag(args) or usage_problem(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    language = resolve_language(args)
    hint_if_name(args)
    if args.max_chains < 1:
        print("error: --max-chains must be at least 1", file=sys.stderr)
        return 2
    h = holonomy(language.dfa)
    check = None if args.no_verify else h.verify(max_chains=args.max_chains)
    if args.json:
        out = {"language": language.name, "alphabet": list(h.dfa.alphabet)} | h.to_dict()
        out["verification"] = check.to_dict() if check is not None else None
        out["note"] = DEPTH_NOTE
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        for line in render(language, h, check):
            print(line)
    if check is not None and not check.ok and not check.skipped:  # pragma: no cover - the construction is proved; a failure is a bug
        raise RuntimeError(f"the holonomy cascade does not emulate the DFA: {'; '.join(check.failures[:3])}")
    return 0
