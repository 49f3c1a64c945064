"""classify, decompose, convert, show --green and languages --classes, run in-process."""

from __future__ import annotations

import json

from automata_probe.automata import are_equivalent, load_language, read_att
from automata_probe.cli import main as automata_probe

from .test_languages import one_line_error, run


def test_classify_ab_star(capsys):
    code, out, err = run(capsys, automata_probe, "classify", "(ab)*", "--alphabet", "ab")
    assert code == 0, err
    assert "locally testable" in out and "yes, k = 2" in out
    assert "piecewise testable (J-trivial)  no" in out
    assert "certificates (each re-checked" in out and "theorems" in out
    assert "Simon 1975" in out and "Knast 1983" in out


def test_classify_json_has_every_class_with_words(capsys):
    code, out, _ = run(capsys, automata_probe, "classify", "--dfa", "tomita7", "--json")
    assert code == 0
    doc = json.loads(out)
    classes = {c["class"]: c for c in doc["classes"]}
    assert classes["j_trivial"]["holds"] is True and classes["j_trivial"]["parameter"] == {"k": 4}
    assert classes["strictly_piecewise"]["parameter"] == {"k": 4}
    commutative = classes["commutative"]
    assert commutative["holds"] is False
    words = commutative["certificate_words"]
    dfa = load_language("tomita7").dfa
    assert dfa.accepts(words["lhs_word"]) == words["lhs_in"] != words["rhs_in"] == dfa.accepts(words["rhs_word"])


def test_a_suite_name_given_as_pattern_gets_a_note(capsys):
    for command in ("classify", "decompose"):
        code, out, err = run(capsys, automata_probe, command, "tomita3")
        assert code == 0 and "the regex tomita3" in out
        assert "use --dfa tomita3" in err


def test_decompose_says_when_the_cascade_is_too_big_to_check(capsys):
    code, out, _ = run(capsys, automata_probe, "decompose", "--dfa", "Dn-8", "--max-chains", "100")
    assert code == 0 and "not checked: 512 coded states" in out and "levels       9" in out
    code, _, err = run(capsys, automata_probe, "decompose", "--dfa", "d3", "--max-chains", "0")
    assert code == 2 and one_line_error(err)


def test_classify_usage_errors(capsys):
    code, _, err = run(capsys, automata_probe, "classify")
    assert code == 2 and one_line_error(err)
    code, _, err = run(capsys, automata_probe, "classify", "--dfa", "no-such-language")
    assert code == 2 and one_line_error(err)


def test_decompose_d3_and_json(capsys):
    code, out, _ = run(capsys, automata_probe, "decompose", "--dfa", "d3")
    assert code == 0
    assert "levels       4  (every component a reset automaton: star-free)" in out
    assert "cascade      emulates the DFA" in out and "Sarrof" in out and "upper bound" in out
    code, out, _ = run(capsys, automata_probe, "decompose", "(aa)*", "--alphabet", "a", "--json")
    doc = json.loads(out)
    assert code == 0 and doc["n_levels"] == 1 and doc["verification"]["ok"] is True
    assert doc["levels"][0]["components"][0]["group"]["name"] == "Z2"


def test_convert_to_att_and_back(capsys, tmp_path):
    code, out, _ = run(capsys, automata_probe, "convert", "tomita4", "--to", "att")
    assert code == 0 and out.splitlines()[0].split() == ["0", "1", "0", "0"]
    att = tmp_path / "t4.att"
    code, out, _ = run(capsys, automata_probe, "convert", "tomita4", "--to", "att", "-o", str(att),
                       "--write-symbols", str(tmp_path / "t4.syms"))
    assert code == 0 and att.exists() and (tmp_path / "t4.syms").read_text().startswith("<eps>")
    toml = tmp_path / "t4.toml"
    code, _, _ = run(capsys, automata_probe, "convert", str(att), "--to", "toml", "-o", str(toml))
    assert code == 0
    assert are_equivalent(load_language(str(toml)).dfa, load_language("tomita4").dfa)
    dot = tmp_path / "t4.dot"
    code, _, _ = run(capsys, automata_probe, "convert", str(toml), "--to", "dot", "-o", str(dot))
    code, out, _ = run(capsys, automata_probe, "convert", str(dot), "--to", "att", "--acceptor")
    assert code == 0 and are_equivalent(read_att(out, alphabet="01"), load_language("tomita4").dfa)


def test_convert_errors(capsys, tmp_path):
    code, _, err = run(capsys, automata_probe, "convert", str(tmp_path / "missing.att"), "--to", "toml")
    assert code == 2 and one_line_error(err)
    bad = tmp_path / "bad.att"
    bad.write_text("0 1\n")
    code, _, err = run(capsys, automata_probe, "convert", str(bad), "--to", "toml")
    assert code == 2 and one_line_error(err)


def test_show_green_prints_egg_boxes_and_draws_them(capsys, tmp_path):
    png = tmp_path / "t3.png"
    code, out, _ = run(capsys, automata_probe, "show", "tomita3", "--green", "--png", str(png))
    assert code == 0
    assert "6 D-classes (5 regular)" in out and "group H-classes Z2" in out and "not regular" in out
    assert png.exists() and png.stat().st_size > 5000
    assert "D3 (J-order level 3): 16 elements, 4 R x 4 L" in out  # its level in the J-order, not a rank
    code, out, _ = run(capsys, automata_probe, "show", "--dfa", "group-S3", "--green")
    assert code == 0 and "6 elements: 1 D-class (1 regular), 1 R-class, 1 L-class, 1 H-class, 1 idempotent" in out
    assert "group H-classes S3" in out


def test_languages_with_classes(capsys):
    code, out, _ = run(capsys, automata_probe, "languages", "--classes")
    assert code == 0
    header = out.splitlines()[0].split()
    assert header[:6] == ["name", "alphabet", "states", "monoid", "star-free", "class"]
    assert "PT" in header and "LT" in header and "SL" in header
    row = next(line.split() for line in out.splitlines() if line.startswith("tomita4 "))
    sl = header.index("SL") + 1  # the alphabet "0 1" takes two cells
    assert row[sl] == "3"
    assert "a number is the least parameter found" in out


def test_both_forms_name_a_language_everywhere(capsys):
    """A language by name: positional for show and convert, --dfa for all four; a regex: positional for
    classify and decompose, --regex for all three. Each pair prints the same; bad mixes are one line, exit 2."""
    pairs = [
        (("show", "tomita3"), ("show", "--dfa", "tomita3")),
        (("convert", "tomita4", "--to", "att"), ("convert", "--dfa", "tomita4", "--to", "att")),
        (("classify", "(ab)*", "--alphabet", "ab"), ("classify", "--regex", "(ab)*", "--alphabet", "ab")),
        (("decompose", "(aa)*", "--alphabet", "ab"), ("decompose", "--regex", "(aa)*", "--alphabet", "ab")),
        (("show", "--regex", "(ab)*", "--alphabet", "ab"), ("show", "--regex", "(ab)*", "--alphabet", "ab")),
    ]
    for old, new in pairs:
        code_old, out_old, _ = run(capsys, automata_probe, *old)
        code_new, out_new, _ = run(capsys, automata_probe, *new)
        assert code_old == code_new == 0 and out_old == out_new and out_old, new
    code, out, _ = run(capsys, automata_probe, "classify", "--dfa", "tomita7", "--json")
    assert code == 0 and json.loads(out)["language"] == "tomita7"
    bad = [
        ("show", "tomita3", "--dfa", "tomita4"),
        ("show", "--dfa", "tomita3", "--regex", "ab"),
        ("show",),
        ("classify", "(ab)*", "--regex", "ab"),
        ("classify", "--regex", "(ab)*", "--dfa", "tomita3"),
        ("decompose", "a*", "--regex", "b*"),
        ("convert", "tomita4", "--dfa", "tomita3", "--to", "att"),
        ("convert", "--to", "att"),
        ("show", "--dfa", "no-such-language"),
    ]
    for argv in bad:
        code, _, err = run(capsys, automata_probe, *argv)
        assert code == 2 and one_line_error(err), argv
