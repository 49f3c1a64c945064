"""Benchmark: the algebra's scale limits (issue 11), old code against new, in one run.

    python benchmarks/bench_hardening.py            # the full table (a few minutes)
    python benchmarks/bench_hardening.py --quick    # smaller cases, under a minute

Every case runs in a fresh process, once on the old code (a checkout of
commit 04a3b04, ``--before``, default ``/work/base``) and once on this tree,
under the same limits: an address-space cap (``--limit-gb``, default 4, so
that the old code's 11.6 GB run fails fast instead of crowding a shared
machine) and a CPU-time alarm (``--timeout``, default 60 s), each under
``/usr/bin/time -v``, old and new alternating (``--repeat`` rounds of both).
Columns: the answer (or the error), wall and CPU seconds of the work itself,
the process's maximum resident set size as ``/usr/bin/time -v`` reports it
(Python and numpy included), and the CPU ratio old / new (a lower bound where
the old run was stopped). With several rounds, the median of each column.

Cases:

- ``classify`` on a random 2,000-state DFA over {a, b} (numpy
  ``default_rng(0)``: ``integers(0, 2000, (2000, 2))``, start 0, each state
  accepting with probability 1/2; 1,620 states once minimal): not star-free,
  with a certificate; the old code enumerated 2,000,000 elements of 3 kB;
- ``classify`` on dyck-2-4, dyck-3-3 and Dn-25 (24-41 states, star-free):
  the old code died with RecursionError (hash collisions, recursive restarts);
- ``classify`` on ``(a|b)*a(a|b){14}`` (32,768 states, star-free, monoid
  past the cap: an error naming ``--max-monoid``);
- loading D_n (``family_dfa``) for N = 1,000, 4,000 and 100,000: Moore's
  refinement took one round per level, quadratic;
- ``is_star_free`` on Dn-100000, end to end (load and verdict).

Timings are taken on whatever else the machine is doing: compare CPU
seconds, and the ratio column, rather than wall seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: Run in a fresh process with the checkout to measure on sys.path; prints one JSON line.
CHILD = r"""
import json, resource, signal, sys, time
job = json.loads(sys.argv[1])
resource.setrlimit(resource.RLIMIT_AS, (job["limit"], job["limit"]))

def stop(signum, frame):
    raise TimeoutError(f"stopped after {job['timeout']:g} s of CPU")

import numpy as np
try:  # this tree
    from automata_probe.automata.dfa import DFA
    from automata_probe.automata.families import family_dfa
except ImportError:  # the old layout
    from automata_probe.dfa import DFA
    from automata_probe.families import family_dfa
from automata_probe.algebra import classify, is_star_free

def random_dfa(n, seed):
    rng = np.random.default_rng(seed)
    table = rng.integers(0, n, size=(n, 2))
    return DFA(alphabet=("a", "b"), transitions=tuple(map(tuple, table.tolist())), start=0,
               accepting=frozenset(np.flatnonzero(rng.random(n) < 0.5).tolist()), name=f"random{n}")

t0, c0 = time.perf_counter(), time.process_time()
signal.signal(signal.SIGPROF, stop)
signal.setitimer(signal.ITIMER_PROF, job["timeout"])  # CPU time of this process
try:
    kind, spec = job["kind"], job["spec"]
    if kind == "load":
        d = family_dfa(spec, max_states=10**7)
        answer = f"{d.n_states:,} states"
    elif kind == "is_star_free":
        answer = "star-free" if is_star_free(family_dfa(spec, max_states=10**7)) else "not star-free"
    else:
        if spec.startswith("random"):
            d = random_dfa(int(spec.split("-")[1]), 0)
        elif spec.startswith("regex:"):
            try:
                from automata_probe.automata import language_from_regex
                d = language_from_regex(spec[6:], "ab").dfa
            except ImportError:
                from automata_probe.regex import regex_to_dfa
                d = regex_to_dfa(spec[6:], "ab")
        else:
            d = family_dfa(spec)
        c = classify(d)
        if c.star_free:
            answer = f"star-free, monoid {c.monoid_size:,}" if c.monoid_size else "star-free"
        else:
            ok = "checked" if c.certificate.check(d) else "WRONG"
            size = f"monoid {c.monoid_size:,}" if c.monoid_size else "monoid past the cap"
            answer = f"not star-free (w = {''.join(c.certificate.w)}, p = {c.certificate.period}, {ok}), {size}"
except BaseException as e:
    answer = f"{type(e).__name__}: {str(e)[:60]}"
signal.setitimer(signal.ITIMER_PROF, 0)
print(json.dumps({"answer": answer, "wall": time.perf_counter() - t0, "cpu": time.process_time() - c0,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_case(checkout: Path, kind: str, spec: str, *, limit_gb: float, timeout: float) -> dict:
    job = {"kind": kind, "spec": spec, "limit": int(limit_gb * 2**30), "timeout": timeout}
    env = {**os.environ, "PYTHONPATH": str(checkout)}
    try:
        out = subprocess.run(
            ["/usr/bin/time", "-v", sys.executable, "-c", CHILD, json.dumps(job)],
            cwd=checkout, env=env, capture_output=True, text=True, timeout=timeout * 20 + 60,
        )
    except subprocess.TimeoutExpired:
        return {"answer": "killed (wall-clock backstop)", "wall": float("nan"), "cpu": float("nan"), "rss_mb": float("nan")}
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", out.stderr)
    lines = out.stdout.strip().splitlines()
    if not lines:
        last = [ln for ln in out.stderr.strip().splitlines() if not ln.startswith(("\t", "Command"))] or ["no output"]
        result = {"answer": f"crashed: {last[-1][:60]}", "wall": float("nan"), "cpu": float("nan")}
    else:
        result = json.loads(lines[-1])
    result["rss_mb"] = int(peak.group(1)) / 1024 if peak else float("nan")
    return result


def median_run(runs: list[dict]) -> dict:
    """The run with the median CPU time (its answer and memory), all rounds' medians."""
    ordered = sorted(runs, key=lambda r: (r["cpu"] != r["cpu"], r["cpu"]))  # NaN last
    mid = dict(ordered[(len(ordered) - 1) // 2])
    for key in ("wall", "cpu", "rss_mb"):
        values = sorted(r[key] for r in runs)
        mid[key] = values[(len(values) - 1) // 2]
    return mid


def cases(quick: bool) -> list[tuple[str, str, str]]:
    if quick:
        return [
            ("classify", "random-600", "classify, random 600-state DFA"),
            ("classify", "dyck-2-4", "classify dyck-2-4"),
            ("load", "Dn-1000", "load Dn-1000"),
            ("load", "Dn-4000", "load Dn-4000"),
        ]
    return [
        ("classify", "random-2000", "classify, random 2,000-state DFA"),
        ("classify", "dyck-2-4", "classify dyck-2-4"),
        ("classify", "dyck-3-3", "classify dyck-3-3"),
        ("classify", "Dn-25", "classify Dn-25"),
        ("classify", "regex:(a|b)*a(a|b){14}", "classify (a|b)*a(a|b){14}"),
        ("load", "Dn-1000", "load Dn-1000"),
        ("load", "Dn-4000", "load Dn-4000"),
        ("load", "Dn-100000", "load Dn-100000"),
        ("is_star_free", "Dn-100000", "is_star_free Dn-100000"),
    ]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="smaller cases")
    p.add_argument("--before", type=Path, default=Path("/work/base"), help="checkout of the old code (04a3b04)")
    p.add_argument("--limit-gb", type=float, default=4.0, help="address-space cap per run (default 4)")
    p.add_argument("--timeout", type=float, default=60.0, help="CPU seconds per run (default 60)")
    p.add_argument("--repeat", type=int, default=1, help="rounds of old and new, alternating (default 1)")
    p.add_argument("-k", default="", help="only the cases whose label contains this")
    args = p.parse_args(argv)
    if not (args.before / "automata_probe").is_dir():
        print(f"error: {args.before} holds no checkout of automata_probe (--before)", file=sys.stderr)
        return 2
    print(f"old: {args.before}   new: {ROOT}   limits per run: {args.limit_gb:g} GB address space, "
          f"{args.timeout:g} s CPU\n")
    header = ["case", "code", "answer", "wall s", "CPU s", "peak MB", "CPU old/new"]
    rows = []
    for kind, spec, label in cases(args.quick):
        if args.k not in label:
            continue
        runs: dict[str, list[dict]] = {"old": [], "new": []}
        for _ in range(args.repeat):
            for code, checkout in (("old", args.before), ("new", ROOT)):
                runs[code].append(run_case(checkout, kind, spec, limit_gb=args.limit_gb, timeout=args.timeout))
        results = {code: median_run(r) for code, r in runs.items()}
        for r in results.values():
            stopped = r["answer"].startswith(("TimeoutError", "MemoryError", "killed", "crashed", "RecursionError"))
            r["stopped"] = stopped
        old, new = results["old"], results["new"]
        ratio = old["cpu"] / new["cpu"] if new["cpu"] > 0 else float("nan")
        ratio_text = f"{'>=' if old['stopped'] else ''}{ratio:,.1f}"
        for code, r in (("old", old), ("new", new)):
            rows.append([
                label if code == "old" else "", code, r["answer"], f"{r['wall']:.2f}", f"{r['cpu']:.2f}",
                f"{r['rss_mb']:,.0f}", ratio_text if code == "new" else "",
            ])
        sys.stdout.flush()
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())
    print("\nCPU old/new: '>=' marks an old run stopped by an error or a limit (the ratio is a lower bound).")
    print(f"machine load while measuring (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
