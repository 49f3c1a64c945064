"""Tests for automata_probe.progress: lines in a log, a bar on a terminal, nothing when disabled."""

from __future__ import annotations

import io

import pytest

from automata_probe.progress import Progress, format_seconds


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_log_gets_one_line_every_five_percent_and_no_carriage_returns() -> None:
    out = io.StringIO()
    with Progress(2000, desc="train x", unit="step", stream=out, min_interval=0) as p:
        for i in range(2000):
            p.set_postfix(loss=f"{1 / (i + 1):.4f}")
            p.update()
    text = out.getvalue()
    lines = text.splitlines()
    assert "\r" not in text
    assert len(lines) == 21  # 20 five-percent steps + the closing line
    assert lines[0].startswith("train x: 100/2000 steps (5%)") and "left" in lines[0] and "loss 0.0100" in lines[0]
    assert lines[-1].startswith("train x: 2000/2000 steps (100%)") and lines[-1].endswith("(done)")


def test_log_lines_are_spaced_in_time() -> None:
    out = io.StringIO()
    with Progress(1000, desc="fast", stream=out, min_interval=3600) as p:
        for _ in range(1000):
            p.update()
    assert out.getvalue() == ""  # all done before the first line was due: a log is left alone


def test_unknown_total_writes_by_time() -> None:
    out = io.StringIO()
    p = Progress(None, desc="lstar", unit="query", stream=out, interval=0, min_interval=0)
    p.update(5)
    p.set(12)
    p.close()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("lstar: 5 queries, ") and "left" not in lines[0]
    assert lines[-1].startswith("lstar: 12 queries, ") and lines[-1].endswith("(done)")


def test_a_terminal_gets_the_bar_and_disabled_gets_nothing() -> None:
    pytest.importorskip("tqdm")
    tty = _Tty()
    with Progress(10, desc="bar", stream=tty) as p:
        p.update(10)
    assert "\r" in tty.getvalue() or "10/10" in tty.getvalue()
    assert p.lines_written == 0  # the bar, not log lines
    quiet = io.StringIO()
    with Progress(10, desc="off", stream=quiet, enabled=False) as p:
        p.update(10)
    assert quiet.getvalue() == ""


def test_bad_arguments_and_durations() -> None:
    with pytest.raises(ValueError, match="total"):
        Progress(-1, desc="x")
    with pytest.raises(ValueError, match="every"):
        Progress(10, desc="x", every=0)
    assert format_seconds(7.25) == "7.2s" and format_seconds(185) == "3m05s" and format_seconds(8040) == "2h14m"
    assert format_seconds(float("nan")) == "?"
