"""``automata-probe intervene``: does the model use the state the probe reads? Interchange interventions per site.

    automata-probe intervene model.pt --dfa tomita4                   # every site, every mode, with controls
    automata-probe intervene model.pt --dfa tomita4 --site layers.1.ssm_state --mode probe
    automata-probe intervene s3.pt --dfa group-S3 --target quotient:sign
    automata-probe intervene model.pt --json r.json --plot r.png     # r.png, r_heatmap.png, r_free.png

For held-out triples (u, v, w) (prefixes u, v of different classes, a
continuation w on which the automaton tells them apart) it runs u, replaces a
site's value at u's last position by v's (the whole site, the linear probe's
row space, a random subspace of that dimension, a subspace learned by DAS, or
a steering shift along the probe), continues with w and prints, per model
(trained and untrained) and length bin: interchange accuracy (the patched run
behaves as the model on v·w) and DFA agreement (it follows the automaton from
q_v), beside the probe's accuracy, with the ceiling (the whole state of v) and
the floor (no patch). Cells are mean±std over seeds.

Errors (an unknown site, a mode the architecture cannot do, a partition that
does not cover the states, a quotient the monoid does not have, a DFA over
another alphabet) are one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from ..data import LengthBin
from ..errors import DataError
from ..models.checkpoint import load_checkpoint
from ..probing import MODES, InterventionConfig, intervene
from ..viz.causal_plots import plot_intervention_report
from . import check_output_dir, check_positive

#: Shown by ``--help`` above the arguments.
DESCRIPTION = __doc__.split("\n\n")[0]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoint", metavar="MODEL.pt", help="a checkpoint written by automata-probe train")
    p.add_argument("--dfa", metavar="LANG", help="language whose automaton to intervene on (default: the training one)")
    p.add_argument("--target", default="state", metavar="TARGET",
                   help="state (default), member, next, partition:NAME (live-dead, a [partitions] name, or "
                   "q0,q1|q2|...) or quotient:NAME (sign, Z<k>, abelian)")
    p.add_argument("--site", "--sites", dest="sites", nargs="+", metavar="SITE",
                   help="sites to patch (default: every site, state component and layer memory layers.{i}.state)")
    p.add_argument("--mode", "--modes", dest="modes", nargs="+", metavar="MODE",
                   help=f"modes, of {', '.join(MODES)} (default: all the architecture can do; the ceiling "
                   "'full' and the floor 'none' are always reported)")
    p.add_argument("--seeds", type=int, default=3, metavar="N", help="repeat with seeds 0..N-1 (default: %(default)s)")
    p.add_argument("--n-train", type=int, default=128, metavar="N",
                   help="triples at the training lengths for the probes and DAS (default: %(default)s)")
    p.add_argument("--n-test", type=int, default=128, metavar="N", help="held-out triples per bin (default: %(default)s)")
    p.add_argument("--train-lengths", metavar="LO-HI", help="prefix lengths (default: the checkpoint's training lengths)")
    p.add_argument("--test-bins", nargs="*", metavar="LO-HI", help="longer prefix bins (default: the checkpoint's)")
    p.add_argument("--w-lengths", default="1-16", metavar="LO-HI", help="continuation lengths (default: %(default)s)")
    p.add_argument("--words", choices=["auto", "mixed", "language", "uniform"], default="auto",
                   help="word source of the prefixes (default: auto, as probe-states)")
    p.add_argument("--no-controls", action="store_true", help="skip the untrained model")
    p.add_argument("--das-steps", type=int, default=30, metavar="N", help="DAS training steps (default: %(default)s)")
    p.add_argument("--das-dims", type=int, default=None, metavar="K",
                   help="dimension of the DAS subspace (default: the probe's, k)")
    p.add_argument("--free-run", type=int, default=12, metavar="D",
                   help="free-running distance after the patch (0: none; default: %(default)s)")
    p.add_argument("--json", metavar="PATH", help="write the report as JSON")
    p.add_argument("--plot", metavar="PATH", help="write figures: PATH and its siblings _heatmap and _free")
    p.add_argument("--threads", type=int, default=1, metavar="N",
                   help="torch/BLAS threads per process (default: %(default)s)")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="processes running seeds in parallel (default: the CPU cores, at most 2; the numbers do "
                   "not depend on it)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def config_from_args(args: argparse.Namespace) -> InterventionConfig:
    """The :class:`InterventionConfig` the arguments ask for (also used by ``probe-states --causal``)."""
    check_positive(args, "seeds", "n_train", "n_test", "threads")
    train_lengths = None
    if getattr(args, "train_lengths", None):
        b = LengthBin.of(args.train_lengths)
        train_lengths = (b.lo, b.hi)
    test_bins = None
    if getattr(args, "test_bins", None) is not None:
        test_bins = tuple((b.lo, b.hi) for b in map(LengthBin.of, args.test_bins))
    w = LengthBin.of(getattr(args, "w_lengths", "1-16"))
    return InterventionConfig(
        target=args.target, sites=getattr(args, "sites", None), modes=getattr(args, "modes", None),
        n_train=args.n_train, n_test=args.n_test, train_lengths=train_lengths, test_bins=test_bins,
        w_lengths=(w.lo, w.hi), seeds=tuple(range(args.seeds)), source=args.words,
        controls=not getattr(args, "no_controls", False), das_steps=getattr(args, "das_steps", 30),
        das_k=getattr(args, "das_dims", None),
        free_run=getattr(args, "free_run", 12), threads=args.threads, workers=_workers(args),
    )


def _workers(args: argparse.Namespace) -> int:
    workers = getattr(args, "workers", None)
    if workers is None:
        import os

        return max(1, min(2, os.cpu_count() or 1, args.seeds))
    if workers < 1:
        raise DataError(f"--workers must be a positive integer, got {workers}")
    return workers


def format_header(report: Any) -> str:
    lines = [
        f"{report.checkpoint or 'model'}: {report.model}" + (f", trained on {report.language}" if report.language else "")
        + f" (task {report.task})",
        f"intervening on {report.target} of {report.dfa}: {len(report.class_names)} classes "
        f"({', '.join(report.class_names[:10])}{', ...' if len(report.class_names) > 10 else ''})",
        f"triples (u, v, w): prefixes u, v of different classes ({report.source} words), a continuation w of "
        f"{report.w_lengths[0]}-{report.w_lengths[1]} letters the automaton tells them apart on; "
        f"{report.n_train} training triples (probe, DAS), {report.n_test} held out per bin, "
        f"seeds {', '.join(map(str, report.seeds))}",
        "patch at u's last position: site = the whole site, probe = the probe's row space (k dims), random = a "
        "random k-dim subspace, das = a k-dim subspace learned by DAS, steer = the smallest shift making the "
        "probe say v's class",
        "iia (interchange accuracy): the patched run's outputs along w equal the model's own on v·w, over the "
        "triples the model tells apart; dfa (DFA agreement): they follow the automaton from q_v; probe: the "
        "probe's accuracy at the same positions",
    ]
    return "\n".join(lines)


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (the seed workers), user and system."""
    try:
        import resource
    except ImportError:  # pragma: no cover - not on POSIX
        return time.process_time()
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run(args: argparse.Namespace) -> int:
    check_output_dir(args.json, "JSON report")
    check_output_dir(args.plot, "figure")
    config = config_from_args(args)
    ckpt = load_checkpoint(args.checkpoint)
    language = ckpt.language(args.dfa)
    t0, c0 = time.perf_counter(), cpu_seconds()
    report = intervene(ckpt, language, config, progress=not args.no_progress)
    wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    print(format_header(report))
    print()
    print(report.table())
    print()
    print(report.summary())
    print(f"\n{wall:.0f} s ({cpu:.0f} s CPU)")
    if args.json:
        report.to_json(args.json)
        print(f"wrote {args.json}")
    if args.plot:
        written = plot_intervention_report(report, args.plot)
        print("wrote " + ", ".join(str(p) for p in written))
    return 0
