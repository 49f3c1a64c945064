"""The ``automata-probe`` command and its subcommands.

Each subcommand lives in its own module (``DESCRIPTION``, ``add_arguments``,
``run``); only the chosen one is imported, so ``automata-probe languages``
starts without torch. Errors from the package
(:class:`~automata_probe.errors.AutomataProbeError`) become one line on stderr
and exit status 2; argparse usage errors exit 2 as well.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from dataclasses import dataclass
from typing import Callable, Sequence

from ..errors import AutomataProbeError

EXIT_USAGE = 2


def prefer_huge_pages() -> None:
    """Ask PyTorch to back CPU tensors of 2 MB and more with transparent huge pages.

    ``THP_MEM_ALLOC_ENABLE`` is read once, at torch's first allocation, so this
    only acts before torch is imported (the CLI imports it lazily). Capturing
    Mamba's SSM state writes ``(B, L, ED * N)`` floats per layer (53 MB at
    B = 64, L = 101) into fresh memory; with 4 KB pages faulting it in cost
    about as much as the forward pass (``benchmarks/bench_capture.py``).
    An explicit ``THP_MEM_ALLOC_ENABLE`` in the environment wins.
    """
    if "torch" not in sys.modules:
        os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")


def run_guarded(fn: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a command; package errors become a one-line message and exit 2."""
    prefer_huge_pages()
    try:
        return int(fn(args) or 0)
    except AutomataProbeError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `automata-probe languages | head`
        return 0


def run_standalone(
    build: Callable[[], argparse.ArgumentParser],
    fn: Callable[[argparse.Namespace], int],
    argv: Sequence[str] | None,
) -> int:
    """Entry point of a standalone console script (``is-star-free``, ``probe-states``)."""
    args = build().parse_args(argv)
    setup_logging(0)
    return run_guarded(fn, args)


def is_star_free(argv: Sequence[str] | None = None) -> int:
    """The ``is-star-free`` console script (also ``automata-probe is-star-free``)."""
    return _standalone("star_free", argv)


def probe_states(argv: Sequence[str] | None = None) -> int:
    """The ``probe-states`` console script (also ``automata-probe probe``)."""
    return _standalone("probe", argv)


def _standalone(module: str, argv: Sequence[str] | None) -> int:
    prefer_huge_pages()  # before the module imports torch
    command = importlib.import_module(f"{__name__}.{module}")
    return run_standalone(command.build_parser, command.run, argv)


def setup_logging(verbose: int) -> None:
    level = logging.WARNING - 10 * verbose
    logging.basicConfig(level=max(level, logging.DEBUG), format="%(levelname)s %(name)s: %(message)s")


@dataclass(frozen=True)
class Command:
    """A subcommand: its name, the module that implements it, its one-line help."""

    name: str
    module: str
    help: str
    aliases: tuple[str, ...] = ()


#: The subcommands, in the order ``automata-probe --help`` lists them. Each
#: module has ``DESCRIPTION``, ``add_arguments(parser)`` and ``run(args)``; only
#: the module of the command given is imported, so ``automata-probe
#: languages`` does not load torch.
COMMANDS: tuple[Command, ...] = (
    Command("languages", "languages", "list the built-in languages with their states, monoid size and class"),
    Command("show", "show", "print a language's minimal DFA and monoid summary; draw it with --png"),
    Command("is-star-free", "star_free", "decide star-freeness of a regex or language, with evidence", ("star-free",)),
    Command("train", "train", "train a model on a language and write a checkpoint"),
    Command("evaluate", "evaluate", "per-bin strict accuracy of a checkpoint"),
    Command("probe", "probe", "probe a checkpoint's activations for DFA states, with controls", ("probe-states",)),
    Command("intervene", "intervene", "interchange interventions: does the model use the state the probe reads?"),
    Command("extract", "extract", "extract a DFA from a trained model and compare it with the truth"),
    Command("compare", "compare", "compare two automata (files, names or regexes) exactly"),
    Command("reproduce", "reproduce", "run the papers' experiments (Sarrof et al. 2024, Merrill et al. 2024)"),
    Command("demo", "demo", "train a small Mamba on tomita4, probe it, extract an automaton, compare, plot"),
)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The ``automata-probe`` parser, with the arguments of ``command`` (the
    other subcommands are listed with their help only)."""
    parser = argparse.ArgumentParser(
        prog="automata-probe",
        description="Languages, star-freeness, training, probing and extraction for sequence models.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for c in COMMANDS:
        if command not in (c.name, *c.aliases):
            sub.add_parser(c.name, aliases=list(c.aliases), help=c.help)
            continue
        module = importlib.import_module(f"{__name__}.{c.module}")
        p = sub.add_parser(c.name, aliases=list(c.aliases), help=c.help, description=module.DESCRIPTION)
        module.add_arguments(p)
        p.set_defaults(func=module.run)
    return parser


def command_of(argv: Sequence[str]) -> str | None:
    """The subcommand named in ``argv`` (the first word after the global options), or None."""
    for arg in argv:
        if arg == "--verbose" or (arg.startswith("-v") and set(arg[1:]) == {"v"}):
            continue
        return None if arg.startswith("-") else arg
    return None


def main(argv: Sequence[str] | None = None) -> int:
    prefer_huge_pages()  # before the command's module imports torch
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(command_of(argv))
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    setup_logging(args.verbose)
    return run_guarded(args.func, args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
