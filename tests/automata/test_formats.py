"""AT&T FSM text and Graphviz dot: round trips, other tools' conventions, errors."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from automata_probe.automata import are_equivalent, load_language, read_att, read_dot, regex_to_dfa, suite_names
from automata_probe.automata.dfa import DFA
from automata_probe.automata.formats import att_symbols, write_att, write_dot
from automata_probe.errors import AlphabetError, LanguageFileError

from ..algebra.reference import small_dfas


@pytest.mark.parametrize("name", suite_names())
def test_suite_round_trips_through_att_and_dot(name):
    dfa = load_language(name).dfa
    for text in (write_att(dfa), write_att(dfa, acceptor=True), write_att(dfa, keep_dead=True)):
        back = read_att(text, alphabet=dfa.alphabet)
        assert are_equivalent(back, dfa) and back.n_states == dfa.n_states
    back = read_dot(write_dot(dfa, hide_dead=False), alphabet=dfa.alphabet)
    assert are_equivalent(back, dfa)
    assert are_equivalent(read_dot(write_dot(dfa), alphabet=dfa.alphabet), dfa)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_dfas(min_states=1, max_states=6))
def test_random_dfas_round_trip(dfa):
    d = dfa.minimize()
    assert are_equivalent(read_att(write_att(d), alphabet=d.alphabet), d)
    assert are_equivalent(read_dot(write_dot(d), alphabet=d.alphabet), d)


def test_att_layout_is_openfst_like(tomita4):
    text = write_att(tomita4)
    lines = text.splitlines()
    assert lines[0].split() == ["0", "1", "0", "0"]  # the first arc leaves the start state
    assert ["3"] not in [line.split() for line in lines]  # the dead state is left out
    assert {tuple(line.split()) for line in lines if len(line.split()) == 1} == {("0",), ("1",), ("2",)}
    assert att_symbols(tomita4) == "<eps>\t0\n0\t1\n1\t2\n"


def test_att_with_symbol_table_weights_and_epsilons(tmp_path):
    (tmp_path / "m.syms").write_text("<eps> 0\na 1\nb 2\n")
    fst = tmp_path / "m.fst.txt"
    # an OpenFst-style transducer print: integer labels, an epsilon arc, weights, a final weight
    fst.write_text("0 1 1 1 0.5\n0 2 0 0\n2 3 2 2 1.0\n1\n3 0.25\n4 Infinity\n")
    dfa = read_att(fst, symbols=tmp_path / "m.syms")
    assert dfa.alphabet == ("a", "b")
    assert are_equivalent(dfa, regex_to_dfa("a|b", "ab"))


def test_att_nondeterministic_and_transducer_input():
    nfa = "0 0 a\n0 0 b\n0 1 a\n1 2 b\n2\n"  # (a|b)*ab
    assert are_equivalent(read_att(nfa), regex_to_dfa("(a|b)*ab", "ab"))
    transducer = "0 1 a x\n1\n"  # read on the input side
    assert are_equivalent(read_att(transducer), regex_to_dfa("a", "a"))
    assert read_att("0 1 a\n1\n", alphabet="abc").alphabet == ("a", "b", "c")


def test_att_errors(tmp_path):
    with pytest.raises(LanguageFileError):
        read_att(tmp_path / "missing.att")
    with pytest.raises(LanguageFileError):
        read_att("0 1 a b c 1.0 extra\n1\n")
    with pytest.raises(LanguageFileError):
        read_att("0 1 7\n1\n", symbols="<eps> 0\na 1\n")
    with pytest.raises(LanguageFileError):
        read_att("0 1 a\n1\n", alphabet="b")
    with pytest.raises(LanguageFileError):
        read_att("\n# nothing\n")
    with pytest.raises(LanguageFileError, match="line 2: expected 'state \\[weight\\]'"):
        read_att("0 1 a\nfoo bar\n")  # a line of garbage is not a final state
    with pytest.raises(LanguageFileError, match="line 1: the weight 'x' is not a number"):
        read_att("0 1 a a x\n1\n")
    assert read_att("0 1 a a 0.5\n1 Infinity\n0 2.0\n").accepts(())  # weights kept out of the language


def test_dot_in_graphviz_example_style():
    text = """digraph finite_state_machine {
        rankdir=LR;
        node [shape = doublecircle]; S2 S3;
        node [shape = circle];
        start [shape=point];
        start -> S0
        S0 -> S1 [label = "a"];
        S1 -> S2 [label = "b, c"];   // two letters
        S2 -> S3 [label="a"];
        S3 -> S3 [ label = "a,b" ];
    }"""
    dfa = read_dot(text)
    assert dfa.alphabet == ("a", "b", "c")
    assert are_equivalent(dfa, regex_to_dfa("a(b|c)(a(a|b)*)?", "abc"))


def test_dot_errors():
    with pytest.raises(LanguageFileError):
        read_dot("graph g { a -- b }\n")
    with pytest.raises(LanguageFileError):
        read_dot("digraph g {\n s1 [shape=point]; s2 [shape=point];\n s1 -> a; s2 -> b;\n a -> b [label=x];\n}\n")
    with pytest.raises(LanguageFileError):
        read_dot("digraph g {\n a -> b;\n}\n")


def test_empty_language_writes_one_state():
    empty = DFA(alphabet=("a",), transitions=((0,),), start=0, accepting=frozenset())
    assert read_att(write_att(empty), alphabet="a").accepting == frozenset()



ODD = [  # alphabet, written as dot?, written as AT&T?
    (("\\", "y"), True, True),
    (('\\"', "z"), True, True),
    (('"', "b"), True, True),
    (("a b", "c"), True, False),
    ((",", "a"), False, True),
    (("0", "<eps>"), False, False),
    ((" a", "b"), False, False),
]


@pytest.mark.parametrize(("alphabet", "dot_ok", "att_ok"), ODD)
def test_odd_letters_round_trip_or_are_refused(alphabet, dot_ok, att_ok):
    """A letter either comes back as itself, or the writer refuses it in one line (never a silent change)."""
    dfa = DFA(alphabet=alphabet, transitions=((1, 0), (0, 1)), start=0, accepting=frozenset({0}))
    cases = ((write_dot, lambda t: read_dot(t), dot_ok), (write_att, lambda t: read_att(t, alphabet=alphabet), att_ok))
    for write, read, ok in cases:
        if not ok:
            with pytest.raises(AlphabetError, match="cannot write the letter"):
                write(dfa)
            continue
        back = read(write(dfa))
        assert back.alphabet == dfa.alphabet and are_equivalent(dfa, back)
