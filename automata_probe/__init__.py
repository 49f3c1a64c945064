"""automata-probe: what can sequence models represent?

Define a language, ask whether it is star-free, train a Mamba model on it, look
for the automaton's states inside the model with linear probes, extract an
automaton from the model and compare it with the truth.

Importing the package is cheap: torch, scikit-learn and matplotlib are imported
by the modules that need them, and mamba-ssm only when CUDA is present.
"""

import logging

from .automata.dfa import DFA, are_equivalent, disagreement_counts, find_counterexample
from .automata.implicit import ImplicitDFA
from .automata.words import format_word
from ._version import __version__
from .errors import AutomataProbeError


logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "DFA",
    "ImplicitDFA",
    "AutomataProbeError",
    "are_equivalent",
    "disagreement_counts",
    "find_counterexample",
    "format_word",
    "__version__",
]
