"""``automata-probe reproduce EXPERIMENT``: the papers' experiments as resumable sweeps, beside the published figures.

    reproduce sarrof --quick          # CPU, minutes: a subset beside the published rows
    reproduce sarrof --device cuda    # every row, 1-3 layers, the release grid, 3 seeds, our Transformer
    reproduce counter                 # Dyck-1, Shuffle-2/4/6, Boolean-3/5, a^n b^n (c^n (d^n))
    reproduce merrill                 # word problems, one model per depth on lengths 1-20

Each writes OUT/<experiment>.csv (finished jobs are skipped on the next run)
and a figure OUT/<experiment>.png.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Sequence

from ..automata import load_language
from ..errors import ParameterError
from ..experiments import reproduce as rp
from ..experiments.protocols import protocol
from ..experiments.reproduce_sarrof import run_sarrof, summarize
from ..viz.reproduce_plots import plot_merrill, plot_sarrof

#: Shown by ``--help`` above the arguments.
DESCRIPTION = (
    "Run (or resume) a paper's experiment as a sweep of training jobs and print our figures beside "
    "the published ones. Finished jobs are kept in OUT/<experiment>.csv and skipped on the next run."
)

EXPERIMENTS = ("sarrof", "counter", "merrill")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("experiment", choices=EXPERIMENTS, metavar="EXPERIMENT",
                   help=f"one of: {', '.join(EXPERIMENTS)}")
    p.add_argument("--quick", action="store_true", help="a subset with small budgets (minutes on 2 cores)")
    p.add_argument("-o", "--out", default="runs/reproduce", help="results folder (default: runs/reproduce)")
    p.add_argument("--languages", nargs="+", help="languages (sarrof, counter) or groups (merrill) to run")
    p.add_argument("--layers", nargs="+", type=int, help="depths (default 1 with --quick, else 1 2 3)")
    p.add_argument("--seeds", nargs="+", type=int, help="seeds (default 0 with --quick, else 0 1 2)")
    p.add_argument("--archs", nargs="+", help="architectures: mamba, mamba-neg, lstm, transformer")
    p.add_argument("--protocol", default="release",
                   help="sarrof/counter: release (default), uniform, release-words, release-target, shipped")
    p.add_argument("--grid", choices=["release", "one"], default="release",
                   help="sarrof/counter: the release's grid (best of grid), or its first cell only")
    p.add_argument("--epochs", type=int, help="sarrof/counter: epochs per job (default: the release's)")
    p.add_argument("--scale", type=float, help="sarrof/counter: fraction of the release's set sizes")
    p.add_argument("--release-dir", help="the release's checkout, for --protocol shipped")
    p.add_argument("--steps", type=int, help="merrill: training steps per job")
    p.add_argument("--early-stop", type=int, metavar="N",
                   help="merrill: stop after N perfect validations in a row (0: never)")
    p.add_argument("--workers", type=int, help="parallel processes (default: number of cores)")
    p.add_argument("--device", choices=["cpu", "cuda", "auto"], default="cpu",
                   help="where each job trains (default: %(default)s)")
    p.add_argument("--no-plot", action="store_true", help="do not write the figure")


def fmt(v: Any) -> str:
    """A table cell: numbers without trailing zeros, '-' for nothing."""
    if v is None or v == "":
        return "-"
    if isinstance(v, float):
        return f"{v:.2f}".rstrip("0").rstrip(".") if v != int(v) else f"{int(v)}"
    return str(v)


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str]]) -> None:
    """Rows as aligned text, first column left-aligned."""
    cells = [[title for _, title in columns]] + [[fmt(r.get(key)) for key, _ in columns] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    for j, row in enumerate(cells):
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
        if j == 0:
            print("  ".join("-" * w for w in widths))


def _positive(args: argparse.Namespace, *names: str) -> None:
    for name in names:
        v = getattr(args, name, None)
        values = v if isinstance(v, list) else [v]
        for x in values:
            if x is not None and x < 1:
                raise ParameterError(f"--{name.replace('_', '-')} must be positive, got {x}")


def run(args: argparse.Namespace) -> int:
    _positive(args, "layers", "epochs", "steps", "workers")
    if args.seeds is not None and min(args.seeds) < 0:
        raise ParameterError(f"--seeds must be natural numbers, got {args.seeds}")
    if args.scale is not None and not 0 < args.scale <= 1:
        raise ParameterError(f"--scale must be in (0, 1], got {args.scale}")
    out = Path(args.out)
    if args.experiment in ("sarrof", "counter"):
        result, figure = _table(args, out)
    else:
        result, figure = _merrill(args, out)
    if figure is not None:
        print(f"\nfigure: {figure}")
    print(f"results: {result.path}  ({result.ran} run, {result.skipped} reused, {result.failed} failed)")
    for r in result.rows:
        if r["status"] != "ok":
            print(f"failed: {r['key']}: {r['error']}", file=sys.stderr)
    return 1 if result.failed else 0


def _spread(st: Any) -> str:
    if not isinstance(st, dict):
        return "-"
    return f"{fmt(round(st['min'], 1))}-{fmt(round(st['max'], 1))}" if st["n"] > 1 else ""


def _mean(st: Any) -> Any:
    return round(st["mean"], 2) if isinstance(st, dict) else None


def table_rows(summary: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Summary rows flattened for printing: ours (mean, seeds' range) beside the paper."""
    out = []
    for r in summary:
        paper = r.get("paper") or ()
        row = {"language": r["language"], "model": ("Transformer" if r["arch"] == "transformer"
                                                    else f"{r['arch']} {r['layers']}L"),
               "protocol": r["protocol"], "cell": f"d{r['d_model']} lr{r['lr']:g}", "seeds": r["seeds"],
               "train": _mean(r.get("train")), "train_range": _spread(r.get("train")),
               "paper_train": paper[0] if paper else None}
        longer = r.get(r.get("longer_split", "longer"))
        row.update({"longer": _mean(longer), "longer_range": _spread(longer),
                    "paper_longer": paper[1] if len(paper) > 1 else None,
                    "ours_bin": r.get("bin_longer") if r.get("longer_split") == "longer-release" else None,
                    "ours_nonoverlap": _mean(r.get("longer")) if r.get("longer_split") == "longer-release" else None,
                    "longer2": _mean(r.get("longer2")), "paper_longer2": paper[2] if len(paper) > 2 else None})
        out.append(row)
    return out


def _table(args: argparse.Namespace, out: Path):
    protocol(args.protocol)  # unknown names fail before any training
    result = run_sarrof(
        out, quick=args.quick, languages=args.languages, kind=args.experiment, protocol_name=args.protocol,
        archs=args.archs, layers=args.layers, seeds=args.seeds, grid=args.grid, epochs=args.epochs,
        scale=args.scale, workers=args.workers, progress=True, device=args.device, release_dir=args.release_dir,
    )
    summary = summarize(result.rows)
    rows = table_rows(summary)
    counter = args.experiment == "counter"
    title = "counter languages" if counter else "regular languages"
    print(f"\nSarrof, Veitsman & Hahn 2024, {title}: strict accuracy (%), ours (mean over seeds, range) beside "
          f"the published figure of the same depth; best of grid, chosen at the training lengths")
    cols = [("language", "language"), ("model", "model"), ("protocol", "protocol"), ("cell", "best cell"),
            ("seeds", "seeds"), ("train", "ours train"), ("train_range", "range"), ("paper_train", "paper"),
            ("longer", "ours longer"), ("longer_range", "range"), ("paper_longer", "paper")]
    if counter:
        cols += [("longer2", "ours longest"), ("paper_longer2", "paper")]
    if any(r["ours_nonoverlap"] is not None for r in rows):
        cols += [("ours_nonoverlap", "ours, no overlap"), ("ours_bin", "its lengths")]
    print_table(rows, cols)
    if any(r["ours_nonoverlap"] is not None for r in rows):
        print("(the release's longer bin overlaps the training lengths for some languages; 'ours, no overlap' "
              "draws the same generator above them)")
    figure = None
    if not args.no_plot and summary:
        figure = plot_sarrof(summary, out / f"{args.experiment}.png",
                             title=f"Sarrof, Veitsman & Hahn 2024, {title} ({args.protocol} protocol)")
    return result, figure


def _merrill(args: argparse.Namespace, out: Path):
    for name in args.languages or ():
        load_language(name)  # unknown names fail before any training starts
    budget = None
    if args.early_stop is not None and args.early_stop < 0:
        raise ParameterError(f"--early-stop must be 0 or more, got {args.early_stop}")
    if args.steps is not None or args.early_stop is not None:
        base = rp.MERRILL_QUICK_BUDGET if args.quick else rp.MERRILL_FULL_BUDGET
        changes = {k: v for k, v in (("steps", args.steps), ("early_stop", args.early_stop)) if v is not None}
        budget = rp.Budget(**{**base.params(), **changes})
    result = rp.run_merrill(
        out, quick=args.quick, groups=args.languages or rp.MERRILL_GROUPS, layers=args.layers,
        seeds=args.seeds or [0], budget=budget, workers=args.workers, progress=True, device=args.device,
        archs=args.archs or ("mamba", "lstm"),
    )
    rows = rp.merrill_table(result)
    lengths = sorted(int(k[len("acc_len"):]) for k in rows[0] if k.startswith("acc_len")) if rows else []
    print("\nMerrill, Petty & Sabharwal 2024: strict accuracy (%) of the running product, by length")
    shown = [n for n in lengths if n in (2, 4, 6, 8, 10, 12, 16, 20) or n == lengths[-1]]
    print_table(rows, [("language", "group"), ("arch", "arch"), ("layers", "layers"), ("seed", "seed")]
                + [(f"acc_len{n}", f"L={n}") for n in shown] + [("status", "status")])
    figure = None
    if not args.no_plot and any(r["status"] == "ok" for r in rows):
        figure = plot_merrill(rows, out / "merrill.png")
    return result, figure
