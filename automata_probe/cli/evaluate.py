"""``automata-probe evaluate``: strict and per-token accuracy of a checkpoint per length bin."""

from __future__ import annotations

import argparse

from ..automata import align_alphabet, load_language
from ..data import LengthBin
from ..errors import DataError
from ..models import evaluate
from ..models.checkpoint import load_checkpoint

#: Shown by ``--help`` above the arguments.
DESCRIPTION = "Evaluate a checkpoint on length bins of its language (or another one with the same alphabet)."


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoint", metavar="MODEL.pt")
    p.add_argument("--dfa", metavar="LANG", help="evaluate on this language instead (same alphabet)")
    p.add_argument("--bins", nargs="+", metavar="LO-HI",
                   help="length bins (default: the checkpoint's training lengths and test bins)")
    p.add_argument("--n", type=int, default=1000, help="words per bin (default %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed of the evaluation words (default %(default)s)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")


def run(args: argparse.Namespace) -> int:

    ckpt = load_checkpoint(args.checkpoint)
    if args.n < 1:
        raise DataError(f"--n must be a positive number of words, got {args.n}")
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
    model = ckpt.build_model()
    report = evaluate(model, dfa.with_name(name), bins, ckpt.task, n_per_bin=args.n, seed=args.seed)
    steps = f", {ckpt.steps} steps" if ckpt.steps else ""
    print(f"{args.checkpoint}: {ckpt.config.arch} trained on {ckpt.language_name} ({ckpt.task}{steps}); "
          f"evaluated on {name}")
    print()
    print(report.table())
    return 0


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
