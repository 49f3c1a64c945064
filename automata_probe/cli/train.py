"""``automata-probe train``: train a model on a language and write model.pt.

Prints the configuration first, shows a progress bar while training and ends
with the per-bin evaluation table (strict %, token %, n). Ctrl-C leaves the
last checkpoint intact; ``--resume`` continues from it.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from ..automata import load_language
from ..data import LengthBin
from ..errors import AlphabetError, CheckpointError, ModelError, ParameterError
from ..models import ARCHITECTURES, LINEAR_RNN_ARCHS, TrainConfig, build_model, config_for, load_checkpoint, train

log = logging.getLogger(__name__)

# Defaults: a 2-layer Mamba (d_model 64, d_state 16), batch 32, lr 1e-3,
# validated every 50 steps, stopping after 3 perfect validations. On tomita4
# it is at 100% strict on 1-100 and 101-150 after 50-100 steps (about a
# minute on 2 contended CPU cores).
DEFAULTS = {
    "arch": "mamba",
    "layers": 2,
    "d_model": 64,
    "d_state": 16,
    "task": "next",
    "steps": 2000,
    "batch_size": 32,
    "lr": 1e-3,
    "weight_decay": 0.1,
    "warmup": 50,
    "seed": 0,
    "eval_every": 50,
    "eval_n": 256,
    "early_stop": 8,  # 3 stopped tomita7 at 99.9% strict on 1000 words; 8 reached 100%
    "checkpoint_every": 250,
    "final_n": 1000,
}


#: Shown by ``--help`` above the arguments.
DESCRIPTION = ("Train a sequence model (Mamba, Mamba-2, DeltaNet, Gated DeltaNet, DeltaProduct, LSTM or Transformer) "
               "on a language's per-position task.")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dfa", required=True, metavar="LANG",
                   help="language: a .toml path, a suite name (tomita4), or a family (parity, Dn-4, group-S5)")
    p.add_argument("-o", "--output", required=True, metavar="PATH", help="checkpoint to write (model.pt)")
    p.add_argument("--arch", choices=list(ARCHITECTURES), default=DEFAULTS["arch"],
                   help="mamba (default), lstm, transformer, or a matrix-state linear RNN: mamba2, deltanet, "
                   "gated-deltanet, deltaproduct")
    p.add_argument("--layers", type=int, default=DEFAULTS["layers"], help="blocks (default %(default)s)")
    p.add_argument("--d-model", type=int, default=DEFAULTS["d_model"], help="width (default %(default)s)")
    p.add_argument("--d-state", type=int, default=DEFAULTS["d_state"], help="Mamba state size N (default %(default)s)")
    p.add_argument("--negative-eigenvalues", "--neg-eigval", dest="negative_eigenvalues", action="store_true",
                   help="Mamba/Mamba-2 transition in (-1, 1) instead of (0, 1); DeltaNet family: beta in [0, 2] "
                   "(Grazzi et al. 2024)")
    p.add_argument("--heads", type=int, default=None,
                   help="heads of the state (mamba2 and the DeltaNet family; default 4) or of attention")
    p.add_argument("--householders", type=int, default=1, metavar="N_H",
                   help="deltaproduct: Householder steps per token (Siems et al. 2025; default 1)")
    p.add_argument("--forget-gate", action="store_true", help="deltaproduct: a scalar decay per head (Gated DeltaProduct)")
    p.add_argument("--task", choices=["next", "member", "state"], default=DEFAULTS["task"])
    p.add_argument("--words", choices=["language", "mixed", "uniform"], default=None,
                   help="training words: language (the language's words, Sarrof et al.; default for --task next), "
                   "mixed (half uniform words, so dead prefixes are seen; default for member/state) or uniform")
    p.add_argument("--steps", type=int, default=None,
                   help=f"maximum optimizer steps (default {DEFAULTS['steps']}; with --resume: the saved run's)")
    p.add_argument("--batch-size", type=int, default=DEFAULTS["batch_size"])
    p.add_argument("--lr", type=float, default=DEFAULTS["lr"])
    p.add_argument("--weight-decay", type=float, default=DEFAULTS["weight_decay"])
    p.add_argument("--warmup", type=int, default=DEFAULTS["warmup"], help="warmup steps (default %(default)s)")
    p.add_argument("--seed", type=int, default=DEFAULTS["seed"])
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--device", choices=["cpu", "cuda", "auto"], default="cpu")
    p.add_argument("--backend", choices=["auto", "torch", "compiled", "cuda"], default="auto",
                   help="recurrence of mamba2 / the DeltaNet family: on CUDA fla's or mamba_ssm's kernels when "
                        "installed, on the CPU our compiled one when built (auto); our chunked PyTorch path "
                        "(torch); ours compiled or an error (compiled); the kernels or an error (cuda, "
                        "pip install 'automata-probe[gpu]')")
    p.add_argument("--train-lengths", type=int, nargs=2, metavar=("LO", "HI"),
                   help="training lengths (default: the language's experiment)")
    p.add_argument("--test-bins", nargs="+", metavar="LO-HI",
                   help="evaluation bins (default: the language's experiment)")
    p.add_argument("--val-lengths", type=int, nargs=2, metavar=("LO", "HI"),
                   help="early-stopping bin (default: the training lengths)")
    p.add_argument("--allow-overlap", action="store_true", help="allow test bins that overlap the training lengths")
    p.add_argument("--eval-every", type=int, default=DEFAULTS["eval_every"])
    p.add_argument("--eval-n", type=int, default=DEFAULTS["eval_n"], help="validation words per evaluation")
    p.add_argument("--early-stop", type=int, default=DEFAULTS["early_stop"], metavar="N",
                   help="stop after N validations in a row at 100%% strict (0: never)")
    p.add_argument("--patience", type=int, default=0, metavar="N",
                   help="stop after N validations without improvement (0: never)")
    p.add_argument("--checkpoint-every", type=int, default=DEFAULTS["checkpoint_every"])
    p.add_argument("--final-n", type=int, default=DEFAULTS["final_n"], help="words per bin in the final evaluation")
    p.add_argument("--resume", action="store_true",
                   help="continue the run saved in --output (its model and training config; --steps may raise the budget)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:

    language = load_language(args.dfa)
    dfa = language.dfa
    out = Path(args.output)
    resume = None
    if args.resume:
        if not out.exists():
            raise CheckpointError(f"--resume: {out} does not exist (start without --resume)")
        resume = load_checkpoint(out)
        if tuple(resume.alphabet) != tuple(dfa.alphabet):
            raise AlphabetError(
                f"checkpoint {out} has alphabet {{{', '.join(resume.alphabet)}}} but {language.name} has "
                f"{{{', '.join(dfa.alphabet)}}}"
            )
        model_config = resume.config
        import dataclasses

        tconf = TrainConfig.from_dict(resume.train_config)
        if args.steps is not None:
            tconf = dataclasses.replace(tconf, max_steps=args.steps)
        model = resume.build_model()
    else:
        test_bins = tuple(LengthBin.of(b) for b in args.test_bins) if args.test_bins else None
        tconf = TrainConfig(
            task=args.task,
            train_lengths=tuple(args.train_lengths) if args.train_lengths else None,
            test_bins=tuple((b.lo, b.hi) for b in test_bins) if test_bins is not None else None,
            val_lengths=tuple(args.val_lengths) if args.val_lengths else None,
            allow_overlap=args.allow_overlap,
            lr=args.lr,
            weight_decay=args.weight_decay,
            batch_size=args.batch_size,
            max_steps=args.steps if args.steps is not None else DEFAULTS["steps"],
            warmup_steps=args.warmup,
            eval_every=args.eval_every,
            eval_n=args.eval_n,
            early_stop_evals=args.early_stop or None,
            patience=args.patience or None,
            checkpoint_every=args.checkpoint_every or None,
            final_eval_n=args.final_n,
            source=args.words,
            seed=args.seed,
            threads=args.threads,
            device=args.device,
        )
        model_config = config_for(
            dfa,
            args.task,
            arch=args.arch,
            d_model=args.d_model,
            n_layers=args.layers,
            d_state=args.d_state,
            negative_eigenvalues=args.negative_eigenvalues,
            **_linear_rnn_fields(args),
        )
        model = build_model(model_config, seed=args.seed)
    if args.backend != "auto" and hasattr(model, "set_backend"):
        model.set_backend(args.backend)  # ModelError (exit 2) when 'cuda' cannot be honoured
    elif args.backend != "auto":
        raise ModelError(f"--backend {args.backend} is for mamba, mamba2 and the DeltaNet family, "
                         f"not {model_config.arch}")
    _print_config(language, model_config, tconf, model, out, resume)
    result = train(model, language, tconf, checkpoint_path=out, resume=resume, progress=not args.no_progress)
    if result.stopped == "interrupted":
        where = (f"the checkpoint from step {result.last_checkpoint_step} in {out} is intact"
                 if result.last_checkpoint_step else
                 (f"{out} (step {resume.steps}) is untouched" if resume is not None else "no checkpoint was written"))
        print(f"interrupted at step {result.steps}; {where}; rerun with --resume to continue", file=sys.stderr)
        return 130
    print(f"stopped: {result.stopped} after {result.steps} steps, {result.wall_time_s:.1f} s of training")
    print()
    print(result.report.table())
    print(result.report.words_line() + " (automata-probe evaluate draws these words by default)")
    print()
    print(f"wrote {result.checkpoint}")
    return 0


def _linear_rnn_fields(args: argparse.Namespace) -> dict:
    """The config fields the linear-RNN options set (checked against --arch: one line, exit 2)."""
    fields: dict = {}
    if args.heads is not None:
        fields["n_heads"] = args.heads
    if args.householders != 1 or args.forget_gate:
        if args.arch != "deltaproduct":
            raise ParameterError(f"--householders and --forget-gate need --arch deltaproduct, not {args.arch}")
        fields.update(householders=args.householders, forget_gate=args.forget_gate)
    if args.negative_eigenvalues and args.arch in ("lstm", "transformer"):
        raise ParameterError(f"--neg-eigval has no meaning for --arch {args.arch}")
    return fields


def _print_config(language, model_config, tconf, model, out, resume) -> None:
    n_params = sum(p.numel() for p in model.parameters())
    dfa = language.dfa
    lines = [
        f"language      {language.name}: {dfa.n_states} states, alphabet {{{', '.join(dfa.alphabet)}}}",
        f"model         {model_config.arch}, {model_config.n_layers} layers, d_model {model_config.d_model}"
        + (f", d_state {model_config.d_state}" if model_config.arch in ("mamba", "mamba2") else "")
        + (f", {model_config.n_heads} heads of {model_config.head_dim}" if model_config.arch in LINEAR_RNN_ARCHS else "")
        + (f", {model_config.householders} Householders" if model_config.arch == "deltaproduct" else "")
        + (", negative eigenvalues" if model_config.negative_eigenvalues and model_config.arch not in ("lstm", "transformer")
           else "")
        + f", {n_params:,} parameters",
        f"task          {tconf.task} (words: {tconf.word_source})",
        f"lengths       train {_bin(tconf.train_lengths, language, 'train')}, "
        f"test {_bins(tconf.test_bins, language)}, validate {_bin(tconf.val_lengths, language, 'val')}",
        f"optimizer     AdamW lr {tconf.lr:g}, weight decay {tconf.weight_decay:g}, batch {tconf.batch_size}, "
        f"warmup {tconf.warmup_steps} + cosine to {tconf.min_lr_ratio:g}x",
        f"budget        {tconf.max_steps} steps, validate every {tconf.eval_every} on {tconf.eval_n} words, "
        f"stop after {tconf.early_stop_evals or 'no'} perfect validations"
        + (f" or {tconf.patience} without improvement" if tconf.patience else ""),
        f"seed          {tconf.seed}" + (f", threads {tconf.threads}" if tconf.threads else "") + f", device {tconf.device}",
        f"checkpoint    {out}" + (f" every {tconf.checkpoint_every} steps" if tconf.checkpoint_every else " at the end")
        + (f" (resuming from step {resume.steps})" if resume is not None else ""),
    ]
    print("\n".join(lines))
    sys.stdout.flush()


def _bin(b, language, which: str) -> str:
    if b is None:
        if which == "val":
            return "= train"
        b = language.experiment.train_lengths
    return f"{b[0]}-{b[1]}"


def _bins(bins, language) -> str:
    if bins is None:
        bins = language.experiment.test_bins
    return ", ".join(f"{lo}-{hi}" for lo, hi in bins) or "none"
