"""Probe every site of a model for a DFA's labels, with the controls: :func:`probe_model` and its steps.

Per seed: draw the words, their labels and the control labels; per run (the
trained model, then the same architecture untrained) and group of sites:
collect activations; per site: fit and score the linear probe, the control
task, the MLP, the confusions, accuracy by length and the 2-D projection.
The numbers gathered over seeds then become a :class:`ProbeReport`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Sequence

import numpy as np

from ..automata.dfa import DFA
from ..automata.language import Language
from ..errors import DataError, ModelError, ParameterError
from ..models import build_model
from ..models.checkpoint import resolve_model
from .activations import collect_from_indices, resolve_sites
from .config import ProbeConfig
from .controls import make_control
from .estimators import LinearProbe, MLPProbe
from .labels import Labeler, make_labeler
from .reduce import Reducer, project2
from .report import BinScores, ProbeReport, Projection, Score, SiteReport
from .threads import thread_limit
from .words import ProbeWords, resolve_source, sample_probe_words

__all__ = ["probe_model"]

log = logging.getLogger(__name__)

#: Held-out positions drawn in the 2-D projection, at most.
_PROJECTION_POINTS = 2000


def probe_model(
    model_or_checkpoint: Any,
    dfa: DFA | Language,
    config: ProbeConfig | None = None,
    *,
    alphabet: Sequence[str] | None = None,
) -> ProbeReport:
    """Probe every site of a model for ``config.target`` labels from ``dfa``.

    Every number is computed once per seed in ``config.seeds`` (the seed
    fixes the words, the untrained model's weights, the control labels and
    the probes) and reported as mean and standard deviation over seeds.

    Parameters
    ----------
    model_or_checkpoint
        A checkpoint path, a :class:`~automata_probe.models.checkpoint.Checkpoint`,
        or a model (``forward_sites`` and ``config`` for the untrained control).
    dfa
        The DFA (or :class:`~automata_probe.automata.Language`) to probe for;
        its alphabet must be the model's as a set.
    config
        What to probe and how (default: ``ProbeConfig()``, the state at every
        site with controls, seeds 0, 1, 2).
    alphabet
        The model's letters in tokenizer order, when a bare model is passed
        (default: the DFA's).

    Returns
    -------
    ProbeReport

    Raises
    ------
    AlphabetError
        The model's and the DFA's alphabets differ.
    CheckpointError
        A checkpoint that cannot be loaded.
    ModelError
        An unknown site, or controls asked of a model without a config.
    DataError
        Bad counts or lengths.
    """
    if config is None:
        config = ProbeConfig()
    if not isinstance(config, ProbeConfig):
        raise ParameterError(f"config must be a ProbeConfig, not a {type(config).__name__}")
    with thread_limit(config.threads):
        return _probe(_prepare(model_or_checkpoint, dfa, config, alphabet))


# ------------------------------------------------------------------ set up
@dataclass(frozen=True, kw_only=True, eq=False)
class _Setup:
    """What every seed shares: the model, the labels, the sites and the resolved config."""

    model: Any
    model_config: Any  # its ModelConfig, None for a foreign module
    config: ProbeConfig  # lengths, test bins and word source resolved
    labeler: Labeler
    sites: tuple[str, ...]
    widths: Mapping[str, int]  # features per site
    checkpoint: str
    language: str
    dfa_name: str


def _prepare(model_or_checkpoint: Any, dfa: DFA | Language, config: ProbeConfig, alphabet: Any) -> _Setup:
    """Load the model and resolve everything the config leaves to the checkpoint or language."""
    language = None
    if not isinstance(dfa, DFA):
        language, dfa = dfa, dfa.dfa
    loaded = resolve_model(model_or_checkpoint, alphabet=alphabet)
    letters = loaded.alphabet or dfa.alphabet  # a bare model reads the DFA's letters unless told
    source = resolve_source(config.source, dfa, loaded.language_name, loaded.train_config)
    if config.controls and loaded.config is None:
        raise ModelError("the untrained control needs the model's config (model.config); pass controls=False")
    config = replace(_with_lengths(config, loaded.train_config, language), source=source)
    what = f"the model ({loaded.language_name})" if loaded.language_name else "the model"
    labeler = make_labeler(dfa, config.target, alphabet=letters, what=what,
                           partitions=language.partitions if language is not None else None)
    sites = resolve_sites(loaded.model, config.sites)
    if config.pca_site is not None and config.pca_site not in sites:
        raise ModelError(f"pca_site {config.pca_site!r} is not among the probed sites: {', '.join(sites)}")
    one_word = collect_from_indices(loaded.model, np.zeros((1, 1), np.int64), np.ones(1, np.int64), sites=sites)
    log.info("probing %s for %s of %s at %d sites, seeds %s", loaded.path or "model", config.target, dfa.name,
             len(sites), config.seeds)
    return _Setup(
        model=loaded.model,
        model_config=loaded.config,
        config=config,
        labeler=labeler,
        sites=sites,
        widths={s: v.shape[1] for s, v in one_word.features.items()},
        checkpoint=loaded.path,
        language=loaded.language_name or (language.name if language is not None else ""),
        dfa_name=dfa.name or "dfa",
    )


def _with_lengths(config: ProbeConfig, train_config: Mapping[str, Any], language: Language | None) -> ProbeConfig:
    """``config`` with its length ranges filled from the checkpoint, then the language."""
    train_lengths = config.train_lengths
    if train_lengths is None:
        train_lengths = train_config.get("train_lengths") or (language.experiment.train_lengths if language else None)
        if train_lengths is None:
            raise DataError("no training lengths: pass train_lengths (the checkpoint and language give none)")
    test_bins = config.test_bins
    if test_bins is None:
        test_bins = train_config.get("test_bins") or (language.experiment.test_bins if language else ())
    return replace(config, train_lengths=train_lengths, test_bins=test_bins)


# ------------------------------------------------------------------- seeds
@dataclass(frozen=True, kw_only=True, eq=False)
class _Seed:
    """One seed's words and labels; rows are word-major, like the activation rows."""

    seed: int
    first: bool  # the first seed draws the projection
    words: ProbeWords
    y: np.ndarray  # (N,) task label of each row
    y_control: np.ndarray | None  # (N,) control label of each row (None without controls)
    window: int | None  # the control's window
    position: np.ndarray  # (N,) prefix length t of each row
    train_rows: np.ndarray  # the probe's training rows (a subsample past max_train_positions)
    set_rows: tuple[np.ndarray, ...]  # rows of set k: 0 train, 1 held out at the training lengths, 1 + i bin i
    held: np.ndarray  # rows of every held-out set
    longer: np.ndarray  # rows of the longer bins
    majority: int  # most frequent training label
    rng: np.random.Generator  # drew the training rows; draws the projection's points, site by site


def _draw_seed(setup: _Setup, seed: int, first: bool) -> _Seed:
    """The words of one seed, their labels per row and which set each row is in."""
    cfg, labeler = setup.config, setup.labeler
    words = sample_probe_words(
        labeler.dfa, n_train=cfg.n_train, n_test=cfg.n_test, train_lengths=cfg.train_lengths,
        test_bins=cfg.test_bins, seed=seed, source=cfg.source,
    )
    mask = np.arange(words.indices.shape[1] + 1)[None, :] <= words.lengths[:, None]  # (B, Lmax+1)
    y = labeler.labels(words.indices, words.lengths)[mask]  # (N,)
    sequence = np.repeat(np.arange(len(words.lengths)), words.lengths + 1)  # (N,)
    row_set = words.split[sequence]  # (N,)
    train_rows = np.flatnonzero(row_set == 0)
    rng = np.random.default_rng([seed, 0x7A])
    if train_rows.size > cfg.max_train_positions:
        train_rows = np.sort(rng.choice(train_rows, cfg.max_train_positions, replace=False))
    set_rows = tuple(np.flatnonzero(row_set == k) for k in range(2 + len(cfg.test_bins)))
    window, y_control = _control_labels(labeler, words, mask, seed) if cfg.controls else (None, None)
    return _Seed(
        seed=seed,
        first=first,
        words=words,
        y=y,
        y_control=y_control,
        window=window,
        position=np.concatenate([np.arange(L + 1) for L in words.lengths]),
        train_rows=train_rows,
        set_rows=set_rows,
        held=np.flatnonzero(row_set >= 1),
        longer=np.flatnonzero(row_set >= 2),
        majority=int(np.bincount(y[set_rows[0]], minlength=labeler.n_classes).argmax()),
        rng=rng,
    )


def _control_labels(labeler: Labeler, words: ProbeWords, mask: np.ndarray, seed: int) -> tuple[int, np.ndarray]:
    """The control task drawn on the training words: its window and ``(N,)`` labels of every row."""
    train = words.words(0)
    labels = labeler.labels(words.indices[train], words.lengths[train])
    task = make_control(
        words.indices[train], words.lengths[train], labels,
        n_letters=len(labeler.alphabet), n_classes=labeler.n_classes, seed=seed,
    )
    return task.window, task.labels(words.indices, words.lengths)[mask]


def _untrained(setup: _Setup, seed: int) -> Any:
    """The same architecture with fresh weights from ``seed``, on the trained model's device."""
    untrained = build_model(setup.model_config, seed=seed)
    untrained.eval()
    try:
        untrained.to(next(setup.model.parameters()).device)
    except StopIteration:  # pragma: no cover - parameterless model
        pass
    return untrained


# ------------------------------------------------------------------- sites
@dataclass
class _Acc:
    """Per-site numbers gathered across seeds (internal, mutable); lists are per set, per seed."""

    n_sets: int
    n_classes: int
    n_features: int = 0
    n_probe_features: int = 0
    train_acc: list[float] = field(default_factory=list)
    projection: Projection | None = None

    def __post_init__(self) -> None:
        def per_set() -> list[list[float]]:
            return [[] for _ in range(self.n_sets)]

        self.acc = per_set()
        self.majority = per_set()
        self.untrained = per_set()
        self.control = per_set()
        self.mlp = per_set()
        self.n_words = per_set()
        self.n_positions = per_set()
        c = self.n_classes
        self.confusion = np.zeros((c, c), dtype=np.int64)
        self.confusion_longer = np.zeros((c, c), dtype=np.int64)
        self.correct_by_t = np.zeros(0, dtype=np.int64)
        self.count_by_t = np.zeros(0, dtype=np.int64)

    def add_by_length(self, position: np.ndarray, correct: np.ndarray) -> None:
        n = int(position.max(initial=-1)) + 1
        if n > self.count_by_t.size:
            self.correct_by_t = np.pad(self.correct_by_t, (0, n - self.correct_by_t.size))
            self.count_by_t = np.pad(self.count_by_t, (0, n - self.count_by_t.size))
        self.correct_by_t[:n] += np.bincount(position, weights=correct, minlength=n).astype(np.int64)
        self.count_by_t[:n] += np.bincount(position, minlength=n)


def _probe(setup: _Setup) -> ProbeReport:
    """Every seed, every run, every site; then the report."""
    cfg = setup.config
    n_sets = 2 + len(cfg.test_bins)
    accs = {s: _Acc(n_sets=n_sets, n_classes=setup.labeler.n_classes) for s in setup.sites}
    window: int | None = None
    for i, seed in enumerate(cfg.seeds):
        data = _draw_seed(setup, seed, first=i == 0)
        window = data.window
        runs: list[tuple[str, Any]] = [("trained", setup.model)]
        if cfg.controls:
            runs.append(("untrained", _untrained(setup, seed)))
        for kind, model in runs:
            for group in _site_groups(setup.sites, setup.widths, int(data.y.shape[0]), cfg.memory_budget_mb << 20):
                acts = collect_from_indices(model, data.words.indices, data.words.lengths, sites=group,
                                            batch_size=cfg.batch_size)
                for site in group:
                    _probe_site(site, acts.features[site], kind, data, cfg, accs[site])
                del acts  # before the next group's activations are collected
    return _assemble(setup, accs, window)


def _site_groups(sites: Sequence[str], widths: Mapping[str, int], n_rows: int, budget_bytes: int) -> list[list[str]]:
    """Sites batched so one group's float32 activations fit in ``budget_bytes``."""
    groups: list[list[str]] = []
    used = 0
    for s in sites:
        need = 4 * n_rows * widths[s]
        if groups and used + need <= budget_bytes:
            groups[-1].append(s)
            used += need
        else:
            groups.append([s])
            used = need
    return groups


def _probe_site(site: str, X: np.ndarray, kind: str, data: _Seed, cfg: ProbeConfig, acc: _Acc) -> None:
    """Fit the probes on one site's ``(N, F)`` activations and add their scores to ``acc``."""
    rows, y = data.train_rows, data.y
    reducer = Reducer(X[rows], cfg.max_features, np.random.default_rng([data.seed, 0xDC]))
    Xr = reducer(X)  # (N, F') float32
    probe = LinearProbe(C=cfg.C, max_iter=cfg.max_iter, random_state=data.seed).fit(Xr[rows], y[rows])
    if kind == "untrained":
        _add_held_out(probe, Xr, y, data, acc.untrained)
        return
    acc.n_features, acc.n_probe_features = X.shape[1], reducer.width
    pred = _score_probe(probe, Xr, data, acc)
    _add_confusions(pred, data, acc)
    if data.y_control is not None:
        control = LinearProbe(C=cfg.C, max_iter=cfg.max_iter, random_state=data.seed)
        control.fit(Xr[rows], data.y_control[rows])
        _add_held_out(control, Xr, data.y_control, data, acc.control)
    if cfg.mlp:
        mlp = MLPProbe(random_state=data.seed).fit(Xr[rows], y[rows])
        _add_held_out(mlp, Xr, y, data, acc.mlp)
    if data.first and data.set_rows[1].size:
        acc.projection = _projection(site, Xr, data)


def _add_held_out(estimator: Any, Xr: np.ndarray, y: np.ndarray, data: _Seed, into: list[list[float]]) -> None:
    """Accuracy of ``estimator`` against ``y`` on each held-out set, appended to ``into[k]``."""
    for k in range(1, len(data.set_rows)):
        r = data.set_rows[k]
        into[k].append(float((estimator.predict(Xr[r]) == y[r]).mean()))


def _score_probe(probe: LinearProbe, Xr: np.ndarray, data: _Seed, acc: _Acc) -> np.ndarray:
    """The trained model's probe: training and held-out accuracy, the majority baseline,
    accuracy by length; returns ``(N,)`` predictions (``-1`` on training rows)."""
    y, rows = data.y, data.train_rows
    acc.train_acc.append(float((probe.predict(Xr[rows]) == y[rows]).mean()))
    pred_held = probe.predict(Xr[data.held])
    pred = np.full(y.shape[0], -1, dtype=np.int64)  # (N,)
    pred[data.held] = pred_held
    for k in range(1, len(data.set_rows)):
        r = data.set_rows[k]
        acc.n_words[k].append(int((data.words.split == k).sum()))
        acc.n_positions[k].append(int(r.size))
        acc.acc[k].append(float((pred[r] == y[r]).mean()))
        acc.majority[k].append(float((y[r] == data.majority).mean()))
    acc.add_by_length(data.position[data.held], (pred_held == y[data.held]).astype(np.int64))
    return pred


def _add_confusions(pred: np.ndarray, data: _Seed, acc: _Acc) -> None:
    """True x predicted counts at the training lengths and over the longer bins."""
    acc.confusion += _confusion(data.y, pred, data.set_rows[1], acc.n_classes)
    if data.longer.size:
        acc.confusion_longer += _confusion(data.y, pred, data.longer, acc.n_classes)


def _confusion(y: np.ndarray, pred: np.ndarray, rows: np.ndarray, n: int) -> np.ndarray:
    """``(n, n)`` counts of true class ``i`` predicted ``j`` over ``rows``."""
    return np.bincount(y[rows] * n + pred[rows], minlength=n**2).reshape(n, n)


def _projection(site: str, Xr: np.ndarray, data: _Seed) -> Projection:
    """The 2-D PCA of (at most 2000 of) the held-out rows at the training lengths."""
    r1 = data.set_rows[1]
    pick = r1 if r1.size <= _PROJECTION_POINTS else np.sort(data.rng.choice(r1, _PROJECTION_POINTS, replace=False))
    pts, ratios = project2(Xr[pick].astype(np.float64))
    return Projection(
        site=site,
        points=tuple((float(p[0]), float(p[1])) for p in pts),
        labels=tuple(int(v) for v in data.y[pick]),
        explained_variance=ratios,
    )


# ------------------------------------------------------------------ report
def _assemble(setup: _Setup, accs: Mapping[str, _Acc], window: int | None) -> ProbeReport:
    """The report: one :class:`SiteReport` per site, the projection of ``pca_site`` or the best site."""
    cfg = setup.config
    bins_spec = [(cfg.train_lengths, True)] + [(b, False) for b in cfg.test_bins]
    report = ProbeReport(
        model=_describe(setup.model, setup.model_config),
        checkpoint=setup.checkpoint,
        language=setup.language,
        dfa=setup.dfa_name,
        target=cfg.target,
        class_names=setup.labeler.class_names,
        seeds=cfg.seeds,
        n_train=cfg.n_train,
        n_test=cfg.n_test,
        train_lengths=cfg.train_lengths,
        test_bins=cfg.test_bins,
        source=cfg.source,
        controls=cfg.controls,
        mlp=cfg.mlp,
        control_window=window,
        max_features=cfg.max_features,
        sites=tuple(_site_report(site, accs[site], bins_spec, cfg) for site in setup.sites),
    )
    return replace(report, projection=accs[cfg.pca_site or report.best_site.site].projection)


def _site_report(site: str, a: _Acc, bins_spec: list[tuple[Any, bool]], cfg: ProbeConfig) -> SiteReport:
    by_t = tuple((float(c) / float(n)) if n else None for c, n in zip(a.correct_by_t, a.count_by_t))
    return SiteReport(
        site=site,
        n_features=a.n_features,
        n_probe_features=a.n_probe_features,
        bins=tuple(_bin_scores(a, k, *bins_spec[k - 1], cfg) for k in range(1, a.n_sets)),
        train_accuracy=Score(values=tuple(a.train_acc)),
        confusion=tuple(tuple(int(v) for v in row) for row in a.confusion),
        confusion_longer=tuple(tuple(int(v) for v in row) for row in a.confusion_longer),
        accuracy_by_length=by_t,
        positions_by_length=tuple(int(n) for n in a.count_by_t),
    )


def _bin_scores(a: _Acc, k: int, lengths: tuple[int, int], at_train: bool, cfg: ProbeConfig) -> BinScores:
    """Scores of held-out set ``k`` (1: the training lengths, ``1 + i``: test bin ``i``)."""
    selectivity = [acc - ctl for acc, ctl in zip(a.acc[k], a.control[k])] if cfg.controls else None
    return BinScores(
        lengths=tuple(lengths),
        at_train_lengths=at_train,
        n_words=tuple(a.n_words[k]),
        n_positions=tuple(a.n_positions[k]),
        accuracy=Score(values=tuple(a.acc[k])),
        majority=Score(values=tuple(a.majority[k])),
        untrained=_score_or_none(a.untrained[k] if cfg.controls else None),
        control=_score_or_none(a.control[k] if cfg.controls else None),
        selectivity=_score_or_none(selectivity),
        mlp=_score_or_none(a.mlp[k] if cfg.mlp else None),
    )


def _score_or_none(values: list[float] | None) -> Score | None:
    return Score(values=tuple(values)) if values else None


def _describe(model: Any, config: Any) -> str:
    """The model in a few words (:meth:`ModelConfig.describe`; the class name without a config)."""
    if config is None:
        return type(model).__name__
    describe = getattr(config, "describe", None)  # a test model may carry a plain namespace
    return describe() if describe else f"{config.arch} d_model={config.d_model} n_layers={config.n_layers}"
