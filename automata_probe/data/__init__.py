"""Data: tokens, length bins, exact sampling, per-position targets and batches.

The one place where tokens meet DFA states (see :mod:`automata_probe.data.tokens`
for the alignment convention).
"""

from .counter_sampling import (
    count_counter_words,
    counter_lengths_with_words,
    counter_patterns,
    counter_run,
    sample_counter_words,
)
from .bounded_dyck import dyck_alphabet, dyck_lm_batch, sample_bounded_dyck
from .flipflop import FLIP_FLOP_ALPHABET, flip_flop_batch, flip_flop_gaps, sample_flip_flop
from .batches import Batch, batch_from_indices, batch_from_words, sample_batch, words_of_batch
from .lengths import LengthBin, check_bins
from .sampling import (
    SOURCES,
    RNGLike,
    default_source,
    stored_source,
    lengths_with_words,
    sample_in_language,
    sample_lengths,
    sample_uniform,
    sample_words,
)
from .targets import TASKS, n_outputs, next_patterns, targets_from_states
from .tokens import Tokenizer, check_indices, pad_words, tokens_from_indices

__all__ = [
    "count_counter_words",
    "counter_lengths_with_words",
    "counter_patterns",
    "counter_run",
    "sample_counter_words",
    "dyck_alphabet",
    "dyck_lm_batch",
    "sample_bounded_dyck",
    "FLIP_FLOP_ALPHABET",
    "flip_flop_batch",
    "flip_flop_gaps",
    "sample_flip_flop",
    "Batch",
    "batch_from_indices",
    "batch_from_words",
    "sample_batch",
    "words_of_batch",
    "LengthBin",
    "check_bins",
    "SOURCES",
    "RNGLike",
    "default_source",
    "stored_source",
    "lengths_with_words",
    "sample_in_language",
    "sample_lengths",
    "sample_uniform",
    "sample_words",
    "TASKS",
    "n_outputs",
    "next_patterns",
    "targets_from_states",
    "Tokenizer",
    "check_indices",
    "pad_words",
    "tokens_from_indices",
]
