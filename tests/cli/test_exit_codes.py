"""The exit-status contract of every command: 0 and 1 are verdicts, 2 is bad
input, 3 is a bug (one line, the traceback saved), never 1 for a crash."""

from __future__ import annotations

import argparse
import tempfile

import pytest

from automata_probe.cli import (
    COMMANDS,
    EXIT_BUG,
    EXIT_STATUS,
    EXIT_USAGE,
    is_star_free,
    main,
    probe_states,
    run_guarded,
)
from automata_probe.errors import RegexError


def one_line(err: str) -> str:
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.fixture
def crash_dir(tmp_path, monkeypatch):  # noqa: ANN001, ANN201
    """Tracebacks of bugs are saved here instead of the system's temporary folder."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def _boom(args: argparse.Namespace) -> int:
    raise RecursionError("maximum recursion depth exceeded")


@pytest.mark.parametrize("command", [c for c in COMMANDS if c.name in ("show", "is-star-free", "compare", "languages")])
def test_a_crashing_command_exits_3_with_one_line_and_a_saved_traceback(command, monkeypatch, capsys, crash_dir):  # noqa: ANN001
    import importlib

    module = importlib.import_module(f"automata_probe.cli.{command.module}")
    monkeypatch.setattr(module, "run", _boom)
    argv = {"show": ["tomita4"], "is-star-free": ["a*"], "compare": ["a*", "b*"], "languages": []}[command.name]
    code = main([command.name, *argv])
    _, err = capsys.readouterr()
    assert code == EXIT_BUG  # never 1, which is a verdict
    line = one_line(err)
    assert "bug in automata-probe" in line and "RecursionError" in line and "report it" in line
    saved = list(crash_dir.glob("automata-probe-bug-*.txt"))
    assert len(saved) == 1 and str(saved[0]) in line
    text = saved[0].read_text()
    assert "Traceback" in text and "_boom" in text and "RecursionError" in text


def test_verbose_prints_the_traceback_too(monkeypatch, capsys, crash_dir):  # noqa: ANN001
    from automata_probe.cli import star_free

    monkeypatch.setattr(star_free, "run", _boom)
    assert main(["-v", "is-star-free", "a*"]) == EXIT_BUG
    _, err = capsys.readouterr()
    assert "Traceback" in err and err.strip().splitlines()[-1].startswith("error: internal error")


@pytest.mark.parametrize("script, module", [(is_star_free, "star_free"), (probe_states, "probe")])
def test_the_standalone_scripts_keep_the_contract(script, module, monkeypatch, capsys, crash_dir):  # noqa: ANN001
    import importlib

    if module == "probe":
        pytest.importorskip("torch")
    monkeypatch.setattr(importlib.import_module(f"automata_probe.cli.{module}"), "run", _boom)
    argv = ["a*"] if module == "star_free" else ["m.pt", "--dfa", "tomita4"]
    assert script(argv) == EXIT_BUG
    assert "bug in automata-probe" in one_line(capsys.readouterr().err)
    assert script([*argv, "-v"]) == EXIT_BUG
    assert "Traceback" in capsys.readouterr().err


@pytest.mark.parametrize(
    "error, code, fragment",
    [
        (RegexError("bad", pattern="(a", position=0), EXIT_USAGE, "bad at position 0"),
        (FileNotFoundError(2, "No such file or directory", "/nowhere/x.png"), EXIT_USAGE, "/nowhere/x.png"),
        (PermissionError(13, "Permission denied", "/root/x"), EXIT_USAGE, "Permission denied"),
        (MemoryError(), EXIT_BUG, "out of memory"),
        (TypeError("unhashable type: 'list'"), EXIT_BUG, "TypeError"),
        (KeyError("q0"), EXIT_BUG, "KeyError"),
    ],
)
def test_run_guarded_sorts_exceptions(error, code, fragment, capsys, crash_dir):  # noqa: ANN001
    def fn(args: argparse.Namespace) -> int:
        raise error

    assert run_guarded(fn, argparse.Namespace(verbose=0)) == code
    assert fragment in one_line(capsys.readouterr().err)


def test_interrupt_and_broken_pipe(capsys):  # noqa: ANN001
    def interrupted(args: argparse.Namespace) -> int:
        raise KeyboardInterrupt

    def piped(args: argparse.Namespace) -> int:
        raise BrokenPipeError

    assert run_guarded(interrupted, argparse.Namespace()) == 130
    assert run_guarded(piped, argparse.Namespace()) == 0


def test_verdicts_are_0_and_1(capsys):  # noqa: ANN001
    assert is_star_free(["(ab)*"]) == 0
    assert is_star_free(["(aa)*"]) == 1
    assert main(["compare", "tomita4", "(1|01|001)*(0|00)?", "--max-length", "4"]) == 0
    assert main(["compare", "a*", "(aa)*", "--max-length", "4"]) == 1
    out = capsys.readouterr().out
    assert "verdict: not equivalent; shortest counterexample a" in out


def test_help_states_the_contract(capsys):  # noqa: ANN001
    for argv in (["--help"], ["compare", "--help"], ["show", "--help"]):
        with pytest.raises(SystemExit):
            main(argv)
        assert EXIT_STATUS in capsys.readouterr().out
    with pytest.raises(SystemExit):
        is_star_free(["--help"])
    out = capsys.readouterr().out
    assert "3    a bug in automata-probe" in out and "1    the verdict no" in out


def test_usage_errors_exit_2(capsys):  # noqa: ANN001
    with pytest.raises(SystemExit) as info:
        main(["compare", "--max-length", "x", "a", "b"])
    assert info.value.code == 2
    capsys.readouterr()
    assert is_star_free(["a", "--max-states", "0"]) == 2
    assert "--max-states must be at least 1" in one_line(capsys.readouterr().err)


def test_reporting_a_bug_survives_an_argument_that_is_not_utf8(monkeypatch, capsys, crash_dir):  # noqa: ANN001
    import sys

    from automata_probe.cli import star_free

    monkeypatch.setattr(star_free, "run", _boom)
    monkeypatch.setattr(sys, "argv", ["is-star-free", "\udcff"])  # what the bytes ff decode to
    assert is_star_free(["\udcff"]) == EXIT_BUG
    assert "\\udcff" in next(crash_dir.glob("automata-probe-bug-*.txt")).read_text()


def test_an_argument_that_is_not_utf8_is_bad_input(capsys):  # noqa: ANN001
    assert is_star_free(["a\udcff"]) == EXIT_USAGE
    assert "byte 0xff is not text" in one_line(capsys.readouterr().err)


def test_output_survives_a_terminal_without_unicode():
    """Under PYTHONIOENCODING=ascii, 'Thérien' is printed escaped, not a crash."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONIOENCODING": "ascii", "PYTHONPATH": str(root)}
    proc = subprocess.run([sys.executable, "-m", "automata_probe", "is-star-free", "--dfa", "tomita4"],
                          capture_output=True, text=True, env=env, cwd=root, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Th\\xe9rien" in proc.stdout
