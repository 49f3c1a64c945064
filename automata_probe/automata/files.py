"""Language files (TOML): read them into a :class:`~automata_probe.automata.language.Language`, write DFAs out.

The format (``languages/*.toml`` is the built-in suite)::

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
    [partitions]                           # optional named coarsenings of the
    live = {live = ["q0", "q1", "q2"], dead = ["dead"]}   # minimal DFA's states
    [dfa]                                  # optional explicit table
    start = "q0"
    accept = ["q0", "q1", "q2"]
    [dfa.transitions]                      # a missing transition goes to a dead state
    q0 = {"0" = "q1", "1" = "q0"}
    q1 = {"0" = "q2", "1" = "q0"}
    q2 = {"1" = "q0"}

With both ``regex`` and ``[dfa]`` the reader checks that they define the same
language and names the shortest word where they differ. Every problem is a
:class:`~automata_probe.errors.LanguageFileError` naming the file and the key.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Mapping

from ..errors import AlphabetError, AutomataProbeError, LanguageFileError, RegexError, excerpt
from .dfa import DFA, find_counterexample
from .words import format_word
from .language import DEFAULT_EXPERIMENT, EXPECT_KEYS, Experiment, Language, partition_classes
from .nfa import DEFAULT_MAX_DFA_STATES, DEFAULT_MAX_NFA_STATES
from .regex import regex_to_dfa

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["read_language_file", "language_toml", "write_language_file"]

_TOP_KEYS = {"name", "description", "alphabet", "regex", "source", "expect", "experiment", "dfa", "partitions"}
_DFA_KEYS = {"start", "accept", "transitions"}
_EXPERIMENT_KEYS = {"train_lengths", "test_bins"}
#: A language file larger than this is refused unread (the suite's are a few kB).
MAX_FILE_BYTES = 64 * 2**20


def read_language_file(
    path: str | os.PathLike[str],
    *,
    max_states: int = DEFAULT_MAX_DFA_STATES,
    max_nfa_states: int = DEFAULT_MAX_NFA_STATES,
) -> Language:
    """Read and check one language file (UTF-8 TOML; a regex in it is compiled
    under ``max_states`` and ``max_nfa_states``, see
    :func:`~automata_probe.automata.regex.regex_to_dfa`)."""
    from pathlib import Path  # local: not on the regex path (startup)
    path = Path(path)
    where = excerpt(str(path), 200)
    data = _load_toml(path, where)
    try:
        return _parse(data, path, {"max_states": max_states, "max_nfa_states": max_nfa_states})
    except LanguageFileError:
        raise
    except AutomataProbeError as e:
        raise LanguageFileError(f"{where}: {e}") from None


def _load_toml(path: Path, where: str) -> dict[str, Any]:
    """The TOML document in ``path``; every way it can fail is a LanguageFileError."""
    import tomllib  # local: not on the regex path (startup)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise LanguageFileError(f"{where}: {path.stat().st_size:,} bytes; a language file is at most {MAX_FILE_BYTES:,}")
        raw = path.read_bytes()
    except OSError as e:
        raise LanguageFileError(f"{where}: cannot read: {e.strerror or e}") from None
    try:
        text = raw.decode("utf-8-sig")  # a UTF-8 byte-order mark is tolerated
    except UnicodeDecodeError as e:
        utf16 = raw[:2] in (b"\xff\xfe", b"\xfe\xff")
        hint = "; it looks like UTF-16: save it as UTF-8" if utf16 else ""
        raise LanguageFileError(
            f"{where}: not UTF-8 text (byte 0x{raw[e.start]:02x} at offset {e.start}){hint}; "
            "language files are TOML, which is UTF-8"
        ) from None
    if "\x00" in text:
        raise LanguageFileError(f"{where}: not a text file: it holds NUL bytes (UTF-16 without a byte-order mark?)")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise LanguageFileError(f"{where}: TOML syntax error: {e}") from None
    except RecursionError:
        raise LanguageFileError(f"{where}: TOML nested too deeply to read") from None


def _fail(path: Path, key: str, message: str) -> LanguageFileError:
    return LanguageFileError(f"{excerpt(str(path), 200)}: key {excerpt(key)!r}: {message}")


def _show(value: Any) -> str:
    """A value from the file, quoted and cut short for a one-line message."""
    return excerpt(repr(value), 60)


def _string(data: Mapping[str, Any], key: str, path: Path, default: str | None = None) -> str | None:
    value = data.get(key, default)
    if value is not None and not isinstance(value, str):
        raise _fail(path, key, f"must be a string, not {type(value).__name__}")
    return value


def _parse(data: Mapping[str, Any], path: Path, budgets: dict[str, int]) -> Language:
    import difflib  # local: only for an unknown key
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
        raise _fail(path, "alphabet", f"must be a list of strings or a string, not {_show(raw_alphabet)}")
    if not alphabet:
        raise _fail(path, "alphabet", "is empty")
    if len(set(alphabet)) != len(alphabet):
        dup = next(a for a in alphabet if alphabet.count(a) > 1)
        raise _fail(path, "alphabet", f"letter {_show(dup)} appears twice")
    for a in alphabet:
        if a == "" or any(c.isspace() for c in a):
            raise _fail(path, "alphabet", f"letter {_show(a)} is empty or contains a space")

    if regex is None and "dfa" not in data:
        raise LanguageFileError(f"{path}: needs a 'regex' or a [dfa] table (or both)")

    from_regex: DFA | None = None
    if regex is not None:
        try:
            from_regex = regex_to_dfa(regex, alphabet, name=name, **budgets)
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
                f"{path}: 'regex' and [dfa] disagree on {format_word(word, alphabet)!r}: the regex {verdict} it, "
                "the table does not"
            )
    dfa = from_table if from_table is not None else from_regex
    assert dfa is not None  # one of the two exists (checked above)

    expect = _parse_expect(data.get("expect", {}), path, dfa)
    experiment = _parse_experiment(data.get("experiment"), path)
    partitions = _parse_partitions(data.get("partitions", {}), path, dfa)
    return Language(
        name=name,
        description=description,
        alphabet=alphabet,
        dfa=dfa,
        regex=regex,
        source=source,
        expect=expect,
        experiment=experiment,
        partitions=partitions,
        path=path,
    )


def _parse_partitions(table: Any, path: Path, dfa: DFA) -> dict[str, dict[str, tuple[str, ...]]]:
    """``[partitions]``: name -> {block: [state labels of the minimal DFA]}, each checked to partition the states."""
    if not isinstance(table, dict):
        raise _fail(path, "partitions", "must be a table of partitions")
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    minimal = dfa.minimize()
    for name, blocks in table.items():
        key = f"partitions.{name}"
        if not isinstance(blocks, dict) or not all(isinstance(v, list) and all(isinstance(x, str) for x in v)
                                                   for v in blocks.values()):
            raise _fail(path, key, "must map block names to lists of state names")
        parsed = {b: tuple(v) for b, v in blocks.items()}
        try:
            partition_classes(minimal, parsed, what="partition")
        except AutomataProbeError as e:
            raise _fail(path, key, str(e)) from None
        out[name] = parsed
    return out


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
        raise _fail(path, "dfa.start", f"{_show(start)} is not a state of dfa.transitions")
    accept = table["accept"]
    if not isinstance(accept, list):
        raise _fail(path, "dfa.accept", "must be a list of states")
    for q in accept:
        if not isinstance(q, str):
            raise _fail(path, "dfa.accept", f"must be a list of state names (strings), not one holding {_show(q)}")
        if q not in states:
            raise _fail(path, "dfa.accept", f"{_show(q)} is not a state of dfa.transitions")
    letters = set(alphabet)
    for q, row in transitions.items():
        key = f"dfa.transitions.{q}"
        if not isinstance(row, dict):
            raise _fail(path, key, "must be a table {letter = state}")
        for a, t in row.items():
            if a not in letters:
                raise _fail(path, key, f"letter {_show(a)} is not in the alphabet {{{excerpt(', '.join(alphabet))}}}")
            if not isinstance(t, str) or t not in states:
                raise _fail(path, f"{key}.{a}", f"target {_show(t)} is not a state of dfa.transitions")
    dfa = DFA.from_table(alphabet=alphabet, transitions=transitions, start=start, accept=accept, name=name)
    return dfa.minimize().with_name(name)


def _parse_expect(table: Any, path: Path, dfa: DFA) -> dict[str, Any]:
    import difflib  # local: only for an unknown key
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
            raise _fail(path, f"expect.{key}", f"must be {kind.__name__}, not {_show(value)}")  # type: ignore[union-attr]
        if key in ("accepts", "rejects", "subgroups"):
            if not all(isinstance(w, str) for w in value):
                raise _fail(path, f"expect.{key}", "must be a list of strings")
        if key in ("accepts", "rejects"):
            for w in value:
                try:
                    dfa.encode(w)
                except AlphabetError as e:
                    raise _fail(path, f"expect.{key}", f"word {_show(w)}: {e}") from None
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
            raise LanguageFileError(f"test_bins must be a non-empty list of [low, high] pairs, not {_show(bins)}")
        return Experiment(train_lengths=train, test_bins=tuple(bins))
    except LanguageFileError as e:
        raise _fail(path, "experiment", str(e)) from None


# ----------------------------------------------------------------- writing
def _toml_str(s: str) -> str:
    import json  # local: only when writing
    # JSON string escapes are valid TOML basic-string escapes
    return json.dumps(s, ensure_ascii=False)


def language_toml(
    dfa: DFA,
    *,
    name: str,
    description: str = "",
    source: str = "",
    expect: dict[str, Any] | None = None,
    experiment: dict[str, Any] | None = None,
) -> str:
    """A language file (TOML) holding ``dfa`` as an explicit table.

    States are written ``q0, q1, ...`` in the minimal DFA's canonical
    numbering, the dead state as ``dead``; ``[expect] min_states`` is the
    minimal state count, plus any facts in ``expect``; ``experiment`` (e.g.
    ``{"train_lengths": [1, 100], "test_bins": [[101, 150]]}``) becomes the
    ``[experiment]`` table. The file reads back with
    :func:`automata_probe.automata.load_language`.
    """
    m = dfa.minimize()
    dead = m.dead

    def st(q: int) -> str:
        return "dead" if q == dead else f"q{q}"

    lines = [f"name = {_toml_str(name)}"]
    lines.append(f"description = {_toml_str(description or f'extracted automaton with {m.n_states} states')}")
    lines.append("alphabet = [" + ", ".join(_toml_str(a) for a in m.alphabet) + "]")
    if source:
        lines.append(f"source = {_toml_str(source)}")
    lines.append("")
    lines.append("[expect]")
    exp = {"min_states": m.n_states, **(expect or {})}
    for key, value in exp.items():
        lines.append(f"{key} = {_toml_value(value)}")
    if experiment:
        lines.append("")
        lines.append("[experiment]")
        for key, value in experiment.items():
            lines.append(f"{key} = {_toml_value(value)}")
    lines.append("")
    lines.append("[dfa]")
    lines.append(f"start = {_toml_str(st(m.start))}")
    lines.append("accept = [" + ", ".join(_toml_str(st(q)) for q in sorted(m.accepting)) + "]")
    lines.append("")
    lines.append("[dfa.transitions]")
    for q in range(m.n_states):
        row = ", ".join(f"{_toml_str(a)} = {_toml_str(st(t))}" for a, t in zip(m.alphabet, m.transitions[q]))
        lines.append(f"{st(q)} = {{ {row} }}")
    return "\n".join(lines) + "\n"


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return _toml_str(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise LanguageFileError(f"cannot write {type(v).__name__} value {v!r} to a language file")


def write_language_file(
    path: str | Path,
    dfa: DFA,
    *,
    name: str,
    description: str = "",
    source: str = "",
    expect: dict[str, Any] | None = None,
    experiment: dict[str, Any] | None = None,
) -> Path:
    """Write :func:`language_toml` to ``path`` (atomically) and return the path."""
    from pathlib import Path  # local: not on the regex path (startup)
    p = Path(path)
    text = language_toml(
        dfa, name=name, description=description, source=source, expect=expect, experiment=experiment
    )
    atomic_write_text(p, text)
    return p


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, then rename it over ``path``:
    a reader never sees half a file, and a failed write leaves the old one."""
    from pathlib import Path  # local: not on the regex path (startup)
    import tempfile  # local: only when writing
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent if str(path.parent) else ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
