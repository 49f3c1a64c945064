"""Holonomy levels beside the depth our trained Mamba models needed.

    python benchmarks/holonomy_depth.py                                   # the stored H100 sweep
    python benchmarks/holonomy_depth.py --results other.csv --threshold 95

For each language of a sweep's results (``benchmarks/results/sarrof-full-h100.csv``
by default: Mamba, 1-3 layers, d_model 64, one seed, next-symbol task,
strict accuracy on the longer test bin), the number of levels of the holonomy
decomposition of its minimal DFA (:func:`automata_probe.algebra.holonomy`, module :mod:`automata_probe.algebra.cascade`),
whether every component is a reset automaton (star-free), the holonomy
groups, and the fewest layers whose test accuracy reaches ``--threshold``
(90% by default, as in Merrill et al. 2024's depth figure).

What the literature says: Sarrof, Veitsman & Hahn (2024) construct SSMs with
non-negative gates for star-free languages from a Krohn-Rhodes cascade of
reset automata, layers following the cascade, so the levels bound their
construction's depth from above only; the holonomy decomposition is not the
shortest cascade, and training may find shallower solutions. For
non-star-free languages no depth suffices at every length under their
theorem. The measured column is one seed per cell: read it as an
observation, not as a minimal depth with error bars.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from automata_probe.algebra import holonomy  # noqa: E402
from automata_probe.automata import load_language  # noqa: E402

DEFAULT = Path(__file__).resolve().parent / "results" / "sarrof-full-h100.csv"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--results", type=Path, default=DEFAULT, help="a sweep's results CSV (language, arch, layers, ...)")
    p.add_argument("--threshold", type=float, default=90.0, help="test strict accuracy that counts as learnt (%%)")
    p.add_argument("--arch", default="mamba")
    args = p.parse_args(argv)
    scores: dict[str, dict[int, float]] = defaultdict(dict)
    with args.results.open(newline="") as f:
        for row in csv.DictReader(f):
            if row["arch"] != args.arch or row["status"] != "ok":
                continue
            layers, acc = int(row["layers"]), float(row["test_strict"])
            scores[row["language"]][layers] = max(acc, scores[row["language"]].get(layers, 0.0))
    print(f"{args.results.name}: {args.arch}, fewest layers with test strict accuracy >= {args.threshold:g}% "
          "(one seed per cell)")
    header = (f"{'language':<10} {'states':>6} {'levels':>6}  {'components':<22} {'depth the literature gives':<28} "
              f"{'needed':>6}  test accuracy by layers")
    print(header)
    rows = []
    for name in sorted(scores):
        dfa = load_language(name).dfa
        h = holonomy(dfa)
        assert h.verify().ok, name
        groups = sorted({c.group.name for lv in h.levels for c in lv.components if not c.reset})
        kind = "reset only" if h.reset_only else "groups " + ",".join(groups)
        by_layer = scores[name]
        needed = next((n for n in sorted(by_layer) if by_layer[n] >= args.threshold), None)
        cells = "  ".join(f"L{n}: {by_layer[n]:5.1f}" for n in sorted(by_layer))
        bound = f"<= {h.n_levels} (upper bound)" if h.reset_only else "none at every length"
        rows.append((h.reset_only, h.n_levels, needed))
        print(f"{name:<10} {dfa.n_states:>6} {h.n_levels:>6}  {kind:<22} {bound:<28} "
              f"{needed if needed else '>' + str(max(by_layer)):>6}  {cells}")
    star_free = [(levels, needed) for reset, levels, needed in rows if reset]
    learnt = [(levels, needed) for levels, needed in star_free if needed is not None]
    print()
    print(f"star-free: {len(learnt)} of {len(star_free)} learnt within the sweep's layers; fewest layers <= levels in "
          f"{sum(n <= lv for lv, n in learnt)} of {len(learnt)}, equal in {sum(n == lv for lv, n in learnt)}, "
          f"median levels {_median([lv for lv, _ in learnt])} vs median layers needed {_median([n for _, n in learnt])}")
    print(LITERATURE)
    return 0


def _median(xs: list[int]) -> float | str:
    if not xs:
        return "-"
    xs = sorted(xs)
    mid = len(xs) // 2
    return xs[mid] if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2


#: Printed under the table: what ties cascade length to layers, and where it is only a bound.
LITERATURE = """\
levels: the holonomy decomposition of the minimal DFA (Eilenberg 1976; as SgpDec computes it), checked exactly.
depth the literature gives: Sarrof, Veitsman & Hahn (2024) prove that SSMs with non-negative gates recognize
  exactly the star-free languages at every length (finite precision) and build one from a Krohn-Rhodes
  cascade of reset (flip-flop) automata, one layer per cascade level; so the number of levels is an upper
  bound on the depth their construction uses. Only an upper bound: the holonomy cascade is not the shortest
  one, and a trained model may find a shallower solution. For a language that is not star-free, no depth
  suffices at every length with non-negative gates (their theorem); a finite test bin may still be passed.
needed: fewest layers whose test strict accuracy reached the threshold, one seed per cell: an observation,
  not a minimal depth with error bars."""


if __name__ == "__main__":
    sys.exit(main())
