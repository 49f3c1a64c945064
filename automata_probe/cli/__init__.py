"""The ``automata-probe`` command and its subcommands.

Each subcommand lives in its own module with ``add_parser(subparsers)``; heavy
imports (torch, sklearn, matplotlib) happen inside the command functions so
``automata-probe languages`` starts fast. Errors from the package
(:class:`~automata_probe.errors.AutomataProbeError`) become one line on stderr
and exit status 2; argparse usage errors exit 2 as well.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from typing import Callable, Sequence

from ..errors import AutomataProbeError

# subcommand modules, in the order `automata-probe --help` lists them
SUBCOMMANDS = ["languages", "show", "star_free", "train", "evaluate", "probe", "extract", "compare", "reproduce", "demo"]

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


def setup_logging(verbose: int) -> None:
    level = logging.WARNING - 10 * verbose
    logging.basicConfig(level=max(level, logging.DEBUG), format="%(levelname)s %(name)s: %(message)s")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="automata-probe",
        description="Languages, star-freeness, training, probing and extraction for sequence models.",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as e:
            if e.name == f"{__name__}.{name}":
                continue  # subcommand not built yet
            raise
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    setup_logging(args.verbose)
    return run_guarded(args.func, args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
