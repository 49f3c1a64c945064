"""Exact language sampler: ours (vectorized) against two pure-Python samplers.

Both peers are exact and uniform among the accepted words of a length:

* naive: per word, per step, recount the accepted completions of each letter
  from scratch (a backward DP over the remaining length) and draw with
  ``random.randrange`` over the exact total: what one writes first.
* careful: the same counts precomputed once per length, then one exact
  ``random.randrange`` and a scan over the letters per step.

Ours (:func:`automata_probe.data.sample_in_language`) precomputes the counts
and 53-bit thresholds once per DFA and draws all words of a batch together
with numpy. Throughput is letters per second, steady state (the one-time
table build is reported apart). Run from the repository root::

    python benchmarks/bench_sampler.py [--quick]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from automata_probe import data  # noqa: E402
from automata_probe.data import sampling  # noqa: E402
from automata_probe.automata.dfa import DFA  # noqa: E402
from automata_probe.automata.implicit import ImplicitDFA


def tomita4() -> DFA:
    return DFA.from_table(
        alphabet=["0", "1"],
        transitions={"q0": {"0": "q1", "1": "q0"}, "q1": {"0": "q2", "1": "q0"}, "q2": {"1": "q0"}},
        start="q0",
        accept=["q0", "q1", "q2"],
        name="tomita4",
    ).minimize()


def dyck(k: int, depth: int) -> DFA:
    """Bounded Dyck(k, depth): balanced brackets of k types nested at most ``depth`` deep."""
    opens = [f"({i}" for i in range(k)]
    closes = [f"){i}" for i in range(k)]

    def step(stack, letter):
        if letter in opens:
            return stack + (opens.index(letter),) if len(stack) < depth else None
        i = closes.index(letter)
        return stack[:-1] if stack and stack[-1] == i else None

    return ImplicitDFA(
        name=f"dyck-{k}-{depth}", alphabet=tuple(opens + closes), start=(), step=step, accepting=lambda s: s == ()
    ).materialize().minimize()


def _completions(rows, accept, q, remaining):
    """Accepted words of length ``remaining`` from ``q``, recomputed from scratch."""
    vec = list(accept)
    for _ in range(remaining):
        vec = [sum(vec[r] for r in row) for row in rows]
    return vec[q]


def naive_sampler(dfa: DFA, length: int, n: int, rnd: random.Random) -> list[list[int]]:
    rows = [list(r) for r in dfa.transitions]
    accept = [1 if q in dfa.accepting else 0 for q in range(dfa.n_states)]
    out = []
    for _ in range(n):
        q, word = dfa.start, []
        for t in range(length):
            weights = [_completions(rows, accept, r, length - t - 1) for r in rows[q]]
            x = rnd.randrange(sum(weights))
            a = 0
            while x >= weights[a]:
                x -= weights[a]
                a += 1
            word.append(a)
            q = rows[q][a]
        out.append(word)
    return out


def careful_sampler(dfa: DFA, length: int, n: int, rnd: random.Random) -> list[list[int]]:
    rows = [list(r) for r in dfa.transitions]
    counts = [[1 if q in dfa.accepting else 0 for q in range(dfa.n_states)]]
    for _ in range(length):
        prev = counts[-1]
        counts.append([sum(prev[r] for r in row) for row in rows])
    out = []
    for _ in range(n):
        q, word = dfa.start, []
        for t in range(length):
            nxt = counts[length - t - 1]
            x = rnd.randrange(counts[length - t][q])
            a = 0
            row = rows[q]
            while x >= nxt[row[a]]:
                x -= nxt[row[a]]
                a += 1
            word.append(a)
            q = row[a]
        out.append(word)
    return out


def _rate(fn, symbols: int, budget: float = 0.6) -> float:
    """Symbols per second, best of repeated calls within ``budget`` seconds."""
    best = float("inf")
    t_end = time.perf_counter() + budget
    while True:
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        best = min(best, dt)
        if time.perf_counter() > t_end:
            break
    return symbols / best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer cases (for a smoke run)")
    args = parser.parse_args(argv)
    cases = [(tomita4(), 100), (tomita4(), 600), (dyck(2, 4), 100), (dyck(2, 4), 600)]
    if args.quick:
        cases = cases[:1]
    n_ours = 2000
    print(f"exact uniform sampling among accepted words; ours draws {n_ours} words per call")
    print()
    header = ("language", "states", "L", "table build s", "ours sym/s", "careful sym/s", "naive sym/s",
              "ours/careful", "ours/naive")
    rows = []
    for dfa, L in cases:
        sampling._table.cache_clear()  # the count table is cached per DFA; time its build
        t0 = time.perf_counter()
        data.sample_in_language(dfa, L, 1, 0)
        build = time.perf_counter() - t0
        rng = np.random.default_rng(0)
        ours = _rate(lambda: data.sample_in_language(dfa, L, n_ours, rng), n_ours * L)
        rnd = random.Random(0)
        n_careful = max(1, 20_000 // L)
        careful = _rate(lambda: careful_sampler(dfa, L, n_careful, rnd), n_careful * L)
        n_naive = 1
        naive = _rate(lambda: naive_sampler(dfa, L, n_naive, rnd), n_naive * L, budget=0.3)
        rows.append((dfa.name, str(dfa.n_states), str(L), f"{build:.3f}", f"{ours:,.0f}", f"{careful:,.0f}",
                     f"{naive:,.0f}", f"{ours / careful:,.0f}x", f"{ours / naive:,.0f}x"))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")
    # uniform over all words is one numpy call; report it for completeness
    dfa = tomita4()
    rng = np.random.default_rng(0)
    uni = _rate(lambda: data.sample_uniform(dfa, 100, n_ours, rng), n_ours * 100)
    print()
    print(f"sample_uniform (all words, tomita4, L=100): {uni:,.0f} sym/s")
    slowest = min(float(r[4].replace(",", "")) for r in rows)
    print(f"goal >= 1e6 sym/s: {'met' if slowest >= 1e6 else 'NOT met'} (slowest case {slowest:,.0f} sym/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
