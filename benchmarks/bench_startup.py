"""Benchmark: how long a user waits for ``is-star-free '(ab)*'``, end to end.

    python benchmarks/bench_startup.py            # median of 10 runs per row
    python benchmarks/bench_startup.py --runs 3   # quicker

Each row runs a fresh Python process (``subprocess``) and reports the median
wall time and the median CPU time (user + sys of the child, from
``resource.getrusage``) over the runs. Rows:

- ``python -c pass``: the interpreter alone;
- ``import numpy``: the floor, since the algebra needs numpy (the named peer:
  the ratio column is against it);
- ``is-star-free '(ab)*'`` with bytecode cached (as after ``pip install``;
  the cache lives in a temporary ``PYTHONPYCACHEPREFIX``, not in the tree);
- the same without bytecode (``PYTHONDONTWRITEBYTECODE=1``, as in this
  repository's development environment: every module is compiled each run);
- ``is-star-free --dfa tomita3`` (a language file and a certificate).

Then the third-party packages the command imported, which must not include
torch, scipy, scikit-learn, networkx, matplotlib or automata-lib. The target
(issue 15) is a median under 0.3 s; the load average is printed because the
wall time on a shared machine depends on it far more than on the code.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 0.3
FORBIDDEN = ("torch", "scipy", "sklearn", "networkx", "matplotlib", "automata", "pandas")
_LIST_MODULES = (
    "import sys, json; from automata_probe.cli import main; "
    "code = main(['is-star-free', '(ab)*']); "
    "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})), file=sys.stderr)"
)


def _env(bytecode: bool, cache: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if bytecode:
        env["PYTHONPYCACHEPREFIX"] = cache
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _time(cmd: list[str], env: dict[str, str], runs: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=10, help="runs per row (default 10: the median of 10)")
    args = p.parse_args(argv)
    py = sys.executable
    cli = [py, "-m", "automata_probe", "is-star-free"]
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as cache:
        warm = _env(True, cache)
        cold = _env(False, cache)
        subprocess.run(cli + ["(ab)*"], env=warm, cwd=ROOT, capture_output=True, check=False)  # fill the cache
        subprocess.run(cli + ["--dfa", "tomita3"], env=warm, cwd=ROOT, capture_output=True, check=False)
        rows = [
            ("python -c pass", [py, "-c", "pass"], warm),
            ("import numpy (floor, peer)", [py, "-c", "import numpy"], warm),
            ("is-star-free '(ab)*'", cli + ["(ab)*"], warm),
            ("is-star-free '(ab)*', no bytecode", cli + ["(ab)*"], cold),
            ("is-star-free --dfa tomita3", cli + ["--dfa", "tomita3"], warm),
        ]
        results = [(name, *_time(cmd, env, args.runs)) for name, cmd, env in rows]
        out = subprocess.run([py, "-c", _LIST_MODULES], env=warm, cwd=ROOT, capture_output=True, text=True, check=False)
    floor_wall, floor_cpu = results[1][1], results[1][2]
    load = os.getloadavg()
    print(f"bench_startup: median of {args.runs} runs per row; load average {load[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'command':<36} {'wall s':>8} {'cpu s':>8} {'wall/numpy':>11} {'cpu/numpy':>10}")
    for name, wall, cpu in results:
        print(f"{name:<36} {wall:8.3f} {cpu:8.3f} {wall / floor_wall:10.2f}x {cpu / floor_cpu:9.2f}x")
    target = results[2]
    print()
    print(f"target: is-star-free '(ab)*' under {TARGET_S} s (median): wall {target[1]:.3f} s "
          f"({'met' if target[1] < TARGET_S else 'not met'}), CPU {target[2]:.3f} s "
          f"({'met' if target[2] < TARGET_S else 'not met'}); beyond the numpy floor: "
          f"{target[1] - floor_wall:+.3f} s wall, {target[2] - floor_cpu:+.3f} s CPU")
    try:
        modules = json.loads(out.stderr.strip().splitlines()[-1])
    except (ValueError, IndexError):
        print(f"could not list the imported modules: {out.stderr.strip()[-300:]}")
        return 1
    stdlib = set(getattr(sys, "stdlib_module_names", ()))
    third = sorted(m for m in modules if m not in stdlib and not m.startswith("_") and m != "automata_probe")
    bad = [m for m in third if m in FORBIDDEN]
    print(f"third-party packages imported: {', '.join(third) or 'none'}; forbidden ones: {', '.join(bad) or 'none'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
