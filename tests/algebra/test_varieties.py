"""Every class decision against brute force from the definitions, every certificate re-checked by running the DFA."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from automata_probe.algebra.equations import EquationViolation, parse_equation
from automata_probe.algebra.strict import DeletionViolation, MinimalForbidden, SubstitutionViolation
from automata_probe.algebra.testability import (
    ParameterWitness,
    definite_key,
    generalized_definite_key,
    local_key,
    piecewise_key,
    reverse_definite_key,
    threshold_key,
)
from automata_probe.algebra.varieties import decide_varieties
from automata_probe.algebra.verdicts import CLASSES
from automata_probe.automata import load_language, regex_to_dfa, suite_names
from automata_probe.errors import DFAError

from .reference import dfa_from_rows, small_dfas
from .varieties_reference import Brute, boundary_factors, key_is_sound, memberships

#: The default suite runs thousands of random DFAs across these tests; `-m slow` runs a bigger sweep.
FAST = settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SWEEP = settings(max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow])

KEYS = {
    "j_trivial": ("piecewise", piecewise_key),
    "locally_testable": ("local", local_key),
    "definite": ("definite", definite_key),
    "reverse_definite": ("reverse_definite", reverse_definite_key),
    "generalized_definite": ("generalized_definite", generalized_definite_key),
}


def explicit_check(cert, dfa):
    """Re-check a certificate by running ``dfa`` on explicit words."""
    if isinstance(cert, EquationViolation):
        lhs, rhs = cert.sides(dfa)
        a = dfa.accepts(cert.prefix + lhs + cert.suffix)
        b = dfa.accepts(cert.prefix + rhs + cert.suffix)
        return a != b and cert.check(dfa)
    if isinstance(cert, SubstitutionViolation):
        for n in range(cert.n_min, cert.n_min + 4 if cert.z else cert.n_min + 1):
            a, b, c = cert.words(n)
            if not (dfa.accepts(a) and dfa.accepts(b) and not dfa.accepts(c)):
                return False
        return cert.check(dfa)
    return cert.check(dfa)


#: Largest monoid the brute-force reference is built for (it holds an m x m table of int64).
BRUTE_LIMIT = 400


def check_against_brute_force(dfa, max_len=6):
    v = decide_varieties(dfa, budget=20_000)
    member = memberships(dfa, max_len if dfa.n_letters < 3 else max_len - 1)
    for verdict in v.verdicts:
        if verdict.certificate is not None:
            assert explicit_check(verdict.certificate, dfa), verdict.key  # the unminimized DFA
    if v.monoid_size > BRUTE_LIMIT:
        return v
    brute = Brute(dfa)
    small = brute.S.size <= 12
    for c in CLASSES:
        verdict = v[c.key]
        assert verdict.holds is not None, c.key
        if c.key in ("strictly_local", "strictly_piecewise"):
            continue
        if c.key == "dot_depth_one" and not small:
            continue
        if c.key == "locally_threshold_testable" and brute.S.size > 20:
            continue
        assert verdict.holds == brute.holds(c.key), c.key
    for verdict in v.verdicts:
        if verdict.certificate is not None:
            assert explicit_check(verdict.certificate, dfa), verdict.key  # the unminimized DFA
        if verdict.lower is not None:
            assert verdict.lower.check(dfa), verdict.key
    # parameters: sound on all words up to max_len, and k - 1 shown to fail
    for key, (family, key_fn) in KEYS.items():
        verdict = v[key]
        if verdict.holds and verdict.parameter:
            k = verdict.parameter["k"]
            assert key_is_sound(member, lambda w: key_fn(w, k)), key
            if k > (1 if family == "local" else 0):
                assert isinstance(verdict.lower, ParameterWitness) and verdict.lower.k == k - 1
    ltt = v["locally_threshold_testable"]
    if ltt.holds and ltt.parameter:
        k, t = ltt.parameter["k"], ltt.parameter["t"]
        assert key_is_sound(member, lambda w: threshold_key(w, k, t))
    return v


@FAST
@given(small_dfas(max_states=4))
def test_classes_match_brute_force_on_random_dfas(dfa):
    check_against_brute_force(dfa)


@pytest.mark.slow
@SWEEP
@given(small_dfas(max_states=6))
def test_classes_match_brute_force_sweep(dfa):
    check_against_brute_force(dfa, max_len=7)


def brute_strictly_local(member, k):
    """SL_k by definition on the words of ``member``: G from the words of L, then L = {w : factors in G}."""
    grammar = set().union(*(boundary_factors(w, k) for w, m in member.items() if m))
    return all(m == (boundary_factors(w, k) <= grammar) for w, m in member.items())


@FAST
@given(small_dfas(max_states=4))
def test_strict_classes_match_their_definitions(dfa):
    v = decide_varieties(dfa, budget=20_000)
    sl, sp = v["strictly_local"], v["strictly_piecewise"]
    member = memberships(dfa, 6 if dfa.n_letters < 3 else 5)
    if sl.holds:
        k = sl.parameter["k"]
        assert brute_strictly_local(member, k)
        if k > 1:
            assert isinstance(sl.lower, SubstitutionViolation) and explicit_check(sl.lower, dfa)
            assert len(sl.lower.x1) == k - 2 and not sl.lower.z
    else:
        assert explicit_check(sl.certificate, dfa)
    closed = all(member[w[:i] + w[i + 1:]] for w in member if member[w] for i in range(len(w)))
    longest = max(len(w) for w in member)
    if sp.holds:
        assert closed
        assert sp.parameter["k"] <= dfa.n_states - 1  # a minimal forbidden word is a simple path (of the minimal DFA)
        forbidden = [w for w in member if not member[w] and all(member[w[:i] + w[i + 1:]] for i in range(len(w)))]
        if sp.parameter["k"] < longest:
            assert max((len(w) for w in forbidden), default=0) == sp.parameter["k"]
        if sp.lower is not None:
            assert isinstance(sp.lower, MinimalForbidden) and sp.lower.check(dfa)
    else:
        assert isinstance(sp.certificate, DeletionViolation) and sp.certificate.check(dfa)
        assert not closed or len(sp.certificate.u) + len(sp.certificate.v) + 1 > longest


# ------------------------------------------------------------ textbook examples
def verdicts(pattern, alphabet):
    dfa = regex_to_dfa(pattern, alphabet)
    v = decide_varieties(dfa)
    assert v.check(dfa)
    return v


def test_a_star_b_star_is_2_piecewise_testable():
    v = verdicts("a*b*", "ab")
    assert v["j_trivial"].holds and v["j_trivial"].parameter == {"k": 2}
    lower = v["j_trivial"].lower
    assert lower.k == 1 and piecewise_key((0, 1), 1) == piecewise_key((1, 0), 1)  # ab in, ba out
    assert v["strictly_piecewise"].holds and v["strictly_piecewise"].parameter == {"k": 2}
    assert v["strictly_local"].holds and v["strictly_local"].parameter == {"k": 2}


def test_ab_star_is_locally_testable_not_piecewise_testable():
    v = verdicts("(ab)*", "ab")
    assert v["locally_testable"].holds and v["locally_testable"].parameter == {"k": 2}
    assert v["j_trivial"].holds is False and v["da"].holds is False
    assert v["aperiodic"].holds and v["dot_depth_one"].holds
    cert = v["j_trivial"].certificate
    assert isinstance(cert, EquationViolation) and cert.check(regex_to_dfa("(ab)*", "ab"))


def test_tomita4_is_strictly_3_local():
    dfa = load_language("tomita4").dfa
    v = decide_varieties(dfa)
    assert v["strictly_local"].holds and v["strictly_local"].parameter == {"k": 3}
    lower = v["strictly_local"].lower  # not strictly 2-local: a common factor of length 1
    assert len(lower.x1) == 1 and lower.check(dfa)
    assert v["locally_testable"].parameter == {"k": 3}
    assert not v["strictly_piecewise"].holds and not v["da"].holds


def test_definite_family():
    v = verdicts("(a|b)*a", "ab")
    assert v["definite"].holds and v["definite"].parameter == {"k": 1}
    assert not v["reverse_definite"].holds and v["generalized_definite"].holds
    v = verdicts("a(a|b)*", "ab")
    assert v["reverse_definite"].holds and v["reverse_definite"].parameter == {"k": 1}
    assert not v["definite"].holds
    assert v["r_trivial"].holds and not v["l_trivial"].holds and v["da"].holds
    v = verdicts("ab(a|b)*|b", "ab")
    assert v["reverse_definite"].parameter == {"k": 2}
    v = verdicts("(a|b)*ab|b", "ab")
    assert v["definite"].parameter == {"k": 2}


def test_group_and_commutative_languages():
    v = verdicts("(aa)*", "a")
    assert v["group"].holds and v["commutative"].holds and not v["aperiodic"].holds
    s3 = load_language("group-S3").dfa
    v = decide_varieties(s3)
    assert v["group"].holds and not v["commutative"].holds and v.check(s3)
    v = verdicts(".*a.*", "ab")  # contains an a: commutative, piecewise testable, not a group
    assert v["commutative"].holds and v["j_trivial"].parameter == {"k": 1} and not v["group"].holds


def test_dot_depth_and_dyck_depth():
    """D_1 = (ab)* has dot-depth one; D_2 and D_3 do not (Brzozowski & Knast 1978 use such languages)."""
    assert decide_varieties(load_language("d1").dfa)["dot_depth_one"].holds
    for name in ("d2", "d3"):
        dfa = load_language(name).dfa
        v = decide_varieties(dfa)
        assert v["aperiodic"].holds and v["dot_depth_one"].holds is False and v.check(dfa)


def test_the_suite_is_decided_and_every_certificate_checks():
    """Every class has a "no" somewhere in the suite, and each such certificate re-checks by running the DFA
    on explicit words (the sides of the equation in their context, the substituted words, the deleted letter)."""
    refuted = set()
    for name in suite_names():
        dfa = load_language(name).dfa
        v = decide_varieties(dfa)
        assert all(c.holds is not None for c in v.verdicts), name
        assert v.check(dfa), name
        for verdict in v.verdicts:
            for cert in (verdict.certificate, verdict.lower):
                if cert is not None:
                    assert explicit_check(cert, dfa), (name, verdict.key)
            refuted |= {verdict.key} if verdict.holds is False else set()
        # the star-free verdict agrees with classify
        from automata_probe.algebra import classify

        assert v["aperiodic"].holds == classify(dfa).star_free, name
    assert refuted == {c.key for c in CLASSES}


def test_undecided_when_the_product_budget_is_tiny():
    v = decide_varieties(load_language("d3").dfa, max_products=10)
    assert v["dot_depth_one"].holds is None and v["aperiodic"].holds is True
    assert "not decided" in v["dot_depth_one"].evidence


def test_the_definite_family_needs_only_the_letters_and_one_idempotent_per_d_class():
    """d3: 30 elements in S, 10 idempotents in 4 D-classes: S x E(S) (300, 600 products) passes a budget of 250."""
    dfa = load_language("d3").dfa
    v = decide_varieties(dfa, max_products=250)
    for key in ("definite", "reverse_definite", "generalized_definite"):
        assert v[key].holds is False, key
        assert explicit_check(v[key].certificate, dfa), key
    six = regex_to_dfa("(a|b)*a(a|b)(a|b)(a|b)(a|b)(a|b)", "ab")  # 6-definite: LT_7, so (7, 1)-LTT
    v = decide_varieties(six, max_products=2_000)
    assert v["definite"].parameter == {"k": 6} and v["generalized_definite"].holds
    tight = decide_varieties(six, budget=50)  # the LT search runs out: the bound from D_6 is reported
    lt, ltt = tight["locally_testable"], tight["locally_threshold_testable"]
    assert lt.holds and lt.parameter is None and "k <= 7 since the language is" in lt.evidence
    assert ltt.holds and "(7, 1)-locally threshold testable since it is 7-locally testable" in ltt.evidence


def test_single_state_languages():
    for accept in ([0], []):
        dfa = dfa_from_rows("ab", [[0, 0]], accept)
        v = decide_varieties(dfa)
        assert all(c.holds for c in v.verdicts)
        assert v["j_trivial"].parameter == {"k": 0} and v["strictly_local"].parameter == {"k": 1}


def test_equation_parser():
    eq = parse_equation("(xy)^ω x = (xy)^(ω+1) y^2 1")
    assert eq.variables == ("x", "y")
    with pytest.raises(DFAError):
        parse_equation("xy")
    with pytest.raises(DFAError):
        parse_equation("(xy = x")
    with pytest.raises(DFAError):
        parse_equation("x^ = x")
    with pytest.raises(DFAError):
        EquationViolation(equation="xy = yx", variables=(("x", ("a",)),), prefix=(), suffix=())
    cert = EquationViolation(equation="xy = yx", variables=(("x", ("a",)), ("y", ("b",))), prefix=(), suffix=())
    dfa = regex_to_dfa("ab", "ab")
    assert cert.check(dfa) and cert.sides(dfa) == (("a", "b"), ("b", "a"))
    assert "fails for x = a, y = b" in str(cert) and cert.to_dict()["variables"] == {"x": ["a"], "y": ["b"]}
    empty = EquationViolation(equation="xy = yx", variables=(("x", ()), ("y", ("b",))), prefix=(), suffix=(),
                              semigroup=True)
    assert not empty.check(dfa)  # a semigroup identity takes non-empty words


def test_verdicts_serialize():
    v = decide_varieties(regex_to_dfa("(ab)*", "ab"))
    d = v.to_dict()
    assert d["monoid_size"] == 6 and len(d["classes"]) == len(CLASSES)
    lt = next(c for c in d["classes"] if c["class"] == "locally_testable")
    assert lt["holds"] is True and lt["parameter"] == {"k": 2} and lt["lower"]["k"] == 1
    with pytest.raises(KeyError):
        v["no such class"]


def _with_long_letter(dfa):
    """``dfa`` over ``a, b`` with a third letter ``ab`` that reads ``a`` then ``b``."""
    rows = [(*r, dfa.transitions[r[0]][1]) for r in dfa.transitions]
    return dfa_from_rows(("a", "b", "ab"), rows, dfa.accepting, start=dfa.start)


def _words_of(cert):
    """Every word (a tuple of letters) a certificate carries, but its alphabet."""
    from dataclasses import fields

    out = []
    for f in fields(cert):
        value = getattr(cert, f.name)
        if f.name == "variables":
            out.extend(w for _, w in value)
        elif f.name != "alphabet" and isinstance(value, tuple):
            out.append(value)
    return out


@pytest.mark.parametrize("pattern", ["(ab)*", "a*b*", "(a|b)*ab", "b*ab*ab*", "a(a|b)*"])
def test_certificates_print_words_with_the_alphabet(pattern):
    """Over the letters a, b, ab, the word (a, b) prints ``a b`` and (ab,) prints ``ab``: every
    certificate and witness text spaces its words, and still re-checks by running the DFA."""
    base = regex_to_dfa(pattern, "ab")
    assert base.alphabet == ("a", "b")
    dfa = _with_long_letter(base)
    v = decide_varieties(dfa)
    seen = 0
    for verdict in v.verdicts:
        for cert in (verdict.certificate, verdict.lower):
            if cert is None:
                continue
            assert explicit_check(cert, dfa), verdict.key
            assert cert.alphabet == ("a", "b", "ab"), verdict.key
            text = str(cert)
            for w in _words_of(cert):
                if len(w) > 1:
                    assert " ".join(w) in text, (verdict.key, w, text)
                    seen += 1
        assert "ab and ba" not in verdict.evidence  # the commutativity text spaces its two-letter words
    assert seen > 0


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5])
def test_a_to_the_k_as_a_subword_is_exactly_k_piecewise_testable(k):
    """At least k a's: k-PT (the subword a^k decides) and not (k-1)-PT (a^k in, a^(k-1) out share their
    (k-1)-subwords). The search proves k - 1 fails; Klíma & Polák's depth bound (the minimal DFA is a chain
    of depth k) proves k works."""
    dfa = regex_to_dfa("b*" + "ab*" * k + "(a|b)*", "ab")
    j = decide_varieties(dfa)["j_trivial"]
    assert j.parameter == {"k": k} and j.bounds is None and "Klíma & Polák" in j.evidence
    if k > 1:
        assert j.lower.k == k - 1 and explicit_check(j.lower, dfa)
    # a search budget too small to refute k - 1 leaves k bounded, and says so with the theorem
    tight = decide_varieties(dfa, budget=30)["j_trivial"]
    if tight.parameter is None:
        lo, hi = tight.bounds["k"]
        assert lo <= k == hi and "depth" in tight.bounds_by and "Klíma & Polák 2013" in tight.bounds_by
        d = tight.to_dict()
        assert d["parameter"] is None and d["parameter_bounds"] == {"k": {"at_least": lo, "at_most": k,
                                                                         "exact": lo == k}}
    else:
        assert tight.parameter == {"k": k}


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_a_to_the_k_as_a_factor_is_exactly_k_locally_testable(k):
    """a^k as a factor: k-LT, and not (k-1)-LT (a^k in, a^(k-1) out have the same (k-1)-key). When the budget
    stops the search, Trahtman's bound (n^2 - n)/2 + 1 on the LT order of an n-state DFA caps k."""
    dfa = regex_to_dfa("(a|b)*" + "a" * k + "(a|b)*", "ab")
    lt = decide_varieties(dfa)["locally_testable"]
    assert lt.parameter == {"k": k} and lt.bounds is None
    if k > 1:
        assert lt.lower.k == k - 1 and explicit_check(lt.lower, dfa)
    tight = decide_varieties(dfa, budget=5)["locally_testable"]
    n = dfa.minimize().n_states
    if tight.parameter is None:
        lo, hi = tight.bounds["k"]
        assert lo <= k <= hi == (n * n - n) // 2 + 1 and "Trahtman" in tight.bounds_by
        assert "at_most" in tight.to_dict()["parameter_bounds"]["k"]


def test_classify_prints_a_bound_as_a_bound(tmp_path):
    """The table says ``2 <= k <= 4`` and the certificate section names the theorem, where the search ran out."""
    from automata_probe.algebra import classify as classify_star_free
    from automata_probe.automata import language_from_regex
    from automata_probe.cli.classify import render

    language = language_from_regex("b*" + "ab*" * 5 + "(a|b)*", "ab")
    v = decide_varieties(language.dfa, budget=30)
    text = "\n".join(render(language, v, classify_star_free(language.dfa)))
    lo, hi = v["j_trivial"].bounds["k"]
    assert f"yes, {lo} <= k <= {hi}" in text and "is a bound, not settled by the search" in text
    assert "Klíma & Polák 2013" in text


def test_strictly_piecewise_bound_when_the_search_runs_out():
    """tomita7 is SP_4 (its 5-state DFA allows at most 4); a budget of 3 states leaves 1 <= k <= 4, and says why."""
    dfa = load_language("tomita7").dfa
    assert decide_varieties(dfa)["strictly_piecewise"].parameter == {"k": 4}
    sp = decide_varieties(dfa, budget=3)["strictly_piecewise"]
    assert sp.holds and sp.parameter is None and sp.bounds == {"k": (1, 4)} and "without a repeated state" in sp.bounds_by
    assert sp.to_dict()["parameter_bounds"] == {"k": {"at_least": 1, "at_most": 4, "exact": False}}
