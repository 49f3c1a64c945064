"""What published theorems say about each architecture on a language: :class:`Prediction`.

Predictions depend only on star-freeness and the circuit class; they are never
empirical claims. :data:`CITATIONS` holds the full references for the short
citations used here and in the classification's evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["CITATIONS", "Prediction", "predictions_for"]

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
    "State-Tracking in Linear RNNs Through Negative Eigenvalues, ICLR 2025",
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
    """

    architecture: str
    expressible: bool | None
    citation: str
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "architecture": self.architecture,
            "expressible": self.expressible,
            "citation": self.citation,
            "reason": self.reason,
        }


def predictions_for(star_free: bool, complexity: str) -> tuple[Prediction, ...]:
    """One prediction per architecture for a language with this verdict and circuit class."""
    nc1 = complexity == "NC1-complete"
    out = [
        Prediction(
            architecture="Mamba / SSM with non-negative gates",
            expressible=star_free,
            citation="Sarrof, Veitsman & Hahn 2024",
            reason="finite-precision SSMs with non-negative (diagonal) gates model a regular language "
            "at every length iff it is star-free",
        ),
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
            architecture="Linear RNN, products of generalized Householder matrices, eigenvalues in [-1, 1]",
            expressible=True,
            citation="Grazzi et al. 2025",
            reason="with enough layers these finite-precision linear RNNs recognize every regular language "
            "(non-negative eigenvalues alone cannot solve parity)",
        ),
        Prediction(
            architecture="LSTM / non-linear RNN",
            expressible=True,
            citation="Minsky 1967; Merrill 2019",
            reason="a recurrent network with saturating units simulates any finite automaton",
        ),
    ]
    return tuple(out)
