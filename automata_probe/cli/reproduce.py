"""``automata-probe reproduce sarrof|merrill``: the papers' experiments as resumable sweeps."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..automata import load_language
from ..errors import AutomataProbeError
from ..experiments import reproduce as rp
from ..viz.reproduce_plots import plot_merrill, plot_sarrof

#: Shown by ``--help`` above the arguments.
DESCRIPTION = (
            "Run (or resume) a paper's experiment as a sweep of training jobs and print our "
            "figures beside the published ones. Finished jobs are kept in OUT/<paper>.csv and "
            "skipped on the next run."
        )


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paper", choices=["sarrof", "merrill"])
    p.add_argument("--quick", action="store_true", help="a subset with small budgets (~15 min on 2 cores)")
    p.add_argument("-o", "--out", default="runs/reproduce", help="results folder (default: runs/reproduce)")
    p.add_argument("--languages", nargs="+", help="languages (sarrof) or groups (merrill) to run")
    p.add_argument("--layers", nargs="+", type=int, help="Mamba depths (default 1 with --quick, else 1 2 3)")
    p.add_argument("--seeds", nargs="+", type=int, default=[0])
    p.add_argument("--steps", type=int, help="training steps per job")
    p.add_argument("--early-stop", type=int, metavar="N",
                   help="stop a job after N perfect validations in a row (default 3; 0: train every step)")
    p.add_argument("--workers", type=int, help="parallel processes (default: number of cores)")
    p.add_argument("--device", choices=["cpu", "cuda", "auto"], default="cpu",
                   help="where each job trains (default: %(default)s; cuda uses mamba-ssm's kernels when installed)")
    p.add_argument("--no-plot", action="store_true", help="do not write the figure")


def _fmt(v) -> str:
    if v is None or v == "":
        return "-"
    if isinstance(v, float):
        return f"{v:.2f}".rstrip("0").rstrip(".") if v != int(v) else f"{int(v)}"
    return str(v)


def _print_table(rows: list[dict], columns: list[tuple[str, str]]) -> None:
    cells = [[title for _, title in columns]] + [[_fmt(r.get(key)) for key, _ in columns] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    for j, row in enumerate(cells):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
        if j == 0:
            print("  ".join("-" * w for w in widths))


def run(args: argparse.Namespace) -> int:

    out = Path(args.out)
    if args.languages:

        for name in args.languages:
            load_language(name)  # unknown names fail before any training starts
    budget = None
    if args.steps is not None and args.steps < 1:
        raise AutomataProbeError(f"--steps must be positive, got {args.steps}")
    if args.early_stop is not None and args.early_stop < 0:
        raise AutomataProbeError(f"--early-stop must be 0 or more, got {args.early_stop}")
    if args.steps is not None or args.early_stop is not None:
        if args.paper == "sarrof":
            base = rp.QUICK_BUDGET if args.quick else rp.FULL_BUDGET
        else:
            base = rp.MERRILL_QUICK_BUDGET if args.quick else rp.MERRILL_FULL_BUDGET
        changes = {k: v for k, v in (("steps", args.steps), ("early_stop", args.early_stop)) if v is not None}
        budget = rp.Budget(**{**base.params(), **changes})
    if args.paper == "sarrof":
        result = rp.run_sarrof(
            out, quick=args.quick, languages=args.languages, layers=args.layers, seeds=args.seeds,
            budget=budget, workers=args.workers, progress=True, device=args.device,
        )
        rows = rp.sarrof_table(result)
        print("\nSarrof, Veitsman & Hahn 2024: strict accuracy (%), ours beside the published figure")
        print("(paper depth: the Mamba depth of the published figure; the release reports some languages at 3 layers only)")
        _print_table(rows, [
            ("language", "language"), ("star_free", "star-free"), ("layers", "layers"), ("seed", "seed"),
            ("ours_train", "ours train"), ("paper_train", "paper train"),
            ("ours_test", "ours longer"), ("paper_test", "paper longer"), ("paper_layers", "paper depth"),
            ("status", "status"),
        ])
        figure = out / "sarrof.png"
        if not args.no_plot and any(r["status"] == "ok" for r in rows):
            plot_sarrof(rows, figure)
            print(f"\nfigure: {figure}")
    else:
        result = rp.run_merrill(
            out, quick=args.quick, groups=args.languages or rp.MERRILL_GROUPS, layers=args.layers,
            seeds=args.seeds, budget=budget, workers=args.workers, progress=True, device=args.device,
        )
        rows = rp.merrill_table(result)
        lengths = sorted(int(k[len("acc_len"):]) for k in rows[0] if k.startswith("acc_len")) if rows else []
        print("\nMerrill, Petty & Sabharwal 2024: strict accuracy (%) of the running product, by length")
        shown = [n for n in lengths if n in (2, 4, 6, 8, 10, 12, 16, 20) or n == lengths[-1]]
        _print_table(rows, [("language", "group"), ("arch", "arch"), ("layers", "layers"), ("seed", "seed")]
                     + [(f"acc_len{n}", f"L={n}") for n in shown] + [("status", "status")])
        figure = out / "merrill.png"
        if not args.no_plot and any(r["status"] == "ok" for r in rows):
            plot_merrill(rows, figure)
            print(f"\nfigure: {figure}")
    print(f"results: {result.path}  ({result.ran} run, {result.skipped} reused, {result.failed} failed)")
    for r in result.rows:
        if r["status"] != "ok":
            print(f"failed: {r['key']}: {r['error']}", file=sys.stderr)
    return 1 if result.failed else 0
