"""Sweeps: many (language x architecture x layers x seed) jobs, resumable.

A sweep is a list of :class:`Job` and a *job function* (an importable,
top-level callable ``fn(job) -> dict``). :func:`run_sweep` runs the jobs that
are not already in the results file, in parallel worker processes on this
machine (or on a Ray cluster when ``backend="ray"`` and Ray is installed), and
appends one CSV row per finished job as soon as it finishes, so an interrupted
sweep loses at most the jobs in flight and the next run skips what is done.

The results file is the single source of truth: a job is done when a row
with its key is in the file. Failed jobs are recorded with ``status=error``
and their message, and are retried on the next run.
"""

from __future__ import annotations

import csv
import importlib
import json
import logging
import os
import time
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from ..errors import AutomataProbeError
from ..progress import Progress, inner_progress

__all__ = ["Job", "SweepResult", "run_sweep", "read_results", "grid"]

log = logging.getLogger(__name__)

_BASE_COLUMNS = ["key", "language", "arch", "layers", "seed", "params", "status", "error", "seconds"]
_TEXT_COLUMNS = frozenset({"key", "language", "arch", "params", "status", "error"})


@dataclass(frozen=True, kw_only=True)
class Job:
    """One unit of a sweep. ``params`` holds anything else the job function
    needs (budgets, lengths); it is part of the key, so changing a budget
    makes a new job rather than silently reusing an old result."""

    language: str
    arch: str = "mamba"
    layers: int = 1
    seed: int = 0
    params: tuple[tuple[str, Any], ...] = ()

    def __post_init__(self) -> None:
        if self.layers < 1:
            raise AutomataProbeError(f"job for {self.language!r} asks for {self.layers} layers")
        object.__setattr__(self, "params", tuple(sorted(dict(self.params).items())))

    @property
    def key(self) -> str:
        extra = ",".join(f"{k}={v}" for k, v in self.params)
        return f"{self.language}|{self.arch}|L{self.layers}|s{self.seed}" + (f"|{extra}" if extra else "")

    def param(self, name: str, default: Any = None) -> Any:
        return dict(self.params).get(name, default)


def grid(
    languages: Iterable[str],
    archs: Iterable[str] = ("mamba",),
    layers: Iterable[int] = (1,),
    seeds: Iterable[int] = (0,),
    **params: Any,
) -> list[Job]:
    """The full cartesian product as a list of jobs (languages outermost)."""
    archs, layers, seeds = list(archs), list(layers), list(seeds)
    p = tuple(params.items())
    return [
        Job(language=lang, arch=a, layers=n, seed=s, params=p)
        for lang in languages
        for a in archs
        for n in layers
        for s in seeds
    ]


@dataclass(frozen=True, kw_only=True)
class SweepResult:
    """Rows of the results file for the requested jobs, in job order."""

    path: Path
    rows: tuple[dict[str, Any], ...]
    ran: int
    skipped: int
    failed: int = field(default=0)


def read_results(path: str | os.PathLike) -> list[dict[str, Any]]:
    """All rows of a results CSV (numbers parsed back from text where they look like numbers)."""
    path = Path(path)
    if not path.exists():
        return []
    with path.open(newline="") as f:
        rows = []
        for row in csv.DictReader(f):
            # names stay text: the language 012_02 is not the number 1202
            rows.append({k: v if k in _TEXT_COLUMNS else _parse(v) for k, v in row.items()})
    return rows


def _parse(value: str | None) -> Any:
    if value is None or value == "":
        return value
    for cast in (int, float):
        try:
            return cast(value)
        except ValueError:
            pass
    return value


def _resolve(fn: Callable[[Job], dict] | str) -> Callable[[Job], dict]:
    if callable(fn):
        return fn
    module, _, name = fn.partition(":")
    return getattr(importlib.import_module(module), name)


def _run_one(fn: Callable[[Job], dict] | str, job: Job, threads: int) -> dict[str, Any]:
    """Runs in the worker: time the job, turn exceptions into an error row."""
    try:  # keep each worker to its share of the cores
        import torch

        torch.set_num_threads(threads)
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    t0 = time.perf_counter()
    try:
        out = dict(_resolve(fn)(job))
        status, error = "ok", ""
    except Exception as e:  # a job's failure is data, not a crash of the sweep
        out, status, error = {}, "error", f"{type(e).__name__}: {e}"
    return _row(job, out, status, error, time.perf_counter() - t0)


def _row(job: Job, out: dict[str, Any], status: str, error: str, seconds: float) -> dict[str, Any]:
    row = {
        "key": job.key,
        "language": job.language,
        "arch": job.arch,
        "layers": job.layers,
        "seed": job.seed,
        "params": json.dumps(dict(job.params), sort_keys=True),
        "status": status,
        "error": error,
        "seconds": round(seconds, 3),
    }
    row.update(out)
    return row


class _CsvAppender:
    """Appends rows to a CSV; widens the header (rewriting the file atomically)
    when a row brings new columns."""

    def __init__(self, path: Path, existing: list[dict[str, Any]]):
        self.path = path
        self.rows = list(existing)
        self.columns = list(_BASE_COLUMNS)
        for r in existing:
            self._widen(r)

    def _widen(self, row: dict[str, Any]) -> bool:
        new = [k for k in row if k not in self.columns]
        self.columns.extend(new)
        return bool(new)

    def append(self, row: dict[str, Any]) -> None:
        # a retried job replaces its old error row, which needs a rewrite
        replaced = any(r.get("key") == row["key"] for r in self.rows)
        self.rows = [r for r in self.rows if r.get("key") != row["key"]]
        self.rows.append(row)
        widened = self._widen(row)
        if replaced or widened or not self.path.exists():
            self._rewrite()
        else:
            with self.path.open("a", newline="") as f:
                csv.DictWriter(f, self.columns, extrasaction="ignore").writerow(row)
                f.flush()
                os.fsync(f.fileno())

    def _rewrite(self) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        with tmp.open("w", newline="") as f:
            w = csv.DictWriter(f, self.columns, extrasaction="ignore")
            w.writeheader()
            w.writerows(self.rows)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)


def run_sweep(
    jobs: Sequence[Job],
    fn: Callable[[Job], dict] | str,
    results: str | os.PathLike,
    *,
    workers: int | None = None,
    backend: str = "process",
    progress: bool = False,
) -> SweepResult:
    """Run the jobs not yet in ``results``; return the rows for all ``jobs``.

    Parameters
    ----------
    jobs
        The jobs, keys unique.
    fn
        ``fn(job) -> dict`` of result columns. For ``backend="process"`` it
        must be importable from a worker: a top-level function, or a
        ``"module:function"`` string.
    results
        CSV file; created if missing, appended to as jobs finish.
    workers
        Parallel processes (default: the number of cores, at most the number
        of jobs). ``workers=1`` runs in this process, which is the easiest to
        debug. Each worker gets ``cores // workers`` torch threads.
    backend
        ``"process"`` (this machine) or ``"ray"`` (Ray, if installed: a running
        cluster when ``RAY_ADDRESS`` is set, else a local one).
    progress
        Show progress: a bar on a terminal, a line every 5% in a log. With
        ``workers=1`` the jobs may show theirs too (training steps: see
        :func:`~automata_probe.progress.inner_progress`).
    """
    keys = [j.key for j in jobs]
    if len(set(keys)) != len(keys):
        dup = next(k for k in keys if keys.count(k) > 1)
        raise AutomataProbeError(f"sweep has the job {dup!r} twice")
    path = Path(results)
    path.parent.mkdir(parents=True, exist_ok=True)
    existing = read_results(path)
    done = {r["key"] for r in existing if r.get("status") == "ok"}
    todo = [j for j in jobs if j.key not in done]
    appender = _CsvAppender(path, existing)
    log.info("sweep: %d jobs, %d already done, %d to run", len(jobs), len(jobs) - len(todo), len(todo))

    bar = Progress(len(jobs), initial=len(jobs) - len(todo), desc="sweep", unit="job") if progress else None

    def finished(row: dict[str, Any]) -> None:
        appender.append(row)
        if row["status"] != "ok":
            log.warning("job %s failed: %s", row["key"], row["error"])
        if bar is not None:
            bar.set_postfix(last=row["key"][:40])
            bar.update(1)

    cores = os.cpu_count() or 1
    n_workers = max(1, min(workers or cores, len(todo) or 1))
    threads = max(1, cores // n_workers)
    if backend not in ("process", "ray"):
        raise AutomataProbeError(f"unknown sweep backend {backend!r}; use 'process' or 'ray'")
    try:
        if todo and backend == "ray":
            _run_ray(todo, fn, threads, finished)
        elif todo and n_workers == 1:
            with inner_progress(progress):  # in this process: each job may show its own progress too
                for job in todo:
                    finished(_run_one(fn, job, threads))
        elif todo:
            _run_pool(todo, fn, n_workers, threads, finished)
    finally:
        if bar is not None:
            bar.close()

    by_key = {r["key"]: r for r in appender.rows}
    rows = tuple(by_key[k] for k in keys if k in by_key)
    failed = sum(1 for r in rows if r.get("status") != "ok")
    return SweepResult(path=path, rows=rows, ran=len(todo), skipped=len(jobs) - len(todo), failed=failed)


def _run_pool(todo, fn, n_workers, threads, finished) -> None:
    import multiprocessing as mp

    # spawn: torch and fork do not mix (threads, OpenMP state)
    with ProcessPoolExecutor(max_workers=n_workers, mp_context=mp.get_context("spawn")) as pool:
        pending: dict[Future, Job] = {pool.submit(_run_one, fn, job, threads): job for job in todo}
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    pending.pop(fut)
                    finished(fut.result())
        except KeyboardInterrupt:
            for fut in pending:
                fut.cancel()
            raise


def _run_ray(todo, fn, threads, finished) -> None:
    try:
        import ray
    except ImportError:
        raise AutomataProbeError("backend 'ray' needs Ray: pip install 'ray[default]'") from None
    started = False
    if not ray.is_initialized():
        ray.init(address=os.environ.get("RAY_ADDRESS"), include_dashboard=False, log_to_driver=False)
        started = True
    try:
        remote = ray.remote(num_cpus=threads)(_run_one)
        refs = {remote.remote(fn, job, threads): job for job in todo}
        while refs:
            ready, _ = ray.wait(list(refs), num_returns=1)
            for ref in ready:
                refs.pop(ref)
                finished(ray.get(ref))
    finally:
        if started:
            ray.shutdown()
