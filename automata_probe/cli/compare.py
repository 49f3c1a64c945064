"""``automata-probe compare``: compare two automata exactly.

Each side is a language file (``.toml``), a language name (suite or family)
or a regular expression, resolved in that order::

    automata-probe compare tomita4 "(1|01|001)*(0|00)?"
    automata-probe compare extracted.toml --dfa tomita4 --png cmp.png

Prints the verdict, the shortest counterexample, the exact disagreement rate
per length, the state counts and the state mapping. Exit status 0 when the
two are equivalent and 1 when they are not (the verdict, as for
``is-star-free``); bad input (a file that is not a language, alphabets that
differ) is one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Sequence

from ..automata import language_from_regex, load_language
from ..automata.words import format_word
from ..compare import compare
from ..errors import AlphabetError, LanguageFileError, LanguageNotFoundError, ParameterError, RegexError
from ..viz.drawing import draw_comparison, plot_disagreement
from .star_free import add_size_arguments, size_limits

log = logging.getLogger(__name__)

#: Longest --max-length (exact counts at length 10,000 take seconds; at 100,000, minutes).
MAX_LENGTH = 10_000
#: The verdicts, as exit status (as ``is-star-free``'s); errors exit 2.
EXIT_EQUIVALENT = 0
EXIT_NOT_EQUIVALENT = 1


#: Shown by ``--help`` above the arguments.
DESCRIPTION = (
            "Compare two DFAs over the same alphabet: equivalence, the shortest counterexample, the exact "
            "disagreement rate per length, state counts and a state-to-state mapping. Each DFA is a .toml "
            "language file, a language name, or a regex. The first is taken as the truth, or --dfa when given. "
            "Exit 0 equivalent, 1 not equivalent, 2 bad input."
        )


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("specs", nargs="+", metavar="DFA", help="one or two languages: file, name or regex")
    p.add_argument("--dfa", metavar="LANG", help="the ground truth (then give one DFA to compare with it)")
    p.add_argument("--alphabet", metavar="LETTERS", help="alphabet for regexes (a string of one-character letters)")
    p.add_argument("--max-length", type=int, default=20, metavar="N", help="lengths 0..N (default %(default)s)")
    p.add_argument("--png", metavar="PATH", help="draw both automata side by side")
    p.add_argument("--rates-png", metavar="PATH", help="plot the disagreement rate per length")
    p.add_argument("--json", action="store_true", help="print the comparison as JSON")
    add_size_arguments(p)


# --------------------------------------------------------------- resolving
def _looks_like_file(spec: str) -> bool:
    try:
        return spec.endswith(".toml") or Path(spec).is_file()
    except OSError:  # a name too long for the file system is no file
        return False


def resolve_languages(specs: Sequence[str], alphabet: str | None = None, **limits: int) -> list:
    """Resolve each spec: an existing file, a language name, else a regex.

    Regexes get ``alphabet`` when given, else the alphabet of the first
    non-regex language, else the union of the regexes' letters; so
    ``compare tomita4 '1*'`` compares over {0, 1}. A spec that is neither a
    name nor a regex raises :class:`LanguageNotFoundError` with both reasons.
    ``limits`` (``max_states``, ``max_nfa_states``) go to every load.
    """
    resolved: list = [None] * len(specs)
    regexes: dict[int, LanguageNotFoundError] = {}
    for i, spec in enumerate(specs):
        if _looks_like_file(spec):
            resolved[i] = load_language(spec, **limits)
            continue
        try:
            resolved[i] = load_language(spec, **limits)
        except LanguageNotFoundError as e:
            regexes[i] = e

    def as_regex(i: int, letters: Sequence[str] | None):  # noqa: ANN202
        try:
            return language_from_regex(specs[i], letters, **limits)
        except (RegexError, AlphabetError) as e:
            over = f" over {{{', '.join(letters)}}}" if letters else ""
            err = regexes[i]
            err.args = (f"{err}; as a regex{over}: {e}",)
            raise err from None

    if regexes:
        letters: list[str] | None = list(alphabet) if alphabet else None
        known = [lang for lang in resolved if lang is not None]
        if letters is None and known:
            letters = list(known[0].alphabet)
        if letters is None:  # only regexes: the union of their letters
            seen: dict[str, None] = {}
            for i in regexes:
                seen.update(dict.fromkeys(as_regex(i, None).alphabet))
            letters = list(seen)
        for i in regexes:
            resolved[i] = as_regex(i, letters)
    return resolved


def format_rates(rates: Sequence[float], exact: Sequence[bool] | None = None, *, per_line: int = 11) -> str:
    """``n=0: 0  n=1: 0  n=2: 0.25 ...``, sampled values marked with ``~``."""
    cells = []
    for n, r in enumerate(rates):
        mark = "" if exact is None or exact[n] else "~"
        value = "0" if r == 0 else f"{mark}{r:.3g}"
        cells.append(f"{n}:{value}")
    lines = ["  ".join(cells[i : i + per_line]) for i in range(0, len(cells), per_line)]
    return "\n".join("    " + line for line in lines)


def print_comparison(c, truth, other) -> None:  # noqa: ANN001 - Comparison, DFA, DFA
    print(f"verdict: {c.verdict}")
    cex = "none" if c.counterexample is None else (
        f"{format_word(c.counterexample, c.alphabet)} (truth {'accepts' if c.truth_accepts_counterexample else 'rejects'} it)"
    )
    print(f"shortest counterexample: {cex}")
    print(f"states (minimal): truth {c.truth_states}, other {c.other_states}")
    print(f"disagreement rate per length n (count / {len(c.alphabet)}^n, exact):")
    print(format_rates(c.rates))
    m = c.mapping
    print(
        f"mapping truth->other: {m.describe(truth, other)}  "
        f"(purity {m.purity:.3f}, matched {m.matched_fraction:.3f}; {m.source})"
    )


def run(args: argparse.Namespace) -> int:
    specs = list(args.specs)
    if args.dfa is not None:
        if len(specs) != 1:
            raise LanguageFileError(f"with --dfa give one DFA to compare, not {len(specs)}")
        specs = [args.dfa, specs[0]]
    if len(specs) != 2:
        raise LanguageFileError(f"give two DFAs to compare (or one and --dfa), not {len(specs)}")
    if not 0 <= args.max_length <= MAX_LENGTH:
        raise ParameterError(
            f"--max-length must be between 0 and {MAX_LENGTH:,}, not {args.max_length:,} (the counts per length "
            "are exact integers, k^n words at length n)"
        )
    truth_lang, other_lang = resolve_languages(specs, args.alphabet, **size_limits(args))
    truth = truth_lang.dfa.with_name(truth_lang.name)
    other = other_lang.dfa.with_name(other_lang.name if other_lang.name != truth_lang.name else specs[1])
    c = compare(truth, other, max_length=args.max_length)
    if args.json:
        print(json.dumps(c.to_dict(), indent=2, ensure_ascii=False))
    else:
        print(f"truth: {truth.name} ({truth.n_states} states, alphabet {{{', '.join(truth.alphabet)}}})")
        print(f"other: {other.name} ({other.n_states} states)")
        print_comparison(c, truth, other)
    if args.png:
        path = draw_comparison(truth, other, args.png, mapping=c.mapping, suptitle=c.verdict)
        if not args.json:
            print(f"wrote {path}")
    if args.rates_png:
        path = plot_disagreement({other.name: c.rates}, args.rates_png, title=f"disagreement with {truth.name}")
        if not args.json:
            print(f"wrote {path}")
    return EXIT_EQUIVALENT if c.equivalent else EXIT_NOT_EQUIVALENT
