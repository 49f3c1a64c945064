"""Automata: the DFA type, regexes, generated families, language files and name resolution."""

from .dfa import DFA, align_alphabet, are_equivalent, disagreement_counts, find_counterexample
from .implicit import ImplicitDFA
from .words import Word, format_word, split_word
from .counter import COUNTER_LANGUAGES, CounterLanguage, CounterMachine, counter_language
from .families import FAMILIES, family, family_dfa
from .files import language_toml, read_language_file, write_language_file
from .language import DEFAULT_EXPERIMENT, Experiment, Language
from .nfa import Fragment, NFABuilder
from .regex import regex_to_dfa
from .resolve import language_from_dfa, language_from_regex, load_language, suite_dir, suite_names

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
    "DEFAULT_EXPERIMENT",
    "Experiment",
    "Language",
    "Fragment",
    "NFABuilder",
    "regex_to_dfa",
    "language_from_dfa",
    "language_from_regex",
    "load_language",
    "suite_dir",
    "suite_names",
]
