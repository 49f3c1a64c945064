"""The holonomy decomposition: its cascade emulates the automaton, exactly, on the suite and on random DFAs."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from automata_probe.algebra import classify, transition_monoid
from automata_probe.algebra.cascade import STAR, holonomy
from automata_probe.automata import load_language, regex_to_dfa, suite_names
from automata_probe.errors import DFAError, MonoidTooLargeError

from .reference import dfa_from_rows, small_dfas

RANDOM = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def emulates_by_running(h, words):
    """The cascade, stepped from the code of the start state, decodes to the DFA's state after every prefix."""
    d = h.dfa
    for w in words:
        code, q = h.encode(d.start), d.start
        for a in w:
            code, q = h.step(code, a), d.transitions[q][a]
            assert h.decode(code) == q


@pytest.mark.parametrize("name", suite_names())
def test_the_cascade_emulates_every_suite_language(name):
    dfa = load_language(name).dfa
    h = holonomy(dfa)
    check = h.verify()
    assert check.ok, check.failures
    assert check.surjective and check.closed and check.groups_ok and check.chains >= dfa.n_states
    # star-free iff every component is a reset automaton (all holonomy groups trivial)
    assert h.reset_only == classify(dfa).star_free


@RANDOM
@given(small_dfas(min_states=1, max_states=8))
def test_the_cascade_emulates_random_dfas(dfa):
    h = holonomy(dfa)
    check = h.verify()
    assert check.ok, check.failures
    assert h.n_chains == check.chains  # counted without listing them
    assert h.reset_only == transition_monoid(dfa).is_aperiodic()
    emulates_by_running(h, [tuple(range(h.dfa.n_letters)) * 3, (0,) * 9])


def test_components_are_permutation_reset_automata():
    h = holonomy(load_language("tomita3").dfa)
    assert [lv.level for lv in h.levels] == list(range(1, h.n_levels + 1))
    for lv in range(1, h.n_levels + 1):
        for prefix in {h.encode(q)[: lv - 1] for q in range(h.dfa.n_states)}:
            for a in range(h.dfa.n_letters):
                kind, value = h.action(lv, a, prefix)
                assert kind in ("perm", "const")
                if kind == "perm":  # a bijection within one slot
                    assert sorted(value) == sorted(value.values())
    groups = sorted(c.group.name for lv in h.levels for c in lv.components if not c.reset)
    assert groups == ["Z2", "Z2"]  # the two Z2 of tomita3's monoid, one per slot


def test_group_languages_are_one_permutation_level():
    for name, group in (("parity", "Z2"), ("group-S3", "S3"), ("tomita6", "Z3")):
        h = holonomy(load_language(name).dfa)
        assert h.n_levels == 1 and h.levels[0].components[0].group.name == group
        assert h.levels[0].components[0].states == h.dfa.n_states  # the tiles are the singletons


def test_flip_flop_and_chains():
    """A two-state set/reset automaton is one flip-flop; Dyck depth n needs n + 1 reset levels."""
    flip = dfa_from_rows("sri", [[0, 1, 0], [0, 1, 1]], [1])  # s sets state 0, r state 1, i keeps
    h = holonomy(flip)
    assert h.n_levels == 1 and h.reset_only and h.levels[0].components[0].states == 2
    for n in (1, 2, 3, 4):
        h = holonomy(load_language(f"d{n}").dfa)
        assert h.reset_only and h.n_levels == n + 1 and h.verify().ok


def test_codes_and_errors():
    h = holonomy(load_language("tomita4").dfa)
    for q in range(h.dfa.n_states):
        assert h.decode(h.encode(q)) == q
    code = h.encode(0)
    with pytest.raises(DFAError):
        h.decode(code[:-1])
    with pytest.raises(DFAError):
        h.decode(tuple(99 if c != STAR else c for c in code))
    with pytest.raises(DFAError):
        h.action(2, 0, ())
    d = h.to_dict()
    assert d["n_levels"] == h.n_levels and d["reset_only"] is True
    assert h.verify().to_dict()["ok"] is True


def test_one_state_dfa_has_no_levels():
    h = holonomy(dfa_from_rows("ab", [[0, 0]], [0]))
    assert h.n_levels == 0 and h.encode(0) == () and h.decode(()) == 0 and h.verify().ok


def test_too_many_images():
    with pytest.raises(MonoidTooLargeError):
        holonomy(regex_to_dfa("(a|b)*a(a|b)(a|b)(a|b)", "ab"), max_sets=5)


def test_too_many_chains_are_counted_not_checked():
    h = holonomy(load_language("Dn-16").dfa)
    assert h.n_levels == 17 and h.n_chains == 2 ** 17
    check = h.verify(max_chains=1_000)
    assert not check.ok and check.chains == 0 and "131,072 coded states" in check.skipped
    small = holonomy(load_language("d4").dfa)
    assert small.verify(max_chains=small.n_chains).ok and small.verify(max_chains=small.n_chains - 1).skipped


def test_the_depth_table_reports_levels_as_an_upper_bound(capsys):
    """benchmarks/holonomy_depth.py: levels beside the layers the stored sweep needed, the citation, and
    'upper bound' on every star-free row (the holonomy cascade is not the shortest one)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "holonomy_depth.py"
    spec = importlib.util.spec_from_file_location("holonomy_depth", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main([]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line for line in out.splitlines() if line[:1].isalnum() and "  " in line}
    assert "<= 4 (upper bound)" in rows["d3"] and "none at every length" in rows["parity"]
    assert "Sarrof, Veitsman & Hahn (2024)" in out and "Only an upper bound" in out


def test_package_attribute_is_the_function_after_the_module_is_imported():
    """A submodule named like a public function would shadow it once imported
    (the import system sets the package attribute): none of ours does."""
    import importlib
    import pkgutil

    for pkg_name in ("automata_probe.automata", "automata_probe.algebra", "automata_probe.extraction",
                     "automata_probe.probing", "automata_probe.models", "automata_probe.data"):
        pkg = importlib.import_module(pkg_name)
        subs = {m.name for m in pkgutil.iter_modules(pkg.__path__)}
        lazy = subs & set(getattr(pkg, "__all__", ())) - set(vars(pkg))
        assert not lazy, f"{pkg_name}: {sorted(lazy)} name both a submodule and a lazily loaded public name"
    import automata_probe.algebra.cascade  # noqa: F401
    from automata_probe.algebra import holonomy as h

    assert callable(h) and h.__name__ == "holonomy"
