"""Tests for automata_probe.compare: exact comparison, mapping, model vs truth."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from automata_probe.compare import compare, compare_model, cooccurrence, state_mapping
from automata_probe.automata.dfa import DFA
from automata_probe.errors import AlphabetError
from automata_probe.extraction import DFAOracle


@pytest.fixture
def tomita4() -> DFA:
    """No three consecutive 0s: q0 (last letter 1 or empty), q1 (one 0), q2 (00), dead."""
    return DFA(
        alphabet=("0", "1"),
        transitions=((1, 0), (2, 0), (3, 0), (3, 3)),
        start=0,
        accepting=frozenset({0, 1, 2}),
        name="tomita4",
    )


@pytest.fixture
def even_zeros() -> DFA:
    return DFA(alphabet=("0", "1"), transitions=((1, 0), (0, 1)), start=0, accepting={0}, name="even0")


def renumbered(d: DFA, perm: list[int]) -> DFA:
    """``d`` with state ``q`` renamed ``perm[q]``."""
    inv = {p: q for q, p in enumerate(perm)}
    return DFA(
        alphabet=d.alphabet,
        transitions=tuple(tuple(perm[t] for t in d.transitions[inv[q]]) for q in range(d.n_states)),
        start=perm[d.start],
        accepting={perm[q] for q in d.accepting},
        name="renumbered",
    )


def brute_disagreements(a: DFA, b: DFA, n: int) -> int:
    return sum(a.accepts(w) != b.accepts(w) for w in itertools.product(a.alphabet, repeat=n))


def test_equivalent_to_itself_renumbered_maps_by_the_permutation(tomita4: DFA) -> None:
    perm = [2, 0, 3, 1]
    c = compare(tomita4, renumbered(tomita4, perm), max_length=10)
    assert c.equivalent and c.counterexample is None
    assert c.disagreements == (0,) * 11
    assert c.mapping.truth_to_other() == {q: perm[q] for q in range(4)}
    assert c.mapping.is_bijection and c.mapping.purity == 1.0
    assert c.verdict == "equivalent; 4 states each; mapping is a bijection"


def test_complement_differs_on_every_word(tomita4: DFA) -> None:
    c = compare(tomita4, tomita4.complement(), max_length=8)
    assert not c.equivalent
    assert c.counterexample == ()  # the empty word already differs
    assert c.truth_accepts_counterexample is True
    assert c.disagreements == tuple(2**n for n in range(9))
    assert c.rates == (1.0,) * 9
    assert "shortest counterexample ε" in c.verdict


def test_counterexample_is_shortest_and_counts_are_exact(tomita4: DFA) -> None:
    all_words = DFA(alphabet=("0", "1"), transitions=((0, 0),), start=0, accepting={0}, name="all")
    c = compare(tomita4, all_words, max_length=6)
    assert c.counterexample == ("0", "0", "0")
    assert c.truth_accepts_counterexample is False
    assert c.disagreements == tuple(brute_disagreements(tomita4, all_words, n) for n in range(7))
    assert c.truth_states == 4 and c.other_states == 1
    d = c.to_dict()
    assert d["counterexample_text"] == "000" and d["rates"][3] == 1 / 8


def test_alphabets_must_match_as_sets(tomita4: DFA) -> None:
    other = DFA(alphabet=("0", "2"), transitions=((0, 0),), start=0, accepting={0})
    with pytest.raises(AlphabetError, match="alphabets differ"):
        compare(tomita4, other)


def test_letter_order_does_not_matter(tomita4: DFA) -> None:
    swapped = DFA(
        alphabet=("1", "0"),
        transitions=tuple((r[1], r[0]) for r in tomita4.transitions),
        start=0,
        accepting=tomita4.accepting,
    )
    c = compare(tomita4, swapped, max_length=5)
    assert c.equivalent and c.mapping.is_bijection


def test_mapping_from_data_words_counts_every_position(even_zeros: DFA) -> None:
    C, source = cooccurrence(even_zeros, even_zeros, data_words=["00", "1"])
    # runs 0,1,0 and 0,0: state 0 four times, state 1 once, always with itself
    assert C.tolist() == [[4.0, 0.0], [0.0, 1.0]]
    assert source == "2 data words"


def test_mapping_of_a_coarser_automaton_is_not_a_bijection(tomita4: DFA) -> None:
    one_state = DFA(alphabet=("0", "1"), transitions=((0, 0),), start=0, accepting={0})
    m = state_mapping(tomita4, one_state, length=6)
    assert len(m.pairs) == 1 and m.pairs[0][1] == 0
    assert not m.is_bijection
    assert m.purity < 1.0  # the single state mixes four truth states


@st.composite
def small_dfas(draw: st.DrawFn) -> tuple[DFA, DFA]:
    k = draw(st.integers(1, 3))
    alphabet = tuple("abc"[:k])

    def one() -> DFA:
        n = draw(st.integers(1, 4))
        rows = tuple(tuple(draw(st.integers(0, n - 1)) for _ in range(k)) for _ in range(n))
        acc = frozenset(q for q in range(n) if draw(st.booleans()))
        return DFA(alphabet=alphabet, transitions=rows, start=draw(st.integers(0, n - 1)), accepting=acc)

    return one(), one()


@settings(max_examples=40, deadline=None)
@given(small_dfas())
def test_exact_counts_match_brute_force(pair: tuple[DFA, DFA]) -> None:
    a, b = pair
    c = compare(a, b, max_length=5)
    assert c.disagreements == tuple(brute_disagreements(a, b, n) for n in range(6))
    assert c.equivalent == (a.minimize() == b.minimize())
    if c.counterexample is not None:
        w = c.counterexample
        assert a.accepts(w) != b.accepts(w)
        # nothing shorter disagrees
        for n in range(len(w)):
            assert brute_disagreements(a, b, n) == 0
    if c.equivalent:
        am, bm = a.minimize(), b.minimize()
        assert compare(am, bm, max_length=3).mapping.is_bijection


def test_compare_model_exact_then_sampled(tomita4: DFA) -> None:
    all_words = DFA(alphabet=("0", "1"), transitions=((0, 0),), start=0, accepting={0})
    m = compare_model(tomita4, DFAOracle(all_words), 8, exact_cap=2**5, samples=300, seed=3)
    assert m.exact == (True,) * 6 + (False,) * 3
    assert [r.disagreements for r in m.per_length[:6]] == [brute_disagreements(tomita4, all_words, n) for n in range(6)]
    assert [r.n_words for r in m.per_length[6:]] == [300] * 3
    assert m.counterexample == ("0", "0", "0") and m.counterexample_is_shortest
    assert "sampled to 8" in m.verdict
    # seeded: same seed, same sampled counts
    m2 = compare_model(tomita4, DFAOracle(all_words), 8, exact_cap=2**5, samples=300, seed=3)
    assert m2.rates == m.rates


def test_compare_model_of_the_truth_finds_nothing(tomita4: DFA) -> None:
    m = compare_model(tomita4, DFAOracle(tomita4), 6)
    assert m.counterexample is None and all(r == 0 for r in m.rates)
    assert m.verdict.startswith("no disagreement found up to length 6")
    np.testing.assert_array_equal(m.exact, [True] * 7)


# ------------------------------------------------------------------ drawing
def test_draw_comparison_writes_a_png(tomita4: DFA, tmp_path) -> None:  # noqa: ANN001
    from automata_probe.viz.drawing import draw_comparison, plot_disagreement

    other = renumbered(tomita4, [1, 0, 2, 3])
    c = compare(tomita4, other, max_length=6)
    path = draw_comparison(tomita4, other, tmp_path / "cmp.png", mapping=c.mapping, suptitle=c.verdict)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    grey = draw_comparison(tomita4, other, tmp_path / "grey.png", hide_dead=False)
    assert grey.stat().st_size > 1000
    curve = plot_disagreement(
        {"complement": compare(tomita4, tomita4.complement(), max_length=6).rates, "same": c.rates},
        tmp_path / "rates.png",
        sampled={"same": [False] * 5 + [True] * 2},
    )
    assert curve.read_bytes()[:4] == b"\x89PNG"


# --------------------------------------------------------------------- CLI
def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from automata_probe.cli import main

    rc = main(argv)
    out, err = capsys.readouterr()
    return rc, out, err


def test_cli_compare_name_with_regex(capsys: pytest.CaptureFixture[str], tmp_path) -> None:  # noqa: ANN001
    png = tmp_path / "c.png"
    rc, out, _ = _cli(["compare", "tomita4", "(1|01|001)*(0|00)?", "--max-length", "6", "--png", str(png)], capsys)
    assert rc == 0
    assert "verdict: equivalent; 4 states each; mapping is a bijection" in out
    assert png.is_file()


def test_cli_compare_file_against_dfa(capsys: pytest.CaptureFixture[str], tmp_path, tomita4: DFA) -> None:  # noqa: ANN001
    from automata_probe.automata import write_language_file

    f = write_language_file(tmp_path / "x.toml", tomita4.complement(), name="x")
    rc, out, _ = _cli(["compare", str(f), "--dfa", "tomita4", "--max-length", "3", "--json"], capsys)
    assert rc == 1  # not equivalent: the verdict no, as is-star-free's
    import json

    d = json.loads(out)
    assert d["equivalent"] is False and d["counterexample"] == [] and d["disagreements"] == [1, 2, 4, 8]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["compare", "tomita4", "NOTAFILE.toml"], "no such language file"),
        (["compare", "tomita4", "aa_star"], "alphabets differ"),
        (["compare", "tomita4", "tomita44"], "unknown language 'tomita44'"),
        (["compare", "tomita4"], "give two DFAs"),
    ],
)
def test_cli_compare_bad_input_is_one_line_and_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, out, err = _cli(argv, capsys)
    assert rc == 2
    assert message in err and err.count("\n") == 1 and out == ""


def test_cli_compare_a_file_that_is_not_a_dfa(capsys: pytest.CaptureFixture[str], tmp_path) -> None:  # noqa: ANN001
    bad = tmp_path / "notes.toml"
    bad.write_text('title = "not a language"\n')
    rc, _, err = _cli(["compare", str(bad), "tomita4"], capsys)
    assert rc == 2 and err.startswith("error: ") and err.count("\n") == 1


def test_compare_model_prints_words_over_long_letters_apart() -> None:
    """Over {a, b, ab} the counterexample (a, b) prints as "a b", not as the letter ab."""
    only_ab = DFA(alphabet=("a", "b", "ab"), transitions=((1, 3, 2), (3, 2, 3), (3, 3, 3), (3, 3, 3)),
                  start=0, accepting={2})  # exactly the words (a, b) and (ab,)
    just_ab = DFA(alphabet=("a", "b", "ab"), transitions=((1, 1, 2), (1, 1, 1), (1, 1, 1)), start=0,
                  accepting={2})  # only (ab,)
    m = compare_model(only_ab, DFAOracle(just_ab), 3)
    assert m.counterexample == ("a", "b")
    assert "counterexample a b (length 2)" in m.verdict
