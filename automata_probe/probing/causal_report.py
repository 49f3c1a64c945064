"""The result of :func:`~automata_probe.probing.intervene`: causal scores per site and mode, with the probe beside them.

:class:`InterventionReport` holds one :class:`CausalScore` per (model, length
bin, site, mode) plus the ceiling (the whole state of v swapped in) and the
floor (no patch) per (model, bin); :class:`SiteProbe` the probe's accuracy at
the same positions; :class:`Heatmap` interchange accuracy by site and prefix
length; :class:`FreeRunCurve` free-running acceptance by distance from the
patch. It prints as tables (:meth:`InterventionReport.table`), summarizes
itself in a few lines (:meth:`InterventionReport.summary`) and round-trips
through JSON.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ..errors import DataError
from .report import Score

__all__ = ["MODES", "CausalScore", "SiteProbe", "Heatmap", "FreeRunCurve", "InterventionReport"]

#: Intervention modes: the ceiling, the floor, then the patches at a site.
MODES = ("full", "none", "site", "probe", "random", "das", "steer")

_MODE_HELP = {
    "full": "ceiling: the whole recurrent state after u replaced by v's",
    "none": "floor: no patch",
    "site": "the whole site",
    "probe": "the linear probe's row space",
    "random": "a random subspace of the probe's dimension",
    "das": "a subspace of that dimension learned by DAS",
    "steer": "the smallest shift making the probe say v's class (p >= 0.9)",
}


def score_or_none(values: Sequence[float]) -> Score | None:
    """A :class:`Score` of the finite values (None when there is none)."""
    vals = [v for v in values if v is not None and math.isfinite(v)]
    return Score(values=tuple(vals)) if vals else None


def _fmt(s: Score | None, one: bool) -> str:
    if s is None:
        return "n/a"
    return f"{s.mean:.3f}" if one else f"{s.mean:.3f}±{s.std:.3f}"


@dataclass(frozen=True, kw_only=True)
class CausalScore:
    """Scores of one intervention over held-out triples, one value per seed.

    Attributes
    ----------
    kind
        ``"trained"`` or ``"untrained"``.
    bin
        Index into :attr:`InterventionReport.bins` (0: the training lengths).
    site
        The patched site (``""`` for the ceiling and the floor).
    mode
        One of :data:`MODES`.
    interchange
        Interchange accuracy: the patched run's outputs along w equal the
        model's own on v·w (strict), over the triples the model itself tells
        apart (None when it tells none apart).
    dfa
        DFA agreement: the outputs along w equal the automaton's from ``q_v``
        (from some state of v's class for a coarser target), over all triples.
    n, n_informative
        Triples per seed, and how many of them the model tells apart.
    """

    kind: str
    bin: int
    site: str
    mode: str
    interchange: Score | None
    dfa: Score
    n: tuple[int, ...]
    n_informative: tuple[int, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "bin": self.bin, "site": self.site, "mode": self.mode,
                "interchange": None if self.interchange is None else self.interchange.to_dict(),
                "dfa": self.dfa.to_dict(), "n": list(self.n), "n_informative": list(self.n_informative)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "CausalScore":
        return cls(kind=d["kind"], bin=int(d["bin"]), site=d["site"], mode=d["mode"],
                   interchange=_score_from(d["interchange"]), dfa=_score_from(d["dfa"]),
                   n=tuple(d["n"]), n_informative=tuple(d["n_informative"]))


def _score_from(d: dict[str, Any] | None) -> Score | None:
    return None if d is None else score_or_none([float("nan") if v is None else v for v in d["values"]])


@dataclass(frozen=True, kw_only=True)
class SiteProbe:
    """The linear probe at a site, fitted at the intervention positions (the prefixes' last positions).

    Attributes
    ----------
    kind, site
        The model and the site.
    n_features
        Width of the site.
    k
        Per seed, the dimension of the probe's row space (the subspace the
        probe and random modes patch, and DAS's unless ``das_k`` is set).
    accuracy
        Held-out accuracy per bin (the test triples' prefixes u and v).
    """

    kind: str
    site: str
    n_features: int
    k: tuple[int, ...]
    accuracy: tuple[Score | None, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "site": self.site, "n_features": self.n_features, "k": list(self.k),
                "accuracy": [None if a is None else a.to_dict() for a in self.accuracy]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "SiteProbe":
        return cls(kind=d["kind"], site=d["site"], n_features=int(d["n_features"]),
                   k=(int(d["k"]),) if isinstance(d["k"], int) else tuple(int(x) for x in d["k"]),
                   accuracy=tuple(_score_from(a) for a in d["accuracy"]))


@dataclass(frozen=True, kw_only=True)
class Heatmap:
    """Interchange accuracy of one (model, mode) by site and by prefix length |u| (all bins and seeds pooled).

    Attributes
    ----------
    kind, mode
        The model and the mode.
    sites
        Row labels.
    length_edges
        Bucket edges: bucket ``j`` holds ``length_edges[j] <= |u| < length_edges[j + 1]``.
    correct, count
        ``[site][bucket]`` informative triples patched successfully, and all informative triples.
    """

    kind: str
    mode: str
    sites: tuple[str, ...]
    length_edges: tuple[int, ...]
    correct: tuple[tuple[int, ...], ...]
    count: tuple[tuple[int, ...], ...]

    @property
    def values(self) -> np.ndarray:
        """``(sites, buckets)`` accuracy, NaN where a bucket is empty."""
        c, n = np.asarray(self.correct, float), np.asarray(self.count, float)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(n > 0, c / np.maximum(n, 1), np.nan)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "mode": self.mode, "sites": list(self.sites),
                "length_edges": list(self.length_edges), "correct": [list(r) for r in self.correct],
                "count": [list(r) for r in self.count]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Heatmap":
        return cls(kind=d["kind"], mode=d["mode"], sites=tuple(d["sites"]), length_edges=tuple(d["length_edges"]),
                   correct=tuple(tuple(r) for r in d["correct"]), count=tuple(tuple(r) for r in d["count"]))


@dataclass(frozen=True, kw_only=True)
class FreeRunCurve:
    """Free-running continuations after one intervention: fractions by distance ``d = 1..D`` from the patch.

    Attributes
    ----------
    kind, site, mode
        The model, the patched site (``""`` for the ceiling and the floor) and the mode.
    greedy
        Letters chosen greedily (else sampled from the model's next-set).
    accepted
        ``[d - 1]``: the automaton from ``q_v`` accepts the model's first ``d`` letters.
    agree
        ``[d - 1]``: the model's outputs along its first ``d`` letters all match the automaton from ``q_v``.
    n
        Runs (triples x seeds).
    """

    kind: str
    site: str
    mode: str
    greedy: bool
    accepted: tuple[float, ...]
    agree: tuple[float, ...]
    n: int

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "site": self.site, "mode": self.mode, "greedy": self.greedy,
                "accepted": list(self.accepted), "agree": list(self.agree), "n": self.n}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "FreeRunCurve":
        return cls(kind=d["kind"], site=d["site"], mode=d["mode"], greedy=bool(d["greedy"]),
                   accepted=tuple(d["accepted"]), agree=tuple(d["agree"]), n=int(d["n"]))


@dataclass(frozen=True, kw_only=True)
class InterventionReport:
    """The result of :func:`~automata_probe.probing.intervene`.

    Attributes
    ----------
    model, checkpoint, language, dfa
        What was intervened on (as in :class:`~automata_probe.probing.ProbeReport`).
    target, class_names
        The target (``state``, ``partition:...``, ``quotient:...``) and its classes.
    task
        The model's task (what its outputs mean).
    seeds
        One repetition per seed (fresh triples, untrained weights, probes, DAS, random subspaces).
    n_train, n_test
        Triples for fitting probes and DAS, and per held-out bin.
    train_lengths, test_bins, w_lengths
        Prefix lengths (training, then longer bins) and continuation lengths.
    source
        Word source of the prefixes.
    modes, sites, kinds
        What was run (``kinds``: ``("trained", "untrained")`` with controls).
    recurrent
        The model has a recurrent state (else there is no ``full`` ceiling).
    scores, probes, heatmaps, free_runs
        The measurements.
    """

    model: str
    checkpoint: str
    language: str
    dfa: str
    target: str
    class_names: tuple[str, ...]
    task: str
    seeds: tuple[int, ...]
    n_train: int
    n_test: int
    train_lengths: tuple[int, int]
    test_bins: tuple[tuple[int, int], ...]
    w_lengths: tuple[int, int]
    source: str
    modes: tuple[str, ...]
    sites: tuple[str, ...]
    kinds: tuple[str, ...]
    recurrent: bool
    scores: tuple[CausalScore, ...]
    probes: tuple[SiteProbe, ...]
    heatmaps: tuple[Heatmap, ...] = ()
    free_runs: tuple[FreeRunCurve, ...] = ()

    def __post_init__(self) -> None:
        if not self.sites:
            raise DataError("an intervention report needs at least one site")

    @property
    def bins(self) -> tuple[tuple[int, int], ...]:
        """The length bins of the prefixes: the training lengths, then the longer bins."""
        return (tuple(self.train_lengths),) + tuple(tuple(b) for b in self.test_bins)

    def score(self, kind: str, bin: int, site: str, mode: str) -> CausalScore | None:
        """The score of one intervention (site ``""`` for ``full`` and ``none``), or None."""
        for s in self.scores:
            if (s.kind, s.bin, s.site, s.mode) == (kind, bin, site, mode):
                return s
        return None

    def probe(self, kind: str, site: str) -> SiteProbe | None:
        for p in self.probes:
            if (p.kind, p.site) == (kind, site):
                return p
        return None

    def causal_sites(self, kind: str = "trained", bin: int = 0, mode: str = "site", tol: float = 0.02) -> tuple[str, ...]:
        """The sites whose ``mode`` patch gives the highest DFA agreement (within ``tol`` of the best), in site
        order; empty when none is above the floor by more than ``tol``."""
        floor = self.score(kind, bin, "", "none")
        values = {}
        for site in self.sites:
            s = self.score(kind, bin, site, mode)
            if s is not None:
                values[site] = s.dfa.mean
        if not values:
            return ()
        best = max(values.values())
        if floor is not None and best <= floor.dfa.mean + tol:
            return ()
        return tuple(site for site, v in values.items() if v >= best - tol)

    def table(self, kind: str | None = None, bin: int | None = None) -> str:
        """Per model and bin: the ceiling and the floor, then one row per site with the probe's accuracy,
        interchange accuracy and DFA agreement per mode (mean±std over seeds)."""
        blocks = []
        for k in self.kinds if kind is None else (kind,):
            for b in range(len(self.bins)) if bin is None else (bin,):
                blocks.append(self._block(k, b))
        return "\n\n".join(blocks)

    def _block(self, kind: str, b: int) -> str:
        one = len(self.seeds) == 1
        lo, hi = self.bins[b]
        where = "training lengths" if b == 0 else "longer"
        lines = [f"{kind} model, prefixes of length {lo}-{hi} ({where}); {self.n_test} triples x "
                 f"{len(self.seeds)} seed(s); iia = interchange accuracy, dfa = DFA agreement"]
        for mode in ("full", "none"):
            s = self.score(kind, b, "", mode)
            label = "ceiling (whole state of v)" if mode == "full" else "floor (no patch)         "
            if s is None:
                lines.append(f"  {label}: n/a (no recurrent state)" if mode == "full" else f"  {label}: n/a")
            else:
                lines.append(f"  {label}: iia {_fmt(s.interchange, one)}  dfa {_fmt(s.dfa, one)}  "
                             f"(informative triples {sum(s.n_informative)}/{sum(s.n)})")
        modes = [m for m in self.modes if m not in ("full", "none")]
        header = ["site", "k", "probe"] + [f"iia:{m}" for m in modes] + [f"dfa:{m}" for m in modes]
        rows = [header]
        for site in self.sites:
            p = self.probe(kind, site)
            ks = f"{min(p.k)}" if p and min(p.k) == max(p.k) else (f"{min(p.k)}-{max(p.k)}" if p else "-")
            row = [site, ks, _fmt(p.accuracy[b], one) if p else "n/a"]
            cells = [self.score(kind, b, site, m) for m in modes]
            row += [_fmt(c.interchange, one) if c else "n/a" for c in cells]
            row += [_fmt(c.dfa, one) if c else "n/a" for c in cells]
            rows.append(row)
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        for j, r in enumerate(rows):
            lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
            if j == 0:
                lines.append("  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def columns(self, sites: Sequence[str] | None = None, bin: int = 0) -> str:
        """Causal columns to print beside a probe table: one row per site (``sites``, default all), at ``bin``.

        ``dfa:MODE`` is DFA agreement of the trained model, ``iia:MODE`` its
        interchange accuracy, ``untr dfa:site`` the untrained model's DFA
        agreement; the first line gives the ceiling and the floor.
        """
        one = len(self.seeds) == 1
        modes = [m for m in self.modes if m not in ("full", "none")]
        lo, hi = self.bins[bin]
        refs = []
        for kind in self.kinds:
            c, f = self.score(kind, bin, "", "full"), self.score(kind, bin, "", "none")
            refs.append(f"{kind}: ceiling {_fmt(c.dfa, one) if c else 'n/a'}, floor {_fmt(f.dfa, one) if f else 'n/a'}")
        header = ["site"] + [f"dfa:{m}" for m in modes] + [f"iia:{m}" for m in modes]
        if "untrained" in self.kinds:
            header.append("untr dfa:site")
        rows = [header]
        for site in sites or self.sites:
            cells = [self.score("trained", bin, site, m) for m in modes]
            row = [site] + [_fmt(c.dfa, one) if c else "n/a" for c in cells]
            row += [_fmt(c.interchange, one) if c else "n/a" for c in cells]
            if "untrained" in self.kinds:
                u = self.score("untrained", bin, site, "site")
                row.append(_fmt(u.dfa, one) if u else "n/a")
            rows.append(row)
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        lines = [f"causal columns: interchange interventions at the last position of prefixes of length {lo}-{hi} "
                 f"({'; '.join(refs)})"]
        for j, r in enumerate(rows):
            lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
            if j == 0:
                lines.append("  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def summary(self) -> str:
        """A few lines: where the state lives causally in each model, against the ceiling, the floor and the probe."""
        lines = []
        what = "the state" if self.target == "state" else f"the {self.target} class"
        for kind in self.kinds:
            for b in range(len(self.bins)):
                lo, hi = self.bins[b]
                sites = self.causal_sites(kind, b)
                floor = self.score(kind, b, "", "none")
                ceiling = self.score(kind, b, "", "full")
                ref = (f"ceiling {ceiling.dfa.mean:.3f}, " if ceiling else "") + \
                    (f"floor {floor.dfa.mean:.3f}" if floor else "")
                if not sites:
                    lines.append(f"{kind}, lengths {lo}-{hi}: no single site carries {what} causally "
                                 f"(DFA agreement of every site patch at the floor; {ref})")
                    continue
                parts = []
                for site in sites:
                    s = self.score(kind, b, site, "site")
                    p = self.probe(kind, site)
                    probe = f", probe {p.accuracy[b].mean:.3f}" if p and p.accuracy[b] else ""
                    parts.append(f"{site} (DFA agreement {s.dfa.mean:.3f}{probe})")
                best = self.score(kind, b, sites[0], "site").dfa.mean
                top = ceiling.dfa.mean if ceiling is not None else 1.0
                if best >= top - 0.05:
                    lines.append(f"{kind}, lengths {lo}-{hi}: {what} lives causally at {' and '.join(parts)}; {ref}")
                else:
                    lines.append(f"{kind}, lengths {lo}-{hi}: no single site carries all of {what} (it is spread "
                                 f"over several); the most is carried at {' and '.join(parts)}; {ref}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (NaN becomes None)."""
        return {
            "model": self.model, "checkpoint": self.checkpoint, "language": self.language, "dfa": self.dfa,
            "target": self.target, "class_names": list(self.class_names), "task": self.task,
            "seeds": list(self.seeds), "n_train": self.n_train, "n_test": self.n_test,
            "train_lengths": list(self.train_lengths), "test_bins": [list(b) for b in self.test_bins],
            "w_lengths": list(self.w_lengths), "source": self.source, "modes": list(self.modes),
            "mode_help": {m: _MODE_HELP[m] for m in self.modes}, "sites": list(self.sites),
            "kinds": list(self.kinds), "recurrent": self.recurrent,
            "scores": [s.to_dict() for s in self.scores], "probes": [p.to_dict() for p in self.probes],
            "heatmaps": [h.to_dict() for h in self.heatmaps], "free_runs": [f.to_dict() for f in self.free_runs],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "InterventionReport":
        return cls(
            model=d["model"], checkpoint=d["checkpoint"], language=d["language"], dfa=d["dfa"],
            target=d["target"], class_names=tuple(d["class_names"]), task=d["task"], seeds=tuple(d["seeds"]),
            n_train=int(d["n_train"]), n_test=int(d["n_test"]), train_lengths=tuple(d["train_lengths"]),
            test_bins=tuple(tuple(b) for b in d["test_bins"]), w_lengths=tuple(d["w_lengths"]),
            source=d["source"], modes=tuple(d["modes"]), sites=tuple(d["sites"]), kinds=tuple(d["kinds"]),
            recurrent=bool(d["recurrent"]), scores=tuple(CausalScore.from_dict(s) for s in d["scores"]),
            probes=tuple(SiteProbe.from_dict(p) for p in d["probes"]),
            heatmaps=tuple(Heatmap.from_dict(h) for h in d["heatmaps"]),
            free_runs=tuple(FreeRunCurve.from_dict(f) for f in d["free_runs"]),
        )

    def to_json(self, path: str | os.PathLike[str] | None = None, *, indent: int | None = 1) -> str:
        """The report as JSON text; also written (atomically) to ``path`` when given."""
        text = json.dumps(self.to_dict(), indent=indent)
        if path is not None:
            tmp = f"{path}.tmp{os.getpid()}"
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(text + "\n")
            os.replace(tmp, path)
        return text
