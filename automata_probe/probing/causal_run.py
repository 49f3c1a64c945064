"""One model's share of :func:`~.causal.intervene`: every site and mode on one seed's triples, and the tallies.

:func:`run_kind` prepares the triples, records the ceiling and the floor, and
per site fits the probe, builds the subspaces (probe, random, DAS) and the
steering shifts, runs each mode on each held-out bin, and lets the patched
model run free. :class:`Accumulator` gathers the numbers over seeds and
models and turns them into an :class:`~.causal_report.InterventionReport`.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch import Tensor

from ..models import RecurrentState
from .causal_report import CausalScore, FreeRunCurve, Heatmap, InterventionReport, SiteProbe, score_or_none
from .das import fit_das
from .interventions import (
    Prepared,
    free_run,
    full_swap_codes,
    patched_codes,
    patched_start,
    prepare,
    scores,
    shift_patch,
    site_patch,
    subspace_patch,
)
from .subspaces import ProbeMap, fit_probe_map, random_subspace, row_space, steer
from .triples import Triples

__all__ = ["Accumulator", "run_kind"]

log = logging.getLogger(__name__)


class Accumulator:
    """Numbers gathered over seeds and models (internal, mutable)."""

    def __init__(self, *, sites: Sequence[str], bins: Sequence[tuple[int, int]], buckets: int):
        self.sites = tuple(sites)
        lo = min(b[0] for b in bins)
        hi = max(b[1] for b in bins)
        self.edges = tuple(int(x) for x in np.unique(np.linspace(lo, hi + 1, buckets + 1).round().astype(int)))
        self.cells: dict[tuple, list[tuple[float, float, int, int]]] = defaultdict(list)
        self.probe_acc: dict[tuple, list[float]] = defaultdict(list)
        self.probe_shape: dict[tuple, tuple[int, list[int]]] = {}
        self.heat_correct: dict[tuple, np.ndarray] = {}
        self.heat_count: dict[tuple, np.ndarray] = {}
        self.free: dict[tuple, list[tuple[np.ndarray, np.ndarray]]] = defaultdict(list)

    @staticmethod
    def merge(accs: Sequence["Accumulator"]) -> "Accumulator":
        """One accumulator holding the others' numbers, in their order."""
        out = accs[0]
        for other in accs[1:]:
            for key, vals in other.cells.items():
                out.cells[key].extend(vals)
            for key, vals in other.probe_acc.items():
                out.probe_acc[key].extend(vals)
            for key, (width, ks) in other.probe_shape.items():
                out.probe_shape.setdefault(key, (width, []))[1].extend(ks)
            for key, count in other.heat_count.items():
                if key in out.heat_count:
                    out.heat_count[key] += count
                    out.heat_correct[key] += other.heat_correct[key]
                else:
                    out.heat_count[key], out.heat_correct[key] = count, other.heat_correct[key]
            for key, vals in other.free.items():
                out.free[key].extend(vals)
        return out

    def add(self, kind: str, b: int, site: str, mode: str, prep: Prepared, codes: np.ndarray) -> None:
        inter, dfa = scores(prep, codes)
        inf = prep.informative
        iia = float(inter[inf].mean()) if inf.any() else float("nan")
        self.cells[(kind, b, site, mode)].append((iia, float(dfa.mean()), prep.triples.n, int(inf.sum())))
        if site:
            key = (kind, mode)
            if key not in self.heat_count:
                shape = (len(self.sites), len(self.edges) - 1)
                self.heat_correct[key], self.heat_count[key] = np.zeros(shape, int), np.zeros(shape, int)
            bucket = np.clip(np.searchsorted(self.edges, prep.triples.u_len, side="right") - 1, 0, len(self.edges) - 2)
            row = self.sites.index(site)
            np.add.at(self.heat_count[key][row], bucket[inf], 1)
            np.add.at(self.heat_correct[key][row], bucket[inf & inter], 1)

    def report(self, setup: Any, kinds: Sequence[str]) -> InterventionReport:
        cfg = setup.config
        scores_ = []
        for (kind, b, site, mode), vals in self.cells.items():
            iia, dfa, n, n_inf = zip(*vals)
            scores_.append(CausalScore(kind=kind, bin=b, site=site, mode=mode, interchange=score_or_none(iia),
                                       dfa=score_or_none(dfa), n=tuple(n), n_informative=tuple(n_inf)))
        n_bins = 1 + len(cfg.test_bins)
        probes = [SiteProbe(kind=k, site=s, n_features=self.probe_shape[(k, s)][0],
                            k=tuple(self.probe_shape[(k, s)][1]),
                            accuracy=tuple(score_or_none(self.probe_acc[(k, s, b)]) for b in range(n_bins)))
                  for k in kinds for s in setup.sites if (k, s) in self.probe_shape]
        heat = [Heatmap(kind=k, mode=m, sites=self.sites, length_edges=self.edges,
                        correct=tuple(map(tuple, self.heat_correct[(k, m)].tolist())),
                        count=tuple(map(tuple, self.heat_count[(k, m)].tolist())))
                for (k, m) in self.heat_count]
        free = []
        for (kind, site, mode, greedy), runs in self.free.items():
            accepted = np.concatenate([a for a, _ in runs])
            agree = np.concatenate([g for _, g in runs])
            free.append(FreeRunCurve(kind=kind, site=site, mode=mode, greedy=greedy,
                                     accepted=tuple(float(x) for x in accepted.mean(0)),
                                     agree=tuple(float(x) for x in agree.mean(0)), n=int(accepted.shape[0])))
        lab = setup.labeler
        return InterventionReport(
            model=_describe(setup.model_config, setup.model), checkpoint=setup.checkpoint, language=setup.language,
            dfa=setup.dfa_name, target=cfg.target, class_names=lab.class_names, task=setup.task, seeds=cfg.seeds,
            n_train=cfg.n_train, n_test=cfg.n_test, train_lengths=tuple(cfg.train_lengths),
            test_bins=tuple(cfg.test_bins), w_lengths=tuple(cfg.w_lengths), source=cfg.source, modes=setup.modes,
            sites=setup.sites, kinds=tuple(kinds), recurrent=bool(setup.model.is_recurrent),
            scores=tuple(sorted(scores_, key=lambda s: (s.kind != "trained", s.bin, s.site, s.mode))),
            probes=tuple(probes), heatmaps=tuple(heat), free_runs=tuple(free),
        )


def _describe(config: Any, model: Any) -> str:
    """The model in a few words (:meth:`ModelConfig.describe`; the class name without a config)."""
    if config is None:
        return type(model).__name__
    describe = getattr(config, "describe", None)  # a test model may carry a plain namespace
    return describe() if describe else f"{config.arch} d_model={config.d_model} n_layers={config.n_layers}"


def run_kind(model: Any, kind: str, seed: int, train: Triples, tests: Sequence[Triples], setup: Any,
             acc: Accumulator, tick: Callable[[str], None] | None = None) -> None:
    """Every site and mode of one model on one seed's triples, added to ``acc`` (``tick`` reports progress)."""
    cfg, lab = setup.config, setup.labeler
    ptrain = prepare(model, train, lab, setup.task)
    ptests = [prepare(model, t, lab, setup.task) for t in tests]
    for b, p in enumerate(ptests):
        acc.add(kind, b, "", "none", p, p.own_uw)
        if "full" in setup.modes:
            acc.add(kind, b, "", "full", p, full_swap_codes(model, p))
    free_starts: list[tuple[str, str, Tensor, Any]] = []
    rows = np.arange(min(cfg.free_n, ptests[0].triples.n))
    do_free = cfg.free_run > 0 and setup.task == "next" and ptests[0].recurrent and rows.size > 0
    if do_free:
        with torch.no_grad():
            free_starts.append(("", "none", *patched_start(model, ptests[0], None, None, rows)))
            if "full" in setup.modes:
                sel = torch.from_numpy(rows)
                free_starts.append(("", "full", ptests[0].outputs_v[sel], ptests[0].state_v.select(sel)))
    if tick is not None:
        tick(f"seed {seed} {kind}")
    for i, site in enumerate(setup.sites):
        _run_site(model, kind, seed, i, site, ptrain, ptests, setup, acc, free_starts if do_free else None, rows)
        if tick is not None:
            tick(f"seed {seed} {kind} {site}")
    if do_free:
        _free(model, kind, seed, ptests[0], rows, free_starts, setup, acc)


def _labels(prep: Prepared, lab: Any) -> np.ndarray:
    return lab.node_class[np.concatenate([prep.triples.node_u, prep.triples.node_v])]


def _features(prep: Prepared, site: str) -> np.ndarray:
    return torch.cat([prep.sites_u[site], prep.sites_v[site]]).float().cpu().numpy().astype(np.float32)


def _run_site(model: Any, kind: str, seed: int, index: int, site: str, ptrain: Prepared, ptests: Sequence[Prepared],
              setup: Any, acc: Accumulator, free_starts: list | None, free_rows: np.ndarray) -> None:
    """The probe, the subspaces and every mode at one site."""
    cfg, lab = setup.config, setup.labeler
    X, y = _features(ptrain, site), _labels(ptrain, lab)
    pm, _, _ = fit_probe_map(X, y, max_features=cfg.max_features, C=cfg.C, max_iter=cfg.max_iter, seed=seed)
    for b, p in enumerate(ptests):
        acc.probe_acc[(kind, site, b)].append(float((pm.predict(_features(p, site)) == _labels(p, lab)).mean()))
    Q = row_space(pm)
    k = Q.shape[1]
    acc.probe_shape.setdefault((kind, site), (X.shape[1], []))[1].append(k)
    device = ptrain.u_last.device
    bases: dict[str, Tensor] = {}
    if k:
        bases["probe"] = torch.from_numpy(Q).float().to(device)
        rng = np.random.default_rng([seed, index, 0x5A5])
        bases["random"] = torch.from_numpy(random_subspace(X.shape[1], k, rng)).float().to(device)
    if "das" in setup.modes and (k or cfg.das_k):
        das = fit_das(model, ptrain, lab, site, cfg.das_k or k, steps=cfg.das_steps, batch=cfg.das_batch,
                      lr=cfg.das_lr, seed=seed)
        bases["das"] = torch.from_numpy(das).float().to(device)
    for b, p in enumerate(ptests):
        for mode in setup.modes:
            fn = _patch(mode, p, site, bases, pm, lab, cfg.steer_p, None)
            if fn is not None:  # one run per mode: stacking the modes into one batch was slower (cache)
                acc.add(kind, b, site, mode, p, patched_codes(model, p, site, fn))
    if free_starts is not None:
        with torch.no_grad():
            for mode in setup.modes:
                fn = _patch(mode, ptests[0], site, bases, pm, lab, cfg.steer_p, free_rows)
                if fn is not None:
                    free_starts.append((site, mode, *patched_start(model, ptests[0], site, fn, free_rows)))


def _patch(mode: str, prep: Prepared, site: str, bases: dict[str, Tensor], pm: ProbeMap, lab: Any, steer_p: float,
           rows: np.ndarray | None) -> Callable[[Tensor], Tensor] | None:
    """The patch function of ``mode`` at ``site`` for the triples ``rows`` of ``prep`` (None: not applicable)."""
    sel = slice(None) if rows is None else torch.from_numpy(np.asarray(rows))
    value = prep.sites_v[site][sel]
    if mode == "site":
        return site_patch(value)
    if mode in ("probe", "random", "das"):
        return subspace_patch(value, bases[mode]) if mode in bases else None
    if mode == "steer" and pm.A.shape[0] >= 2:
        x_u = prep.sites_u[site][sel].double().cpu().numpy()
        target = lab.node_class[prep.triples.node_v if rows is None else prep.triples.node_v[rows]]
        delta = steer(pm, x_u, target, p=steer_p)
        return shift_patch(torch.from_numpy(delta).to(value.dtype).to(value.device))
    return None


def _free(model: Any, kind: str, seed: int, prep: Prepared, rows: np.ndarray,
          starts: list[tuple[str, str, Tensor, Any]], setup: Any, acc: Accumulator) -> None:
    """All free runs of one model and seed at once (every start's rows stacked), greedy and sampled."""
    logits = torch.cat([s[2] for s in starts])
    state = RecurrentState.cat([s[3] for s in starts])
    q_v = np.tile(setup.labeler.states_of_nodes[prep.triples.node_v[rows]], len(starts))
    n = rows.size
    for greedy in (True, False):
        rng = np.random.default_rng([seed, 0xF7EE, int(greedy)])
        run = free_run(model, setup.labeler, logits, state, q_v, steps=setup.config.free_run, greedy=greedy, rng=rng)
        for j, (site, mode, _, _) in enumerate(starts):
            part = slice(j * n, (j + 1) * n)
            acc.free[(kind, site, mode, greedy)].append((run.accepted[part], run.agree[part]))
