"""Progress of long work: a live bar on a terminal, a plain line now and then in a log.

A carriage-return bar written to a file or a pipe fills a log with thousands of
partial lines (a two-minute training wrote 53 kB). :class:`Progress` draws a
tqdm bar when its stream is a terminal and otherwise writes one ordinary line
each time another ``every`` of the total is done (5% by default), or every
``interval`` seconds when the total is unknown, and a last line on close::

    train tomita4: 400/2000 steps (20%), 1m02s elapsed, ~4m08s left; loss 0.0123, val strict 98.4%

Training (:mod:`automata_probe.models.training`), sweeps and extraction all
report through it.
"""

from __future__ import annotations

import math
import sys
import time
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Iterator, Mapping, TextIO

__all__ = ["Progress", "format_seconds", "inner_progress", "inner_progress_enabled"]

#: Whether work started here may show its own progress (see :func:`inner_progress`).
_INNER: ContextVar[bool] = ContextVar("automata_probe_inner_progress", default=False)


@contextmanager
def inner_progress(enabled: bool) -> Iterator[None]:
    """Within this block, work that reads :func:`inner_progress_enabled` shows
    its own progress (a sweep running its jobs in this process sets it, so a
    long single job, a flip-flop run of thousands of steps, is not silent
    between one finished job and the next)."""
    token = _INNER.set(enabled)
    try:
        yield
    finally:
        _INNER.reset(token)


def inner_progress_enabled() -> bool:
    """True inside an :func:`inner_progress` block that enabled it."""
    return _INNER.get()


def format_seconds(seconds: float) -> str:
    """``"7.2s"``, ``"3m05s"``, ``"2h14m"``: a duration as a person reads it."""
    if not math.isfinite(seconds) or seconds < 0:
        return "?"
    if seconds < 60:
        return f"{seconds:.1f}s"
    m, s = divmod(int(round(seconds)), 60)
    if m < 60:
        return f"{m}m{s:02d}s"
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m"


def _plural(unit: str) -> str:
    if unit.endswith("y") and unit[-2:-1] not in ("a", "e", "i", "o", "u", ""):
        return unit[:-1] + "ies"
    return unit if unit.endswith("s") else unit + "s"


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except (ValueError, OSError):  # a closed stream
        return False


class Progress:
    """Progress of ``total`` units of work (or an unknown amount when ``total`` is None).

    Parameters
    ----------
    total
        Units of work, or None when not known in advance.
    desc
        What is being done (starts every line).
    unit
        Name of one unit (``step``, ``job``, ``word``).
    initial
        Units already done (a resumed run).
    enabled
        False: nothing is ever written.
    stream
        Where to write (default: ``sys.stderr`` at construction).
    every
        In a log, a line each time another this fraction of ``total`` is done.
    interval
        In a log, a line at least this often (seconds) when ``total`` is
        None, and never two lines closer than ``min_interval``.
    min_interval
        Seconds between two log lines at least (the last line excepted);
        work that ends sooner than this after it started writes nothing.
    bar
        True or False to force or forbid the live bar; None decides by the
        stream (a terminal gets the bar).
    """

    def __init__(
        self,
        total: int | None,
        *,
        desc: str,
        unit: str = "it",
        initial: int = 0,
        enabled: bool = True,
        stream: TextIO | None = None,
        every: float = 0.05,
        interval: float = 30.0,
        min_interval: float = 1.0,
        bar: bool | None = None,
    ) -> None:
        if total is not None and total < 0:
            raise ValueError(f"total must be >= 0, got {total}")
        if not 0 < every <= 1:
            raise ValueError(f"every must be in (0, 1], got {every}")
        self.total = total
        self.desc = desc
        self.unit = unit
        self.n = int(initial)
        self.enabled = enabled
        self.stream = sys.stderr if stream is None else stream
        self.every = every
        self.interval = interval
        self.min_interval = min_interval
        self.postfix: dict[str, str] = {}
        self.lines_written = 0
        self._t0 = time.perf_counter()
        self._n0 = self.n
        self._last_line = -math.inf
        self._last_step = self._step_of(self.n)
        self._closed = False
        self._bar: Any = None
        live = _is_terminal(self.stream) if bar is None else bar
        if enabled and live:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, initial=initial, desc=desc, unit=unit, dynamic_ncols=True,
                             file=self.stream)

    # ------------------------------------------------------------ updating
    def update(self, n: int = 1) -> None:
        """``n`` more units done."""
        self.n += n
        if self._bar is not None:
            self._bar.update(n)
        elif self.enabled:
            self._maybe_line()

    def set(self, n: int) -> None:
        """Set the units done to ``n`` (for work measured in, e.g., seconds or queries)."""
        self.update(n - self.n)

    def set_postfix(self, values: Mapping[str, Any] | None = None, **more: Any) -> None:
        """Values shown after the count (``loss=0.0123``); replaces those of the same name."""
        for k, v in {**(values or {}), **more}.items():
            self.postfix[str(k)] = str(v)
        if self._bar is not None:
            self._bar.set_postfix(self.postfix, refresh=False)

    def close(self) -> None:
        """Finish: the bar is closed, or the last line written."""
        if self._closed:
            return
        self._closed = True
        if self._bar is not None:
            self._bar.set_postfix(self.postfix)
            self._bar.close()
        elif self.enabled and (self.lines_written or time.perf_counter() - self._t0 >= self.min_interval):
            self._write_line(done=True)  # work shorter than min_interval leaves the log alone

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ------------------------------------------------------------ log lines
    def _step_of(self, n: int) -> int:
        if not self.total:
            return 0
        return int(math.floor(n / self.total / self.every + 1e-9))

    def _maybe_line(self) -> None:
        now = time.perf_counter()
        if now - max(self._last_line, self._t0) < self.min_interval:
            return
        if self.total:
            step = self._step_of(self.n)
            if step <= self._last_step:
                return
            self._last_step = step
        elif now - max(self._last_line, self._t0) < self.interval:
            return
        self._write_line()

    def line(self, done: bool = False) -> str:
        """The line a log gets now."""
        elapsed = time.perf_counter() - self._t0
        if self.total:
            parts = [f"{self.n}/{self.total} {_plural(self.unit)} ({100 * self.n / self.total:.0f}%)",
                     f"{format_seconds(elapsed)} elapsed"]
            rate = (self.n - self._n0) / elapsed if elapsed > 0 else 0.0
            if not done and rate > 0 and self.n < self.total:
                parts.append(f"~{format_seconds((self.total - self.n) / rate)} left")
        else:
            parts = [f"{self.n} {_plural(self.unit)}", f"{format_seconds(elapsed)} elapsed"]
        text = f"{self.desc}: {', '.join(parts)}"
        if self.postfix:
            text += "; " + ", ".join(f"{k} {v}" for k, v in self.postfix.items())
        return text + (" (done)" if done else "")

    def _write_line(self, done: bool = False) -> None:
        self._last_line = time.perf_counter()
        try:
            print(self.line(done=done), file=self.stream, flush=True)
        except (ValueError, OSError):  # the stream was closed under us: progress is not worth a crash
            return
        self.lines_written += 1
