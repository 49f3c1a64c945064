"""Tests for automata_probe.algebra.predictions: predictions follow the theorems."""

from __future__ import annotations

import pytest

from automata_probe.algebra import classify
from automata_probe.algebra.predictions import predict_model
from automata_probe.errors import ParameterError
from automata_probe.automata import load_language


def test_predictions_follow_the_theorems(ab_star, parity):
    sf = {p.architecture: p.expressible for p in classify(ab_star).predictions}
    nsf = {p.architecture: p.expressible for p in classify(parity).predictions}
    mamba = "Mamba / SSM with non-negative gates"
    assert sf[mamba] is True and nsf[mamba] is False
    lstm = "LSTM / non-linear RNN"
    assert sf[lstm] is True and nsf[lstm] is True
    tc0 = "SSM or Transformer, fixed depth, log precision"
    assert sf[tc0] is None and nsf[tc0] is None  # TC0 does not decide these


# Per language, per model (arch, negative eigenvalues, n_h, layers): the theorems' verdict.
MODELS = {
    "mamba": ("mamba", False, 1, 1),
    "mamba-neg": ("mamba", True, 1, 1),
    "mamba-neg-3L": ("mamba", True, 1, 3),
    "mamba2": ("mamba2", False, 1, 2),
    "deltanet": ("deltanet", False, 1, 1),
    "deltanet-neg": ("deltanet", True, 1, 1),
    "deltanet-neg-2L": ("deltanet", True, 1, 2),
    "dp2-neg": ("deltaproduct", True, 2, 1),
    "dp4-neg": ("deltaproduct", True, 4, 1),
    "lstm": ("lstm", False, 1, 1),
}
EXPECTED = {
    # parity: negative eigenvalues unlock it (Thm 1 / Thm 3)
    "parity": dict(mamba=False, **{"mamba-neg": True, "deltanet": False, "deltanet-neg": True, "dp2-neg": True}),
    "aa_star": dict(mamba=False, **{"mamba-neg": True, "deltanet": False, "deltanet-neg": True}),
    # mod-3: real eigenvalues cannot count modulo 3 at any depth (Thm 2); one reflection per token needs 2 layers
    "mod-3": dict(mamba=False, **{"mamba-neg": False, "mamba-neg-3L": False, "deltanet": False,
                                  "deltanet-neg": False, "deltanet-neg-2L": True, "dp2-neg": True}),
    # S3: dihedral, two DeltaNet layers (Siems et al.); one layer of 2 reflections (Thm 3, S3 on 3 points)
    "group-S3-all": dict(mamba=False, **{"mamba-neg": False, "deltanet-neg": False, "deltanet-neg-2L": True,
                                         "dp2-neg": True, "lstm": True}),
    # A5: not solvable; Thm 2 through its 3-cycles; rotations of R^3 give 2 factors
    "group-A5-all": dict(mamba=False, **{"mamba-neg": False, "mamba-neg-3L": False, "deltanet-neg": False,
                                         "deltanet-neg-2L": None, "dp2-neg": True, "dp4-neg": True}),
    "group-Z60-all": dict(mamba=False, **{"mamba-neg": False, "deltanet-neg": False, "deltanet-neg-2L": True,
                                          "dp2-neg": True}),
    # star-free control: non-negative diagonal gates suffice (Sarrof et al.)
    "tomita4": dict(mamba=True, mamba2=True, **{"mamba-neg": True, "deltanet": None, "deltanet-neg": None,
                                                 "lstm": True}),
}


@pytest.mark.parametrize("language", list(EXPECTED))
def test_per_model_verdicts(language):
    c = classify(load_language(language).dfa)
    for model, expected in EXPECTED[language].items():
        arch, neg, n_h, layers = MODELS[model]
        p = predict_model(arch, star_free=c.star_free, complexity=c.complexity, facts=c.tracking,
                          negative_eigenvalues=neg, householders=n_h, layers=layers)
        assert p.expressible is expected, (language, model, p)
        assert p.citation, (language, model)


def test_rows_carry_theorem_numbers_and_conditions():
    c = classify(load_language("mod-3").dfa)
    rows = {p.architecture: p for p in c.predictions}
    neg = rows["Diagonal SSM with negative gates (eigenvalues in [-1, 1])"]
    assert neg.expressible is False and "Thm 2" in neg.citation and neg.conditions == "any depth"
    dp = rows["DeltaProduct, products of generalized Householders, eigenvalues in [-1, 1]"]
    assert dp.expressible is True and dp.layers == 1 and dp.householders == 2 and "Thm 3" in dp.citation
    d = c.to_dict()
    assert d["state_tracking"]["witnesses"][0]["period"] == 3
    assert {"layers", "householders", "conditions", "archs"} <= set(d["predictions"][0])


def test_predict_model_rejects_unknown_arch():
    c = classify(load_language("parity").dfa)
    with pytest.raises(ParameterError):
        predict_model("rwkv", star_free=c.star_free, complexity=c.complexity, facts=c.tracking)
