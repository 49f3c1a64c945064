"""Languages by name, by file, from a regex or from a family.

A :class:`Language` couples a minimal DFA with what a study needs to know
about it: a description, where it comes from, facts the tests check
(``expect``) and the default train/test lengths (``experiment``).

:func:`load_language` resolves a name in this order (DESIGN.md):

1. an existing path to a ``.toml`` file;
2. ``./languages/NAME.toml`` in the working directory;
3. the suite that ships with the package (:func:`suite_dir`);
4. a parametric family (:mod:`automata_probe.automata.families`: ``dyck-2-3``,
   ``Dn-4``, ``group-S5``, ``group-A5-all``, ``mod-3-1``, ...).

Suite names are matched case-insensitively (``Tomita3`` finds ``tomita3``);
an unknown name raises :class:`~automata_probe.errors.LanguageNotFoundError`
with the closest names.

The suite (``languages/*.toml``)
--------------------------------
==============  ======================  ======  =========================
name            language                Sigma   star-free
==============  ======================  ======  =========================
tomita1         1*                      0 1     yes
tomita2         (10)*                   0 1     yes
tomita3         no odd 1-block followed 0 1     no
                by an odd 0-block
tomita4         no 000                  0 1     yes
tomita5         even 0s and even 1s     0 1     no
tomita6         #0 - #1 = 0 mod 3       0 1     no
tomita7         0*1*0*1*                0 1     yes
parity          even number of 1s       0 1     no
aa_star         (aa)*                   a       no
aaaa_star       (aaaa)*                 a       no
abab_star       (abab)*                 a b     no
d1 .. d4, d12   D_n, Dyck-1 depth <= n  a b     yes
abcde           aa*bb*cc*dd*ee*         a-e     yes
ab_d_bc         {a,b}*d{b,c}*           a-d     yes
012_02          {0,1,2}*02*             0 1 2   yes
flip_flop       flip-flop (Liu et al.)  w r i   yes
                                        0 1
==============  ======================  ======  =========================

File format
-----------
::

    name = "tomita4"                       # default: the file name
    description = "no three consecutive 0s"
    alphabet = ["0", "1"]                  # or "01"
    regex = "(1|01|001)*(0|00)?"           # automata_probe.automata.regex syntax
    source = "Tomita 1982"
    [expect]                               # facts the tests check
    star_free = true                       # also: min_states, monoid_size,
    min_states = 4                         # aperiodicity_index, complexity,
    accepts = ["", "1001"]                 # subgroups, accepts, rejects
    [experiment]
    train_lengths = [1, 100]
    test_bins = [[101, 150]]
    [dfa]                                  # optional explicit table
    start = "q0"
    accept = ["q0", "q1", "q2"]
    [dfa.transitions]                      # a missing transition goes to a dead state
    q0 = {"0" = "q1", "1" = "q0"}
    q1 = {"0" = "q2", "1" = "q0"}
    q2 = {"1" = "q0"}

With both ``regex`` and ``[dfa]`` the loader checks that they define the same
language and names the shortest word where they differ. Every problem in a
file is a :class:`~automata_probe.errors.LanguageFileError` that names the file
and the key.
"""

from __future__ import annotations

import difflib
import logging
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping, Sequence

from .dfa import DFA, find_counterexample, format_word
from ..errors import (
    AlphabetError,
    AutomataProbeError,
    LanguageFileError,
    LanguageNotFoundError,
    RegexError,
)
from .families import DEFAULT_MAX_STATES, FAMILY_EXAMPLES, family
from .regex import regex_to_dfa

__all__ = [
    "Experiment",
    "Language",
    "load_language",
    "language_from_regex",
    "language_from_dfa",
    "suite_names",
    "suite_dir",
    "check_expectations",
    "EXPECT_KEYS",
    "DEFAULT_EXPERIMENT",
]

log = logging.getLogger(__name__)

_TOP_KEYS = {"name", "description", "alphabet", "regex", "source", "expect", "experiment", "dfa"}
_DFA_KEYS = {"start", "accept", "transitions"}
_EXPERIMENT_KEYS = {"train_lengths", "test_bins"}
#: Keys allowed in a file's ``[expect]`` table, with their types.
EXPECT_KEYS: Mapping[str, type | tuple[type, ...]] = {
    "star_free": bool,
    "min_states": int,
    "monoid_size": int,
    "aperiodicity_index": int,
    "complexity": str,
    "subgroups": list,
    "accepts": list,
    "rejects": list,
}


# ----------------------------------------------------------------- types
@dataclass(frozen=True, kw_only=True)
class Experiment:
    """Default lengths for training and for the length-generalization bins.

    Both ends are inclusive. The test bins should not overlap the training
    lengths (Sarrof et al.'s release overlapped for a few languages; the suite
    does not).
    """

    train_lengths: tuple[int, int]
    test_bins: tuple[tuple[int, int], ...]

    def __post_init__(self) -> None:
        train = _length_range(self.train_lengths, "train_lengths")
        bins = tuple(_length_range(b, f"test_bins[{i}]") for i, b in enumerate(self.test_bins))
        object.__setattr__(self, "train_lengths", train)
        object.__setattr__(self, "test_bins", bins)

    def overlapping_bins(self) -> tuple[tuple[int, int], ...]:
        """Test bins that share a length with the training range."""
        lo, hi = self.train_lengths
        return tuple(b for b in self.test_bins if b[0] <= hi and b[1] >= lo)


def _length_range(value: Any, what: str) -> tuple[int, int]:
    try:
        lo, hi = value
    except (TypeError, ValueError):
        raise LanguageFileError(f"{what} must be a pair [low, high], not {value!r}") from None
    if not all(isinstance(x, int) and not isinstance(x, bool) for x in (lo, hi)):
        raise LanguageFileError(f"{what} must hold two integers, not {value!r}")
    if lo < 0 or hi < lo:
        raise LanguageFileError(f"{what} = [{lo}, {hi}] is not a range of lengths (0 <= low <= high)")
    return (int(lo), int(hi))


#: Lengths for a language that names none (a regex typed on the command line).
DEFAULT_EXPERIMENT = Experiment(train_lengths=(1, 50), test_bins=((51, 100),))


@dataclass(frozen=True, kw_only=True)
class Language:
    """A language and what we know about it.

    Parameters
    ----------
    name
        Short name (``tomita3``, ``dyck-2-3``, or the regex itself).
    description
        One line for people.
    alphabet
        The letters, in the order that numbers them (``dfa.alphabet``).
    dfa
        The minimal complete DFA, canonically numbered, named ``name``.
    regex
        The defining regular expression, if any.
    source
        Where the language comes from (papers).
    expect
        Facts the tests check (keys in :data:`EXPECT_KEYS`).
    experiment
        Default train/test lengths.
    family
        The family kind (``"dyck"``, ``"Dn"``, ``"group"``, ``"mod"``) for
        generated languages, else None.
    path
        The file it was read from, if any.
    """

    name: str
    description: str
    alphabet: tuple[str, ...]
    dfa: DFA
    regex: str | None = None
    source: str = ""
    expect: dict[str, Any] = field(default_factory=dict, hash=False)
    experiment: Experiment = DEFAULT_EXPERIMENT
    family: str | None = None
    path: Path | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise LanguageFileError("a language needs a non-empty name")
        object.__setattr__(self, "alphabet", tuple(self.alphabet))
        if self.dfa.alphabet != self.alphabet:
            raise AlphabetError(
                f"language {self.name!r}: alphabet {{{', '.join(self.alphabet)}}} differs from its DFA's "
                f"{{{', '.join(self.dfa.alphabet)}}}"
            )
        unknown = set(self.expect) - set(EXPECT_KEYS)
        if unknown:
            raise LanguageFileError(f"language {self.name!r}: unknown [expect] key {sorted(unknown)[0]!r}")
        object.__setattr__(self, "expect", dict(self.expect))

    @property
    def n_states(self) -> int:
        return self.dfa.n_states

    def accepts(self, word: str | Sequence[str]) -> bool:
        return self.dfa.accepts(word)


# ------------------------------------------------------------ resolution
def suite_dir() -> Path:
    """The folder of the built-in suite.

    Inside an installed wheel it is ``automata_probe/languages`` (pyproject
    force-includes the top-level ``languages/`` there); in a source checkout or
    an editable install it is the repository's ``languages/`` next to the
    package.
    """
    from importlib import resources

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


def _find_in(folder: Path, name: str) -> Path | None:
    if not folder.is_dir():
        return None
    exact = folder / f"{name}.toml"
    if exact.is_file():
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
        Cap for generated families.

    Raises
    ------
    LanguageNotFoundError
        Nothing by that name (the message lists the closest names).
    LanguageFileError
        A file that cannot be read or is invalid.
    StateSpaceTooLargeError
        A family larger than ``max_states``.
    """
    text = str(spec)
    path = Path(text).expanduser()
    language: Language | None = None
    if text.endswith(".toml") or path.is_file():
        if not path.is_file():
            raise LanguageFileError(f"{text}: no such language file")
        language = _load_file(path)
    else:
        for folder in (Path.cwd() / "languages", suite_dir()):
            found = _find_in(folder, text)
            if found is not None:
                language = _load_file(found)
                break
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
    if language is None:
        raise LanguageNotFoundError(text, _closest(text))
    if alphabet is not None:
        language = _widen(language, alphabet)
    return language


#: A group written without the family prefix: S5, A5-all, A4xZ5, Z60-all.
_BARE_GROUP = re.compile(r"[SAZD]\d+(x[SAZD]\d+)*(-all)?")


def _closest(name: str) -> list[str]:
    try:
        suite = suite_names()
    except LanguageFileError:
        suite = []
    local = Path.cwd() / "languages"
    if local.is_dir():
        suite = sorted(set(suite) | {p.stem for p in local.glob("*.toml")})
    candidates = suite + list(FAMILY_EXAMPLES)
    lowered = {c.lower(): c for c in candidates}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=3, cutoff=0.6)
    return [lowered[c] for c in close]


def language_from_regex(
    pattern: str,
    alphabet: str | Sequence[str] | None = None,
    name: str | None = None,
    *,
    description: str = "",
) -> Language:
    """A language from a regular expression (syntax: :mod:`automata_probe.automata.regex`)."""
    label = name or pattern
    dfa = regex_to_dfa(pattern, alphabet, name=label)
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


# ----------------------------------------------------------------- files
def _load_file(path: Path) -> Language:
    where = str(path)
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise LanguageFileError(f"{where}: TOML syntax error: {e}") from None
    except OSError as e:
        raise LanguageFileError(f"{where}: cannot read: {e.strerror or e}") from None
    try:
        return _parse(data, path)
    except LanguageFileError:
        raise
    except AutomataProbeError as e:
        raise LanguageFileError(f"{where}: {e}") from None


def _fail(path: Path, key: str, message: str) -> LanguageFileError:
    return LanguageFileError(f"{path}: key {key!r}: {message}")


def _string(data: Mapping[str, Any], key: str, path: Path, default: str | None = None) -> str | None:
    value = data.get(key, default)
    if value is not None and not isinstance(value, str):
        raise _fail(path, key, f"must be a string, not {type(value).__name__}")
    return value


def _parse(data: Mapping[str, Any], path: Path) -> Language:
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        close = difflib.get_close_matches(unknown[0], sorted(_TOP_KEYS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise _fail(path, unknown[0], f"unknown key{hint}; allowed: {', '.join(sorted(_TOP_KEYS))}")
    name = _string(data, "name", path, default=path.stem) or path.stem
    description = _string(data, "description", path, default="") or ""
    source = _string(data, "source", path, default="") or ""
    regex = _string(data, "regex", path)

    if "alphabet" not in data:
        raise _fail(path, "alphabet", "missing (a list of letters, or a string of one-character letters)")
    raw_alphabet = data["alphabet"]
    if isinstance(raw_alphabet, str):
        alphabet = tuple(raw_alphabet)
    elif isinstance(raw_alphabet, list) and all(isinstance(a, str) for a in raw_alphabet):
        alphabet = tuple(raw_alphabet)
    else:
        raise _fail(path, "alphabet", f"must be a list of strings or a string, not {raw_alphabet!r}")
    if not alphabet:
        raise _fail(path, "alphabet", "is empty")
    if len(set(alphabet)) != len(alphabet):
        dup = next(a for a in alphabet if alphabet.count(a) > 1)
        raise _fail(path, "alphabet", f"letter {dup!r} appears twice")
    for a in alphabet:
        if a == "" or any(c.isspace() for c in a):
            raise _fail(path, "alphabet", f"letter {a!r} is empty or contains a space")

    if regex is None and "dfa" not in data:
        raise LanguageFileError(f"{path}: needs a 'regex' or a [dfa] table (or both)")

    from_regex: DFA | None = None
    if regex is not None:
        try:
            from_regex = regex_to_dfa(regex, alphabet, name=name)
        except (RegexError, AlphabetError) as e:
            raise _fail(path, "regex", str(e)) from None

    from_table: DFA | None = None
    if "dfa" in data:
        from_table = _parse_table(data["dfa"], alphabet, name, path)

    if from_regex is not None and from_table is not None:
        word = find_counterexample(from_regex, from_table)
        if word is not None:
            verdict = "accepts" if from_regex.accepts(word) else "rejects"
            raise LanguageFileError(
                f"{path}: 'regex' and [dfa] disagree on {format_word(word)!r}: the regex {verdict} it, "
                "the table does not"
            )
    dfa = from_table if from_table is not None else from_regex
    assert dfa is not None  # one of the two exists (checked above)

    expect = _parse_expect(data.get("expect", {}), path, dfa)
    experiment = _parse_experiment(data.get("experiment"), path)
    return Language(
        name=name,
        description=description,
        alphabet=alphabet,
        dfa=dfa,
        regex=regex,
        source=source,
        expect=expect,
        experiment=experiment,
        path=path,
    )


def _parse_table(table: Any, alphabet: tuple[str, ...], name: str, path: Path) -> DFA:
    if not isinstance(table, dict):
        raise _fail(path, "dfa", "must be a table with start, accept and transitions")
    unknown = sorted(set(table) - _DFA_KEYS)
    if unknown:
        raise _fail(path, f"dfa.{unknown[0]}", f"unknown key; allowed: {', '.join(sorted(_DFA_KEYS))}")
    for key in sorted(_DFA_KEYS):
        if key not in table:
            raise _fail(path, f"dfa.{key}", "missing")
    transitions = table["transitions"]
    if not isinstance(transitions, dict) or not transitions:
        raise _fail(path, "dfa.transitions", "must be a non-empty table {state = {letter = state}}")
    states = set(transitions)
    start = table["start"]
    if not isinstance(start, str) or start not in states:
        raise _fail(path, "dfa.start", f"{start!r} is not a state of dfa.transitions")
    accept = table["accept"]
    if not isinstance(accept, list):
        raise _fail(path, "dfa.accept", "must be a list of states")
    for q in accept:
        if q not in states:
            raise _fail(path, "dfa.accept", f"{q!r} is not a state of dfa.transitions")
    letters = set(alphabet)
    for q, row in transitions.items():
        key = f"dfa.transitions.{q}"
        if not isinstance(row, dict):
            raise _fail(path, key, "must be a table {letter = state}")
        for a, t in row.items():
            if a not in letters:
                raise _fail(path, key, f"letter {a!r} is not in the alphabet {{{', '.join(alphabet)}}}")
            if not isinstance(t, str) or t not in states:
                raise _fail(path, f"{key}.{a}", f"target {t!r} is not a state of dfa.transitions")
    dfa = DFA.from_table(alphabet=alphabet, transitions=transitions, start=start, accept=accept, name=name)
    return dfa.minimize().with_name(name)


def _parse_expect(table: Any, path: Path, dfa: DFA) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise _fail(path, "expect", "must be a table")
    out: dict[str, Any] = {}
    for key, value in table.items():
        if key not in EXPECT_KEYS:
            close = difflib.get_close_matches(key, list(EXPECT_KEYS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise _fail(path, f"expect.{key}", f"unknown fact{hint}; allowed: {', '.join(EXPECT_KEYS)}")
        kind = EXPECT_KEYS[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise _fail(path, f"expect.{key}", f"must be {kind.__name__}, not {value!r}")  # type: ignore[union-attr]
        if key in ("accepts", "rejects", "subgroups"):
            if not all(isinstance(w, str) for w in value):
                raise _fail(path, f"expect.{key}", "must be a list of strings")
        if key in ("accepts", "rejects"):
            for w in value:
                try:
                    dfa.encode(w)
                except AlphabetError as e:
                    raise _fail(path, f"expect.{key}", f"word {w!r}: {e}") from None
        out[key] = value
    return out


def _parse_experiment(table: Any, path: Path) -> Experiment:
    if table is None:
        return DEFAULT_EXPERIMENT
    if not isinstance(table, dict):
        raise _fail(path, "experiment", "must be a table")
    unknown = sorted(set(table) - _EXPERIMENT_KEYS)
    if unknown:
        raise _fail(path, f"experiment.{unknown[0]}", f"unknown key; allowed: {', '.join(sorted(_EXPERIMENT_KEYS))}")
    try:
        train = table.get("train_lengths", list(DEFAULT_EXPERIMENT.train_lengths))
        bins = table.get("test_bins", [list(b) for b in DEFAULT_EXPERIMENT.test_bins])
        if not isinstance(bins, list) or not bins:
            raise LanguageFileError(f"test_bins must be a non-empty list of [low, high] pairs, not {bins!r}")
        return Experiment(train_lengths=train, test_bins=tuple(bins))
    except LanguageFileError as e:
        raise _fail(path, "experiment", str(e)) from None


# ---------------------------------------------------------------- checks
def check_expectations(language: Language, *, max_monoid: int = 2_000_000) -> list[str]:
    """Compare ``language.expect`` with what the computation says.

    Returns one line per fact that does not hold (an empty list when all
    do). Monoid facts use :func:`automata_probe.algebra.classify`, imported
    only when the language states one.
    """
    problems: list[str] = []
    e = language.expect
    dfa = language.dfa
    if "min_states" in e and dfa.n_states != e["min_states"]:
        problems.append(f"min_states: expected {e['min_states']}, the minimal DFA has {dfa.n_states}")
    for w in e.get("accepts", []):
        if not dfa.accepts(w):
            problems.append(f"accepts: {format_word(dfa.split(w))!r} is rejected")
    for w in e.get("rejects", []):
        if dfa.accepts(w):
            problems.append(f"rejects: {format_word(dfa.split(w))!r} is accepted")
    algebraic = {"star_free", "monoid_size", "aperiodicity_index", "complexity", "subgroups"}
    if algebraic & set(e):
        from ..algebra import classify, transition_monoid

        c = classify(dfa, max_size=max_monoid)
        if "star_free" in e and c.star_free != e["star_free"]:
            problems.append(f"star_free: expected {e['star_free']}, computed {c.star_free}")
        if "monoid_size" in e:
            size = c.monoid_size if c.monoid_size is not None else transition_monoid(dfa, max_size=max_monoid).size
            if size != e["monoid_size"]:
                problems.append(f"monoid_size: expected {e['monoid_size']}, computed {size}")
        if "aperiodicity_index" in e and c.aperiodicity_index != e["aperiodicity_index"]:
            problems.append(
                f"aperiodicity_index: expected {e['aperiodicity_index']}, computed {c.aperiodicity_index}"
            )
        if "complexity" in e and c.complexity != e["complexity"]:
            problems.append(f"complexity: expected {e['complexity']}, computed {c.complexity}")
        if "subgroups" in e:
            names = sorted(g.name for g in c.subgroups)
            if names != sorted(e["subgroups"]):
                problems.append(f"subgroups: expected {sorted(e['subgroups'])}, computed {names}")
    return problems
