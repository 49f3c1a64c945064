"""Causal probing: does the model use the state the probe reads? :func:`intervene` and its settings.

Per seed: draw training triples (for the probes and DAS) and held-out triples
per length bin (:mod:`.triples`); per model (the trained one, then the same
architecture untrained): run each triple set once (:func:`.interventions.prepare`),
record the ceiling (the whole state of v) and the floor (no patch); per site:
fit the probe at the prefixes' last positions, build the subspaces (the
probe's row space, a random one of the same dimension, DAS's), and run every
mode on every held-out bin; at the training lengths also let the patched
model run free. ``docs/probing.md`` explains the design.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any, Callable, Sequence

import numpy as np

from ..automata.dfa import DFA
from ..automata.language import Language
from ..errors import DataError, ModelError, ParameterError
from ..models import build_model
from ..models.checkpoint import resolve_model
from ..progress import Progress
from .causal_report import MODES, InterventionReport
from .causal_run import Accumulator, run_kind
from .interventions import memory_sites
from .labels import make_labeler
from .targets import check_target
from .threads import thread_limit
from .triples import sample_triples
from .words import resolve_source

__all__ = ["InterventionConfig", "intervene"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class InterventionConfig:
    """Settings of one causal-probing run (every field has a default).

    Attributes
    ----------
    target
        What is intervened on: ``"state"`` (default) or any probe target
        (``"partition:..."``, ``"quotient:..."``, ``"member"``, ...).
    sites
        Intervention sites (default: every site and state component, then
        each layer's whole memory ``layers.{i}.state`` of a recurrent model).
    modes
        From :data:`~.causal_report.MODES`; default: every mode the
        architecture can do (``full`` needs a recurrent state).
    n_train
        Triples at the training lengths for fitting the probes and DAS.
    n_test
        Held-out triples per length bin.
    train_lengths, test_bins
        Prefix lengths; default: the checkpoint's, then the language's.
    w_lengths
        Continuation lengths.
    seeds
        One full repetition per seed.
    source
        Word source of the prefixes (``auto`` as in probing).
    controls
        Also run the same architecture untrained (seeded like the seed).
    das_steps, das_batch, das_lr
        DAS training.
    das_k
        Dimension of the DAS subspace (default: the probe's, to compare like with like).
    steer_p
        Steering makes the probe say v's class with at least this probability.
    free_run, free_n
        Free-running distance (0: none) and runs per seed (next-character recurrent models).
    max_features, C, max_iter
        The probe (as :class:`~.config.ProbeConfig`). It is fitted at the
        intervention positions (the last positions of the training triples'
        prefixes, ``2 n_train`` rows), so wide sites are reduced to fewer
        components than in probing (64: with 256 rows, 256 components let
        the probe memorize, and its accuracy on the SSM states fell to
        0.4; with 64 it is 1.0, as ``probe_model`` finds on all positions).
    length_buckets
        Prefix-length buckets of the heatmap.
    threads
        Torch and BLAS threads (None: leave them).
    workers
        Processes running seeds in parallel (1: in this process). The
        numbers do not depend on it.
    """

    target: str = "state"
    sites: tuple[str, ...] | None = None
    modes: tuple[str, ...] | None = None
    n_train: int = 128
    n_test: int = 128
    train_lengths: tuple[int, int] | None = None
    test_bins: tuple[tuple[int, int], ...] | None = None
    w_lengths: tuple[int, int] = (1, 16)
    seeds: tuple[int, ...] = (0, 1, 2)
    source: str = "auto"
    controls: bool = True
    das_steps: int = 30
    das_k: int | None = None
    das_batch: int = 32
    das_lr: float = 0.05
    steer_p: float = 0.9
    free_run: int = 12
    free_n: int = 32
    max_features: int | None = 64
    C: float = 1.0
    max_iter: int = 300
    length_buckets: int = 10
    threads: int | None = 1
    workers: int = 1

    def __post_init__(self) -> None:
        check_target(self.target)
        seeds = tuple(int(s) for s in self.seeds)
        if not seeds:
            raise DataError("intervene needs at least one seed")
        sites = None if self.sites is None else ((self.sites,) if isinstance(self.sites, str) else tuple(self.sites))
        modes = None if self.modes is None else ((self.modes,) if isinstance(self.modes, str) else tuple(self.modes))
        for m in modes or ():
            if m not in MODES:
                raise DataError(f"unknown mode {m!r}; expected one of {', '.join(MODES)}")
        for name in ("n_train", "n_test", "das_batch", "length_buckets", "max_iter", "workers"):
            _positive(name, getattr(self, name))
        if self.das_k is not None:
            _positive("das_k", self.das_k)
        for name in ("das_steps", "free_run", "free_n"):
            _positive(name, getattr(self, name), least=0)
        if not 0.5 <= float(self.steer_p) < 1:
            raise ParameterError(f"steer_p must be in [0.5, 1), got {self.steer_p!r}")
        if not self.C > 0 or not self.das_lr > 0:
            raise ParameterError("C and das_lr must be positive")
        w = _pair(self.w_lengths, "w_lengths")
        if w[0] < 1:
            raise DataError(f"continuations need at least one letter, got w_lengths {w[0]}-{w[1]}")
        fields: dict[str, Any] = {
            "seeds": seeds, "sites": sites, "modes": modes, "w_lengths": w,
            "train_lengths": None if self.train_lengths is None else _pair(self.train_lengths, "train_lengths"),
            "test_bins": None if self.test_bins is None else tuple(_pair(b, "test bin") for b in self.test_bins),
        }
        for name, value in fields.items():
            object.__setattr__(self, name, value)


def _positive(name: str, value: Any, least: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise ParameterError(f"{name} must be an integer of at least {least}, got {value!r}")


def _pair(value: Any, what: str) -> tuple[int, int]:
    try:
        lo, hi = (int(x) for x in value)
    except (TypeError, ValueError):
        raise DataError(f"{what} must be a pair (lo, hi), not {value!r}") from None
    if lo < 0 or hi < lo:
        raise DataError(f"{what} {lo}-{hi} is not a valid length range")
    return lo, hi


@dataclass(frozen=True, kw_only=True, eq=False)
class Setup:
    """What every seed shares (internal)."""

    model: Any
    model_config: Any
    config: InterventionConfig
    labeler: Any
    task: str
    sites: tuple[str, ...]
    modes: tuple[str, ...]
    checkpoint: str
    language: str
    dfa_name: str


def intervene(
    model_or_checkpoint: Any,
    dfa: DFA | Language,
    config: InterventionConfig | None = None,
    *,
    alphabet: Sequence[str] | None = None,
    task: str | None = None,
    progress: bool = False,
) -> InterventionReport:
    """Interchange interventions at every site and mode, with ceilings, floors and the untrained model.

    Parameters
    ----------
    model_or_checkpoint
        A checkpoint path, a :class:`~automata_probe.models.checkpoint.Checkpoint` or a model.
    dfa
        The automaton (or language) whose states (or target classes) are intervened on;
        the model's alphabet as a set.
    config
        Settings (default: :class:`InterventionConfig()`).
    alphabet, task
        For a bare model: its letters in tokenizer order and its task (``next``, ``member``, ``state``).
    progress
        Show progress: a bar on a terminal, a line every 5% in a log.

    Returns
    -------
    InterventionReport

    Raises
    ------
    ModelError
        An unknown site, a mode the architecture cannot do, an unknown task.
    DataError, AlphabetError
        A target the automaton does not have, mismatched alphabets, bad lengths.
    """
    config = InterventionConfig() if config is None else config
    if not isinstance(config, InterventionConfig):
        raise ParameterError(f"config must be an InterventionConfig, not a {type(config).__name__}")
    setup = _setup(model_or_checkpoint, dfa, config, alphabet, task)
    with thread_limit(config.threads):
        return _run(setup, progress)


def _setup(source: Any, dfa: DFA | Language, config: InterventionConfig, alphabet: Any, task: str | None) -> Setup:
    language = None
    if not isinstance(dfa, DFA):
        language, dfa = dfa, dfa.dfa
    loaded = resolve_model(source, alphabet=alphabet, task=task)
    model = loaded.model
    task = task or loaded.task
    if task not in ("next", "member", "state"):
        raise ModelError("the model's task is unknown: pass task='next', 'member' or 'state'")
    letters = loaded.alphabet or dfa.alphabet
    what = f"the model ({loaded.language_name})" if loaded.language_name else "the model"
    labeler = make_labeler(dfa, config.target, alphabet=letters, what=what,
                           partitions=language.partitions if language is not None else None)
    if task == "state" and loaded.train_dfa is not None:
        own = loaded.train_dfa.minimize()
        if own.n_states != labeler.dfa.n_states or not np.array_equal(own.table, labeler.dfa.table):
            raise DataError(f"a state-task model names the states of its own language ({loaded.language_name}); "
                            f"intervene with --dfa {loaded.language_name}")
    known = model.intervention_sites() + list(memory_sites(model))
    sites = tuple(known if config.sites is None else config.sites)
    for s in sites:
        if s not in known:
            raise ModelError(f"unknown site {s!r} for {model.config.arch}; known sites: {', '.join(known)}")
    recurrent = bool(model.is_recurrent)
    modes = config.modes or tuple(m for m in MODES if recurrent or m != "full")
    if "full" in modes and not recurrent:
        raise ModelError(f"mode 'full' (swap the whole recurrent state) needs a recurrent model; "
                         f"{model.config.arch} has no state")
    modes = tuple(dict.fromkeys(("full",) * recurrent + ("none",) + tuple(modes)))  # ceiling and floor always
    if config.controls and loaded.config is None:
        raise ModelError("the untrained control needs the model's config (model.config); pass controls=False")
    src = resolve_source(config.source, labeler.dfa.with_name(dfa.name or ""), loaded.language_name,
                         loaded.train_config)
    train_lengths = config.train_lengths or tuple(loaded.train_config.get("train_lengths") or ()) or (
        language.experiment.train_lengths if language is not None else None)
    if not train_lengths:
        raise DataError("no training lengths: pass train_lengths (the checkpoint and language give none)")
    test_bins = config.test_bins
    if test_bins is None:
        test_bins = loaded.train_config.get("test_bins") or (language.experiment.test_bins if language else ())
    config = replace(config, source=src, train_lengths=tuple(train_lengths),
                     test_bins=tuple(tuple(b) for b in test_bins))
    return Setup(model=model, model_config=loaded.config, config=config, labeler=labeler, task=task, sites=sites,
                 modes=modes, checkpoint=loaded.path,
                 language=loaded.language_name or (language.name if language is not None else ""),
                 dfa_name=dfa.name or "dfa")


def _untrained(setup: Setup, seed: int) -> Any:
    model = build_model(setup.model_config, seed=seed).eval()
    return model.to(next(setup.model.parameters()).device)


def _run(setup: Setup, progress: bool) -> InterventionReport:
    cfg = setup.config
    kinds = ("trained", "untrained") if cfg.controls else ("trained",)
    # a bar on a terminal, a line now and then in a log (a tqdm bar wrote carriage returns into logs)
    bar = Progress(len(cfg.seeds) * len(kinds) * (len(setup.sites) + 1), desc="intervene", unit="site",
                   enabled=progress)

    def tick(text: str) -> None:
        bar.set_postfix(last=text)
        bar.update(1)

    was_training = setup.model.training
    setup.model.eval()
    try:
        if cfg.workers > 1 and len(cfg.seeds) > 1:
            accs = _run_parallel(setup, kinds, tick)
        else:
            accs = [_run_seed(setup, seed, kinds, tick) for seed in cfg.seeds]
    finally:
        setup.model.train(was_training)
        bar.close()
    return Accumulator.merge(accs).report(setup, kinds)


def _run_seed(setup: Setup, seed: int, kinds: Sequence[str], tick: Callable[[str], None] | None) -> Accumulator:
    """Every model, site and mode on one seed's triples."""
    cfg = setup.config
    bins = (cfg.train_lengths,) + tuple(cfg.test_bins)
    acc = Accumulator(sites=setup.sites, bins=bins, buckets=cfg.length_buckets)
    draw = [sample_triples(setup.labeler, task=setup.task, lengths=b, n=n, w_lengths=cfg.w_lengths,
                           seed=np.random.default_rng([seed, j, 0x7E]), source=cfg.source)
            for j, (b, n) in enumerate([(cfg.train_lengths, cfg.n_train)] + [(b, cfg.n_test) for b in bins])]
    for kind in kinds:
        model = setup.model if kind == "trained" else _untrained(setup, seed)
        run_kind(model, kind, seed, draw[0], draw[1:], setup, acc, tick)
    return acc


def _worker(setup: Setup, seed: int, kinds: Sequence[str], queue: Any) -> Accumulator:
    """One seed in a worker process (progress goes back through ``queue``)."""
    with thread_limit(setup.config.threads):
        setup.model.eval()
        return _run_seed(setup, seed, kinds, queue.put)


def _run_parallel(setup: Setup, kinds: Sequence[str], tick: Callable[[str], None]) -> list[Accumulator]:
    """Seeds in ``workers`` processes; the accumulators come back in seed order (results do not depend on it)."""
    import multiprocessing
    import queue as queue_module
    from concurrent.futures import ProcessPoolExecutor

    cfg = setup.config
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, ProcessPoolExecutor(max_workers=min(cfg.workers, len(cfg.seeds)),
                                                           mp_context=context) as pool:
        messages = manager.Queue()
        futures = [pool.submit(_worker, setup, seed, kinds, messages) for seed in cfg.seeds]
        while not all(f.done() for f in futures):
            try:
                tick(messages.get(timeout=0.2))
            except queue_module.Empty:
                pass
        while not messages.empty():
            tick(messages.get())
        return [f.result() for f in futures]
