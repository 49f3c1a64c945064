"""``automata-probe evaluate``: strict and per-token accuracy of a checkpoint per length bin.

By default it draws the words of the checkpoint's final table (the seed, word
source and number per bin that training used), so it reproduces the figures
``automata-probe train`` printed; a line under the table names the words and
says whether they are those.
"""

from __future__ import annotations

import argparse

from ..automata import align_alphabet, load_language
from ..data import SOURCES, LengthBin, default_source
from ..errors import DataError
from ..models import evaluate
from ..models.checkpoint import Checkpoint, load_checkpoint
from ..models.evaluation import EvalReport, EvalWords, final_table_words

#: Shown by ``--help`` above the arguments.
DESCRIPTION = "Evaluate a checkpoint on length bins of its language (or another one with the same alphabet)."


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoint", metavar="MODEL.pt")
    p.add_argument("--dfa", metavar="LANG", help="evaluate on this language instead (same alphabet)")
    p.add_argument("--bins", nargs="+", metavar="LO-HI",
                   help="length bins (default: the checkpoint's training lengths and test bins)")
    p.add_argument("--n", type=int, default=None,
                   help="words per bin (default: as in the checkpoint's final table, else 1000)")
    p.add_argument("--seed", type=int, default=None,
                   help="seed of the evaluation words (default: the checkpoint's final table's, else 0)")
    p.add_argument("--source", choices=SOURCES, default=None,
                   help="where the words come from (default: the checkpoint's training source)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")


def run(args: argparse.Namespace) -> int:

    ckpt = load_checkpoint(args.checkpoint)
    if args.n is not None and args.n < 1:
        raise DataError(f"--n must be a positive number of words, got {args.n}")
    if args.seed is not None and args.seed < 0:
        raise DataError(f"--seed must be a non-negative integer, got {args.seed}")
    if args.dfa:

        language = load_language(args.dfa)
        name, dfa, experiment = language.name, language.dfa, language.experiment
    elif ckpt.dfa is not None:
        name, dfa, experiment = ckpt.language_name, ckpt.dfa, None
    else:

        language = load_language(ckpt.language_name)
        name, dfa, experiment = language.name, language.dfa, language.experiment
    dfa = align_alphabet(dfa, ckpt.alphabet, what=f"checkpoint {args.checkpoint}")
    if args.bins:
        bins = [LengthBin.of(b) for b in args.bins]
    else:
        bins = _default_bins(ckpt.train_config, experiment)
    import torch

    if args.threads is not None:
        torch.set_num_threads(args.threads)
    stored = final_table_words(ckpt.train_config, ckpt.metrics, ckpt.task)
    words = _words(args, stored, ckpt.task)
    model = ckpt.build_model()
    report = evaluate(model, dfa.with_name(name), bins, ckpt.task, n_per_bin=words.n, seed=words.seed,
                      source=words.source)
    steps = f", {ckpt.steps} steps" if ckpt.steps else ""
    print(f"{args.checkpoint}: {ckpt.config.arch} trained on {ckpt.language_name} ({ckpt.task}{steps}); "
          f"evaluated on {name}")
    print()
    print(report.table())
    print(report.words_line())
    print("       " + _against_final_table(report, words, stored, ckpt, same_language=ckpt.dfa == dfa if ckpt.dfa is not None else not args.dfa))
    return 0


def _words(args: argparse.Namespace, stored: EvalWords | None, task: str) -> EvalWords:
    """The flags where given, else the checkpoint's final table's words, else seed 0 and 1000 words."""
    return EvalWords(
        seed=args.seed if args.seed is not None else (stored.seed if stored else 0),
        source=args.source or (stored.source if stored else default_source(task)),
        n=args.n if args.n is not None else (stored.n if stored else 1000),
    )


def _against_final_table(report: EvalReport, words: EvalWords, stored: EvalWords | None, ckpt: Checkpoint,
                         *, same_language: bool) -> str:
    """One line: are these the words of the checkpoint's final table, and do its figures come back?"""
    if stored is None:
        return "(the checkpoint stores no final table to compare with: it was not trained by automata-probe train)"
    if not same_language:
        return f"(another language than the checkpoint's final table, which used {stored.describe()})"
    if words != stored:
        flags = [f"--{k}" for k in ("seed", "source", "n") if getattr(words, k) != getattr(stored, k)]
        return f"(not the words of the checkpoint's final table, which used {stored.describe()}: {', '.join(flags)})"
    old = {(b["lo"], b["hi"]): b for b in ckpt.metrics.get("bins", ())}
    shared = [r for r in report.bins if (r.lo, r.hi) in old]
    if not shared:
        return "(the words of the checkpoint's final table, on bins it does not have)"
    differ = [r for r in shared if (r.strict, r.token) != (old[r.lo, r.hi]["strict"], old[r.lo, r.hi]["token"])]
    if not differ:
        return "(the words of the checkpoint's final table; its stored figures are reproduced exactly)"
    r = differ[0]
    return (f"(the words of the checkpoint's final table, but bin {r.lo}-{r.hi} gives {100 * r.strict:.2f} strict "
            f"where it stored {100 * old[r.lo, r.hi]['strict']:.2f}: the device or thread count differ)")


def _default_bins(train_config: dict, experiment) -> list:

    bins = []
    if train_config.get("train_lengths"):
        bins.append(LengthBin.of(train_config["train_lengths"]))
    elif experiment is not None:
        bins.append(LengthBin.of(experiment.train_lengths))
    tb = train_config.get("test_bins")
    if tb is None and experiment is not None:
        tb = experiment.test_bins
    bins.extend(LengthBin.of(b) for b in (tb or ()))
    if not bins:
        raise DataError("no length bins: pass --bins LO-HI")
    return bins
