"""``automata-probe extract``: extract a DFA from a trained model, three ways.

::

    automata-probe extract model.pt --dfa tomita4                  # all methods side by side
    automata-probe extract model.pt --dfa tomita4 --method lstar -o extracted.toml --png cmp.png

Prints, per method: states found, equivalent to the truth or not, the
shortest counterexample, the exact disagreement rate per length up to
``--max-length``, the state mapping and the time; then the model itself
against the truth per length. ``-o`` writes the extracted DFA as a language
file (one per method when several run: ``extracted-probe.toml``, ...), and
``--png`` draws it beside the true automaton.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from ..automata import load_language, write_language_file
from ..automata.words import format_word
from ..errors import DataError
from ..experiments.extraction import METHODS, ExtractionConfig, extract_all
from ..extraction import LearningBudget
from ..models.checkpoint import load_checkpoint
from ..viz.drawing import draw_comparison, plot_disagreement
from .compare import format_rates

log = logging.getLogger(__name__)

METHOD_CHOICES = ["probe", "cluster", "lstar", "kv", "all"]


#: Shown by ``--help`` above the arguments.
DESCRIPTION = (
            "Extract a DFA from a model (probe-based, by clustering hidden states, or by L*/KV active "
            "learning with the model answering membership queries) and compare each with the true DFA."
        )


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", metavar="MODEL.pt", help="checkpoint written by `automata-probe train`")
    p.add_argument("--dfa", metavar="LANG", help="the true language (default: the checkpoint's own)")
    p.add_argument("--method", choices=METHOD_CHOICES, default="all", help="default: all")
    p.add_argument("-o", "--output", metavar="PATH", help="write the extracted DFA as a language file (.toml)")
    p.add_argument("--png", metavar="PATH", help="draw the extracted DFA beside the true one")
    p.add_argument("--rates-png", metavar="PATH", help="plot the disagreement rate per length of every method")
    p.add_argument("--max-length", type=int, default=20, metavar="N",
                   help="compare at lengths 0..N (default %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--n-words", type=int, default=600,
                   help="sampled words whose activations feed the probe and clustering (default %(default)s)")
    p.add_argument("--word-length", type=int, default=24, metavar="L",
                   help="longest sampled word for probe/cluster (default %(default)s)")
    p.add_argument("--max-k", type=int, default=16, help="most clusters tried (default %(default)s)")
    p.add_argument("--walks-per-state", type=int, default=200,
                   help="equivalence-oracle random words per hypothesis state (default %(default)s)")
    p.add_argument("--max-rounds", type=int, default=30, help="most equivalence queries (default %(default)s)")
    p.add_argument("--max-queries", type=int, default=5000,
                   help="most distinct membership queries per learner (default %(default)s)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--json", action="store_true", help="print the report as JSON")


def _out_path(base: str, method: str, several: bool) -> Path:
    p = Path(base)
    return p.with_name(f"{p.stem}-{method}{p.suffix}") if several else p


def _cex(r) -> str:  # noqa: ANN001 - MethodResult
    c = r.comparison
    if c.counterexample is None:
        return "-"
    return f"{format_word(c.counterexample, c.alphabet)} (truth {'accepts' if c.truth_accepts_counterexample else 'rejects'})"


def _notes(r) -> str:  # noqa: ANN001 - MethodResult
    d = r.details
    if r.method == "probe":
        return f"site {d['site']}, probe accuracy {d['probe_accuracy']:.4f}"
    if r.method == "cluster":
        ok = "" if d["met_threshold"] else ", no k consistent"
        return f"k={d['k']} at {d['site']}{ok}"
    conv = "" if d["converged"] else ", budget reached"
    return f"{d['membership_queries']} queries, {d['test_words']} test words, {d['rounds']} rounds{conv}"


def _write_outputs(args: argparse.Namespace, report) -> list[Path]:  # noqa: ANN001 - ExtractionReport
    """The language files and pictures asked for, in the order they are listed."""
    truth = report.truth
    several = len(report.results) > 1
    written: list[Path] = []
    if args.output:
        for r in report.results:
            path = _out_path(args.output, r.method, several)
            written.append(
                write_language_file(
                    path, r.dfa, name=path.stem,
                    description=f"extracted by {r.method} from {args.model} ({r.comparison.verdict})",
                    source=f"automata-probe extract {args.model} --method {r.method} --seed {args.seed}",
                )
            )
    if args.png:
        for r in report.results:
            path = _out_path(args.png, r.method, several)
            written.append(
                draw_comparison(
                    truth, r.dfa, path, mapping=r.comparison.mapping, suptitle=f"{r.method}: {r.comparison.verdict}",
                    titles=(f"{truth.name} (truth, {truth.n_states} states)", f"{r.method} ({r.states} states)"),
                )
            )
    if args.rates_png:
        curves = {r.method: r.comparison.rates for r in report.results}
        curves["model"] = report.model.rates
        sampled = {"model": [not e for e in report.model.exact]}
        written.append(plot_disagreement(curves, args.rates_png, sampled=sampled,
                                         title=f"disagreement with {truth.name} per length"))
    return written


def _print_table(report) -> None:  # noqa: ANN001 - ExtractionReport
    """One row per method, then the model itself."""
    rows = [("method", "states", "equivalent", "shortest counterexample", "time", "notes")]
    for r in report.results:
        rows.append((r.method, str(r.states), "yes" if r.equivalent else "no", _cex(r), f"{r.seconds:.1f}s", _notes(r)))
    m = report.model
    model_cex = "-" if m.counterexample is None else (
        ("" if m.counterexample_is_shortest else "~") + format_word(m.counterexample, report.truth.alphabet)
    )
    rows.append(("model", "-", "-", model_cex, "-", m.verdict.split(" (")[-1].rstrip(")")))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row[:5], widths)) + "  " + row[5])


def _print_report(args: argparse.Namespace, ckpt, report, written: list[Path]) -> None:  # noqa: ANN001
    truth = report.truth
    arch = ckpt.model_config.get("arch", "?")
    print(f"model: {args.model} ({arch}, task {ckpt.task}, trained on {ckpt.language_name})")
    print(f"truth: {truth.name} ({truth.n_states} states, alphabet {{{', '.join(truth.alphabet)}}})")
    if report.n_words:
        print(f"probe/cluster words: {report.n_words}")
    print()
    _print_table(report)
    print()
    print(f"disagreement rate per length n = 0..{args.max_length} (exact; ~ = sampled):")
    for r in report.results:
        print(f"  {r.method}:")
        print(format_rates(r.comparison.rates))
    print("  model:")
    print(format_rates(report.model.rates, report.model.exact))
    print()
    print("mapping truth -> extracted (purity):")
    for r in report.results:
        mp = r.comparison.mapping
        print(f"  {r.method}: {mp.describe(truth, r.dfa)}  ({mp.purity:.3f})")
    for path in written:
        print(f"wrote {path}")


def run(args: argparse.Namespace) -> int:
    # torch comes with these: imported here so that the other commands start fast (see automata_probe.cli)

    if args.max_length < 0:
        raise DataError(f"--max-length must be >= 0, not {args.max_length}")
    if args.max_k < 2:
        raise DataError(f"--max-k must be >= 2, not {args.max_k}")
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    ckpt = load_checkpoint(args.model)
    language = load_language(args.dfa) if args.dfa is not None else None
    config = ExtractionConfig(
        methods=METHODS if args.method == "all" else (args.method,),
        max_length=args.max_length,
        seed=args.seed,
        n_words=args.n_words,
        word_max_length=args.word_length,
        k_range=range(2, args.max_k + 1),
        budget=LearningBudget(
            walks_per_state=args.walks_per_state, max_rounds=args.max_rounds, max_queries=args.max_queries
        ),
    )
    report = extract_all(ckpt, language, config)
    written = _write_outputs(args, report)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False, default=str))
        return 0
    _print_report(args, ckpt, report, written)
    return 0
