"""Fuzzing the commands a new user meets first: whatever comes in, the exit
status is 0, 1 or 2 (a verdict or one line of bad input), never a traceback.

Random bytes and regex-like strings go to ``is-star-free``; random bytes and
random TOML documents (most of them near a valid language file) go to
``show FILE`` and ``is-star-free --dfa FILE``. Small budgets (``--max-states``,
``--max-nfa-states``, ``--max-monoid``) and a deadline per example keep each
run short; the examples are few, so CI stays fast (``FUZZ_EXAMPLES=2000``
in the environment for a longer hunt).
"""

from __future__ import annotations

import json
import os
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from automata_probe.cli import main

LIMITS = ["--max-states", "2000", "--max-nfa-states", "20000", "--max-monoid", "5000"]
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "40")),
    deadline=5_000,  # ms per example, on a loaded machine
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str]:
    try:
        code = main(argv)
    except SystemExit as e:  # argparse: usage errors
        code = e.code if isinstance(e.code, int) else 2
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "Traceback" not in out, err[-3000:]
    assert code in (0, 1, 2), f"exit {code}: {err[-3000:]}"
    if code == 2 and not err.startswith("usage:"):
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), err[-3000:]
    return code, err


# ------------------------------------------------------------------ regexes
REGEX_CHARS = "ab" + "()[]{}|&~*+?.\\^-,ε∅ " + "0123456789"
regex_like = st.text(alphabet=REGEX_CHARS, max_size=40)
raw_text = st.binary(max_size=60).map(lambda b: b.decode("utf-8", "surrogateescape"))


@FUZZ
@given(pattern=st.one_of(regex_like, raw_text), alphabet=st.sampled_from([None, "ab", "abc", "a", "b(", "aa"]))
def test_is_star_free_on_random_patterns(capsys, pattern, alphabet):  # noqa: ANN001
    argv = ["is-star-free", *LIMITS] + (["--alphabet", alphabet] if alphabet else []) + ["--", pattern]
    code, _ = run(capsys, argv)
    if code in (0, 1):  # a verdict: the pattern really compiled
        from automata_probe.automata.regex import regex_to_dfa

        regex_to_dfa(pattern, alphabet)


@FUZZ
@given(first=st.one_of(regex_like, st.sampled_from(["tomita4", "parity", "Dn-3", "x.toml", "/", "~"])), second=regex_like)
def test_compare_and_show_on_random_patterns(capsys, first, second):  # noqa: ANN001
    run(capsys, ["compare", *LIMITS[:4], "--max-length", "6", "--", first, second])
    run(capsys, ["show", *LIMITS, "--rows", "5", "--regex", second])


# ----------------------------------------------------------- language files
STATES = ["q0", "q1", "q2", "dead", ""]
LETTERS = ["a", "b", "0", "1", "ab", "push("]
scalars = st.one_of(
    st.text(max_size=8), st.integers(-3, 10**20), st.booleans(), st.floats(allow_nan=True), st.sampled_from(STATES)
)


def values(depth: int = 2) -> st.SearchStrategy[Any]:
    if depth == 0:
        return scalars
    inner = values(depth - 1)
    return st.one_of(scalars, st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(STATES + LETTERS), inner, max_size=3))


@st.composite
def language_documents(draw) -> dict[str, Any]:  # noqa: ANN001
    """Mostly the shape of a language file, with any part of it replaced by junk."""
    letters = draw(st.lists(st.sampled_from(LETTERS), min_size=0, max_size=3))
    states = draw(st.lists(st.sampled_from(STATES), min_size=1, max_size=4, unique=True))
    doc: dict[str, Any] = {}
    if draw(st.booleans()):
        doc["alphabet"] = draw(st.one_of(st.just(letters), st.just("".join(letters)), values(1)))
    if draw(st.booleans()):
        doc["regex"] = draw(st.one_of(regex_like, values(0)))
    if draw(st.booleans()):
        transitions = {q: {a: draw(st.sampled_from(states)) for a in letters if draw(st.booleans())} for q in states}
        table: dict[str, Any] = {
            "start": draw(st.one_of(st.sampled_from(states), values(1))),
            "accept": draw(st.one_of(st.lists(st.sampled_from(states), max_size=3), values(1))),
            "transitions": draw(st.one_of(st.just(transitions), values(2))),
        }
        doc["dfa"] = draw(st.one_of(st.just(table), values(1)))
    for key in draw(st.lists(st.sampled_from(["name", "description", "source", "expect", "experiment", "nmae"]), max_size=3)):
        doc[key] = draw(values(2))
    if draw(st.booleans()):
        doc["experiment"] = {"train_lengths": draw(values(1)), "test_bins": draw(values(2))}
    if draw(st.booleans()):
        doc["expect"] = draw(st.dictionaries(st.sampled_from(["star_free", "min_states", "accepts", "monoid_size"]), values(1), max_size=2))
    return doc


def toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "nan" if v != v else ("inf" if v == float("inf") else "-inf" if v == float("-inf") else repr(v))
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(x)}" for k, x in v.items()) + "}"


def toml_document(doc: dict[str, Any]) -> str:
    """A TOML document (nested tables written inline: valid TOML, however odd)."""
    return "".join(f"{json.dumps(k)} = {toml_value(v)}\n" for k, v in doc.items())


def check_file(capsys: pytest.CaptureFixture[str], path: Path) -> None:
    run(capsys, ["show", *LIMITS, "--rows", "5", str(path)])
    run(capsys, ["is-star-free", *LIMITS, "--dfa", str(path)])


@FUZZ
@given(doc=language_documents())
def test_random_toml_documents(capsys, tmp_path, doc):  # noqa: ANN001
    path = tmp_path / "fuzz.toml"
    path.write_text(toml_document(doc), encoding="utf-8")
    check_file(capsys, path)


@FUZZ
@given(content=st.one_of(st.binary(max_size=200), st.text(alphabet=string.printable + "ε∅é", max_size=200).map(str.encode)))
def test_random_bytes_as_a_language_file(capsys, tmp_path, content):  # noqa: ANN001
    path = tmp_path / "bytes.toml"
    path.write_bytes(content)
    check_file(capsys, path)


def test_the_toml_writer_of_this_test_is_valid_toml():
    import tomllib

    doc = {"alphabet": ["a", "ab"], "dfa": {"start": "q0", "transitions": {"q0": {"a": "q0"}}}, "x": [1, "y", 2.5, True]}
    assert tomllib.loads(toml_document(doc)) == doc
