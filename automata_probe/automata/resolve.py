"""Find a language by name: a file, the suite, a family, or a regex.

:func:`load_language` resolves a name in this order:

1. an existing path to a ``.toml`` file;
2. ``./languages/NAME.toml`` in the working directory;
3. the suite that ships with the package (:func:`suite_dir`);
4. a counter language bounded at ``B`` (``dyck1@20``, see
   :mod:`automata_probe.automata.counter`; a bare ``dyck1`` is not regular and
   raises :class:`~automata_probe.errors.NotRegularError`);
5. a parametric family (:mod:`automata_probe.automata.families`: ``dyck-2-3``,
   ``Dn-4``, ``group-S5``, ``group-A5-all``, ``mod-3-1``, ...).

Suite names match case-insensitively; an unknown name raises
:class:`~automata_probe.errors.LanguageNotFoundError` with the closest names.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Sequence

from ..errors import AlphabetError, LanguageFileError, LanguageNotFoundError, excerpt
from .dfa import DFA
from .counter import bounded_language, is_counter_name, not_regular_error
from .families import DEFAULT_MAX_STATES, FAMILY_EXAMPLES, family
from .files import read_language_file
from .language import Experiment, Language
from .nfa import DEFAULT_MAX_NFA_STATES
from .regex import regex_to_dfa

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["load_language", "language_from_regex", "language_from_dfa", "suite_names", "suite_dir"]


def suite_dir() -> Path:
    """The folder of the built-in suite.

    Inside an installed wheel it is ``automata_probe/languages`` (setup.py
    copies the top-level ``languages/`` there); in a source checkout or an
    editable install it is the repository's ``languages/`` next to the
    package.
    """
    from pathlib import Path  # local: not on the regex path (startup)
    from importlib import resources  # local: only for --dfa (startup)
    packaged = resources.files("automata_probe") / "languages"
    if packaged.is_dir():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parents[2] / "languages"
    if checkout.is_dir():
        return checkout
    raise LanguageFileError(
        f"the language suite is missing: neither {packaged} nor {checkout} exists (reinstall the package)"
    )


def suite_names() -> list[str]:
    """Names of the built-in languages, sorted."""
    return sorted(p.stem for p in suite_dir().glob("*.toml"))


def _is_file(path: Path) -> bool:
    """``path.is_file()``, False for a name the file system cannot hold (too long, ...)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


def _as_path(text: str) -> Path:
    """``text`` as a path, ``~`` expanded where it names a home directory (``~(ab)*`` does not)."""
    from pathlib import Path  # local: not on the regex path (startup)
    try:
        return Path(text).expanduser()
    except RuntimeError:
        return Path(text)


def _find_in(folder: Path, name: str) -> Path | None:
    if not _is_dir(folder):
        return None
    exact = folder / f"{name}.toml"
    if _is_file(exact):
        return exact
    lowered = name.lower()
    for p in sorted(folder.glob("*.toml")):
        if p.stem.lower() == lowered:
            return p
    return None


def load_language(
    spec: str | Path,
    *,
    alphabet: str | Sequence[str] | None = None,
    max_states: int = DEFAULT_MAX_STATES,
    max_nfa_states: int = DEFAULT_MAX_NFA_STATES,
) -> Language:
    """Load a language by path, suite name or family name.

    Parameters
    ----------
    spec
        A path to a ``.toml`` file, a name in ``./languages`` or the suite, or
        a family (``dyck-2-3``, ``Dn-4``, ``group-S5`` or just ``S5``, ``mod-3``...). Regexes
        go through :func:`language_from_regex` instead.
    alphabet
        A wider alphabet (a superset of the language's, in the order wanted);
        the new letters lead to the dead state.
    max_states
        Cap on the states of a generated family, and of the DFAs built for a
        language file's regex.
    max_nfa_states
        Cap on the NFA of a language file's regex
        (:func:`~automata_probe.automata.regex.regex_to_dfa`).

    Raises
    ------
    LanguageNotFoundError
        Nothing by that name (the message lists the closest names).
    LanguageFileError
        A file that cannot be read or is invalid.
    StateSpaceTooLargeError
        A family larger than ``max_states``.
    """
    from pathlib import Path  # local: not on the regex path (startup)
    text = str(spec)
    path = _as_path(text)
    budgets = {"max_states": max_states, "max_nfa_states": max_nfa_states}
    language: Language | None = None
    if text.endswith(".toml") or _is_file(path):
        if not _is_file(path):
            what = "is a directory, not a language file" if _is_dir(path) else "no such language file"
            raise LanguageFileError(f"{excerpt(text, 200, around=len(text))}: {what}")
        language = read_language_file(path, **budgets)
    else:
        for folder in (Path.cwd() / "languages", suite_dir()):
            found = _find_in(folder, text)
            if found is not None:
                language = read_language_file(found, **budgets)
                break
    if language is None and is_counter_name(text):
        if "@" not in text:  # a counter language has no DFA; NAME@B is its bounded, regular part
            raise not_regular_error(text)
        language = bounded_language(text, max_states=max_states)
    if language is None:
        fam = family(text, max_states=max_states)
        if fam is None and _BARE_GROUP.fullmatch(text):
            # a bare group (S5, A5-all, A4xZ5) names its word problem; suite
            # names win, so D4 stays Dyck's D_4 and the dihedral group is group-D4
            fam = family(f"group-{text}", max_states=max_states)
        if fam is not None:
            language = Language(
                name=fam.name,
                description=fam.description,
                alphabet=fam.implicit.alphabet,
                dfa=fam.dfa(max_states=max_states),
                source=fam.source,
                experiment=Experiment(train_lengths=fam.train_lengths, test_bins=fam.test_bins),
                family=fam.kind,
            )
    if language is None and _is_dir(path):
        raise LanguageFileError(_directory_message(text, path))
    if language is None:
        raise LanguageNotFoundError(text, _closest(text))
    if alphabet is not None:
        language = _widen(language, alphabet)
    return language


def _directory_message(text: str, path: Path) -> str:
    inside = sorted(p.name for p in path.glob("*.toml"))[:4]
    hint = f" (it holds {', '.join(inside)}{', ...' if len(inside) == 4 else ''})" if inside else ""
    return (
        f"{excerpt(text, 200, around=len(text))}: is a directory, not a language; give a .toml language file{hint}, "
        "a suite name or a family"
    )


#: A group written without the family prefix: S5, A5-all, A4xZ5, Z60-all.
_BARE_GROUP = re.compile(r"[SAZD]\d+(x[SAZD]\d+)*(-all)?")


def _closest(name: str) -> list[str]:
    from pathlib import Path  # local: not on the regex path (startup)
    import difflib  # local: only for an unknown name (startup)
    try:
        suite = suite_names()
    except LanguageFileError:
        suite = []
    local = Path.cwd() / "languages"
    if local.is_dir():
        suite = sorted(set(suite) | {p.stem for p in local.glob("*.toml")})
    candidates = suite + list(FAMILY_EXAMPLES)
    lowered = {c.lower(): c for c in candidates}
    if len(name) > 100:  # no name is that long, and difflib is quadratic in it
        return []
    close = difflib.get_close_matches(name.lower(), list(lowered), n=3, cutoff=0.6)
    return [lowered[c] for c in close]


def language_from_regex(
    pattern: str,
    alphabet: str | Sequence[str] | None = None,
    name: str | None = None,
    *,
    description: str = "",
    max_states: int = DEFAULT_MAX_STATES,
    max_nfa_states: int = DEFAULT_MAX_NFA_STATES,
) -> Language:
    """A language from a regular expression (syntax: :mod:`automata_probe.automata.regex`;
    ``max_states`` and ``max_nfa_states`` as in :func:`~automata_probe.automata.regex.regex_to_dfa`)."""
    label = name or pattern
    dfa = regex_to_dfa(pattern, alphabet, name=label, max_states=max_states, max_nfa_states=max_nfa_states)
    return Language(
        name=label,
        description=description or f"the language of the regex {pattern}",
        alphabet=dfa.alphabet,
        dfa=dfa,
        regex=pattern,
        source="regex",
    )


def language_from_dfa(dfa: DFA, name: str | None = None, *, description: str = "") -> Language:
    """Wrap an explicit DFA (minimized and renamed) as a language."""
    label = name or dfa.name or "dfa"
    minimal = dfa.minimize().with_name(label)
    return Language(
        name=label,
        description=description or f"the language of the DFA {label}",
        alphabet=minimal.alphabet,
        dfa=minimal,
        source="DFA",
    )


def _widen(language: Language, alphabet: str | Sequence[str]) -> Language:
    letters = tuple(alphabet)
    missing = [a for a in language.alphabet if a not in letters]
    if missing:
        raise AlphabetError(
            f"--alphabet {{{', '.join(letters)}}} lacks {', '.join(repr(a) for a in missing)}, "
            f"used by {language.name}"
        )
    if letters == language.alphabet:
        return language
    old = language.dfa
    if language.regex is not None:
        dfa = regex_to_dfa(language.regex, letters, name=language.name)
    else:
        n = old.n_states
        dead = old.dead if old.dead is not None else n
        rows = []
        for q in range(n):
            rows.append(tuple(old.transitions[q][old.letter_index[a]] if a in old.letter_index else dead for a in letters))
        if dead == n:
            rows.append(tuple(n for _ in letters))
        dfa = DFA(
            alphabet=letters, transitions=tuple(rows), start=old.start, accepting=old.accepting, name=language.name
        ).minimize()
    # facts computed over the old alphabet may not hold over the new one
    return replace(language, alphabet=letters, dfa=dfa, expect={})
