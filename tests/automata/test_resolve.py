"""Loading languages: the suite and its [expect] facts, resolution order, bad files."""

from __future__ import annotations

import pytest

from automata_probe.algebra import check_expectations
from automata_probe.automata import (
    language_from_dfa,
    language_from_regex,
    load_language,
    suite_dir,
)
from automata_probe.automata.dfa import are_equivalent
from automata_probe.automata.families import family_dfa
from automata_probe.errors import (
    AlphabetError,
    LanguageFileError,
    LanguageNotFoundError,
)

from .helpers import NOT_STAR_FREE, STAR_FREE, SUITE, TOMITA4, write


def test_the_suite_is_complete():
    assert STAR_FREE | NOT_STAR_FREE == set(SUITE)
    assert (suite_dir() / "tomita1.toml").is_file()


@pytest.mark.parametrize("name", SUITE)
def test_suite_file_loads_and_its_facts_hold(name):
    language = load_language(name)
    assert language.name == name == language.path.stem
    assert language.description and language.source
    assert language.dfa.name == name
    assert language.dfa == language.dfa.minimize()
    assert {"star_free", "min_states", "accepts", "rejects"} <= set(language.expect)
    assert check_expectations(language) == []


@pytest.mark.parametrize("name", SUITE)
def test_suite_star_free_column_matches_sarrof(name):
    assert load_language(name).expect["star_free"] == (name in STAR_FREE)


@pytest.mark.parametrize("name", SUITE)
def test_suite_test_bins_do_not_overlap_training(name):
    experiment = load_language(name).experiment
    assert experiment.overlapping_bins() == ()
    assert experiment.test_bins[0][0] > experiment.train_lengths[1]


@pytest.mark.parametrize("n", [1, 2, 3, 4, 12])
def test_suite_dn_is_the_dn_family(n):
    assert are_equivalent(load_language(f"d{n}").dfa, family_dfa(f"Dn-{n}"))


def test_flip_flop_semantics():
    ff = load_language("flip_flop")
    assert ff.accepts("w1i0i1r1w0r0")
    assert not ff.accepts("w1i0i1r0")  # the read returns a stale bit
    assert not ff.accepts("w1i0")  # does not end with a read


def test_names_are_case_insensitive():
    assert load_language("Tomita3").name == "tomita3"


def test_a_path_to_a_file(tmp_path):
    p = write(tmp_path, TOMITA4, "mine.toml")
    language = load_language(str(p))
    assert language.path == p and language.name == "tomita4"
    assert language.dfa.n_states == 4


def test_local_languages_folder_shadows_the_suite(tmp_path, monkeypatch):
    (tmp_path / "languages").mkdir()
    write(tmp_path / "languages", TOMITA4.replace("no three consecutive 0s", "my local copy"), "tomita4.toml")
    monkeypatch.chdir(tmp_path)
    assert load_language("tomita4").description == "my local copy"
    assert load_language("tomita1").path.parent == suite_dir()


def test_families_resolve_after_the_suite():
    language = load_language("dyck-2-2")
    assert language.family == "dyck" and language.name == "dyck-2-2"
    assert language.experiment.train_lengths == (1, 100)
    assert load_language("group-A5").dfa.n_states == 60
    assert load_language("D4").name == "d4"  # the suite file wins over the family Dn-4


@pytest.mark.parametrize(("typo", "suggestion"), [("tomtia3", "tomita3"), ("parrity", "parity"), ("flipflop", "flip_flop")])
def test_unknown_name_suggests_the_closest(typo, suggestion):
    with pytest.raises(LanguageNotFoundError) as info:
        load_language(typo)
    assert suggestion in info.value.suggestions
    assert "\n" not in str(info.value)


def test_missing_file_is_a_file_error(tmp_path):
    with pytest.raises(LanguageFileError, match="no such language file"):
        load_language(str(tmp_path / "nothing.toml"))


def test_wider_alphabet_sends_new_letters_to_the_dead_state():
    wide = load_language("tomita4", alphabet="012")
    assert wide.alphabet == ("0", "1", "2")
    assert wide.dfa.accepts("1001") and not wide.dfa.accepts("12")
    assert wide.expect == {}
    table_only = load_language("tomita6", alphabet="102")
    assert table_only.dfa.alphabet == ("1", "0", "2") and table_only.dfa.accepts("01")
    assert not table_only.dfa.accepts("012")
    with pytest.raises(AlphabetError, match="lacks '1'"):
        load_language("tomita4", alphabet="02")


def test_language_from_regex_and_from_dfa():
    language = language_from_regex("(ab)*", "abc")
    assert language.name == "(ab)*" and language.alphabet == ("a", "b", "c") and language.regex == "(ab)*"
    again = language_from_dfa(language.dfa, "ab-star")
    assert again.name == "ab-star" and again.dfa.name == "ab-star"
    assert are_equivalent(again.dfa, language.dfa)


def test_a_bare_group_name_is_its_word_problem():
    assert load_language("S5").dfa.n_states == 120
    assert load_language("A4xZ5-all").name == load_language("group-A4xZ5-all").name
    assert load_language("D4").name == "d4"  # the suite's Dyck language wins over the dihedral group


# ------------------------------------------------------------ odd names
def test_a_name_too_long_for_a_file_is_an_unknown_language():
    for name in ("x" * 300, "x" * 300 + ".toml", "a" * 100_000):
        with pytest.raises((LanguageNotFoundError, LanguageFileError)) as info:
            load_language(name)
        assert len(str(info.value)) < 300 and "…" in str(info.value)


def test_a_directory_is_named_as_one(tmp_path):
    (tmp_path / "a.toml").write_text('alphabet = "a"\nregex = "a*"\n')
    with pytest.raises(LanguageFileError, match=r"is a directory, not a language; .*\(it holds a.toml\)"):
        load_language(str(tmp_path))
    (tmp_path / "d.toml").mkdir()
    with pytest.raises(LanguageFileError, match="d.toml: is a directory, not a language file"):
        load_language(str(tmp_path / "d.toml"))


def test_a_tilde_that_names_no_home_is_just_a_name():
    """``~(aa)`` (a complement, say) must not ask the system for the home of user "(aa)"."""
    with pytest.raises(LanguageNotFoundError, match="unknown language '~\\(aa\\)'"):
        load_language("~(aa)")
