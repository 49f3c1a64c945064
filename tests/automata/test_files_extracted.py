"""Tests for automata_probe.automata.files: extracted DFAs written as language files read back."""

from __future__ import annotations

import pytest
import tomllib

from automata_probe.automata.dfa import DFA
from automata_probe.automata.files import language_toml, write_language_file

from ..extraction.helpers import B, tomita


@pytest.fixture
def tomita4() -> DFA:
    return tomita(4)


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
    from automata_probe.automata import load_language

    t3 = tomita(3)
    path = write_language_file(
        tmp_path / "ext.toml", t3, name="ext", expect={"accepts": ["", "110"]},
        experiment={"train_lengths": [1, 50], "test_bins": [[51, 60]]},
    )
    lang = load_language(str(path))
    assert lang.name == "ext" and lang.alphabet == B
    assert lang.dfa == t3
    assert lang.expect["min_states"] == t3.n_states
    assert lang.experiment.train_lengths == (1, 50)
