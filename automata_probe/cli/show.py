"""``automata-probe show NAME``: a language's minimal DFA, its monoid, a drawing.

    automata-probe show tomita4                          # or: show --dfa tomita4
    automata-probe show tomita4 --png tomita4.png --dot tomita4.dot
    automata-probe show --regex '(ab)*' --alphabet abc
    automata-probe show tomita3 --green --png t3.png     # Green's relations: D-classes as egg-boxes

Prints the transition table of the minimal DFA (start state marked ``->``,
accepting states ``*``, the dead state ``dead``), then the monoid summary of
``is-star-free``. ``--png`` draws the automaton (networkx + matplotlib),
``--dot`` writes Graphviz source. ``--green`` prints Green's relations of the
syntactic monoid (each D-class as an egg-box: rows R-classes, columns
L-classes, ``*`` marks idempotents) and makes ``--png`` draw the egg-boxes.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..algebra import classify
from ..automata import language_from_regex, load_language
from ..automata.dfa import DFA
from ..errors import LanguageNotFoundError, MonoidTooLargeError, excerpt
from ..viz.drawing import save_dfa_figure
from .green import render_green, save_green
from .star_free import (
    add_size_arguments,
    alphabet_text,
    render_evidence,
    render_predictions,
    render_reasons,
    size_limits,
)

#: Shown by ``--help`` above the arguments.
DESCRIPTION = __doc__.split("\n\n")[0]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", nargs="?", metavar="NAME", help="suite name, .toml file or family (dyck-2-3, group-S3)")
    p.add_argument("--dfa", metavar="NAME", help="the same as NAME (the flag classify and decompose take)")
    p.add_argument("--regex", metavar="PATTERN", help="show the language of a regex instead of NAME")
    p.add_argument("--alphabet", metavar="LETTERS", help="alphabet for --regex (or a wider one for NAME)")
    p.add_argument("--png", type=Path, metavar="FILE", help="draw the automaton to this PNG file")
    p.add_argument("--dot", type=Path, metavar="FILE", help="write Graphviz source to this file")
    p.add_argument("--show-dead", action="store_true", help="draw the dead state too (--png, --dot)")
    p.add_argument("--green", action="store_true", help="print Green's relations; --png draws the egg-box diagrams")
    p.add_argument("--rows", type=int, default=60, metavar="N", help="print at most N states of the table (default 60)")
    p.add_argument(
        "--max-monoid", type=int, default=2_000_000, metavar="N", help="cap on the monoid size (default 2,000,000)"
    )
    add_size_arguments(p)


def transition_table(dfa: DFA, *, max_rows: int = 60, max_columns: int = 16) -> list[str]:
    """The table as lines: one row per state, one column per letter."""
    letters = list(dfa.alphabet[:max_columns])
    dead = dfa.dead_states
    labelled = dfa.state_labels is not None

    def name(q: int) -> str:
        label = dfa.label(q)
        return f"{q} {label}" if labelled and label not in (str(q), "dead") else str(q)

    header = ["", "state", *letters, ""]
    rows = []
    for q in range(min(dfa.n_states, max_rows)):
        marks = ("*" if q in dfa.accepting else "") + (" dead" if q in dead else "")
        rows.append(["->" if q == dfa.start else "", name(q), *(str(dfa.transitions[q][dfa.letter_index[a]]) for a in letters), marks.strip()])
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in [header, *rows]]
    if dfa.n_states > max_rows:
        lines.append(f"... {dfa.n_states - max_rows} more states (--rows to see more)")
    if dfa.n_letters > max_columns:
        lines.append(f"... {dfa.n_letters - max_columns} more letters not shown")
    return lines


def run(args: argparse.Namespace) -> int:

    if args.name and args.dfa:
        print(f"error: give NAME or --dfa NAME, not both ({args.name!r} and --dfa {args.dfa!r})", file=sys.stderr)
        return 2
    args.name = args.name or args.dfa
    if bool(args.name) == bool(args.regex):
        print("error: give a language NAME (or --dfa NAME) or --regex PATTERN (exactly one)", file=sys.stderr)
        return 2
    limits = size_limits(args)
    if args.name:
        try:
            language = load_language(args.name, alphabet=args.alphabet, **limits)
        except LanguageNotFoundError as e:
            e.args = (f"{e}; to show a regex, give --regex PATTERN",)
            raise
    else:
        language = language_from_regex(args.regex, args.alphabet, **limits)
    dfa = language.dfa
    heading = f"{language.name}: {language.description}" if language.description else language.name
    print(heading if len(heading) <= 400 else f"{excerpt(heading, 400)} ({len(heading):,} characters)")
    if language.source:
        print(f"source: {language.source}")
    dead = f"; dead state {dfa.dead}" if dfa.dead is not None else "; no dead state"
    print(f"alphabet {alphabet_text(dfa.alphabet)}; minimal DFA with {dfa.n_states} states; start {dfa.start}{dead}")
    print()
    for line in transition_table(dfa, max_rows=args.rows):
        print(line)
    print()
    try:
        c = classify(dfa, max_monoid=args.max_monoid)
    except MonoidTooLargeError as e:
        print(f"monoid       {e}")
    else:
        print(f"star-free    {'yes' if c.star_free else 'no'}")
        for line in render_evidence(dfa, c) + render_reasons(c):
            print(line)
        for line in render_predictions(c):
            print(line)
    if args.green:
        print()
        for line in render_green(dfa, max_monoid=args.max_monoid):
            print(line)
    if args.dot:
        args.dot.write_text(dfa.to_dot(hide_dead=not args.show_dead), encoding="utf-8")
        print(f"\nwrote {args.dot}")
    if args.png and args.green:
        save_green(dfa, args.png, title=f"{language.name}: {language.description}", max_monoid=args.max_monoid)
        print(f"wrote {args.png}")
    elif args.png:
        save_dfa_figure(dfa, args.png, hide_dead=not args.show_dead, title=f"{language.name}: {language.description}"[:80])
        print(f"wrote {args.png}")
    return 0
