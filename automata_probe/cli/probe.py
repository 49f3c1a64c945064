"""``probe-states``: look for a DFA's states inside a trained model, with controls.

    probe-states model.pt                               # the training language's states
    probe-states model.pt --dfa tomita7 --target state  # another automaton, same alphabet
    probe-states model.pt --dfa tomita4 --target monoid # the syntactic monoid element
    probe-states model.pt --json r.json --plot r.png    # r.png + r_length/_confusion/_pca.png

Prints a table with one block per site (embedding, each layer's SSM state and
output, the final norm) and one row per length bin (the training lengths, then
each longer bin): held-out accuracy of a linear probe, the majority baseline,
the same architecture untrained, the control task (a random function of the
last few letters, Hewitt & Liang 2019) and selectivity = accuracy - control.
Each cell is mean±std over the seeds. Under the table, the best site (marked
``*``: the highest held-out accuracy at the training lengths, ties broken by
the longer bins) is named. Also ``automata-probe probe``.

Errors (missing or foreign file, a checkpoint that would run code, a DFA over
another alphabet, an unknown site) are one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..data import LengthBin
from ..models.checkpoint import load_checkpoint
from ..probing import TARGETS, InterventionConfig, ProbeConfig, intervene, probe_model
from ..viz.probe_plots import plot_report
from . import check_output_dir, check_positive

EXIT_USAGE = 2


def add_arguments(p: argparse.ArgumentParser) -> None:

    p.add_argument("checkpoint", metavar="MODEL.pt", help="a checkpoint written by automata-probe train")
    p.add_argument("--dfa", metavar="LANG",
                   help="language whose automaton to probe for (suite name, .toml, family; "
                   "default: the training language)")
    p.add_argument("--target", default="state", metavar="TARGET",
                   help=f"what to probe for: {', '.join(TARGETS)}, partition:NAME (live-dead, a [partitions] "
                   "name of the language file, or q0,q1|q2|...) or quotient:NAME (sign, Z<k>, abelian) "
                   "(default: %(default)s)")
    p.add_argument("--sites", nargs="+", metavar="SITE", help="sites to probe (default: all)")
    p.add_argument("--json", metavar="PATH", help="write the report as JSON")
    p.add_argument("--plot", metavar="PATH",
                   help="write figures: PATH (accuracy per site) and PATH's siblings _length, _confusion, _pca")
    p.add_argument("--seeds", type=int, default=3, metavar="N", help="repeat with seeds 0..N-1 (default: %(default)s)")
    p.add_argument("--n-train", type=int, default=300, metavar="N", help="probe training words (default: %(default)s)")
    p.add_argument("--n-test", type=int, default=200, metavar="N",
                   help="held-out words per length bin (default: %(default)s)")
    p.add_argument("--train-lengths", metavar="LO-HI", help="default: the checkpoint's training lengths")
    p.add_argument("--test-bins", nargs="+", metavar="LO-HI", help="longer bins (default: the checkpoint's)")
    p.add_argument("--words", choices=["auto", "mixed", "language", "uniform"], default="auto",
                   help="probe words: auto (default) = the words the model was trained on when probing its "
                   "training language (only the language's words for a next-character model), else mixed; "
                   "mixed = half in-language, half uniform (visits the dead state); language; uniform")
    p.add_argument("--no-controls", action="store_true", help="skip the untrained model and the control task")
    p.add_argument("--mlp", action="store_true", help="also fit a one-hidden-layer MLP probe")
    p.add_argument("--max-features", type=int, default=256, metavar="F",
                   help="PCA-reduce wider sites to F features (0: never; default: %(default)s)")
    p.add_argument("--threads", type=int, default=1, metavar="N", help="BLAS/torch threads (default: %(default)s)")
    p.add_argument("--causal", action="store_true",
                   help="add causal columns: interchange interventions at each probed site (automata-probe intervene)")


#: Shown by ``--help`` above the arguments.
DESCRIPTION = __doc__.split("\n\n")[0]




def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="probe-states",
        description="Probe a trained model's activations for the states of a DFA, with a majority baseline, "
        "the untrained architecture and a control task. Exit 0 on success, 2 on an error.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  probe-states model.pt --dfa tomita4\n"
        "  probe-states model.pt --dfa tomita7 --target state\n"
        "  probe-states model.pt --json r.json --plot r.png",
    )
    add_arguments(p)
    return p




def run(args: argparse.Namespace) -> int:

    check_positive(args, "seeds", "n_train", "n_test", "threads")
    check_output_dir(args.json, "JSON report")
    check_output_dir(args.plot, "figure")
    ckpt = load_checkpoint(args.checkpoint)
    dfa_or_language = ckpt.language(args.dfa)
    train_lengths = None
    if args.train_lengths:
        b = LengthBin.of(args.train_lengths)
        train_lengths = (b.lo, b.hi)
    test_bins = None
    if args.test_bins:
        test_bins = [(b.lo, b.hi) for b in map(LengthBin.of, args.test_bins)]

    config = ProbeConfig(
        target=args.target,
        sites=args.sites,
        n_train=args.n_train,
        n_test=args.n_test,
        train_lengths=train_lengths,
        test_bins=test_bins,
        seeds=tuple(range(args.seeds)),
        source=args.words,
        controls=not args.no_controls,
        mlp=args.mlp,
        max_features=args.max_features or None,
        threads=args.threads,
    )
    report = probe_model(ckpt, dfa_or_language, config)
    print(format_header(report))
    print()
    print(format_table(report))
    print()
    print(report.best_site_summary())
    causal = _causal(args, ckpt, dfa_or_language, report) if args.causal else None
    if args.json:
        _write_json(report, causal, args.json)
        print(f"\nwrote {args.json}")
    if args.plot:

        written = plot_report(report, args.plot)
        print(("\n" if not args.json else "") + "wrote " + ", ".join(str(p) for p in written))
    return 0


def format_header(report: Any) -> str:
    lines = [
        f"{report.checkpoint or 'model'}: {report.model}"
        + (f", trained on {report.language}" if report.language else ""),
        f"probing {report.target} of {report.dfa}: {report.n_classes} classes "
        f"({', '.join(report.class_names[:12])}{', ...' if report.n_classes > 12 else ''})",
        f"linear probe, {report.n_train} training words, {report.n_test} held-out words per bin ({report.source}), "
        f"seeds {', '.join(map(str, report.seeds))} (mean±std)",
    ]
    if report.source == "language":
        lines.append("words: the language's own words only (what a next-character model is trained on); "
                     "--words mixed adds uniform words (out-of-language prefixes, and the dead state if there is one)")
    if report.controls:
        lines.append(
            f"control task: a random function of the last {report.control_window} letters onto the same "
            f"{report.n_classes} classes (matched distribution); selectivity = accuracy - control"
        )
    return "\n".join(lines)


def format_table(report: Any) -> str:
    """One block of rows per site, one row per bin (columns described in the module docstring)."""
    return report.table()


def _causal(args: argparse.Namespace, ckpt: Any, language: Any, report: Any) -> Any:
    """``--causal``: interchange interventions at the probed sites, printed as columns beside the table."""
    config = InterventionConfig(target=report.target, sites=tuple(s.site for s in report.sites),
                                seeds=report.seeds, train_lengths=report.train_lengths, test_bins=report.test_bins,
                                source=report.source, controls=report.controls, threads=args.threads)
    causal = intervene(ckpt, language, config)
    print()
    print(causal.columns())
    return causal


def _write_json(report: Any, causal: Any, path: str) -> None:
    """The probe report as JSON, with the interventions under ``"causal"`` when computed."""
    if causal is None:
        report.to_json(path)
        return
    import json
    import os

    d = report.to_dict()
    d["causal"] = causal.to_dict()
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(json.dumps(d, indent=1) + "\n")
    os.replace(tmp, path)
