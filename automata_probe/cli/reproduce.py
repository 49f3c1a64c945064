"""``automata-probe reproduce EXPERIMENT``: the papers' experiments as resumable sweeps, beside the published figures.

    reproduce sarrof --quick          # CPU, minutes: a subset beside the published rows
    reproduce sarrof --device cuda    # every row, 1-3 layers, the release grid, 3 seeds, our Transformer
    reproduce counter                 # Dyck-1, Shuffle-2/4/6, Boolean-3/5, a^n b^n (c^n (d^n))
    reproduce merrill                 # word problems, one model per depth on lengths 1-20
    reproduce merrill-depth           # minimum layers for > 90% against length, per group and arch
    reproduce flip-flop               # FFL(0.8), FFL(0.98), FFL(0.1): test error against steps, read bits only
    reproduce dyck-memory             # Dyck(8,10): 1 vs 2 layers over memory size, close accuracy
    reproduce state-tracking --quick  # 8 architectures x parity, mod-3, S3, A5, Z60, a star-free control: theory vs measurement

Each writes OUT/<experiment>.csv (finished jobs are skipped on the next run)
and a figure OUT/<experiment>.png.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any, Sequence

from ..automata import load_language
from ..errors import ParameterError
from ..experiments import reproduce as rp
from ..experiments import reproduce_dyck as dy
from ..experiments import reproduce_flipflop as ff
from ..experiments import reproduce_merrill as md
from ..experiments.arch_specs import model_label
from ..experiments.protocols import protocol
from ..experiments.reproduce_sarrof import run_sarrof, summarize
from ..viz.reproduce_curves import plot_dyck_memory, plot_flip_flop
from ..viz.reproduce_plots import plot_merrill, plot_merrill_depth, plot_sarrof
from ..experiments import reproduce_state_tracking as st
from ..viz.state_tracking_plots import plot_state_tracking

#: Shown by ``--help`` above the arguments.
DESCRIPTION = (
    "Run (or resume) a paper's experiment as a sweep of training jobs and print our figures beside "
    "the published ones. Finished jobs are kept in OUT/<experiment>.csv and skipped on the next run."
)

EXPERIMENTS = ("sarrof", "counter", "merrill", "merrill-depth", "flip-flop", "dyck-memory", "state-tracking")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("experiment", choices=EXPERIMENTS, metavar="EXPERIMENT",
                   help=f"one of: {', '.join(EXPERIMENTS)}")
    p.add_argument("--quick", action="store_true", help="a subset with small budgets (minutes on 2 cores)")
    p.add_argument("-o", "--out", default="runs/reproduce", help="results folder (default: runs/reproduce)")
    p.add_argument("--languages", nargs="+", help="languages (sarrof, counter) or groups (merrill) to run")
    p.add_argument("--layers", nargs="+", type=int, help="depths (default 1 with --quick, else 1 2 3)")
    p.add_argument("--seeds", nargs="+", type=int, help="seeds (default 0 with --quick, else 0 1 2)")
    p.add_argument("--archs", nargs="+", help="architectures: mamba, mamba-neg, lstm, transformer "
                   "(state-tracking: any ARCH[-N][-neg], e.g. mamba2-neg, deltanet-neg, deltaproduct-2-neg)")
    p.add_argument("--protocol", default="release",
                   help="sarrof/counter: release (default), uniform, release-words, release-target, shipped")
    p.add_argument("--grid", choices=["release", "one"], default="release",
                   help="sarrof/counter: the release's grid (best of grid), or its first cell only")
    p.add_argument("--d-model", nargs="+", type=int, dest="d_model",
                   help="sarrof/counter: widths to run instead of the grid's")
    p.add_argument("--lr", nargs="+", type=float, help="sarrof/counter: learning rates instead of the grid's")
    p.add_argument("--epochs", type=int, help="sarrof/counter: epochs per job (default: the release's)")
    p.add_argument("--scale", type=float, help="sarrof/counter: fraction of the release's set sizes")
    p.add_argument("--release-dir", help="the release's checkout, for --protocol shipped")
    p.add_argument("--cross", action="store_true",
                   help="sarrof/counter: also score on the other sampler's bins (x-train, x-longer)")
    p.add_argument("--norm", choices=["layer", "rms"], default="layer",
                   help="sarrof/counter: Mamba's normalization: layer (the release's, default) or rms")
    p.add_argument("--lengths", nargs="+", type=int, help="merrill-depth: the lengths k (default 2-20; quick 2 4 6 8)")
    p.add_argument("--max-depth", type=int, help="merrill-depth: the deepest model tried (default 6; quick 3)")
    p.add_argument("--n-seqs", type=int, help="merrill-depth: distinct length-k sequences per k (80/20 split)")
    p.add_argument("--steps", type=int, help="merrill, merrill-depth, flip-flop: training steps per job (at most)")
    p.add_argument("--length", type=int, help="flip-flop: tokens per sequence T (even; default 512)")
    p.add_argument("--hidden", nargs="+", type=int, help="dyck-memory: memory sizes (d_model; default 20..100)")
    p.add_argument("--train-lengths", nargs=2, type=int, metavar=("LO", "HI"),
                   help="dyck-memory: training lengths (default 1 700)")
    p.add_argument("--test-lengths", nargs=2, type=int, metavar=("LO", "HI"),
                   help="dyck-memory: test lengths (default 701 1400)")
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


#: Options that only some experiments read: given to another, they are refused (not silently ignored).
_APPLIES: dict[str, tuple[str, ...]] = {
    "languages": ("sarrof", "counter", "merrill", "merrill-depth", "state-tracking"),
    "archs": ("sarrof", "counter", "merrill", "merrill-depth", "flip-flop", "state-tracking"),
    "layers": ("sarrof", "counter", "merrill", "flip-flop", "dyck-memory", "state-tracking"),
    **dict.fromkeys(("protocol", "grid", "scale", "release_dir", "cross"), ("sarrof", "counter")),
    "d_model": ("sarrof", "counter", "merrill-depth", "flip-flop", "state-tracking"),
    "lr": ("sarrof", "counter", "flip-flop", "dyck-memory", "state-tracking"),
    "epochs": ("sarrof", "counter", "dyck-memory"),
    **dict.fromkeys(("lengths", "max_depth", "n_seqs"), ("merrill-depth",)),
    "steps": ("merrill", "merrill-depth", "flip-flop", "state-tracking"),
    "length": ("flip-flop",),
    **dict.fromkeys(("hidden", "train_lengths", "test_lengths"), ("dyck-memory",)),
    "early_stop": ("merrill",),
}
_DEFAULTS = {"protocol": "release", "grid": "release", "cross": False}


def _applicable(args: argparse.Namespace) -> None:
    if args.experiment not in EXPERIMENTS:
        return
    for name, experiments in _APPLIES.items():
        if getattr(args, name, None) != _DEFAULTS.get(name) and args.experiment not in experiments:
            flag = "--" + name.replace("_", "-")
            raise ParameterError(f"{flag} does not apply to {args.experiment} (it is read by {', '.join(experiments)})")


def run(args: argparse.Namespace) -> int:
    _applicable(args)
    _positive(args, "layers", "epochs", "steps", "workers", "d_model", "max_depth", "n_seqs", "hidden")
    if args.lr is not None and min(args.lr) <= 0:
        raise ParameterError(f"--lr must be positive, got {args.lr}")
    if args.seeds is not None and min(args.seeds) < 0:
        raise ParameterError(f"--seeds must be natural numbers, got {args.seeds}")
    if args.scale is not None and not 0 < args.scale <= 1:
        raise ParameterError(f"--scale must be in (0, 1], got {args.scale}")
    out = Path(args.out)
    if args.experiment in ("sarrof", "counter"):
        result, figure = _table(args, out)
    elif args.experiment == "merrill-depth":
        result, figure = _merrill_depth(args, out)
    elif args.experiment == "flip-flop":
        result, figure = _flip_flop(args, out)
    elif args.experiment == "dyck-memory":
        result, figure = _dyck_memory(args, out)
    elif args.experiment == "state-tracking":
        result, figure = _state_tracking(args, out)
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
        row = {"language": r["language"], "model": model_label(r["arch"], int(r["layers"])),
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
        d_models=args.d_model, lrs=args.lr, cross=args.cross, norm=args.norm,
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
    if args.cross:
        crossed = [{"language": r["language"], "model": f"{r['arch']} {r['layers']}L", "protocol": r["protocol"],
                    **{k: _mean(r.get(k)) for k in ("x-train", "x-longer", "x-longer-release")}} for r in summary]
        other = "uniform" if args.protocol != "uniform" else "release"
        print(f"\nthe same models on the {other} sampler's words (targets of this protocol):")
        print_table(crossed, [("language", "language"), ("model", "model"), ("protocol", "trained under"),
                              ("x-train", f"{other} train lengths"), ("x-longer", f"{other} longer"),
                              ("x-longer-release", f"{other} longer (release bin)")])
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


def _merrill_depth(args: argparse.Namespace, out: Path):
    if args.lengths is not None and min(args.lengths) < 2:
        raise ParameterError(f"--lengths: k starts at 2 (every pair is in the training set), got {args.lengths}")
    budget = md.QUICK_DEPTH if args.quick else md.FULL_DEPTH
    changes = {k: v for k, v in (("max_steps", args.steps), ("n_seqs", args.n_seqs),
                                 ("d_model", args.d_model[0] if args.d_model else None)) if v is not None}
    budget = dataclasses.replace(budget, **changes)
    max_depth = args.max_depth or (3 if args.quick else 6)
    result = md.run_merrill_depth(
        out, quick=args.quick, groups=args.languages, archs=args.archs, lengths=args.lengths, max_depth=max_depth,
        seeds=args.seeds, budget=budget, workers=args.workers, progress=True, device=args.device,
    )
    depths = md.min_depths(result.rows)
    ks = sorted({r["k"] for r in depths})
    rows = []
    for (grp, arch) in dict.fromkeys((r["group"], r["arch"]) for r in depths):
        row: dict[str, Any] = {"group": grp.replace("group-", "").replace("-all", ""), "arch": arch}
        for r in depths:
            if (r["group"], r["arch"]) == (grp, arch):
                row[f"k{r['k']}"] = r["min_depth"] if r["min_depth"] is not None else f">{r['tried']}"
        row["published"] = md.published_min_depth(grp, arch)
        rows.append(row)
    print("\nMerrill, Petty & Sabharwal 2024, Fig. 3: minimum layers for >90% full-sequence accuracy (best seed) "
          "at each length k, trained on lengths {2, k}, tested on held-out length-k sequences")
    print_table(rows, [("group", "group"), ("arch", "arch")] + [(f"k{k}", f"k={k}") for k in ks]
                + [("published", "published (Fig. 3, in words)")])
    print("\nbest accuracy (%) by depth:")
    print_table([{"group": r["group"].replace("group-", "").replace("-all", ""), "arch": r["arch"], "k": r["k"],
                  **{f"d{d}": a for d, a in r["best_by_depth"].items()}} for r in depths],
                [("group", "group"), ("arch", "arch"), ("k", "k")]
                + [(f"d{d}", f"{d} layer{'s' * (d > 1)}") for d in range(1, max_depth + 1)])
    figure = None
    if not args.no_plot and depths:
        figure = plot_merrill_depth(depths, out / "merrill-depth.png", max_depth=max_depth)
    return result, figure


def _flip_flop(args: argparse.Namespace, out: Path):
    base = ff.QUICK_FLIP_FLOP if args.quick else ff.FULL_FLIP_FLOP
    changes = {k: v for k, v in (("steps", args.steps), ("length", args.length),
                                 ("d_model", args.d_model[0] if args.d_model else None),
                                 ("lr", args.lr[0] if args.lr else None)) if v is not None}
    budget = dataclasses.replace(base, **changes)
    result = ff.run_flip_flop(out, quick=args.quick, seeds=args.seeds, budget=budget,
                              archs=args.archs or ("mamba",), layers=args.layers or (1,), workers=args.workers,
                              progress=True, device=args.device)
    print(f"\nFlip-flop (Liu et al. 2023), T = {budget.length}, read bits only: test error (%) of a "
          f"{'/'.join(map(str, args.layers or (1,)))}-layer Mamba trained on FFL(0.8), lr {budget.lr:g}, "
          f"d_model {budget.d_model}; one value per seed")
    rows = []
    for r in ff.flip_flop_summary(result.rows, budget.length):
        rows.append({"set": r["set"], "final": " ".join(fmt(x) for x in r["final_error"]),
                     "zero": " ".join("never" if z is None else str(z) for z in r["zero_step"]),
                     "paper": r["published_zero_step"] or "-",
                     "gaps": f"{r['gap_median']:g} / {r['gap_p99']:g}"})
    print_table(rows, [("set", "validation set"), ("final", "ours: final error"),
                       ("zero", "ours: first step at 0"), ("paper", "published: step at 0"),
                       ("gaps", "read-write gap median / p99")])
    print("(published: the release evaluates every 100 batches of 32; its curve reaches 0 at evaluation 1027 "
          "for FFL(0.8) and 1370 for FFL(0.98), about 103k and 137k steps, at the release's default lr 1e-5)")
    figure = None
    if not args.no_plot and any(r["status"] == "ok" for r in result.rows):
        figure = plot_flip_flop(result.rows, out / "flip-flop.png")
    return result, figure


def dyck_rows(summary: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Dyck summary rows for printing: learning rates as written (1e-4 is not 0), the seeds' range."""
    return [{**r, "lr": f"{r['lr']:g}", "paper_lr": f"{r['paper_lr']:g}" if r.get("paper_lr") else None,
             "test_range": f"{r['test_min']:.3f}-{r['test_max']:.3f}" if r["seeds"] > 1 else ""} for r in summary]


def _dyck_memory(args: argparse.Namespace, out: Path):
    base = dy.QUICK_DYCK if args.quick else dy.FULL_DYCK
    changes = {k: tuple(v) if isinstance(v, list) else v for k, v in
               (("train_lengths", args.train_lengths), ("test_lengths", args.test_lengths),
                ("epochs", args.epochs)) if v is not None}
    setup = dataclasses.replace(base, **changes)
    result = dy.run_dyck_memory(out, quick=args.quick, hidden=args.hidden, layers=args.layers or (1, 2),
                                lrs=args.lr or (1e-4, 1e-3), seeds=args.seeds, setup=setup, workers=args.workers,
                                progress=True, device=args.device)
    summary = dy.dyck_summary(result.rows)
    print(f"\nDyck({setup.k},{setup.depth}), train lengths {setup.train_lengths[0]}-{setup.train_lengths[1]}, "
          f"test {setup.test_lengths[0]}-{setup.test_lengths[1]} (depth <= {setup.depth}; deeper: <= {setup.deep}): "
          f"close accuracy, ours (mean over seeds) beside the published run of the same depth and memory")
    print_table(dyck_rows(summary),
                [("layers", "layers"), ("hidden", "memory"), ("lr", "lr"), ("seeds", "seeds"),
                 ("train", "ours train"), ("test", "ours test"), ("test_range", "range"), ("deep", "ours deeper"),
                 ("paper_lr", "paper lr"), ("paper_test", "paper test"), ("paper_deep", "paper deeper")])
    by_arm: dict[tuple[int, float], list[float]] = {}
    for r in summary:
        by_arm.setdefault((r["layers"], r["lr"]), []).append(r["test"])
    print("\nthe learning-rate confound (mean test close accuracy over memory sizes):")
    print_table([{"layers": n, "lr": f"{lr:g}", "test": round(sum(v) / len(v), 4)}
                 for (n, lr), v in sorted(by_arm.items())],
                [("layers", "layers"), ("lr", "lr"), ("test", "ours test")])
    figure = None
    if not args.no_plot and summary:
        figure = plot_dyck_memory(summary, out / "dyck-memory.png")
    return result, figure


def _state_tracking(args: argparse.Namespace, out: Path):
    base = st.QUICK_TRACKING if args.quick else st.FULL_TRACKING
    changes = {k: v for k, v in (("max_steps", args.steps), ("d_model", args.d_model[0] if args.d_model else None),
                                 ("lr", args.lr[0] if args.lr else None)) if v is not None}
    budget = dataclasses.replace(base, **changes)
    result = st.run_state_tracking(out, quick=args.quick, languages=args.languages, archs=args.archs,
                                   depths=args.layers, seeds=args.seeds, budget=budget, workers=args.workers,
                                   progress=True)
    rows = st.state_tracking_table(result.rows)
    print(f"\nState tracking: the state at every position, trained on lengths {budget.train_lengths[0]}-"
          f"{budget.train_lengths[1]}, scored on {budget.test_bin[0]}-{budget.test_bin[1]} (best seed; strict: "
          "every position right). 'theory': what the theorems say about that model (not a measurement); "
          "'published': Grazzi et al. 2025's figure (scaled accuracy, their lengths) where one exists")
    print_table(rows, [("language", "language"), ("arch", "arch"), ("layers", "L"), ("seeds", "seeds"),
                       ("train_strict", "strict train"), ("strict", "strict longer"), ("token", "token longer"),
                       ("scaled", "scaled"), ("theory", "theory"), ("conditions", "when"), ("theorem", "theorem"),
                       ("agrees", "check"), ("published", "published")])
    sources = sorted({r["published_source"] for r in rows if r["published_source"]})
    for source in sources:
        print(f"published: {source}")
    figure = None
    if not args.no_plot and rows:
        figure = plot_state_tracking(rows, out / "state-tracking.png")
    return result, figure
