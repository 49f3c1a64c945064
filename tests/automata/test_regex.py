"""Regex -> minimal DFA: syntax, precedence, alphabets, errors, and brute force."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from automata_probe.automata.dfa import are_equivalent
from automata_probe.automata.regex import (
    Alternation,
    AnyLetter,
    CharClass,
    Complement,
    Concat,
    EmptySet,
    Epsilon,
    Intersection,
    Letter,
    Repeat,
    parse_regex,
    regex_letters,
    regex_to_dfa,
    to_pattern,
)
from automata_probe.errors import AlphabetError, RegexError

ABC = "abc"
MAX_LEN = 5


def all_words(alphabet: str, max_length: int) -> list[str]:
    return ["".join(w) for n in range(max_length + 1) for w in itertools.product(alphabet, repeat=n)]


WORDS = all_words(ABC, MAX_LEN)


def accepted(pattern: str, alphabet: str = "ab", max_length: int = 4) -> set[str]:
    dfa = regex_to_dfa(pattern, alphabet)
    return {w for w in all_words(alphabet, max_length) if dfa.accepts(w)}


# ------------------------------------------------------------ basic facts
def test_ab_star_is_the_three_state_minimal_dfa():
    dfa = regex_to_dfa("(ab)*")
    assert dfa.alphabet == ("a", "b")
    assert dfa.n_states == 3
    assert dfa.dead == 2
    assert dfa.name == "(ab)*"
    assert dfa.accepts("") and dfa.accepts("abab") and not dfa.accepts("aba")


def test_result_is_minimal_and_canonical():
    a = regex_to_dfa("(a|b)*a(a|b){3}")
    assert a.n_states == 16
    assert a == a.minimize()
    # equal languages give structurally equal DFAs (canonical numbering)
    assert regex_to_dfa("(a|b)*") == regex_to_dfa("(a*b*)*")
    assert regex_to_dfa("a+b?", name="x") == regex_to_dfa("aa*(b|ε)")


def test_empty_word_written_three_ways():
    for pattern in ("ε", "()", "(())"):
        assert accepted(pattern) == {""}


def test_empty_set_and_its_complement():
    assert accepted("∅") == set()
    assert accepted("∅*") == {""}
    assert accepted("a∅|b") == {"b"}
    assert accepted("~∅") == set(all_words("ab", 4))
    assert regex_to_dfa("∅", "ab").n_states == 1


def test_escapes_make_special_characters_letters():
    dfa = regex_to_dfa(r"\(\)*\\")
    assert dfa.alphabet == ("(", ")", "\\")
    assert dfa.accepts("())\\") and not dfa.accepts("()")
    assert regex_to_dfa(r"a\ε").alphabet == ("a", "ε")


def test_character_classes_ranges_negation_and_dot():
    assert accepted("[ab]", "abc", 1) == {"a", "b"}
    assert accepted("[a-c]", "abc", 1) == {"a", "b", "c"}
    assert accepted("[^a]", "abc", 1) == {"b", "c"}
    assert accepted(".", "abc", 1) == {"a", "b", "c"}
    assert accepted("[^ab]b", "ab", 2) == set()  # a class that is empty over the alphabet
    assert regex_to_dfa("[0-3]").alphabet == ("0", "1", "2", "3")


def test_bounded_repetition():
    assert accepted("a{2}", "a", 5) == {"aa"}
    assert accepted("a{2,3}", "a", 5) == {"aa", "aaa"}
    assert accepted("a{2,}", "a", 5) == {"aa", "aaa", "aaaa", "aaaaa"}
    assert accepted("a{0}", "a", 3) == {""}
    assert accepted("(ab){1,2}", "ab", 6) == {"ab", "abab"}


def test_spaces_are_ignored():
    assert regex_to_dfa("(1|01|001)* (0|00)?") == regex_to_dfa("(1|01|001)*(0|00)?")


# ------------------------------------------------------------- precedence
def test_complement_takes_the_following_repetition():
    # ~a* is ~(a*): every word with a b
    assert accepted("~a*") == {w for w in all_words("ab", 4) if "b" in w}
    # (~a)* is every word but "a" (~a holds b, aa, ab, ... but "a" is no product of them)
    assert accepted("(~a)*") == set(all_words("ab", 4)) - {"a"}
    # ~ab is (~a)b
    assert are_equivalent(regex_to_dfa("~ab", "ab"), regex_to_dfa("(~a)b", "ab"))
    # ~a|b is (~a)|b
    assert are_equivalent(regex_to_dfa("~a|b", "ab"), regex_to_dfa("(~a)|b", "ab"))


def test_intersection_binds_looser_than_union():
    assert accepted("a|b&b|c", "abc", 1) == {"b"}
    assert accepted("(.*a.*)&(.*b.*)", "ab", 2) == {"ab", "ba"}


def test_complement_is_relative_to_the_whole_alphabet():
    assert accepted("~(a*)", "ab", 1) == {"b"}
    assert accepted("~(a*)", "abc", 1) == {"b", "c"}


def test_star_free_expression_for_no_aa():
    # a star-free way to write "no two consecutive a's": the complement of Sigma* aa Sigma*
    no_aa = regex_to_dfa("~(~∅ aa ~∅)", "ab")
    assert are_equivalent(no_aa, regex_to_dfa("(b|ab)*(a|ε)", "ab"))


# --------------------------------------------------------------- alphabet
def test_default_alphabet_is_the_sorted_letters_of_the_pattern():
    assert regex_to_dfa("ba|c").alphabet == ("a", "b", "c")


def test_explicit_alphabet_keeps_its_order_and_may_be_wider():
    dfa = regex_to_dfa("a*", "ba")
    assert dfa.alphabet == ("b", "a")
    assert dfa.accepts("aa") and not dfa.accepts("ab")
    assert regex_to_dfa("a*", ["a", "b"]).alphabet == ("a", "b")


def test_letter_outside_the_alphabet_is_named():
    with pytest.raises(AlphabetError, match="'c'"):
        regex_to_dfa("(abc)*", "ab")
    with pytest.raises(AlphabetError, match="'z'"):
        regex_to_dfa("[x-z]", "xy")


def test_alphabet_problems():
    with pytest.raises(AlphabetError, match="single characters"):
        regex_to_dfa("a", ["a", "w0"])
    with pytest.raises(AlphabetError, match="no letters"):
        regex_to_dfa(".*")
    with pytest.raises(AlphabetError, match="twice"):
        regex_to_dfa("a", "aa")


# ----------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("pattern", "position", "fragment"),
    [
        ("(ab", 0, "never closed"),
        ("ab)", 2, "unbalanced ')'"),
        ("a||b", 2, "empty alternative"),
        ("*a", 0, "nothing to repeat"),
        ("a{3,2}", 1, "wrong way round"),
        ("a{x}", 2, "expected a number"),
        ("a{2", 3, "expected '}'"),
        ("[ab", 0, "never closed"),
        ("[]", 0, "empty character class"),
        ("[b-a]", 1, "range b-a is empty"),
        ("a\\", 1, "escapes nothing"),
        ("~", 1, "needs an operand"),
        ("a&", 2, "empty alternative"),
        ("", 0, "empty regex"),
        ("a{5000}", 2, "larger than"),
    ],
)
def test_malformed_patterns_name_the_position(pattern, position, fragment):
    with pytest.raises(RegexError) as info:
        regex_to_dfa(pattern, "ab")
    assert info.value.position == position
    assert fragment in str(info.value)
    assert f"position {position}" in str(info.value)
    assert "\n" not in str(info.value)


# ------------------------------------------------------ random expressions
def _leaf(alphabet: str) -> st.SearchStrategy:
    return st.one_of(
        st.sampled_from(alphabet).map(Letter),
        st.just(AnyLetter()),
        st.just(Epsilon()),
        st.builds(
            CharClass,
            st.frozensets(st.sampled_from(alphabet), min_size=1, max_size=2),
            st.booleans(),
        ),
    )


def _extend(children: st.SearchStrategy, extended: bool) -> st.SearchStrategy:
    two_or_three = st.lists(children, min_size=2, max_size=3).map(tuple)
    repeat = st.tuples(children, st.integers(0, 2), st.one_of(st.none(), st.integers(0, 2))).map(
        lambda t: Repeat(t[0], t[1], None if t[2] is None else t[1] + t[2])
    )
    options = [two_or_three.map(Concat), two_or_three.map(Alternation), repeat]
    if extended:
        options += [st.lists(children, min_size=2, max_size=2).map(tuple).map(Intersection), children.map(Complement)]
    return st.one_of(*options)


def trees(extended: bool) -> st.SearchStrategy:
    leaves = st.one_of(_leaf(ABC), st.just(EmptySet())) if extended else _leaf(ABC)
    return st.recursive(leaves, lambda c: _extend(c, extended), max_leaves=7)


def reference(node, alphabet: str, max_length: int) -> frozenset[str]:
    """The words of length <= max_length in the language, by set semantics (independent of regex.py)."""
    universe = frozenset(all_words(alphabet, max_length))
    if isinstance(node, Letter):
        return frozenset({node.char})
    if isinstance(node, AnyLetter):
        return frozenset(alphabet)
    if isinstance(node, CharClass):
        return frozenset(a for a in alphabet if (a in node.chars) != node.negated)
    if isinstance(node, Epsilon):
        return frozenset({""})
    if isinstance(node, EmptySet):
        return frozenset()
    if isinstance(node, Concat):
        out = frozenset({""})
        for p in node.parts:
            part = reference(p, alphabet, max_length)
            out = frozenset(u + v for u in out for v in part if len(u) + len(v) <= max_length)
        return out
    if isinstance(node, Alternation):
        return frozenset().union(*(reference(p, alphabet, max_length) for p in node.options))
    if isinstance(node, Intersection):
        sets = [reference(p, alphabet, max_length) for p in node.parts]
        return frozenset.intersection(*sets)
    if isinstance(node, Complement):
        return universe - reference(node.inner, alphabet, max_length)
    if isinstance(node, Repeat):
        inner = reference(node.inner, alphabet, max_length)
        power = frozenset({""})
        out: set[str] = set()
        high = max_length + 1 if node.high is None else node.high
        for k in range(high + 1):
            if k >= node.low:
                out |= power
            power = frozenset(u + v for u in power for v in inner if len(u) + len(v) <= max_length)
        return frozenset(out)
    raise TypeError(node)


def python_re(node, alphabet: str) -> str:
    """The same expression in Python's ``re`` syntax (no & or ~)."""
    if isinstance(node, Letter):
        return re.escape(node.char)
    if isinstance(node, AnyLetter):
        return f"[{alphabet}]"
    if isinstance(node, CharClass):
        return f"[{'^' if node.negated else ''}{''.join(sorted(node.chars))}]"
    if isinstance(node, Epsilon):
        return "(?:)"
    if isinstance(node, Concat):
        return "".join(f"(?:{python_re(p, alphabet)})" for p in node.parts)
    if isinstance(node, Alternation):
        return "|".join(f"(?:{python_re(p, alphabet)})" for p in node.options)
    if isinstance(node, Repeat):
        high = "" if node.high is None else str(node.high)
        return f"(?:{python_re(node.inner, alphabet)}){{{node.low},{high}}}"
    raise TypeError(node)


@settings(max_examples=50, deadline=None)
@given(trees(extended=False))
def test_random_regexes_agree_with_python_re(tree):
    pattern = to_pattern(tree)
    dfa = regex_to_dfa(pattern, ABC)
    compiled = re.compile(python_re(tree, ABC))
    for w in WORDS:
        assert dfa.accepts(w) == bool(compiled.fullmatch(w)), (pattern, w)


@settings(max_examples=40, deadline=None)
@given(trees(extended=True))
def test_random_extended_regexes_agree_with_set_semantics(tree):
    pattern = to_pattern(tree)
    dfa = regex_to_dfa(pattern, ABC)
    expected = reference(tree, ABC, MAX_LEN)
    got = frozenset(w for w in WORDS if dfa.accepts(w))
    assert got == expected, pattern
    assert dfa == dfa.minimize()


@settings(max_examples=30, deadline=None)
@given(trees(extended=True))
def test_to_pattern_parses_back_to_the_same_language(tree):
    again = parse_regex(to_pattern(tree))
    assert reference(again, ABC, 4) == reference(tree, ABC, 4)


@settings(max_examples=40, deadline=None)
@given(
    st.recursive(
        _leaf("ab"),
        lambda c: st.one_of(
            st.lists(c, min_size=2, max_size=3).map(tuple).map(Concat),
            st.lists(c, min_size=2, max_size=3).map(tuple).map(Alternation),
            st.tuples(c, st.integers(0, 4), st.one_of(st.none(), st.integers(0, 3))).map(
                lambda t: Repeat(t[0], t[1], None if t[2] is None else t[1] + t[2])
            ),
        ),
        max_leaves=5,
    )
)
def test_wider_bounded_repetitions_agree_with_python_re(tree):
    """Bounds up to {4,7}: the copies, the nested optional chain of r{m,n} and the loop of r{m,}.

    Python's backtracking ``re`` is exponential on nested repeats of optional
    parts (``((a?){4,7}){4,7}`` against ``aaaaaaab``: a run of this test hung
    for minutes), so it is the reference only where repeats do not nest; the
    set semantics is the reference everywhere.
    """
    pattern = to_pattern(tree)
    dfa = regex_to_dfa(pattern, "ab")
    words = all_words("ab", 8)
    expected = reference(tree, "ab", 8)
    assert frozenset(w for w in words if dfa.accepts(w)) == expected, pattern
    if _repeat_depth(tree) <= 1:
        compiled = re.compile(python_re(tree, "ab"))
        for w in words:
            assert dfa.accepts(w) == bool(compiled.fullmatch(w)), (pattern, w)


def _repeat_depth(node) -> int:
    """How deeply Repeat nodes nest in a tree (0: none)."""
    if isinstance(node, Repeat):
        return 1 + _repeat_depth(node.inner)
    children = getattr(node, "parts", None) or getattr(node, "options", None) or ()
    return max((_repeat_depth(c) for c in children), default=0)


def test_nested_repeats_that_hang_pythons_re_agree_with_set_semantics():
    tree = Repeat(Repeat(Repeat(Letter("a"), 0, 1), 4, 7), 4, 7)  # ((a?){4,7}){4,7}
    assert _repeat_depth(tree) == 3
    dfa = regex_to_dfa(to_pattern(tree), "ab")
    assert frozenset(w for w in all_words("ab", 8) if dfa.accepts(w)) == reference(tree, "ab", 8)


# ------------------------------------------------- depth, size and budgets
@pytest.mark.parametrize("depth", [164, 5_000])
def test_deep_nesting_needs_no_python_stack(depth):
    """Parser and every walk are iterative: nesting costs memory, not the recursion limit."""
    parens = "(" * depth + "a" + ")" * depth
    assert regex_to_dfa(parens, "ab") == regex_to_dfa("a", "ab")
    nested = "(a" + "(ε" * depth + ")" * (depth + 1)  # Concat inside Concat, depth deep
    assert regex_to_dfa(nested, "ab") == regex_to_dfa("a", "ab")
    unions = "(a|" * depth + "b" + ")" * depth  # flattened to one union
    assert regex_to_dfa(unions, "abc") == regex_to_dfa("a|b", "abc")
    ladder = "(a|b" * 300 + ")" * 300  # a|b(a|b(...)): not flattened (its DFA is a chain: Moore is slow on chains)
    assert regex_to_dfa(ladder, "ab").accepts("b" * 299 + "a")
    assert regex_to_dfa("a" + "*" * depth, "ab") == regex_to_dfa("a*", "ab")
    tildes = "~" * depth + "a"
    assert regex_to_dfa(tildes, "ab") == regex_to_dfa("~" * (depth % 2) + "a", "ab")
    tree = parse_regex("~" * depth + "a" + "*" * depth)
    assert to_pattern(tree).count("~") == depth and regex_letters(tree) == {"a"}
    assert regex_to_dfa(to_pattern(tree), "ab") == regex_to_dfa("~" * (depth % 2) + "a*", "ab")


def test_many_alternatives_are_linear():
    """a|a|...|a 30,000 times (a quadratic epsilon closure took minutes) and a
    5,000-word dictionary of 16-letter words (a finite language: a trie)."""
    assert regex_to_dfa("|".join(["a"] * 30_000)) == regex_to_dfa("a")
    words = ["".join("ab"[(i >> k) & 1] for k in range(16)) for i in range(5_000)]
    dfa = regex_to_dfa("|".join(words))
    assert all(dfa.accepts(w) for w in words[::97])
    assert not dfa.accepts("b" * 16) and not dfa.accepts(words[0][:-1])
    assert dfa.count_words(16)[16] == 5_000 and sum(dfa.count_words(16)) == 5_000


def test_bounded_repetition_is_built_small():
    """a{0,1000}: nested optional copies keep the subset construction's sets at two states."""
    dfa = regex_to_dfa("a{0,1000}", "ab")
    assert dfa.n_states == 1002 and dfa.accepts("a" * 1000) and not dfa.accepts("a" * 1001)
    assert regex_to_dfa("(ab){3,}", "ab").accepts("ab" * 7) and not regex_to_dfa("(ab){3,}", "ab").accepts("abab")


def test_nested_bounds_are_refused_before_anything_is_built():
    from automata_probe.automata.regex import nfa_size
    from automata_probe.errors import StateSpaceTooLargeError

    with pytest.raises(StateSpaceTooLargeError) as info:
        regex_to_dfa("((a{1000}){1000})")
    message = str(info.value)
    assert "at least 2,000,000 states" in message and "max_nfa_states" in message and "--max-nfa-states" in message
    assert nfa_size(parse_regex("((a{1000}){1000}){1000}")) == 2 * 10**9
    assert regex_to_dfa("a{1000}", max_nfa_states=2_000).n_states == 1002
    with pytest.raises(StateSpaceTooLargeError):
        regex_to_dfa("a{1000}", max_nfa_states=1_999)


def test_a_dfa_past_max_states_is_refused_with_the_limit_named():
    """The n-th letter from the end: 2^(n+1) states (2M for n = 20), refused at max_states."""
    from automata_probe.errors import StateSpaceTooLargeError

    with pytest.raises(StateSpaceTooLargeError) as info:
        regex_to_dfa("(a|b)*a(a|b){20}")
    assert "more than 200,000 states" in str(info.value) and "--max-states" in str(info.value)
    assert regex_to_dfa("(a|b)*a(a|b){9}", max_states=1024).n_states == 1024
    with pytest.raises(StateSpaceTooLargeError):
        regex_to_dfa("(a|b)*a(a|b){9}", max_states=1023)
    with pytest.raises(StateSpaceTooLargeError, match="intersection"):  # the product of & is budgeted too
        regex_to_dfa("(.*a.*){30} & (.*b.*){30}", "ab", max_states=500)


def test_long_patterns_are_cut_short_in_messages():
    pattern = "(" + "a" * 100_000
    with pytest.raises(RegexError) as info:
        regex_to_dfa(pattern)
    message = str(info.value)
    assert len(message) < 200 and "position 0" in message and "100,001 characters" in message
    with pytest.raises(RegexError) as info:
        regex_to_dfa("a" * 50_000 + "||" + "b" * 50_000)
    message = str(info.value)
    assert "position 50001" in message and "a||b" in message and len(message) < 250
    with pytest.raises(AlphabetError) as info:
        regex_to_dfa("c" * 10_000, "ab")
    assert len(str(info.value)) < 200


def test_odd_numbers_in_bounds():
    """Unicode digits are not bounds, and a bound of 10,000 digits is refused without converting it."""
    with pytest.raises(RegexError, match="expected a number"):
        regex_to_dfa("a{²}", "ab")
    with pytest.raises(RegexError, match="larger than 1000"):
        regex_to_dfa("a{" + "9" * 10_000 + "}", "ab")
