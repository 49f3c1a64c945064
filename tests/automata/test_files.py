"""Language files: reading them (the suite and bad files) and writing DFAs back."""

from __future__ import annotations

import pytest
import tomllib

from automata_probe.automata import (
    load_language,
    suite_dir,
)
from automata_probe.automata.dfa import DFA, are_equivalent
from automata_probe.automata.files import language_toml, write_language_file
from automata_probe.automata.regex import regex_to_dfa
from automata_probe.errors import LanguageFileError

from .helpers import SUITE, TOMITA4, write


def test_suite_files_with_regex_and_table_were_checked_against_each_other():
    both = [n for n in SUITE if load_language(n).regex and "[dfa]" in (suite_dir() / f"{n}.toml").read_text()]
    assert {"tomita3", "tomita4", "flip_flop", "d12", "parity"} <= set(both)
    for n in both:
        language = load_language(n)
        assert are_equivalent(regex_to_dfa(language.regex, language.alphabet), language.dfa), n


@pytest.mark.parametrize(
    ("edit", "fragment"),
    [
        (lambda t: t.replace('alphabet = ["0", "1"]\n', ""), "key 'alphabet': missing"),
        (lambda t: t.replace("name =", "nmae ="), "did you mean 'name'"),
        (lambda t: t.replace("min_states = 4", "min_state = 4"), "expect.min_state"),
        (lambda t: t.replace("min_states = 4", "min_states = true"), "expect.min_states"),
        (lambda t: t.replace('"1" = "q0" }\nq2', '"1" = "q7" }\nq2'), "'q7' is not a state"),
        (lambda t: t.replace('q2 = { "1" = "q0" }', 'q2 = { "2" = "q0" }'), "letter '2' is not in the alphabet"),
        (lambda t: t.replace('start = "q0"', 'start = "s"'), "dfa.start"),
        (lambda t: t.replace("(1|01|001)*(0|00)?", "(1|01|001)*(0|00"), "position"),
        (lambda t: t.replace("(1|01|001)*(0|00)?", "(1|01|001|2)*"), "'2'"),
        (lambda t: t.replace("(1|01|001)*(0|00)?", "(1|01)*(0|00)?"), "disagree on '001'"),
        (lambda t: t.replace("[expect]", "[expect]\naccepts = [\"0a\"]"), "expect.accepts"),
        (lambda t: t.replace("[expect]", "[experiment]\ntrain_lengths = [10, 1]\n[expect]"), "experiment"),
        (lambda t: t.replace("min_states = 4", "min_states = 4 4"), "TOML syntax error"),
    ],
)
def test_bad_files_name_the_file_and_the_key(tmp_path, edit, fragment):
    p = write(tmp_path, edit(TOMITA4))
    with pytest.raises(LanguageFileError) as info:
        load_language(str(p))
    message = str(info.value)
    assert str(p) in message
    assert fragment in message
    assert "\n" not in message


def test_toml_syntax_error_names_the_line(tmp_path):
    p = write(tmp_path, TOMITA4.replace("min_states = 4", "min_states = 4 4"))
    with pytest.raises(LanguageFileError, match=r"line 6"):
        load_language(str(p))


def test_a_file_needs_a_regex_or_a_table(tmp_path):
    p = write(tmp_path, 'alphabet = "ab"\n')
    with pytest.raises(LanguageFileError, match="needs a 'regex' or a \\[dfa\\]"):
        load_language(str(p))


def test_a_minimal_file_gets_defaults(tmp_path):
    p = write(tmp_path, 'alphabet = "ab"\nregex = "(ab)*"\n', "ab_star.toml")
    language = load_language(str(p))
    assert language.name == "ab_star" and language.dfa.n_states == 3
    assert language.experiment.train_lengths == (1, 50)


def test_multi_character_letters_in_a_table(tmp_path):
    text = """\
alphabet = ["push", "pop"]
[dfa]
start = "empty"
accept = ["empty"]
[dfa.transitions]
empty = { push = "full" }
full = { pop = "empty" }
"""
    language = load_language(str(write(tmp_path, text, "stack1.toml")))
    assert language.accepts("push pop push pop") and not language.accepts("pop")


def test_language_toml_reads_back_to_the_same_dfa(tomita4: DFA, tmp_path) -> None:  # noqa: ANN001
    path = write_language_file(tmp_path / "t4.toml", tomita4, name="t4-extracted", source="test")
    data = tomllib.loads(path.read_text())
    assert data["name"] == "t4-extracted" and data["alphabet"] == ["0", "1"]
    assert data["expect"]["min_states"] == 4
    assert data["dfa"]["transitions"]["dead"] == {"0": "dead", "1": "dead"}
    back = DFA.from_table(
        alphabet=data["alphabet"],
        transitions=data["dfa"]["transitions"],
        start=data["dfa"]["start"],
        accept=data["dfa"]["accept"],
    ).minimize()
    assert back == tomita4


def test_language_toml_quotes_odd_letters() -> None:
    d = DFA(alphabet=("push(", 'say"hi"', "é"), transitions=((0, 0, 0),), start=0, accepting={0})
    data = tomllib.loads(language_toml(d, name="odd"))
    assert data["alphabet"] == ["push(", 'say"hi"', "é"]
    assert data["dfa"]["transitions"]["q0"]['say"hi"'] == "q0"


def test_language_file_loads_back_with_load_language(tmp_path) -> None:  # noqa: ANN001
    t3 = load_language("tomita3").dfa.with_name("")
    path = write_language_file(
        tmp_path / "ext.toml", t3, name="ext", expect={"accepts": ["", "110"]},
        experiment={"train_lengths": [1, 50], "test_bins": [[51, 60]]},
    )
    lang = load_language(str(path))
    assert lang.name == "ext" and lang.alphabet == ("0", "1")
    assert lang.dfa == t3
    assert lang.expect["min_states"] == t3.n_states
    assert lang.experiment.train_lengths == (1, 50)


# ------------------------------------------------------------ odd files
@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (bytes(range(256)) * 2, "not UTF-8 text (byte 0x80 at offset 128)"),
        (TOMITA4.encode("utf-16"), "it looks like UTF-16: save it as UTF-8"),
        (TOMITA4.encode("utf-16-be"), "NUL bytes (UTF-16 without a byte-order mark?)"),
        (b"\xf9\x00\x13\xab" * 10, "not UTF-8 text (byte 0xf9 at offset 0)"),
        (b"x = " + b"[" * 5_000 + b"]" * 5_000, "nested too deeply"),
        (TOMITA4.replace('accept = ["q0", "q1", "q2"]', 'accept = [["q0"]]').encode(),
         "'dfa.accept': must be a list of state names (strings), not one holding ['q0']"),
        (TOMITA4.replace('accept = ["q0", "q1", "q2"]', 'accept = [{q = 1}]').encode(), "'dfa.accept'"),
        (TOMITA4.replace('start = "q0"', 'start = ["q0"]').encode(), "dfa.start"),
        (TOMITA4.replace('"1" = "q0" }\nq2', '"1" = ["q0"] }\nq2').encode(), "target ['q0'] is not a state"),
        (TOMITA4.replace("(1|01|001)*(0|00)?", "((1{1000}){1000})").encode(), "max_nfa_states"),
        (TOMITA4.replace('start = "q0"', 'start = "' + "q" * 100_000 + '"').encode(), "qqq…"),
    ],
)
def test_odd_files_are_one_clear_line(tmp_path, content, fragment):
    p = tmp_path / "odd.toml"
    p.write_bytes(content)
    with pytest.raises(LanguageFileError) as info:
        load_language(str(p))
    message = str(info.value)
    assert fragment in message and str(p) in message
    assert "\n" not in message and len(message) < 500


def test_a_utf8_byte_order_mark_is_fine(tmp_path):
    p = tmp_path / "bom.toml"
    p.write_bytes(TOMITA4.encode("utf-8-sig"))
    assert load_language(str(p)).dfa.n_states == 4


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path, monkeypatch):
    from automata_probe.automata import files

    monkeypatch.setattr(files, "MAX_FILE_BYTES", 100)
    p = write(tmp_path, TOMITA4)
    with pytest.raises(LanguageFileError, match="a language file is at most 100"):
        load_language(str(p))


def test_a_files_regex_gets_the_size_limits(tmp_path):
    from automata_probe.errors import StateSpaceTooLargeError

    p = write(tmp_path, 'alphabet = "ab"\nregex = "(a|b)*a(a|b){9}"\n')
    assert load_language(str(p)).dfa.n_states == 1024
    with pytest.raises(LanguageFileError, match="more than 1,000 states.*--max-states"):
        load_language(str(p), max_states=1000)
    assert issubclass(StateSpaceTooLargeError, Exception)
