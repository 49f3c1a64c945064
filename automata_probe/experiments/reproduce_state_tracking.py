"""State tracking across architectures: each theorem's verdict beside a measurement.

Architectures (:mod:`.arch_specs`: Mamba, Mamba with negative eigenvalues,
Mamba-2, DeltaNet with and without negative eigenvalues, DeltaProduct with two
Householders and negative eigenvalues, the LSTM, the Transformer) x languages
(parity, counting modulo 3, the word problems of S3, A5 and Z60 over all
their elements, a star-free control) x depth. Each model is trained on the
state task (the minimal DFA's state at every position, cross-entropy; for a
word problem the running product) on uniform words of the training lengths
and scored, as Sarrof et al. do, on a longer length bin it never saw:
strict accuracy (every position right) and token accuracy. Beside each cell:
:func:`~automata_probe.algebra.predict_model` (what the theorems say about
that very model, with the theorem) and, where they exist, the figures Grazzi
et al. 2025 published (:data:`~.published.PUBLISHED_STATE_TRACKING`).

One resumable sweep into ``state-tracking.csv``; ``--quick`` is the CPU form
(small models, a few hundred steps, depth 2 only where the theorems say depth
matters).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from ..algebra import classify
from ..algebra.predictions import predict_model
from ..automata import load_language
from ..errors import ParameterError
from ..models import TrainConfig, build_model, config_for, train
from .arch_specs import parse_arch
from .published import PUBLISHED_STATE_TRACKING
from .sweep import Job, SweepResult, run_sweep

__all__ = ["STATE_TRACKING_LANGUAGES", "STATE_TRACKING_ARCHS", "TrackingBudget", "QUICK_TRACKING", "FULL_TRACKING",
           "state_tracking_jobs", "state_tracking_job", "run_state_tracking", "state_tracking_table"]

log = logging.getLogger(__name__)

#: The languages and their short names in tables.
STATE_TRACKING_LANGUAGES: dict[str, str] = {
    "parity": "parity",
    "mod-3": "mod-3",
    "group-S3-all": "S3",
    "group-A5-all": "A5",
    "group-Z60-all": "Z60",
    "012_02": "star-free",
}
#: The architectures (specs, see :func:`.arch_specs.parse_arch`).
STATE_TRACKING_ARCHS: tuple[str, ...] = ("mamba", "mamba-neg", "mamba2", "deltanet", "deltanet-neg",
                                         "deltaproduct-2-neg", "lstm", "transformer")
#: In the quick form, the architectures also trained at depth 2 (the theorems
#: separate one layer of one reflection from two: Thm 6, Siems et al. Sec. 4).
QUICK_DEPTH2: tuple[str, ...] = ("deltanet-neg",)


@dataclass(frozen=True, kw_only=True)
class TrackingBudget:
    """Model size, optimizer and lengths of one cell."""

    d_model: int = 64
    lr: float = 3e-3
    batch_size: int = 32
    max_steps: int = 3000
    eval_every: int = 50
    eval_n: int = 256
    final_eval_n: int = 1000
    train_lengths: tuple[int, int] = (2, 40)
    test_bin: tuple[int, int] = (41, 80)

    def __post_init__(self) -> None:
        lo, hi = self.train_lengths
        if not 1 <= lo <= hi or self.test_bin[0] <= hi or self.test_bin[1] < self.test_bin[0]:
            raise ParameterError(f"lengths: train {self.train_lengths} must end before the test bin {self.test_bin}")

    def params(self) -> dict[str, Any]:
        return {"d_model": self.d_model, "lr": self.lr, "batch": self.batch_size, "max_steps": self.max_steps,
                "eval_every": self.eval_every, "eval_n": self.eval_n, "final_eval_n": self.final_eval_n,
                "train": f"{self.train_lengths[0]}-{self.train_lengths[1]}",
                "test": f"{self.test_bin[0]}-{self.test_bin[1]}"}


QUICK_TRACKING = TrackingBudget(d_model=32, max_steps=500, eval_n=128, final_eval_n=200, train_lengths=(2, 16),
                                test_bin=(17, 32))
FULL_TRACKING = TrackingBudget()


def _bin(text: str) -> tuple[int, int]:
    lo, hi = str(text).split("-")
    return int(lo), int(hi)


def state_tracking_jobs(languages: Sequence[str], archs: Sequence[str], depths: Sequence[int], seeds: Sequence[int],
                        budget: TrackingBudget, *, depth2_only: Sequence[str] | None = None) -> list[Job]:
    """The sweep's jobs; with ``depth2_only``, depths above 1 only for those archs."""
    specs = [parse_arch(a).name for a in archs]  # bad names fail before any training
    jobs = []
    for lang in languages:
        for spec in specs:
            for d in depths:
                if d > 1 and depth2_only is not None and spec not in depth2_only:
                    continue
                for s in seeds:
                    jobs.append(Job(language=lang, arch=spec, layers=d, seed=s, params=tuple(budget.params().items())))
    return jobs


def state_tracking_job(job: Job) -> dict[str, Any]:
    """Sweep job: train one model on the state task; strict and token accuracy on both bins."""
    spec = parse_arch(job.arch)
    language = load_language(job.language)
    d_model = int(job.param("d_model"))
    cfg = config_for(language.dfa, "state", d_model=d_model, n_layers=job.layers, **spec.model_fields(d_model))
    model = build_model(cfg, seed=job.seed)
    train_bin, test_bin = _bin(job.param("train")), _bin(job.param("test"))
    config = TrainConfig(task="state", train_lengths=train_bin, test_bins=(test_bin,), lr=float(job.param("lr")),
                         batch_size=int(job.param("batch")), max_steps=int(job.param("max_steps")),
                         eval_every=int(job.param("eval_every")), eval_n=int(job.param("eval_n")),
                         final_eval_n=int(job.param("final_eval_n")), checkpoint_every=None, seed=job.seed,
                         threads=1)
    cpu = time.process_time()
    result = train(model, language, config)
    report = result.report
    assert report is not None  # not interrupted
    inside, longer = report[train_bin], report[test_bin]
    return {"train_strict": round(100 * inside.strict, 2), "strict": round(100 * longer.strict, 2),
            "token": round(100 * longer.token, 2), "n_classes": cfg.n_outputs, "steps": result.steps,
            "stopped": result.stopped, "cpu_s": round(time.process_time() - cpu, 1),
            "params_count": sum(p.numel() for p in model.parameters())}


def run_state_tracking(
    out_dir: str | os.PathLike,
    *,
    quick: bool = False,
    languages: Sequence[str] | None = None,
    archs: Sequence[str] | None = None,
    depths: Sequence[int] | None = None,
    seeds: Sequence[int] | None = None,
    budget: TrackingBudget | None = None,
    workers: int | None = None,
    progress: bool = False,
) -> SweepResult:
    """Run (or resume) the sweep; rows in ``out_dir/state-tracking.csv``."""
    languages = tuple(languages or STATE_TRACKING_LANGUAGES)
    archs = tuple(archs or STATE_TRACKING_ARCHS)
    depths = tuple(depths or ((1, 2) if quick else (1, 2, 3)))
    seeds = tuple(seeds or ((0,) if quick else (0, 1, 2)))
    budget = budget or (QUICK_TRACKING if quick else FULL_TRACKING)
    if any(d < 1 for d in depths):
        raise ParameterError(f"depths must be at least 1, got {list(depths)}")
    for lang in languages:
        load_language(lang)  # unknown names fail before any training
    depth2 = QUICK_DEPTH2 if quick and depths == (1, 2) and archs == STATE_TRACKING_ARCHS else None
    jobs = state_tracking_jobs(languages, archs, depths, seeds, budget, depth2_only=depth2)
    path = Path(out_dir) / "state-tracking.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    return run_sweep(jobs, "automata_probe.experiments.reproduce_state_tracking:state_tracking_job", path,
                     workers=workers, progress=progress)


def _verdict_text(expressible: bool | None) -> str:
    return {True: "yes", False: "no", None: "open"}[expressible]


def state_tracking_table(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (language, arch, depth): the best seed's longer-bin accuracy, the
    theorems' verdict for that model, and the published figure where there is one."""
    best: dict[tuple[str, str, int], dict[str, Any]] = {}
    seeds: dict[tuple[str, str, int], int] = {}
    for r in rows:
        if r.get("status") != "ok":
            continue
        key = (r["language"], r["arch"], int(r["layers"]))
        seeds[key] = seeds.get(key, 0) + 1
        if key not in best or float(r["strict"]) > float(best[key]["strict"]):
            best[key] = r
    facts = {lang: classify(load_language(lang).dfa) for lang in {k[0] for k in best}}
    out = []
    order = list(STATE_TRACKING_LANGUAGES)
    for (lang, arch, layers), r in sorted(best.items(), key=lambda kv: (
            order.index(kv[0][0]) if kv[0][0] in order else 99, _arch_order(kv[0][1]), kv[0][2])):
        c, spec = facts[lang], parse_arch(arch)
        p = predict_model(spec.arch, star_free=c.star_free, complexity=c.complexity, facts=c.tracking,
                          negative_eigenvalues=spec.negative_eigenvalues, householders=spec.householders,
                          layers=layers)
        k = int(r.get("n_classes") or 0)
        chance = 1 / k if k else 0.0
        scaled = (float(r["token"]) / 100 - chance) / (1 - chance) if k > 1 else float("nan")
        published = PUBLISHED_STATE_TRACKING.get((lang, arch)) if layers == 1 else None
        out.append({"language": STATE_TRACKING_LANGUAGES.get(lang, lang), "arch": arch, "layers": layers,
                    "seeds": seeds[(lang, arch, layers)], "train_strict": float(r["train_strict"]),
                    "strict": float(r["strict"]), "token": float(r["token"]), "scaled": round(scaled, 3),
                    "theory": _verdict_text(p.expressible), "conditions": p.conditions, "theorem": p.citation,
                    "published": published[0] if published else "-",
                    "published_source": published[1] if published else "",
                    "agrees": _agrees(p.expressible, float(r["strict"]))})
    return out


def _arch_order(arch: str) -> int:
    return STATE_TRACKING_ARCHS.index(arch) if arch in STATE_TRACKING_ARCHS else 99


def _agrees(expressible: bool | None, strict: float) -> str:
    """Measurement against theorem: a theorem's "no" is contradicted only by
    near-perfect length generalization; its "yes" is an existence claim, so a
    failure to learn is "not found", not a contradiction."""
    if expressible is None:
        return "-"
    if expressible:
        return "learned" if strict >= 90 else "not found"
    return "CONTRADICTS" if strict >= 99 else "consistent"
