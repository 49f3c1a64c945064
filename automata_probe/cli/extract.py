"""``automata-probe extract``: extract automata from a trained model; say what the model computes.

::

    automata-probe extract model.pt                                # every method, the checkpoint's language
    automata-probe extract model.pt --dfa tomita4 --method lstar -o extracted.toml --png cmp.png
    automata-probe extract model.pt --method lstar --max-length 250 --seconds 120

First the model itself is checked against the truth (every short word, then
sampled words at the training lengths and the longer bins). Then, per method:
the states found, its **fidelity to the model** (agreement per bin with a 95%
interval, the shortest word on which it and the model disagree), whether it
is equivalent to the truth, the time and the learner's status; then one
verdict line per method and a summary: the model computes the truth up to
the lengths checked, or something else that a method found, or a method is
not faithful to the model (and where). ``-o`` writes each extracted DFA as a
language file (``extracted-lstar.toml``, ...), ``--png`` draws it beside the
truth, ``--rates-png`` plots the disagreement with the truth per length and
``--fidelity-png`` the disagreement with the model. A method that failed
(no consistent clustering) is reported as failed and writes nothing.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import replace
from pathlib import Path

from ..automata import load_language, write_language_file
from ..automata.words import format_word
from ..errors import DataError
from ..experiments.extraction import METHODS, ExtractionConfig, extract_all
from ..extraction import LearningBudget
from ..extraction.fidelity import percent
from ..models.checkpoint import load_checkpoint
from ..viz.drawing import draw_comparison, plot_disagreement
from ..viz.fidelity_plots import plot_fidelity

log = logging.getLogger(__name__)

METHOD_CHOICES = [*METHODS, "all"]


#: Shown by ``--help`` above the arguments.
DESCRIPTION = (
    "Extract automata from a model (probe-based, by clustering hidden states, by L*/KV/L# active learning "
    "with the model answering queries, by RPNI or noise-tolerant state merging from the model's labels), "
    "score each against the model "
    "(fidelity), then compare it with the true DFA."
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="MODEL.pt", help="checkpoint written by `automata-probe train`")
    p.add_argument("--dfa", metavar="LANG", help="the true language (default: the checkpoint's own)")
    p.add_argument("--method", choices=METHOD_CHOICES, default="all", help="default: all")
    p.add_argument("-o", "--output", metavar="PATH", help="write the extracted DFA as a language file (.toml)")
    p.add_argument("--png", metavar="PATH", help="draw the extracted DFA beside the true one")
    p.add_argument("--rates-png", metavar="PATH", help="plot the disagreement with the truth per length")
    p.add_argument("--fidelity-png", metavar="PATH", help="plot the disagreement with the model per length")
    p.add_argument("--max-length", type=int, default=None, metavar="N",
                   help="check lengths up to N (default: the training lengths and the first longer bin)")
    p.add_argument("--seconds", type=float, default=120.0, metavar="S",
                   help="time budget of each method; a learner stopped by it says 'unverified' "
                        "(default %(default)g)")
    p.add_argument("--fidelity-words", type=int, default=1200, metavar="N",
                   help="sampled words per length bin when scoring against the model (default %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n-words", type=int, default=600,
                   help="sampled words whose activations feed the probe and clustering (default %(default)s)")
    p.add_argument("--word-length", type=int, default=24, metavar="L",
                   help="longest sampled word for probe/cluster (default %(default)s)")
    p.add_argument("--max-k", type=int, default=16, help="most clusters tried (default %(default)s)")
    p.add_argument("--walks-per-state", type=int, default=200,
                   help="equivalence-search random walks per hypothesis state (default %(default)s)")
    p.add_argument("--max-rounds", type=int, default=200,
                   help="most learning rounds (KV counts each refinement; default %(default)s)")
    p.add_argument("--max-queries", type=int, default=5000,
                   help="most distinct membership queries per learner (default %(default)s)")
    p.add_argument("--tolerance", type=float, default=0.01,
                   help="tolerant merging: largest share of conflicting labels per merge (default %(default)g)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--no-progress", action="store_true", help="no progress on stderr")
    p.add_argument("--json", action="store_true", help="print the report as JSON")


def _out_path(base: str, method: str, several: bool) -> Path:
    p = Path(base)
    return p.with_name(f"{p.stem}-{method}{p.suffix}") if several else p


def _notes(r) -> str:  # noqa: ANN001 - MethodResult
    d = r.details
    if r.failed:
        return f"FAILED: {r.failure}"
    if r.method == "probe":
        return f"site {d['site']}, probe accuracy {d['probe_accuracy']:.4f}"
    if r.method == "cluster":
        return f"k={d['k']} at {d['site']}"
    if r.method in ("rpni", "tolerant"):
        tol = f", tolerance {d['tolerance']:g}" if "tolerance" in d else ""
        return f"{d['n_labels']} labelled prefixes of {d['n_words']} words at {d['lengths'][0]}-{d['lengths'][1]}{tol}"
    return f"{d['status']}; {d['rounds']} rounds, {d['membership_queries']} queries, {d['test_words']} test words"


def _written(args: argparse.Namespace, report) -> list[Path]:  # noqa: ANN001 - ExtractionReport
    """The language files and pictures asked for (failed methods write nothing)."""
    truth = report.truth
    done = [r for r in report.results if not r.failed]
    several = len(report.results) > 1
    written: list[Path] = []
    if args.output:
        for r in done:
            path = _out_path(args.output, r.method, several)
            written.append(write_language_file(
                path, r.dfa, name=path.stem, description=f"extracted by {r.method} from {args.model}: {r.verdict}",
                source=f"automata-probe extract {args.model} --method {r.method} --seed {args.seed}",
            ))
    if args.png:
        for r in done:
            path = _out_path(args.png, r.method, several)
            written.append(draw_comparison(
                truth, r.dfa, path, mapping=r.comparison.mapping, suptitle=f"{r.method}: {r.verdict}",
                titles=(f"{truth.name} (truth, {truth.n_states} states)", f"{r.method} ({r.states} states)"),
            ))
    if args.rates_png:
        curves = {r.method: r.comparison.rates for r in done}
        written.append(plot_disagreement(curves, args.rates_png, title=f"disagreement with {truth.name} per length"))
    if args.fidelity_png:
        fids = {"truth": report.model, **{r.method: r.fidelity for r in done}}
        written.append(plot_fidelity(fids, args.fidelity_png, title=f"disagreement with the model ({args.model})"))
    return written


def _table(report) -> list[str]:  # noqa: ANN001 - ExtractionReport
    """One row per method: states, fidelity per bin, first disagreement, the truth, time, notes."""
    spans = [f"{lo}-{hi}" for lo, hi in report.bins]
    head = ["method", "states", *[f"model {s}" for s in spans], "first disagreement with the model", "truth", "time"]
    rows = [head]
    for r in report.results:
        if r.failed:
            rows.append([r.method, "-", *["-"] * len(spans), "-", "-", f"{r.seconds:.1f}s"])
            continue
        f = r.fidelity
        by_end = {x.hi: x for x in f.sampled_rows}  # a bin's sampled part starts past the enumerated lengths
        skipped = {hi for _, hi in f.not_scored}  # the time budget ran out before these bins
        cells = ["not scored (time)" if hi in skipped else _agreement(by_end.get(hi), f) for _, hi in report.bins]
        first = "-" if f.disagreement is None else (
            f"{format_word(f.disagreement, report.truth.alphabet)} ({len(f.disagreement)}, {f.disagreement_source})")
        truth = "equivalent" if r.equivalent else f"differs at {format_word(r.comparison.counterexample, report.truth.alphabet)}"
        rows.append([r.method, str(r.states), *cells, first, truth, f"{r.seconds:.1f}s"])
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    return [line + (f"  {_notes(r)}" if i else "  notes") for i, (line, r) in
            enumerate(zip(lines, [None, *report.results]))]


def _agreement(row, fid) -> str:  # noqa: ANN001 - BinAgreement | None, Fidelity
    if row is None:  # the bin lies within the enumerated lengths
        bad = sum(x.disagreements for x in fid.exact_rows)
        return "100% (all words)" if not bad else f"{bad} words disagree"
    return f"{percent(row.agreement)} ({row.disagreements}/{row.n_words})"


def _print_report(args: argparse.Namespace, ckpt, report, written: list[Path]) -> None:  # noqa: ANN001
    truth, m = report.truth, report.model
    arch = ckpt.model_config.get("arch", "?")
    print(f"model: {args.model} ({arch}, task {ckpt.task}, trained on {ckpt.language_name})")
    print(f"truth: {truth.name} ({truth.n_states} states, alphabet {{{', '.join(truth.alphabet)}}})")
    bins = ", ".join(f"{lo}-{hi}" for lo, hi in report.bins)
    print(f"checked: every word up to length {m.exact_up_to}, then {args.fidelity_words} sampled words per bin "
          f"({bins}; uniform, language, near-miss)")
    if report.unchecked:
        spans = ", ".join(f"{lo}-{hi}" for lo, hi in report.unchecked)
        print(f"not checked: lengths {spans} of the model's training and test lengths "
              f"(--max-length {report.unchecked[-1][1]} checks them)")
    print()
    print(f"the model against {truth.name}: " + ("no disagreement found" if m.faithful else f"errs on {m.where()}"))
    for row in m.sampled_rows:
        print(f"  {row.describe()}")
    print()
    print("fidelity to the model (agreement per bin), then the truth:")
    for line in _table(report):
        print("  " + line)
    print()
    print("verdicts:")
    for r in report.results:
        print(f"  {r.method}: {r.verdict}")
    print()
    print(f"summary: {report.summary}")
    done = [r for r in report.results if not r.failed]
    if done:
        print()
        print("mapping truth -> extracted (purity):")
        for r in done:
            mp = r.comparison.mapping
            print(f"  {r.method}: {mp.describe(truth, r.dfa)}  ({mp.purity:.3f})")
    for path in written:
        print(f"wrote {path}")


def run(args: argparse.Namespace) -> int:
    if args.max_length is not None and args.max_length < 0:
        raise DataError(f"--max-length must be >= 0, not {args.max_length}")
    if args.max_k < 2:
        raise DataError(f"--max-k must be >= 2, not {args.max_k}")
    if not args.seconds > 0:
        raise DataError(f"--seconds must be > 0, not {args.seconds:g}")
    if not 0 <= args.tolerance < 0.5:
        raise DataError(f"--tolerance must lie in [0, 0.5), not {args.tolerance:g}")
    if args.fidelity_words < 1:
        raise DataError(f"--fidelity-words must be >= 1, not {args.fidelity_words}")
    if args.threads:
        import torch  # only here: the other commands start without it (see automata_probe.cli)

        torch.set_num_threads(args.threads)
    ckpt = load_checkpoint(args.model)
    language = load_language(args.dfa) if args.dfa is not None else None
    budget = LearningBudget(walks_per_state=args.walks_per_state, max_rounds=args.max_rounds,
                            max_queries=args.max_queries)
    config = ExtractionConfig(
        methods=METHODS if args.method == "all" else (args.method,),
        max_length=args.max_length,
        seed=args.seed,
        seconds=args.seconds,
        fidelity_words=args.fidelity_words,
        tolerance=args.tolerance,
        n_words=args.n_words,
        word_max_length=args.word_length,
        k_range=range(2, args.max_k + 1),
        budget=replace(budget, seconds=args.seconds),
    )
    report = extract_all(ckpt, language, config, progress=not args.no_progress and not args.json)
    written = _written(args, report)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False, default=str))
        return 0
    _print_report(args, ckpt, report, written)
    sys.stdout.flush()
    return 0
