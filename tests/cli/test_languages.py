"""The language commands, run in-process: is-star-free, languages, show."""

from __future__ import annotations

import json

import pytest

from automata_probe.cli import is_star_free
from automata_probe.cli import main as automata_probe


def run(capsys, fn, *argv):
    code = fn(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("error: ")
    return lines[0]


# ------------------------------------------------------------ is-star-free
def test_ab_star_is_star_free(capsys):
    code, out, err = run(capsys, is_star_free, "(ab)*")
    assert code == 0
    assert "STAR-FREE" in out and "NOT" not in out
    assert "monoid       6 elements" in out
    assert "aperiodic    index 2" in out
    assert "class        AC0" in out
    assert "Mamba" in out  # the architecture predictions, with citations


def test_aa_star_prints_a_cycling_certificate(capsys):
    code, out, _ = run(capsys, is_star_free, "(aa)*", "--alphabet", "ab")
    assert code == 1
    assert "NOT STAR-FREE" in out
    assert "alphabet     {a, b}" in out
    assert "w = a" in out and "period p = 2" in out
    assert "in  out in  out" in out


def test_certificates_over_long_letters_print_with_separators(tmp_path, capsys):
    """is-star-free over {a, b, ab}: parity of the letter ab prints w = ab and says letters are spaced."""
    f = tmp_path / "ab.toml"
    f.write_text(
        'alphabet = ["a", "b", "ab"]\n[dfa]\nstart = "e"\naccept = ["e"]\n[dfa.transitions]\n'
        'e = {a = "e", b = "e", ab = "o"}\no = {a = "o", b = "o", ab = "e"}\n'
    )
    assert is_star_free(["--dfa", str(f)]) == 1
    out = capsys.readouterr().out
    assert "w = ab " in out and "(letters separated by spaces)" in out


def test_dfa_json_is_machine_readable(capsys):
    code, out, _ = run(capsys, is_star_free, "--dfa", "tomita3", "--json")
    assert code == 1
    doc = json.loads(out)
    assert doc["language"] == "tomita3" and doc["star_free"] is False
    assert doc["min_states"] == 5 and doc["alphabet"] == ["0", "1"]
    members = doc["certificate_memberships"]
    assert len(set(members)) == 2  # membership of x w^n y really changes with n


def test_subcommand_form_agrees(capsys):
    code, out, _ = run(capsys, automata_probe, "is-star-free", "--dfa", "tomita4")
    assert code == 0 and "STAR-FREE" in out


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["(ab"], "position 0"),
        (["a{3,2}"], "position 1"),
        (["--dfa", "tomtia3"], "did you mean tomita3"),
        (["(abc)*", "--alphabet", "ab"], "'c'"),
        (["--dfa", "d12", "--max-monoid", "100"], "100"),
        (["--dfa", "dyck-8-10"], "states"),
        (["(ab)*", "--dfa", "tomita3"], "not both"),
        ([], "give a PATTERN"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(capsys, argv, fragment):
    code, out, err = run(capsys, is_star_free, *argv)
    assert code == 2
    assert fragment in one_line_error(err)
    assert out == ""


def test_bad_toml_file_is_exit_2(capsys, tmp_path):
    p = tmp_path / "broken.toml"
    p.write_text('alphabet = "ab"\nregex = "(ab"\n', encoding="utf-8")
    code, _, err = run(capsys, is_star_free, "--dfa", str(p))
    assert code == 2
    line = one_line_error(err)
    assert str(p) in line and "'regex'" in line


def test_a_suite_name_given_as_pattern_gets_a_hint(capsys):
    code, _, err = run(capsys, is_star_free, "tomita3")
    assert code == 0  # the regex "tomita3" is star-free
    assert "use --dfa tomita3" in err


# -------------------------------------------------------------- languages
def test_languages_lists_the_suite_then_the_families(capsys):
    code, out, err = run(capsys, automata_probe, "languages")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split()[:6] == ["name", "alphabet", "states", "monoid", "star-free", "class"]
    rows = {line.split()[0]: line.split() for line in lines[1:] if line and not line.startswith(" ")}
    assert rows["tomita3"][3:6] == ["5", "26", "no"]
    assert rows["parity"][3:6] == ["2", "2", "no"] and rows["parity"][6] == "ACC0"
    assert rows["d12"][3:6] == ["14", "820", "yes"]
    names = [line.split()[0] for line in lines[1:] if line and not line.startswith(" ")]
    assert names.index("tomita2") < names.index("tomita3")
    assert names.index("d4") < names.index("d12")
    assert "families" in out and "group-A5-all" in out


# ------------------------------------------------------------------- show
def test_show_prints_the_table_and_the_monoid(capsys):
    code, out, _ = run(capsys, automata_probe, "show", "tomita4")
    assert code == 0
    assert "tomita4: Tomita 4: no three consecutive 0s" in out
    table = [line for line in out.splitlines() if line.startswith("->")]
    assert table and table[0].split()[1:4] == ["0", "q0", "1"]
    assert any(line.rstrip().endswith("dead") for line in out.splitlines())
    assert "monoid       12 elements" in out


def test_show_writes_png_and_dot(capsys, tmp_path):
    png, dot = tmp_path / "t.png", tmp_path / "t.dot"
    code, out, _ = run(capsys, automata_probe, "show", "--regex", "(ab)*", "--png", str(png), "--dot", str(dot))
    assert code == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert dot.read_text().startswith("digraph")


def test_show_needs_exactly_one_language(capsys):
    code, _, err = run(capsys, automata_probe, "show")
    assert code == 2 and "exactly one" in one_line_error(err)


def test_show_unknown_language_is_exit_2(capsys):
    code, _, err = run(capsys, automata_probe, "show", "grup-S5")
    assert code == 2
    assert "group-S5" in one_line_error(err)


# ------------------------------------------------------------ odd inputs
@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["show", "a" * 300], "to show a regex, give --regex PATTERN"),
        (["show", "--regex", "(" * 10 + "a" * 100_000], "never closed at position 9"),
        (["is-star-free", "--dfa", "x" * 300], "unknown language 'xxx"),
        (["is-star-free", "((a{1000}){1000})"], "--max-nfa-states"),
        (["is-star-free", "(a|b)*a(a|b){12}", "--max-states", "5000"], "more than 5,000 states"),
        (["compare", "~(aa)", "((" + "x" * 300], "as a regex: '(' is never closed at position 1"),
        (["compare", "a*", "b*", "--max-length", "100000"], "between 0 and 10,000"),
    ],
)
def test_odd_inputs_are_one_line_and_exit_2(capsys, argv, fragment):
    code, out, err = run(capsys, automata_probe, *argv)
    assert code == 2, err
    line = one_line_error(err)
    assert fragment in line and len(line) < 400


def test_a_huge_regex_is_shown_cut_short(capsys):
    pattern = "|".join("ab"[i % 2] * (i % 7 + 1) for i in range(3_000))
    code, out, _ = run(capsys, is_star_free, pattern)
    assert code == 0
    assert max(len(line) for line in out.splitlines()) < 300 and f"({len(pattern):,} characters)" in out


def test_files_that_are_not_languages_are_one_line(capsys, tmp_path):
    utf16 = tmp_path / "utf16.toml"
    utf16.write_bytes('alphabet = "ab"\nregex = "a*"\n'.encode("utf-16"))
    for argv in (["show", str(utf16)], ["is-star-free", "--dfa", str(utf16)]):
        code, _, err = run(capsys, automata_probe, *argv)
        assert code == 2 and "it looks like UTF-16" in one_line_error(err)
    code, _, err = run(capsys, automata_probe, "is-star-free", "--dfa", str(tmp_path))
    assert code == 2 and "is a directory" in one_line_error(err)
