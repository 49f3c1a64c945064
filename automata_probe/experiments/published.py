"""The papers' published figures, as data (read from the releases, never computed).

Sarrof, Veitsman & Hahn (NeurIPS 2024), from their release
(lacoco-lab/ssm_expressivity at 5b87520): every row of the results sheet
(``visualisation/main_expt_results.xlsx``) at 1, 2 and 3 Mamba layers with the
Transformer column (Bhattamishra et al. 2020's figures), the sizes and lengths
of the shipped datasets (``generated_ds/``), the Dyck(8,10) memory sweep
(``visualisation/bdyck/data.csv``) and the flip-flop curves
(``visualisation/flipflop/*.csv``). Merrill, Petty & Sabharwal (ICML 2024)
publish Figure 3 as a plot; its findings are stated here in words.

Strict accuracy (%) throughout: a word counts only if every position is right.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "PUBLISHED_SARROF",
    "PUBLISHED_COUNTER",
    "TRANSFORMER_NOTES",
    "RELEASE_DATASETS",
    "ReleaseSplit",
    "PUBLISHED_DYCK_MEMORY",
    "PUBLISHED_FLIP_FLOP",
    "FLIP_FLOP_EVAL_EVERY",
    "MERRILL_FINDINGS",
    "published_cell",
    "SARROF_STAR_FREE",
    "PUBLISHED_STATE_TRACKING",
]

#: Regular languages: strict accuracy (%) per model, (training bin, longer bin).
#: Models: ``mamba1``..``mamba3`` (layers) and ``transformer``.
PUBLISHED_SARROF: dict[str, dict[str, tuple[float, float]]] = {
    # star-free (sheet Regular1)
    "tomita1": {"mamba1": (100, 100), "mamba2": (100, 100), "mamba3": (100, 100), "transformer": (100, 100)},
    "tomita2": {"mamba1": (100, 100), "mamba2": (100, 100), "mamba3": (100, 100), "transformer": (100, 100)},
    "tomita4": {"mamba1": (100, 100), "mamba2": (100, 100), "mamba3": (100, 100), "transformer": (100, 92.4)},
    "tomita7": {"mamba1": (100, 100), "mamba2": (100, 100), "mamba3": (100, 100), "transformer": (100, 100)},
    "abcde": {"mamba1": (100, 100), "mamba2": (100, 100), "mamba3": (100, 100), "transformer": (100, 100)},
    "ab_d_bc": {"mamba1": (100, 100), "mamba2": (100, 100), "mamba3": (100, 100), "transformer": (100, 100)},
    "012_02": {"mamba1": (100, 100), "mamba2": (100, 100), "mamba3": (100, 100), "transformer": (100, 68.7)},
    "d2": {"mamba1": (100, 100), "mamba2": (100, 100), "mamba3": (100, 100), "transformer": (74.6, 3.1)},
    "d3": {"mamba1": (100, 100), "mamba2": (100, 100), "mamba3": (100, 100), "transformer": (80.9, 8.5)},
    "d4": {"mamba1": (100, 100), "mamba2": (100, 100), "mamba3": (100, 100), "transformer": (90.2, 3.3)},
    "d12": {"mamba1": (93.65, 93.35), "mamba2": (99.9, 95.55), "mamba3": (99.99, 99.85),
            "transformer": (95.18, 1.5)},
    # not star-free (sheet Regular2)
    "parity": {"mamba1": (26.95, 0), "mamba2": (80.05, 4.15), "mamba3": (91.15, 16.7), "transformer": (68.7, 0)},
    "aa_star": {"mamba1": (2.1, 0), "mamba2": (2.1, 0), "mamba3": (4.2, 0), "transformer": (100, 0)},
    "aaaa_star": {"mamba1": (0, 0), "mamba2": (0, 0), "mamba3": (4.0, 0), "transformer": (100, 0)},
    "abab_star": {"mamba1": (0, 0), "mamba2": (0, 0), "mamba3": (0, 0), "transformer": (100, 2.5)},
    "tomita3": {"mamba1": (25.99, 12.49), "mamba2": (36.88, 17.05), "mamba3": (60.85, 29.37),
                "transformer": (75.4, 10.8)},
    "tomita5": {"mamba1": (15.94, 0), "mamba2": (34.5, 0), "mamba3": (38.4, 0), "transformer": (29.3, 0)},
    "tomita6": {"mamba1": (7.2, 0), "mamba2": (37.8, 0), "mamba3": (54.56, 0.04), "transformer": (88.8, 0)},
}

#: The sheet's star-free group (sheet Regular1); the rest of PUBLISHED_SARROF is Regular2.
SARROF_STAR_FREE = frozenset(
    {"tomita1", "tomita2", "tomita4", "tomita7", "abcde", "ab_d_bc", "012_02", "d2", "d3", "d4", "d12"})

#: Counter languages (sheet Counter): (bin 1, bin 2, bin 3) per model.
PUBLISHED_COUNTER: dict[str, dict[str, tuple[float, float, float]]] = {
    "dyck1": {"transformer": (100, 100, 100), "mamba1": (100, 62.6, 13.91), "mamba2": (100, 49.1, 9.5),
              "mamba3": (100, 53.95, 10.0)},
    "shuffle2": {"transformer": (100, 100, 93.0), "mamba1": (100, 49.5, 2.3), "mamba2": (100, 61.5, 8.2),
                 "mamba3": (100, 65.5, 9.7)},
    "shuffle4": {"transformer": (100, 100, 98.8), "mamba1": (100, 44.4, 4.3), "mamba2": (100, 63.8, 7.2),
                 "mamba3": (100, 56.2, 7.8)},
    "shuffle6": {"transformer": (100, 99.9, 94.0), "mamba1": (100, 39.4, 3.4), "mamba2": (100, 61.2, 6.75),
                 "mamba3": (100, 59.6, 9.85)},
    "boolean3": {"transformer": (100, 100, 99.8), "mamba1": (99.75, 65.7, 7.05), "mamba2": (99.95, 47.25, 2.3),
                 "mamba3": (100, 73.45, 8.6)},
    "boolean5": {"transformer": (100, 99.8, 99.0), "mamba1": (99.9, 30.05, 7.6), "mamba2": (100, 80.2, 14.9),
                 "mamba3": (99.25, 60.7, 6.25)},
    "anbn": {"transformer": (100, 100, 100), "mamba1": (100, 4.1, 0), "mamba2": (100, 9.4, 0),
             "mamba3": (100, 21.3, 0)},
    "anbncn": {"transformer": (100, 100, 100), "mamba1": (100, 0, 0), "mamba2": (100, 7.6, 0),
               "mamba3": (100, 5.1, 0)},
    "anbncndn": {"transformer": (100, 100, 99.4), "mamba1": (100, 4.76, 0), "mamba2": (100, 0, 0),
                 "mamba3": (100, 0, 0)},
}

#: How the sheet marks each Transformer figure (Bhattamishra et al. 2020's
#: positional masking or encoding); "" where it says only "Transformer(s)".
TRANSFORMER_NOTES: dict[str, str] = {
    **{name: "pos mask" for name in ("tomita1", "tomita7", "abcde", "ab_d_bc", "d2", "d3", "d4", "d12", "parity",
                                     "aa_star", "aaaa_star", "abab_star", "tomita3", "tomita5")},
    "tomita4": "pos enc", "tomita6": "pos enc", "tomita2": "", "012_02": "",
    **{name: "" for name in PUBLISHED_COUNTER},
}


@dataclass(frozen=True, kw_only=True)
class ReleaseSplit:
    """One shipped split: number of words and their length range."""

    n: int
    lo: int
    hi: int


def _splits(*rows: tuple[int, int, int]) -> tuple[ReleaseSplit, ...]:
    return tuple(ReleaseSplit(n=n, lo=lo, hi=hi) for n, lo, hi in rows)


#: The release's datasets: (train, bin0, bin1[, bin2]); bin0 is held-out words
#: of the training lengths. Where bin1 overlaps the training lengths
#: ({a,b}*d{b,c}*, {0,1,2}*02*, D_n) ours do not (see protocols).
RELEASE_DATASETS: dict[str, tuple[ReleaseSplit, ...]] = {
    "012_02": _splits((9999, 2, 49), (1999, 2, 49), (1999, 2, 99)),
    "aaaa_star": _splits((124, 4, 496), (24, 4, 480), (15, 504, 592)),
    "aa_star": _splits((249, 2, 500), (46, 2, 496), (29, 504, 594)),
    "abcde": _splits((9999, 49, 200), (1999, 118, 200), (1999, 131, 300)),
    "abab_star": _splits((124, 4, 496), (23, 28, 488), (14, 508, 592)),
    "ab_d_bc": _splits((9999, 2, 49), (1999, 3, 49), (1999, 2, 99)),
    "boolean3": _splits((9999, 2, 50), (1999, 2, 50), (1999, 51, 100), (1999, 100, 150)),
    "boolean5": _splits((9999, 2, 50), (1999, 2, 50), (1999, 51, 100), (1999, 100, 150)),
    "d12": _splits((9999, 48, 100), (1999, 52, 100), (1999, 116, 200)),
    "d2": _splits((4999, 2, 100), (999, 8, 100), (999, 102, 200)),
    "d3": _splits((9999, 2, 100), (697, 8, 100), (1999, 82, 200)),
    "d4": _splits((9999, 34, 100), (1999, 42, 100), (1999, 90, 200)),
    "dyck1": _splits((9999, 2, 50), (1999, 2, 50), (1999, 52, 100), (1999, 102, 150)),
    "parity": _splits((9999, 2, 50), (1999, 3, 50), (1999, 51, 100)),
    "shuffle2": _splits((9999, 2, 50), (1999, 2, 50), (1999, 52, 100), (1999, 100, 150)),
    "shuffle4": _splits((9999, 2, 100), (1999, 2, 100), (1999, 102, 150), (1999, 150, 200)),
    "shuffle6": _splits((9999, 2, 100), (1999, 2, 100), (1999, 102, 150), (1999, 150, 200)),
    "tomita1": _splits((999, 1, 100), (39, 1, 99), (32, 106, 150)),
    "tomita2": _splits((999, 2, 100), (21, 2, 98), (14, 102, 148)),
    "tomita3": _splits((9999, 1, 100), (1626, 1, 100), (1817, 101, 150)),
    "tomita4": _splits((9999, 1, 100), (1925, 1, 100), (1999, 101, 150)),
    "tomita5": _splits((9999, 2, 100), (1818, 2, 100), (1999, 102, 150)),
    "tomita6": _splits((9999, 2, 100), (8688, 2, 100), (9999, 101, 150)),
    "tomita7": _splits((9999, 12, 100), (1828, 24, 100), (1895, 101, 150)),
    "anbn": _splits((98, 4, 200), (40, 6, 200), (41, 204, 400), (37, 400, 598)),
    "anbncn": _splits((147, 9, 450), (42, 18, 444), (38, 453, 897), (38, 900, 1332)),
    "anbncndn": _splits((194, 16, 800), (41, 32, 800), (41, 808, 1560), (46, 1600, 2396)),
}

#: Dyck(8,10) memory sweep (release ``visualisation/bdyck/data.csv``): per
#: (layers, hidden size), the learning rate of that run and close accuracy on
#: test (lengths 701-1400, depth <= 10) and test20 (depth <= 15, the deeper
#: test set). The 1-layer runs used lr 1e-4, the 2-layer runs 1e-3: a
#: confound the release does not discuss. The 1-layer, hidden-30 run was
#: killed before its test20 evaluation (None).
PUBLISHED_DYCK_MEMORY: dict[tuple[int, int], dict[str, float | None]] = {
    (2, 20): {"lr": 1e-3, "test": 0.9761, "test20": 0.6293},
    (2, 30): {"lr": 1e-3, "test": 0.9933, "test20": 0.6559},
    (2, 40): {"lr": 1e-3, "test": 0.9766, "test20": 0.6138},
    (2, 50): {"lr": 1e-3, "test": 0.9828, "test20": 0.6603},
    (2, 60): {"lr": 1e-3, "test": 0.9906, "test20": 0.6434},
    (2, 70): {"lr": 1e-3, "test": 0.9821, "test20": 0.6426},
    (2, 80): {"lr": 1e-3, "test": 0.9835, "test20": 0.6359},
    (2, 90): {"lr": 1e-3, "test": 0.9867, "test20": 0.6575},
    (2, 100): {"lr": 1e-3, "test": 0.9840, "test20": 0.6077},
    (1, 20): {"lr": 1e-4, "test": 0.7124, "test20": 0.5705},
    (1, 30): {"lr": 1e-4, "test": 0.7277, "test20": None},
    (1, 40): {"lr": 1e-4, "test": 0.7296, "test20": 0.5796},
    (1, 50): {"lr": 1e-4, "test": 0.7593, "test20": 0.5993},
    (1, 60): {"lr": 1e-4, "test": 0.7385, "test20": 0.5794},
    (1, 70): {"lr": 1e-4, "test": 0.7558, "test20": 0.5954},
    (1, 80): {"lr": 1e-4, "test": 0.7652, "test20": 0.6029},
    (1, 90): {"lr": 1e-4, "test": 0.7779, "test20": 0.6117},
    (1, 100): {"lr": 1e-4, "test": 0.7682, "test20": 0.6036},
}

#: The release validates flip-flop every this many training batches (of 32).
FLIP_FLOP_EVAL_EVERY = 100

#: Flip-flop, 1-layer Mamba: test error (%, sequences with a wrong read bit)
#: against the evaluation index k (the paper's x axis, "training iterations";
#: in the release's loop evaluation k comes after about 100 (k + 1) batches of
#: 32). Validation sets: FFL(0.8) ("val") and FFL(0.98) ("val_sparse"), 1000
#: sequences each. Both reach 0 and stay there: FFL(0.8) at k = 1027, FFL(0.98)
#: at k = 1370 (wandb steps 2056 and 2741 in the CSV).
PUBLISHED_FLIP_FLOP: dict[str, tuple[tuple[int, float], ...]] = {
    "FFL(0.8)": ((0, 100), (100, 100), (200, 100), (300, 100), (400, 100), (500, 100), (600, 100), (640, 99.9),
                 (700, 99.4), (720, 98.3), (740, 93.9), (760, 86.8), (780, 81), (800, 75.2), (820, 71.4),
                 (840, 66.1), (860, 60.7), (880, 55.4), (900, 47.4), (920, 38.5), (940, 29), (960, 12.8),
                 (980, 4), (1000, 1.7), (1020, 0.4), (1027, 0), (1100, 0), (1200, 0), (1300, 0), (1399, 0)),
    "FFL(0.98)": ((0, 100), (20, 100), (40, 70.8), (100, 71.3), (120, 83.5), (200, 86.5), (300, 86.9),
                  (400, 87.2), (500, 85.6), (600, 83.5), (700, 77.3), (760, 71.4), (800, 67.3), (860, 62.7),
                  (900, 56.9), (940, 48.4), (1000, 40.8), (1040, 24), (1060, 11.4), (1100, 15.1),
                  (1140, 10.1), (1200, 5.5), (1260, 3.7), (1320, 3.7), (1340, 0.9), (1360, 0.2), (1370, 0),
                  (1399, 0)),
}

#: Merrill, Petty & Sabharwal 2024, Figure 3 (minimum layers for > 90% test
#: accuracy against sequence length k), in words: the figure's lines are not
#: released as numbers.
MERRILL_FINDINGS: dict[str, str] = {
    "rnn": "1 layer at every k on every group",
    "ids4": "1 layer at every k on every group (input-dependent S4)",
    "mamba": "depth growing with k on A4xZ5 and A5; on Z60 (abelian) shallow",
    "transformer": "depth growing with k on A4xZ5 and A5",
    "s4": "depth growing with k on the non-abelian groups",
}


def published_cell(language: str, model: str) -> tuple[float, ...] | None:
    """The published figures for ``language`` and ``model`` (``mamba1``..``mamba3``,
    ``transformer``), regular or counter; None when the sheet has no such row."""
    table = PUBLISHED_SARROF if language in PUBLISHED_SARROF else PUBLISHED_COUNTER
    return table.get(language, {}).get(model)


#: Grazzi et al. 2025 (ICLR; arXiv:2411.12537v5), Table 3: parity, scaled
#: accuracy (1 = perfect, 0 = chance), best of 3 seeds, trained on lengths
#: 3-40 and tested on 40-256 (Table 5 gives the medians). Their LSTM is
#: xLSTM's sLSTM. Keyed by our language and architecture spec; the value is
#: ``(figure, source)``. Cells without a number say where the paper has only
#: a plot; S3 and A5 one-layer DeltaProduct numbers (Siems et al. 2025) were
#: not found in a form we could read, so none is given.
PUBLISHED_STATE_TRACKING: dict[tuple[str, str], tuple[str, str]] = {
    ("parity", "mamba"): ("0.000", "Grazzi et al. 2025, Table 3 (scaled acc., best of 3; 40-256)"),
    ("parity", "mamba-neg"): ("1.000", "Grazzi et al. 2025, Table 3 (scaled acc., best of 3; 40-256)"),
    ("parity", "deltanet"): ("0.017", "Grazzi et al. 2025, Table 3 (scaled acc., best of 3; 40-256)"),
    ("parity", "deltanet-neg"): ("1.000", "Grazzi et al. 2025, Table 3 (scaled acc., best of 3; 40-256)"),
    ("parity", "transformer"): ("0.022", "Grazzi et al. 2025, Table 3 (scaled acc., best of 3; 40-256)"),
    ("parity", "lstm"): ("1.000 (sLSTM)", "Grazzi et al. 2025, Table 3 (scaled acc., best of 3; 40-256)"),
    ("group-Z60-all", "mamba-neg"): ("plot only: best of the models", "Grazzi et al. 2025, Fig. 8 (App. E.2.2), 1 seed"),
    ("group-Z60-all", "mamba"): ("plot only: worse than [-1, 1]", "Grazzi et al. 2025, Fig. 8 (App. E.2.2), 1 seed"),
    ("group-Z60-all", "deltanet"): ("plot only: worse than [-1, 1]", "Grazzi et al. 2025, Fig. 8 (App. E.2.2), 1 seed"),
    ("group-Z60-all", "deltanet-neg"): ("plot only", "Grazzi et al. 2025, Fig. 8 (App. E.2.2), 1 seed"),
}
