"""The ``automata-probe`` command and its subcommands.

Each subcommand lives in its own module (``DESCRIPTION``, ``add_arguments``,
``run``); only the chosen one is imported, so ``automata-probe languages``
starts without torch.

Exit status, the same for every command and console script (:data:`EXIT_STATUS`
is the text ``--help`` shows): 0 success (for ``is-star-free`` and ``compare``,
the verdict yes), 1 the verdict no and nothing else, 2 bad input (one line on
stderr: package errors, argparse usage errors, files that cannot be read or
written), 3 a bug (one line saying so and where the traceback went), 130
interrupted. A crash never exits 1, so a script reading verdicts from exit
codes cannot mistake one for "not star-free".
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import platform
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from .._version import __version__
from ..errors import AutomataProbeError, DataError

#: Success; for ``is-star-free`` and ``compare``, the verdict yes (star-free, equivalent).
EXIT_OK = 0
#: The verdict no (not star-free, not equivalent); never an error.
EXIT_NO = 1
#: Bad input: one line on stderr naming the culprit.
EXIT_USAGE = 2
#: A bug in automata-probe (an exception that is not bad input).
EXIT_BUG = 3
EXIT_INTERRUPTED = 130
#: Where bugs are reported (named in the bug line when set; pyproject.toml has no project URL yet).
ISSUES_URL: str | None = None
#: The exit-status contract, as ``--help`` prints it.
EXIT_STATUS = """exit status:
  0    success; for is-star-free and compare, the verdict yes (star-free, equivalent)
  1    the verdict no (not star-free, not equivalent); never an error
  2    bad input: one line on stderr names it (a malformed regex, an unknown
       language, a file that cannot be read or written, a size limit passed)
  3    a bug in automata-probe: one line on stderr says where the traceback went
       (-v prints it); please report it
  130  interrupted"""


class HelpFormatter(argparse.HelpFormatter):
    """Wraps prose paragraphs of a description or epilog, and keeps paragraphs
    with indented lines (examples, the exit-status table) as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        out = []
        for paragraph in text.split("\n\n"):
            if "\n " in paragraph or paragraph.startswith(" "):
                out.append("\n".join(indent + line for line in paragraph.splitlines()))
            else:
                out.append(super()._fill_text(paragraph, width, indent))
        return "\n\n".join(out)


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


def check_positive(args: argparse.Namespace, *names: str) -> None:
    """Raise :class:`~automata_probe.errors.DataError` naming the first option
    among ``names`` (argparse destinations) whose value is below 1."""
    for name in names:
        value = getattr(args, name, 1)
        if value is not None and value < 1:
            raise DataError(f"--{name.replace('_', '-')} must be a positive integer, got {value}")


def check_output_dir(path: str | None, what: str) -> None:
    """Fail before any work when the folder ``path`` would be written in does not exist."""
    if path is None:
        return
    parent = Path(path).expanduser().resolve().parent
    if not parent.is_dir():
        raise DataError(f"cannot write {what} {path}: directory {parent} does not exist")


def run_guarded(fn: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a command under the exit-status contract (:data:`EXIT_STATUS`).

    Package errors and files that cannot be read or written become one line
    on stderr and exit 2; any other exception is a bug: one line saying so
    and where its traceback was saved (printed too with ``-v``), exit 3.
    """
    prefer_huge_pages()
    try:
        return int(fn(args) or 0)
    except AutomataProbeError as e:
        print(f"error: {_one_line(str(e))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `automata-probe languages | head`
        return EXIT_OK
    except OSError as e:  # a path the user gave: --png into a missing folder, a full disk
        where = f"{e.filename}: " if e.filename else ""
        print(f"error: {where}{e.strerror or e}", file=sys.stderr)
        return EXIT_USAGE
    except Exception as e:  # noqa: BLE001 - anything else is a bug, never a verdict
        return report_bug(e, args)


def _one_line(text: str) -> str:
    return " ".join(text.split("\n"))


def report_bug(error: BaseException, args: argparse.Namespace) -> int:
    """Save the traceback of an unexpected exception, say so in one line, return :data:`EXIT_BUG`."""
    text = "".join(traceback.format_exception(error))
    if getattr(args, "verbose", 0):
        print(text, file=sys.stderr, end="")
    kind = "out of memory" if isinstance(error, MemoryError) else f"{type(error).__name__}: {_one_line(str(error))}"
    saved = _save_traceback(text)
    where = f"the traceback is in {saved}" if saved else "rerun with -v to see the traceback"
    at = f" at {ISSUES_URL}" if ISSUES_URL else ""
    print(
        f"error: internal error ({kind[:200]}); this is a bug in automata-probe {__version__}, not a problem "
        f"with your input: please report it{at} with the command line; {where}",
        file=sys.stderr,
    )
    return EXIT_BUG


def _save_traceback(text: str) -> Path | None:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    header = (
        f"automata-probe {__version__}, Python {platform.python_version()} on {platform.platform()}\n"
        f"command: {' '.join(sys.argv)}\n\n"
    )
    try:
        fd, name = tempfile.mkstemp(prefix=f"automata-probe-bug-{stamp}-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace") as fh:
            fh.write(header + text)
        return Path(name)
    except Exception:  # noqa: BLE001 - reporting a bug must not raise another
        return None


def safe_streams() -> None:
    """Let stdout and stderr print any text: a character the terminal's encoding
    lacks (``é`` under ``LANG=C``, bytes of an argument that is not UTF-8)
    comes out escaped instead of ending the command with UnicodeEncodeError."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):  # a closed or detached stream
                pass


def run_standalone(
    build: Callable[[], argparse.ArgumentParser],
    fn: Callable[[argparse.Namespace], int],
    argv: Sequence[str] | None,
) -> int:
    """Entry point of a standalone console script (``is-star-free``, ``probe-states``)."""
    safe_streams()
    parser = build()
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    parser.epilog = f"{parser.epilog}\n\n{EXIT_STATUS}" if parser.epilog else EXIT_STATUS
    parser.formatter_class = HelpFormatter
    args = parser.parse_args(argv)
    setup_logging(args.verbose)
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
    Command("classify", "classify", "every algebraic class of a language (PT, LT, DA, dot-depth ...), with evidence"),
    Command("decompose", "decompose", "Krohn-Rhodes holonomy decomposition of a language's DFA, checked exactly"),
    Command("convert", "convert", "convert automata between TOML, AT&T FSM text and Graphviz dot"),
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
        epilog=EXIT_STATUS,
        formatter_class=HelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for c in COMMANDS:
        if command not in (c.name, *c.aliases):
            sub.add_parser(c.name, aliases=list(c.aliases), help=c.help)
            continue
        module = importlib.import_module(f"{__name__}.{c.module}")
        p = sub.add_parser(
            c.name, aliases=list(c.aliases), help=c.help, description=module.DESCRIPTION, epilog=EXIT_STATUS,
            formatter_class=HelpFormatter,
        )
        module.add_arguments(p)
        p.add_argument("-v", "--verbose", action="count", default=argparse.SUPPRESS, help="as -v before COMMAND")
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
    safe_streams()
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
