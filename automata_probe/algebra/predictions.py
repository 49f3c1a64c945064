"""What published theorems say about each architecture on a language: :class:`Prediction`.

Predictions depend on star-freeness, the circuit class and, for the linear
RNNs, the :class:`~.tracking.TrackingFacts` (counting witnesses, whether the
monoid is a group, the Householder factors a letter needs); they are never
empirical claims. :func:`predictions_for` gives one row per transition class
(``classify``, ``is-star-free --json``); :func:`predict_model` the verdict for
one model (an ``--arch`` with its options and depth), as the state-tracking
experiment sets it beside a measurement. :data:`CITATIONS` holds the full
references for the short citations used here and in the classification's
evidence.

Theorem numbers are those of the ICLR 2025 version of Grazzi et al.
(arXiv:2411.12537v5): Thm 1 (parity needs an eigenvalue outside [0, inf) in
some layer), Thm 2 (counting modulo m, m not a power of two, needs a product
of 2^(i-1) transition matrices of some layer i with a non-real eigenvalue),
Prop. 1.3 (products of at most two generalized Householder matrices with
eigenvalues in [0, 1] have eigenvalues in [0, 1]), Thm 3 (a group automaton in
one layer with products of k - 1 reflections; cyclic groups with two factors
in two dimensions; parity with the scalar -1), Thm 4 (every regular language
with at most 2^|Q| layers of products of |Q| generalized Householder matrices
with eigenvalues in [-1, 1]) and Thm 6, Appendix D (two layers of reflections
add modulo m). All are about finite precision and every input length.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ParameterError
from .tracking import TrackingFacts

__all__ = ["CITATIONS", "Prediction", "predictions_for", "predict_model", "MODEL_ARCHS"]

#: Full references for the short citations used in evidence and predictions.
CITATIONS: dict[str, str] = {
    "Schützenberger 1965": "M. P. Schützenberger, On finite monoids having only trivial subgroups, "
    "Information and Control 8 (1965)",
    "McNaughton & Papert 1971": "R. McNaughton, S. Papert, Counter-Free Automata, MIT Press (1971)",
    "Froidure & Pin 1997": "V. Froidure, J.-E. Pin, Algorithms for computing finite semigroups, "
    "Foundations of Computational Mathematics (1997)",
    "Barrington 1989": "D. A. Barrington, Bounded-width polynomial-size branching programs recognize "
    "exactly those languages in NC1, JCSS 38 (1989)",
    "Barrington & Thérien 1988": "D. A. Barrington, D. Thérien, Finite monoids and the fine structure "
    "of NC1, JACM 35 (1988)",
    "Barrington, Compton, Straubing & Thérien 1992": "D. A. M. Barrington, K. Compton, H. Straubing, "
    "D. Thérien, Regular languages in NC1, JCSS 44 (1992)",
    "Furst, Saxe & Sipser 1984": "M. Furst, J. Saxe, M. Sipser, Parity, circuits, and the "
    "polynomial-time hierarchy, Math. Systems Theory 17 (1984)",
    "Sarrof, Veitsman & Hahn 2024": "Y. Sarrof, Y. Veitsman, M. Hahn, The Expressive Capacity of State "
    "Space Models: A Formal Language Perspective, NeurIPS 2024",
    "Merrill, Petty & Sabharwal 2024": "W. Merrill, J. Petty, A. Sabharwal, The Illusion of State in "
    "State-Space Models, ICML 2024",
    "Merrill & Sabharwal 2023": "W. Merrill, A. Sabharwal, The Parallelism Tradeoff: Limitations of "
    "Log-Precision Transformers, TACL 11 (2023)",
    "Grazzi et al. 2025": "R. Grazzi, J. Siems, A. Zela, J. Franke, F. Hutter, M. Pontil, Unlocking "
    "State-Tracking in Linear RNNs Through Negative Eigenvalues, ICLR 2025 (arXiv:2411.12537v5)",
    "Siems et al. 2025": "J. Siems, T. Carstensen, A. Zela, F. Hutter, M. Pontil, R. Grazzi, DeltaProduct: "
    "Improving State-Tracking in Linear RNNs via Householder Products, NeurIPS 2025 (arXiv:2502.10297)",
    "Yang, Chiang & Angluin 2024": "A. Yang, D. Chiang, D. Angluin, Masked Hard-Attention Transformers "
    "Recognize Exactly the Star-Free Languages, NeurIPS 2024",
    "Hahn 2020": "M. Hahn, Theoretical Limitations of Self-Attention in Neural Sequence Models, TACL 8 (2020)",
    "Minsky 1967": "M. Minsky, Computation: Finite and Infinite Machines, Prentice-Hall (1967)",
    "Merrill 2019": "W. Merrill, Sequential Neural Networks as Automata, Deep Learning and Formal "
    "Languages workshop, ACL 2019",
}


@dataclass(frozen=True, kw_only=True)
class Prediction:
    """What a theorem says about one architecture on this language.

    ``expressible`` is True or False only when a published theorem decides it
    (possibly under a stated complexity conjecture, see ``reason``), and None
    when the theory does not decide. Never an empirical claim.

    ``layers``: with True, the depth the construction uses (deeper also
    works); with False, the depth up to which the theorem rules it out (None:
    every depth). ``householders``: with True, the generalized Householder
    factors per token the construction uses. ``archs``: the ``--arch`` choices
    (with options) the row covers.
    """

    architecture: str
    expressible: bool | None
    citation: str
    reason: str = ""
    layers: int | None = None
    householders: int | None = None
    archs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "archs", tuple(self.archs))

    @property
    def conditions(self) -> str:
        """``"1 layer, n_h >= 2"``, ``"up to 2 layers"``, ``"any depth"`` or ``""``."""
        if self.expressible is None:
            return ""
        if self.expressible is False:
            if self.layers is None:
                return "any depth"
            return f"up to {self.layers} layer{'s' if self.layers > 1 else ''}"
        parts = []
        if self.layers is not None:
            parts.append(f"{self.layers} layer{'s' if self.layers > 1 else ''}")
        if self.householders is not None:
            parts.append(f"n_h >= {self.householders}")
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "architecture": self.architecture,
            "expressible": self.expressible,
            "citation": self.citation,
            "reason": self.reason,
            "layers": self.layers,
            "householders": self.householders,
            "conditions": self.conditions,
            "archs": list(self.archs),
        }


#: The ``--arch`` choices :func:`predict_model` knows.
MODEL_ARCHS = ("mamba", "mamba2", "deltanet", "gated-deltanet", "deltaproduct", "lstm", "transformer")

_NONNEG_DIAG = "Mamba / SSM with non-negative gates"
_NEG_DIAG = "Diagonal SSM with negative gates (eigenvalues in [-1, 1])"
_GH_NONNEG = "DeltaNet-type, <= 2 generalized Householders per token, eigenvalues in [0, 1]"
_GH_NEG = "DeltaNet / Gated DeltaNet with negative eigenvalues (one generalized Householder per token)"
_GH_PRODUCT = "DeltaProduct, products of generalized Householders, eigenvalues in [-1, 1]"
_G = "Grazzi et al. 2025"


def _dihedral(name: str | None) -> bool:
    return bool(name) and (name == "S3" or name.startswith("Dih"))  # type: ignore[union-attr]


def _elementary_2_group(name: str | None) -> bool:
    return bool(name) and (name == "V4" or all(f == "Z2" for f in name.split("x")))  # type: ignore[union-attr]


def _cyclic(name: str | None) -> bool:
    return bool(name) and name.startswith("Z") and name[1:].isdigit()  # type: ignore[union-attr]


def _nonneg_diagonal(star_free: bool, facts: TrackingFacts | None) -> Prediction:
    w = facts.witness(2) if facts else None
    if star_free:
        reason = ("finite-precision SSMs with non-negative (diagonal) gates model a regular language at every "
                  "length iff it is star-free; the construction stacks layers as the language needs")
        return Prediction(architecture=_NONNEG_DIAG, expressible=True, citation="Sarrof, Veitsman & Hahn 2024",
                          reason=reason, archs=("mamba", "mamba2"))
    reason = "non-star-free, and finite-precision SSMs with non-negative gates model only star-free languages"
    citation = "Sarrof, Veitsman & Hahn 2024"
    if w is not None:
        reason += (f"; also {_G}, Thm 1: {w.describe()} (parity), which needs a transition eigenvalue outside "
                   "[0, inf) in some layer")
        citation += f"; {_G}, Thm 1"
    return Prediction(architecture=_NONNEG_DIAG, expressible=False, citation=citation, reason=reason,
                      archs=("mamba", "mamba2"))


def _neg_diagonal(star_free: bool, facts: TrackingFacts | None) -> Prediction:
    archs = ("mamba --neg-eigval", "mamba2 --neg-eigval")
    w = facts.witness(power_of_two=False) if facts else None
    if w is not None:
        return Prediction(architecture=_NEG_DIAG, expressible=False, citation=f"{_G}, Thm 2", archs=archs,
                          reason=f"{w.describe()}: counting modulo {w.period} needs a product of transition matrices "
                          "with a non-real eigenvalue, and products of real diagonal matrices have real eigenvalues")
    if star_free:
        return Prediction(architecture=_NEG_DIAG, expressible=True, citation="Sarrof, Veitsman & Hahn 2024",
                          archs=archs, reason="star-free: the construction for non-negative gates uses gates in "
                          "[0, 1], inside this range")
    if facts is not None and facts.is_group and _elementary_2_group(facts.group):
        return Prediction(architecture=_NEG_DIAG, expressible=True, citation=f"{_G}, Thm 3", layers=1, archs=archs,
                          reason=f"the monoid is {facts.group}: one layer with the scalar transitions {{-1, 1}} "
                          "(Thm 3, m = 2), one coordinate per Z2 factor (the gate must reach -1)")
    return Prediction(architecture=_NEG_DIAG, expressible=None, citation=f"{_G}, Thms 1-3", archs=archs,
                      reason="no letter counts modulo a number that is not a power of two (Thm 2 does not apply) "
                      "and no construction covers this monoid")


def _gh_nonneg(star_free: bool, facts: TrackingFacts | None, householders: int = 1,
               layers: int | None = None) -> Prediction:
    archs = ("deltanet", "gated-deltanet", "deltaproduct --householders 2")
    w2 = facts.witness(2) if facts else None
    wm = facts.witness(power_of_two=False) if facts else None
    if householders <= 2 and w2 is not None:
        return Prediction(architecture=_GH_NONNEG, expressible=False, citation=f"{_G}, Thm 1 and Prop. 1.3",
                          archs=archs, reason=f"{w2.describe()} (parity); every transition (a product of at most two "
                          "generalized Householders with eigenvalues in [0, 1], times a gate in [0, 1]) has its "
                          "eigenvalues in [0, 1]")
    # Thm 2 needs a non-real eigenvalue in a product of 2^(i-1) transitions of layer i; with at most 2 factors
    # in all (Prop. 1.3) that rules out layer 1 for n_h = 2 and layers 1-2 for n_h = 1
    reach = {1: 2, 2: 1}.get(householders, 0)
    if wm is not None and reach and (layers is None or layers <= reach):
        return Prediction(architecture=_GH_NONNEG, expressible=False, citation=f"{_G}, Thm 2 and Prop. 1.3",
                          layers=reach, archs=archs, reason=f"{wm.describe()}; a product of at most two generalized "
                          f"Householders with eigenvalues in [0, 1] has real eigenvalues, so up to {reach} layer(s) "
                          f"(n_h = {householders}) cannot count modulo {wm.period}; deeper is not decided")
    what = "star-free languages" if star_free else "this language"
    return Prediction(architecture=_GH_NONNEG, expressible=None, citation=f"{_G}, Thms 1-4", archs=archs,
                      reason=f"no theorem decides {what} for generalized Householder transitions without negative "
                      "eigenvalues" + (" at this depth" if wm is not None else ""))


def _gh_neg(star_free: bool, facts: TrackingFacts | None, layers: int | None = None) -> Prediction:
    """One generalized Householder per token with eigenvalues in [-1, 1] (DeltaNet, Gated DeltaNet)."""
    archs = ("deltanet --neg-eigval", "gated-deltanet --neg-eigval")
    group = facts.group if facts is not None and facts.is_group else None
    if facts is not None and facts.is_group and (facts.permutation_householders or 0) <= 1:
        how = "the scalar -1" if group == "Z2" else "identities and swaps of states, each a reflection"
        return Prediction(architecture=_GH_NEG, expressible=True, citation=f"{_G}, Thm 3", layers=1, householders=1,
                          archs=archs, reason=f"every letter acts as {how}: one layer of reflections implements it")
    wm = facts.witness(power_of_two=False) if facts else None
    one_layer = (f"not with one layer ({_G}, Thm 2: {wm.describe()}, and a single generalized Householder is "
                 "symmetric, so its eigenvalues are real)") if wm is not None else ""
    if wm is not None and layers == 1:
        return Prediction(architecture=_GH_NEG, expressible=False, citation=f"{_G}, Thm 2", layers=1, archs=archs,
                          reason=one_layer)
    if _cyclic(group):
        return Prediction(architecture=_GH_NEG, expressible=True, citation=f"{_G}, Thm 6 (App. D)", layers=2,
                          householders=1, archs=archs, reason=f"the monoid is {group}: two layers of reflections "
                          "add modulo m" + (f"; {one_layer}" if one_layer else ""))
    if _dihedral(group):
        return Prediction(architecture=_GH_NEG, expressible=True, citation="Siems et al. 2025, Sec. 4", layers=2,
                          householders=1, archs=archs, reason=f"the monoid is the dihedral group {group}: two "
                          "layers of DeltaNet [-1, 1] solve dihedral word problems" + (f"; {one_layer}" if one_layer
                                                                                      else ""))
    if wm is not None and layers is None:
        return Prediction(architecture=_GH_NEG, expressible=False, citation=f"{_G}, Thm 2", layers=1, archs=archs,
                          reason=one_layer + "; with more layers no theorem decides (Siems et al. 2025 leave the "
                          "limit of multi-layer DeltaNet open)")
    return Prediction(architecture=_GH_NEG, expressible=None, citation=f"{_G}; Siems et al. 2025", archs=archs,
                      reason=("star-free, but no theorem covers one Householder per token" if star_free else
                              "no theorem decides it (Siems et al. 2025 leave the limit of multi-layer DeltaNet "
                              "open)") + (f"; {one_layer}" if one_layer else ""))


def _gh_product(facts: TrackingFacts | None, householders: int | None = None,
                layers: int | None = None) -> Prediction:
    """Products of ``householders`` (None: as many as needed) reflections per token, eigenvalues in [-1, 1]."""
    archs = ("deltaproduct --householders N --neg-eigval",)
    if facts is not None and facts.is_group and facts.householders is not None:
        need = max(facts.householders, 1)
        if householders is None or householders >= need:
            perm = ""
            if facts.permutation_householders is not None and facts.permutation_householders != need:
                perm = (f"; Thm 3's permutation construction itself needs {facts.permutation_householders} "
                        f"(on {facts.permutation_degree} points)")
            return Prediction(architecture=_GH_PRODUCT, expressible=True, citation=f"{_G}, Thm 3", layers=1,
                              householders=need, archs=archs,
                              reason=f"the monoid is the group {facts.group}: one layer, each letter a product of "
                              f"{need} reflection(s) via {facts.householder_basis}" + perm)
    n = facts.n_states if facts is not None else None
    if n is not None and (householders is None or householders >= n) and (layers is None
                                                                         or (n <= 60 and layers >= 2 ** n)):
        depth = f"{2 ** n}" if n <= 60 else f"2^{n}"
        return Prediction(architecture=_GH_PRODUCT, expressible=True, citation=f"{_G}, Thm 4",
                          layers=2 ** n if n <= 60 else None, householders=n, archs=archs,
                          reason=f"every regular language: at most 2^|Q| = {depth} layers of products of |Q| = {n} "
                          "generalized Householders (Krohn-Rhodes cascade)")
    if n is None:
        return Prediction(architecture=_GH_PRODUCT, expressible=True, citation=f"{_G}, Thm 4", archs=archs,
                          reason="every regular language: at most 2^|Q| layers of products of |Q| generalized "
                          "Householders (Krohn-Rhodes cascade)")
    return Prediction(architecture=_GH_PRODUCT, expressible=None, citation=f"{_G}, Thms 3-4", archs=archs,
                      reason="fewer factors or layers than Thms 3-4 use; no theorem decides it")


def _other_rows(star_free: bool, complexity: str) -> list[Prediction]:
    nc1 = complexity == "NC1-complete"
    return [
        Prediction(
            architecture="Transformer, masked unique hard attention",
            expressible=star_free,
            citation="Yang, Chiang & Angluin 2024",
            reason="masked hard-attention transformers (strict masking, no position encoding) recognize "
            "exactly the star-free languages",
        ),
        Prediction(
            architecture="SSM or Transformer, fixed depth, log precision",
            expressible=False if nc1 else None,
            citation="Merrill, Petty & Sabharwal 2024; Merrill & Sabharwal 2023",
            reason=(
                "these models are in TC0; an NC1-complete language needs depth growing with length "
                "unless TC0 = NC1"
                if nc1
                else "the TC0 upper bound does not rule this language out; no theorem decides it"
            ),
        ),
        Prediction(
            architecture="Transformer, softmax attention",
            expressible=None,
            citation="Hahn 2020",
            archs=("transformer",),
            reason=(
                "no theorem decides softmax attention at every length; the hard-attention result above "
                "does not transfer directly"
                if star_free
                else "soft attention's sensitivity to any one symbol shrinks with length, so languages such as "
                "parity cannot be decided with a margin bounded away from chance; exact constructions with "
                "vanishing margins exist, so expressibility itself is not decided"
            ),
        ),
        Prediction(
            architecture="LSTM / non-linear RNN",
            expressible=True,
            citation="Minsky 1967; Merrill 2019",
            archs=("lstm",),
            reason="a recurrent network with saturating units simulates any finite automaton",
        ),
    ]


def predictions_for(star_free: bool, complexity: str, facts: TrackingFacts | None = None) -> tuple[Prediction, ...]:
    """One prediction per transition class for a language with this verdict,
    circuit class and (when computed) :class:`~.tracking.TrackingFacts`."""
    rows = [_nonneg_diagonal(star_free, facts), _neg_diagonal(star_free, facts), _gh_nonneg(star_free, facts),
            _gh_neg(star_free, facts), _gh_product(facts)]
    other = _other_rows(star_free, complexity)
    return tuple(rows[:1] + other[:1] + other[1:3] + rows[1:] + other[3:])


def predict_model(arch: str, *, star_free: bool, complexity: str, facts: TrackingFacts | None,
                  negative_eigenvalues: bool = False, householders: int = 1, layers: int = 1) -> Prediction:
    """The theorems' verdict for one model: an ``--arch`` with its options and depth.

    ``expressible`` is None where no theorem decides this model (for example
    a DeltaProduct with fewer factors than the constructions use).
    """
    if arch not in MODEL_ARCHS:
        raise ParameterError(f"unknown arch {arch!r}; expected one of {', '.join(MODEL_ARCHS)}")
    if arch in ("mamba", "mamba2"):
        p = _neg_diagonal(star_free, facts) if negative_eigenvalues else _nonneg_diagonal(star_free, facts)
        if p.expressible is True and p.layers is not None and layers < p.layers:
            return Prediction(architecture=p.architecture, expressible=None, citation=p.citation,
                              reason=f"the construction uses {p.layers} layers", archs=p.archs)
        return p
    if arch == "lstm":
        return _other_rows(star_free, complexity)[3]
    if arch == "transformer":
        tc0 = _other_rows(star_free, complexity)[1]
        return tc0 if tc0.expressible is False else _other_rows(star_free, complexity)[2]
    n_h = householders if arch == "deltaproduct" else 1
    if not negative_eigenvalues:
        return _gh_nonneg(star_free, facts, householders=n_h, layers=layers)
    p = _gh_neg(star_free, facts, layers=layers) if n_h == 1 else _gh_product(facts, n_h, layers)
    if n_h > 1 and p.expressible is None:  # a product of n_h factors contains one factor (the others identity)
        q = _gh_neg(star_free, facts, layers=layers)
        p = q if q.expressible is True else p
    if p.expressible is True and p.layers is not None and layers < p.layers:
        return Prediction(architecture=p.architecture, expressible=None, citation=p.citation, archs=p.archs,
                          reason=f"the construction uses {p.layers} layers; with {layers} no theorem decides it")
    return p
