"""``automata-probe demo``: the whole toolkit on one language, end to end, on a CPU.

Runs, in order, the same subcommands a user would type (so the output is
theirs, not a special demo format): the algebra (``show``), training
(``train``), probing (``probe``), interventions (``intervene``: does the
model use the state the probe reads?), extraction with all three methods
(``extract``), and an exact comparison of the extracted automaton with the
truth (``compare``). It closes with what the probe and the interventions say,
for the trained and the untrained model. Everything lands in one folder (default
``runs/demo-<language>/``); an existing checkpoint there is reused unless
``--fresh`` is given, so a second run takes seconds for the training step.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from ..automata import load_language
from ..models.config import ARCHITECTURES
from ..probing import InterventionReport
from . import build_parser, run_guarded

#: Shown by ``--help`` above the arguments.
DESCRIPTION = __doc__.split("\n\n")[0]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dfa", default="tomita4", metavar="LANG", help="language (default: %(default)s)")
    p.add_argument("-o", "--out", metavar="DIR", help="output folder (default: runs/demo-<LANG>)")
    p.add_argument("--arch", default="mamba", choices=list(ARCHITECTURES))
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--d-model", type=int, default=64)
    p.add_argument("--steps", type=int, default=1000, help="most training steps (stops early at 100%%)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--seeds", type=int, default=2, help="probe and intervention repetitions (default: %(default)s)")
    p.add_argument("--triples", type=int, default=128,
                   help="intervention triples, for fitting and per held-out bin (default: %(default)s)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: all cores)")
    p.add_argument("--fresh", action="store_true", help="retrain even if the folder has a checkpoint")


def _banner(title: str) -> None:
    print(f"\n{'=' * 78}\n{title}\n{'=' * 78}", flush=True)


def run(args: argparse.Namespace) -> int:

    language = load_language(args.dfa)  # fail on a bad name before anything runs
    out = Path(args.out or f"runs/demo-{language.name}")
    out.mkdir(parents=True, exist_ok=True)
    ckpt = out / "model.pt"
    threads = [] if args.threads is None else ["--threads", str(args.threads)]

    steps: list[tuple[str, list[str]]] = [
        ("1. the language and its algebra", ["show", args.dfa, "--png", str(out / "dfa.png")]),
    ]
    if args.fresh or not ckpt.exists():
        steps.append((
            f"2. train a {args.layers}-layer {args.arch} (d_model {args.d_model}) on next-character prediction",
            ["train", "--dfa", args.dfa, "-o", str(ckpt), "--arch", args.arch, "--layers", str(args.layers),
             "--d-model", str(args.d_model), "--steps", str(args.steps), "--seed", str(args.seed), *threads],
        ))
    else:
        steps.append((f"2. evaluate the existing checkpoint {ckpt} (--fresh retrains)", ["evaluate", str(ckpt)]))
    steps += [
        ("3. probe every site for the DFA state, with controls",
         ["probe", str(ckpt), "--dfa", args.dfa, "--seeds", str(args.seeds), "--json", str(out / "probe.json"),
          "--plot", str(out / "probe.png")]),
        ("4. intervene: swap each site's value at the end of a prefix u for another prefix v's, continue, and see "
         "whether the model now follows the automaton from v's state (the trained model and the untrained one)",
         ["intervene", str(ckpt), "--dfa", args.dfa, "--seeds", str(args.seeds), "--n-train", str(args.triples),
          "--n-test", str(args.triples), "--json", str(out / "intervene.json"),
          "--plot", str(out / "intervene.png"), *threads]),
        ("5. extract automata from the model three ways and compare each with the truth",
         ["extract", str(ckpt), "--dfa", args.dfa, "--method", "all", "-o", str(out / "extracted.toml"),
          "--png", str(out / "extracted.png"), "--rates-png", str(out / "disagreement.png"),
          "--seed", str(args.seed), *threads]),
    ]
    t0 = time.perf_counter()
    for title, argv in steps:
        _banner(f"{title}\n$ automata-probe {' '.join(argv)}")
        ns = build_parser(argv[0]).parse_args(argv)
        ns.verbose = 0
        rc = run_guarded(ns.func, ns)
        if rc != 0:
            print(f"\ndemo stopped: step failed with exit status {rc}", file=sys.stderr)
            return rc
    _banner("what the probe and the interventions say")
    print(closing_summary(out / "probe.json", out / "intervene.json"))
    _banner(f"done in {time.perf_counter() - t0:.0f} s; everything is in {out}/")
    for f in sorted(out.iterdir()):
        print(f"  {f}")
    return 0


def closing_summary(probe_json: Path, intervene_json: Path) -> str:
    """Where the probe reads the state, against where the interventions find it, trained vs untrained."""
    probe = json.loads(Path(probe_json).read_text())
    causal = InterventionReport.from_dict(json.loads(Path(intervene_json).read_text()))
    lo, hi = causal.train_lengths
    readable = [s["site"] for s in probe["sites"] if s["bins"][0]["accuracy"]["mean"] >= 0.99]
    untrained = [s["site"] for s in probe["sites"]
                 if (s["bins"][0].get("untrained") or {}).get("mean", 0) >= 0.99]
    lines = [f"probe (lengths {lo}-{hi}): the state reads at >= 0.99 at {len(readable)} of {len(probe['sites'])} "
             f"sites of the trained model ({', '.join(readable) or 'none'}) and at {len(untrained)} of the untrained "
             "one: probe accuracy alone does not tell them apart." if untrained else
             f"probe (lengths {lo}-{hi}): the state reads at >= 0.99 at {', '.join(readable) or 'no site'}."]
    for kind in causal.kinds:
        sites = causal.causal_sites(kind, 0)
        ceiling, floor = causal.score(kind, 0, "", "full"), causal.score(kind, 0, "", "none")
        ref = f"ceiling {ceiling.dfa.mean:.3f}, floor {floor.dfa.mean:.3f}" if ceiling and floor else ""
        if sites:
            parts = ", ".join(f"{s} ({causal.score(kind, 0, s, 'site').dfa.mean:.3f})" for s in sites)
            lines.append(f"interventions, {kind} model: patching {parts} makes it follow the automaton from the "
                         f"other prefix's state (DFA agreement; {ref}).")
        else:
            lines.append(f"interventions, {kind} model: no single site moves it to the other prefix's state ({ref}).")
        others = [s for s in causal.sites if s not in sites and causal.score(kind, 0, s, "site") is not None]
        if sites and others:
            worst = max(causal.score(kind, 0, s, "site").dfa.mean for s in others)
            lines.append(f"  every other site, where the probe may read the state just as well, stays at most at "
                         f"{worst:.3f}: the state lives causally at {' and '.join(sites)}.")
    return "\n".join(lines)
