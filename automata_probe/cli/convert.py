"""``automata-probe convert``: automata between the language TOML, AT&T FSM text and Graphviz dot.

    automata-probe convert tomita4 --to att              # AT&T FSM text (OpenFst, the Language Toolkit)
    automata-probe convert --dfa tomita4 --to att        # the same
    automata-probe convert lang.att --to toml -o lang.toml
    automata-probe convert tomita4 --to dot -o t4.dot
    automata-probe convert machine.fst.txt --symbols machine.syms --to toml

SOURCE is a language (suite name, .toml file, family), an AT&T file
(``.att``, ``.fst``, ``.fsa``, ``.txt``) or a dot file (``.dot``, ``.gv``);
``--from`` overrides the guess. The result goes to stdout or, atomically, to
``-o FILE``. AT&T output leaves the dead state out (a missing arc rejects);
reading determinizes and minimizes. Exit status 0, or 2 on an error.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..automata import language_from_dfa, load_language
from ..automata.files import atomic_write_text, language_toml
from ..automata.formats import att_symbols, read_att, read_dot, write_att, write_dot

#: Shown by ``--help`` above the arguments.
DESCRIPTION = __doc__.split("\n\n")[0]

FORMATS = ("toml", "att", "dot")
_ATT_SUFFIXES = {".att", ".fst", ".fsa", ".txt", ".fsm"}
_DOT_SUFFIXES = {".dot", ".gv"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", nargs="?", metavar="SOURCE", help="a language name or .toml file, an AT&T file or a dot file")
    p.add_argument("--dfa", metavar="NAME", help="the same as SOURCE (the flag classify and decompose take)")
    p.add_argument("--to", required=True, choices=FORMATS, help="the output format")
    p.add_argument("--from", dest="source_format", choices=FORMATS, help="the input format (default: from SOURCE)")
    p.add_argument("-o", "--output", type=Path, metavar="FILE", help="write here instead of stdout")
    p.add_argument("--alphabet", metavar="LETTERS", help="the alphabet (its order numbers the letters)")
    p.add_argument("--symbols", metavar="FILE", help="an OpenFst symbol table for integer AT&T labels")
    p.add_argument("--acceptor", action="store_true", help="AT&T output in three columns (src dst label)")
    p.add_argument("--write-symbols", type=Path, metavar="FILE", help="also write an OpenFst symbol table here")
    p.add_argument("--name", help="the language's name in TOML output (default: from SOURCE)")


def _guess(source: str) -> str:
    suffix = Path(source).suffix.lower()
    if suffix in _ATT_SUFFIXES:
        return "att"
    if suffix in _DOT_SUFFIXES:
        return "dot"
    return "toml"


def run(args: argparse.Namespace) -> int:
    if args.source and args.dfa:
        print(f"error: give SOURCE or --dfa NAME, not both ({args.source!r} and --dfa {args.dfa!r})", file=sys.stderr)
        return 2
    args.source = args.source or args.dfa
    if not args.source:
        print("error: give a SOURCE (or --dfa NAME) to convert, e.g. convert tomita4 --to att", file=sys.stderr)
        return 2
    kind = args.source_format or _guess(args.source)
    alphabet = list(args.alphabet) if args.alphabet else None
    name = args.name or Path(args.source).stem
    if kind == "toml":
        language = load_language(args.source, alphabet=args.alphabet)
        if args.name:
            language = language_from_dfa(language.dfa, args.name, description=language.description)
    else:
        if not Path(args.source).exists():
            print(f"error: {args.source}: no such file", file=sys.stderr)
            return 2
        reader = read_att if kind == "att" else read_dot
        kwargs = {"symbols": Path(args.symbols)} if kind == "att" and args.symbols else {}
        dfa = reader(Path(args.source), alphabet=alphabet, name=name, **kwargs)
        language = language_from_dfa(dfa, name, description=f"converted from {Path(args.source).name}")
    dfa = language.dfa
    if args.to == "att":
        text = write_att(dfa, acceptor=args.acceptor)
    elif args.to == "dot":
        text = write_dot(dfa)
    else:
        text = language_toml(dfa, name=language.name, description=language.description,
                             source=language.source if language.source != "DFA" else "")
    if args.write_symbols:
        atomic_write_text(args.write_symbols, att_symbols(dfa))
    if args.output:
        atomic_write_text(args.output, text)
        print(f"wrote {args.output} ({dfa.n_states} states, {args.to})")
    else:
        sys.stdout.write(text)
    return 0
