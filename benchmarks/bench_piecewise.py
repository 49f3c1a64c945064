"""k-piecewise testability: single-letter insertions against the search over subword sets.

    python benchmarks/bench_piecewise.py            # CPU time per method, the ratio, both verdicts
    python benchmarks/bench_piecewise.py --budget 200000   # the library's default budget (minutes)

For languages with a known least k ("contains w as a subword" is exactly
|w|-PT), each method decides k-1 (no, with a witness) and k (yes):
``insertion`` (:func:`automata_probe.algebra.piecewise.piecewise_by_insertion`,
what ``check_parameter`` runs first) and ``keys`` (the breadth-first search
over (set of subwords, state) pairs, the readable reference). A verdict of
``?`` means the method passed ``--budget`` nodes, and the ratio is then
a lower bound (``>``). Times are process CPU seconds, one thread.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from automata_probe.algebra.testability import check_parameter  # noqa: E402
from automata_probe.automata import regex_to_dfa  # noqa: E402

CASES = [("aaaaaaaa", "ab"), ("abab", "ab"), ("abcab", "abc"), ("abcabc", "abc"), ("abcabca", "abc"),
         ("abcdabcd", "abcd")]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--budget", type=int, default=50_000, help="nodes each method may explore per k")
    args = p.parse_args(argv)
    print(f"{'subword':<10} {'k':>2}  {'insertion':>22}  {'keys':>22}  {'keys/insertion':>14}")
    for word, alphabet in CASES:
        dfa = regex_to_dfa(".*" + ".*".join(word) + ".*", alphabet).minimize()
        for k in (len(word) - 1, len(word)):
            cells, secs, done = [], [], []
            for method in ("insertion", "keys"):
                spent: list[int] = []
                t = time.process_time()
                ok, _ = check_parameter(dfa, "piecewise", k, budget=args.budget, spent=spent, method=method)
                secs.append(time.process_time() - t)
                verdict = {True: "yes", False: "no", None: "?"}[ok]
                done.append(ok is not None)
                cells.append(f"{verdict:>3} {secs[-1]:7.3f} s {sum(spent):>8,}")
            ratio = secs[1] / max(secs[0], 1e-6)
            bound = "" if done[1] else ">"
            print(f"{word:<10} {k:>2}  {cells[0]:>22}  {cells[1]:>22}  {bound + format(ratio, '.0f'):>13}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
