"""Benchmark: issue 11's reproducers of items 1, 6 and 7, end to end from the shell.

    python benchmarks/bench_reproducers.py             # this tree only
    python benchmarks/bench_reproducers.py --before /work/base   # old code too, alternating

Each reproducer is the command a user would type (``is-star-free ...``, run
as ``python -m automata_probe is-star-free ...``), run in a fresh process as
``/usr/bin/time -v timeout 60 ...`` (the issue's bound is 10 s and 2 GB).
Columns: exit status (0 star-free, 1 not star-free, 2 bad input or a limit
passed, 124 killed by ``timeout``), the first line printed, wall seconds,
CPU seconds (user + system) and the maximum resident set size, all read
from ``/usr/bin/time -v``. With ``--before`` every case runs on the old code
right before this tree (under ``ulimit -v``, ``--limit-gb``, so that the old
code's 11.6 GB runs fail fast on a shared machine), and the new row gives the
CPU ratio old / new (``>=``: the old run was stopped by ``timeout`` or an
error, so the ratio is a lower bound).

The random 2,000-state DFA is written to a language file first (numpy
``default_rng(0)``: ``integers(0, 2000, (2000, 2))``, start 0, each state
accepting with probability 1/2), as in ``bench_hardening.py``.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from automata_probe.automata.dfa import DFA  # noqa: E402
from automata_probe.automata.files import write_language_file  # noqa: E402


def random_dfa_file(folder: Path, n: int = 2000, seed: int = 0) -> Path:
    """The random ``n``-state DFA of the benchmarks, as a language file."""
    rng = np.random.default_rng(seed)
    table = rng.integers(0, n, size=(n, 2))
    accepting = frozenset(np.flatnonzero(rng.random(n) < 0.5).tolist())
    d = DFA(alphabet=("a", "b"), transitions=tuple(map(tuple, table.tolist())), start=0,
            accepting=accepting, name=f"random{n}")
    path = folder / f"random{n}.toml"
    write_language_file(path, d, name=f"random{n}", description=f"random {n}-state DFA, default_rng({seed})")
    return path


def alternation_of_words(count: int = 5000, length: int = 16, seed: int = 0) -> str:
    """A ``count``-way alternation of random words over {a, b} of ``length`` letters."""
    rng = np.random.default_rng(seed)
    return "|".join("".join(rng.choice(["a", "b"], size=length)) for _ in range(count))


def cases(folder: Path) -> list[tuple[str, str, list[str]]]:
    """(item, label, arguments of is-star-free)."""
    return [
        ("1", "--dfa dyck-2-4", ["--dfa", "dyck-2-4"]),
        ("1", "--dfa dyck-3-3", ["--dfa", "dyck-3-3"]),
        *[("1", f"--dfa Dn-{n}", ["--dfa", f"Dn-{n}"]) for n in (20, 21, 22, 23, 24, 25)],
        ("6", "'(a|b)*a(a|b){20}'", ["(a|b)*a(a|b){20}"]),
        ("6", "5,000-way alternation of 16-letter words", [alternation_of_words()]),
        ("6", "a|a|...|a (30,000 times)", ["|".join(["a"] * 30_000)]),
        ("6", "--dfa Dn-100000", ["--dfa", "Dn-100000"]),
        ("6", "--dfa Dn-100000 --max-states 1000000", ["--dfa", "Dn-100000", "--max-states", "1000000"]),
        ("7", "'((a{1000}){1000})'", ["((a{1000}){1000})"]),
        ("7", "--dfa random2000.toml", ["--dfa", str(random_dfa_file(folder))]),
        ("7", "'(a|b)*a(a|b){14}'", ["(a|b)*a(a|b){14}"]),
        ("+", "--dfa dyck-99-99", ["--dfa", "dyck-99-99"]),
    ]


def measure(checkout: Path, args: list[str], *, limit_gb: float | None, timeout: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    cmd = ["/usr/bin/time", "-v", "timeout", str(timeout), sys.executable, "-m", "automata_probe", "is-star-free", *args]
    if limit_gb is not None:
        cmd = ["bash", "-c", f'ulimit -v {int(limit_gb * 2**20)}; exec "$@"', "bash", *cmd]
    out = subprocess.run(cmd, cwd=checkout, env=env, capture_output=True, text=True, errors="replace")
    stats = dict(re.findall(r"^\s*(.+?): (.+)$", out.stderr, flags=re.M))
    wall = stats.get("Elapsed (wall clock) time (h:mm:ss or m:ss)", "nan")
    parts = [float(x) for x in wall.split(":")] if wall != "nan" else [float("nan")]
    seconds = sum(p * 60**i for i, p in enumerate(reversed(parts)))
    text = [ln for ln in out.stdout.splitlines() if ln.strip()]
    errs = [ln for ln in out.stderr.splitlines() if ln.strip() and not ln.startswith(("\t", "    ", "Command being", "Command exited"))]
    first = next((ln for ln in text if ln.startswith(("star-free", "not star-free", "verdict"))), None)
    if first is None:
        first = (errs or text or ["(nothing printed)"])[-1 if errs else 0]
    return {
        "rc": int(stats.get("Exit status", out.returncode)),
        "line": first.strip()[:110],
        "stderr_lines": len(out.stderr.splitlines()),
        "wall": seconds,
        "cpu": float(stats.get("User time (seconds)", "nan")) + float(stats.get("System time (seconds)", "nan")),
        "rss_mb": int(stats.get("Maximum resident set size (kbytes)", "0")) / 1024,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--before", type=Path, default=None, help="a checkout of the old code (e.g. /work/base)")
    p.add_argument("--limit-gb", type=float, default=4.0, help="ulimit -v for the old code's runs (default 4)")
    p.add_argument("--timeout", type=int, default=60, help="seconds per run, as in the issue (default 60)")
    p.add_argument("-k", default="", help="only the cases whose label contains this")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        for item, label, cli in cases(Path(tmp)):
            if args.k not in label:
                continue
            runs = [("old", args.before, args.limit_gb)] if args.before else []
            runs.append(("new", ROOT, None))
            for code, checkout, limit in runs:
                r = measure(checkout, cli, limit_gb=limit, timeout=args.timeout)
                rows.append((item, label, code, r))
                ratio = ""
                if code == "new" and args.before:
                    old = rows[-2][3]
                    stopped = ">=" if old["rc"] not in (0, 1, 2) or "Error" in old["line"] else ""
                    ratio = f"  CPU old/new {stopped}{old['cpu'] / max(r['cpu'], 1e-9):.1f}"
                print(f"{item:>2} {label[:42]:42} {code:3} exit {r['rc']:>3}  wall {r['wall']:6.2f} s  "
                      f"CPU {r['cpu']:6.2f} s  max RSS {r['rss_mb']:7,.0f} MB{ratio}  {r['line']}", flush=True)
    print(f"\nmachine load while measuring (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
