"""Automata: the DFA type, regexes, generated families, language files and name resolution.

The names below are loaded from their modules on first use (PEP 562): a
command imports only what it needs, so ``is-star-free '(ab)*'`` does not pay
for language files, families or formats it never touches.
"""

from .._lazy import lazy_exports

#: Public name -> the module of this package that defines it.
_HOMES = {
    "DFA": "dfa",
    "align_alphabet": "dfa",
    "are_equivalent": "dfa",
    "disagreement_counts": "dfa",
    "find_counterexample": "dfa",
    "ImplicitDFA": "implicit",
    "Word": "words",
    "format_word": "words",
    "split_word": "words",
    "COUNTER_LANGUAGES": "counter",
    "CounterLanguage": "counter",
    "CounterMachine": "counter",
    "counter_language": "counter",
    "FAMILIES": "families",
    "family": "families",
    "family_dfa": "families",
    "language_toml": "files",
    "read_language_file": "files",
    "write_language_file": "files",
    "read_att": "formats",
    "read_dot": "formats",
    "write_att": "formats",
    "write_dot": "formats",
    "Fragment": "nfa",
    "NFABuilder": "nfa",
    "DEFAULT_EXPERIMENT": "language",
    "Experiment": "language",
    "Language": "language",
    "partition_classes": "language",
    "regex_to_dfa": "regex",
    "language_from_dfa": "resolve",
    "language_from_regex": "resolve",
    "load_language": "resolve",
    "suite_dir": "resolve",
    "suite_names": "resolve",
}

__all__ = [
    "DFA",
    "ImplicitDFA",
    "Word",
    "align_alphabet",
    "are_equivalent",
    "disagreement_counts",
    "find_counterexample",
    "format_word",
    "split_word",
    "COUNTER_LANGUAGES",
    "CounterLanguage",
    "CounterMachine",
    "counter_language",
    "FAMILIES",
    "family",
    "family_dfa",
    "language_toml",
    "read_language_file",
    "write_language_file",
    "read_att",
    "read_dot",
    "write_att",
    "write_dot",
    "DEFAULT_EXPERIMENT",
    "Experiment",
    "Language",
    "partition_classes",
    "Fragment",
    "NFABuilder",
    "regex_to_dfa",
    "language_from_dfa",
    "language_from_regex",
    "load_language",
    "suite_dir",
    "suite_names",
]


__getattr__, __dir__ = lazy_exports(__name__, _HOMES, __all__)
