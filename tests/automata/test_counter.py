"""Counter machines: the nine languages, determinism, bounded DFAs, non-regularity."""

from __future__ import annotations

import itertools

import pytest

from automata_probe.algebra import classify, is_star_free, non_regular_certificate
from automata_probe.automata import COUNTER_LANGUAGES, counter_language, load_language
from automata_probe.automata.counter import CounterMachine, Rule, bounded_counter_dfa
from automata_probe.cli import main
from automata_probe.errors import NotRegularError, ParameterError


@pytest.mark.parametrize("name,word,accepted", [
    ("dyck1", "", True), ("dyck1", "(()())", True), ("dyck1", "())(", False),
    ("shuffle2", "([)]", True), ("shuffle2", "([)", False), ("shuffle4", "<{}>", True),
    ("boolean3", "+01", True), ("boolean3", ">0~11", True), ("boolean3", "+0", False), ("boolean3", "+011", False),
    ("boolean5", "^01010", True), ("anbn", "", False), ("anbn", "aabb", True), ("anbn", "abab", False),
    ("anbncn", "abc", True), ("anbncn", "aabbc", False), ("anbncndn", "aabbccdd", True),
])
def test_membership(name, word, accepted):
    assert COUNTER_LANGUAGES[name].accepts(word) is accepted


def test_next_pattern_of_dyck1_depends_on_the_counter():
    m = COUNTER_LANGUAGES["dyck1"].machine
    configs = m.run("(()")
    assert [m.next_pattern(c) for c in configs] == [
        (True, False, True), (True, True, False), (True, True, False), (True, True, False)]
    assert m.next_pattern(None) == (False, False, False)


def test_a_non_deterministic_machine_is_refused():
    rules = (Rule(state="S", letter="a", guard=("any",), target="S", delta=(1,)),
             Rule(state="S", letter="a", guard=("pos",), target="S", delta=(-1,)))
    with pytest.raises(ParameterError, match="not deterministic"):
        CounterMachine(name="bad", alphabet=("a",), n_counters=1, start="S", rules=rules, accepting={"S"})


@pytest.mark.parametrize("name", sorted(COUNTER_LANGUAGES))
def test_every_language_is_certified_not_regular_and_not_star_free(name):
    lang = COUNTER_LANGUAGES[name]
    cert = non_regular_certificate(lang, n=6)
    assert cert.checked == 6 and "not regular" in cert.explain()
    assert is_star_free(lang) is False
    with pytest.raises(NotRegularError):
        classify(lang)


def test_a_counter_name_where_a_dfa_is_required_is_one_line_exit_2(capsys):
    with pytest.raises(NotRegularError, match="not regular"):
        load_language("dyck1")
    assert main(["show", "anbn"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not regular" in err


def test_is_star_free_says_plainly_not_regular(capsys):
    assert main(["is-star-free", "--dfa", "shuffle2"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("shuffle2: not star-free (not regular)")


def test_bounded_dfa_agrees_with_the_machine_up_to_its_horizon():
    lang = counter_language("boolean3")
    dfa, configs = bounded_counter_dfa(lang.machine, 6)
    horizon = 6 // lang.machine.max_increment
    for L in range(horizon + 1):
        for w in itertools.product(lang.alphabet, repeat=L):
            assert dfa.accepts(w) == lang.accepts(w), w
    assert configs[-1] is None and configs[0] == lang.machine.start_config


def test_dyck1_bounded_is_d_b_and_star_free():
    bounded = load_language("dyck1@3")
    assert bounded.dfa.n_states == 5  # depths 0..3 and the dead state
    assert is_star_free(bounded.dfa)
    with pytest.raises(ParameterError):
        load_language("anbn@1")  # below the shortest training length
