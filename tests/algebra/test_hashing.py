"""Tests for automata_probe.algebra._hashing and the hashed-rows enumeration
(n > 16 states): keys of structured rows do not collide, collisions are caught
and recovered from within a bounded number of restarts, first occurrences are
found, and enumerations of 17-64 states match the brute-force monoid."""

from __future__ import annotations

import logging
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import automata_probe.algebra._enumeration as enumeration
from automata_probe.algebra import classify, is_star_free, transition_monoid
from automata_probe.algebra._hashing import HashTable, RowDict, Rows
from automata_probe.automata.families import family_dfa

from .reference import PROPERTY, naive_monoid, structured_dfas, uniform_dfas

#: Star-free languages whose minimal DFAs have 24-41 states; the old row hash
#: collided on every salt for each of them (RecursionError).
DYCK_LIKE = ("dyck-2-4", "dyck-3-3", "Dn-22", "Dn-23", "Dn-24", "Dn-25")


@pytest.mark.parametrize("spec", ["Dn-20", "dyck-2-4"])
def test_structured_rows_get_distinct_keys(spec):
    """Every element of these monoids gets its own key, under several salts
    (the old linear form over 64-bit words gave 3,309 keys to 3,312 rows)."""
    d = family_dfa(spec)
    maps, _ = naive_monoid(d)
    rows = np.array(maps)
    for salt in range(4):
        enc = Rows(np.asarray(d.table), salt)
        assert np.unique(enc.keys_of(enc.pad(rows))).size == len(maps)


def test_keys_do_not_depend_on_the_batch():
    """A row's key is a function of the row alone (blocks, views, order)."""
    rng = np.random.default_rng(0)
    enc = Rows(np.zeros((300, 2), dtype=np.int64), 3)
    rows = enc.pad(rng.integers(0, 300, size=(500, 300)))
    keys = enc.keys_of(rows)
    assert keys.dtype == np.uint64
    assert np.array_equal(enc.keys_of(rows[::-1].copy())[::-1], keys)
    assert np.array_equal(enc.keys_of(rows[7:8]), keys[7:8])


@pytest.mark.parametrize("spec", DYCK_LIKE)
def test_dyck_like_monoids_are_enumerated_and_star_free(spec):
    d = family_dfa(spec)
    maps, _ = naive_monoid(d)
    m = transition_monoid(d)
    assert [tuple(r) for r in m.elements.tolist()] == maps
    c = classify(d)
    assert c.star_free and c.monoid_size == len(maps)
    assert is_star_free(d)


@pytest.mark.parametrize("spec", ("Dn-20", "Dn-21", *DYCK_LIKE))
def test_structured_monoids_need_no_restart(monkeypatch, spec):
    """Dn-20 and Dn-21 needed 34 restarts with the old hash; the first salt
    now succeeds on every item-1 reproducer."""
    attempts = []
    real_init = enumeration._Closure.__init__

    def counting_init(self, *args, **kwargs):
        attempts.append(kwargs["salt"])
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(enumeration._Closure, "__init__", counting_init)
    transition_monoid(family_dfa(spec))
    assert attempts == [0]


def test_dyck_like_verdicts_take_well_under_a_second():
    """The issue's bound is one second per command; in-process each verdict
    takes about 0.1 s (measured under load), so this bound is generous."""
    for spec in ("dyck-2-4", "dyck-3-3", "Dn-25"):
        t = time.perf_counter()
        c = classify(family_dfa(spec))
        assert c.star_free
        assert time.perf_counter() - t < 1.0, spec


def test_collisions_are_detected_and_recovered(monkeypatch, s5):
    """A degenerate row hash on the first salt (2 bits kept) must not change
    the monoid: every key match is verified against the stored rows (numpy
    layers from the start: S5 is small enough to be enumerated as bytes)."""
    monkeypatch.setattr(enumeration, "_BYTE_PRODUCTS", 0)
    monkeypatch.setattr(enumeration, "_NATIVE_PRODUCTS", 0)
    real = Rows.keys_of
    first_coef = Rows(np.zeros((s5.n_states, 1), dtype=np.int64), 0).coef[0]

    def bad_keys(self, padded):
        keys = real(self, padded)
        return keys & np.uint64(3) if self.coef[0] == first_coef else keys

    monkeypatch.setattr(Rows, "keys_of", bad_keys)
    m = transition_monoid(s5)
    assert [tuple(r) for r in m.elements.tolist()] == naive_monoid(s5.minimize())[0]
    assert m.ids_of(m.elements[[5, 7]]).tolist() == [5, 7]


@given(
    st.one_of(structured_dfas(min_states=17, max_states=40), uniform_dfas(min_states=17, max_states=30)),
    st.sampled_from([1, 3, 64]),
    st.booleans(),
)
@settings(PROPERTY, max_examples=40)
def test_wide_rows_in_small_blocks_match_the_brute_force_monoid(dfa, block_rows, collide):
    """Layers of wide rows are stepped in blocks that share one scratch buffer,
    new rows are taken from it straight into the store and only the other
    products are verified: with blocks of 1 to 64 rows (a layer spans many)
    and, for ``collide``, a hash that keeps 2 bits on the first salt
    (collisions within and across blocks, caught, then a restart), the
    elements, words and Cayley graph are the naive BFS's."""
    real_step, real_keys = enumeration._Closure._step_rows, Rows.keys_of
    first_coef = Rows(np.zeros((dfa.n_states, 1), dtype=np.int64), 0).coef[0]
    with pytest.MonkeyPatch.context() as mp:

        def step_rows(self, layer):
            mp.setattr(enumeration, "_BLOCK_BYTES", block_rows * self.k * layer.strides[0])
            return real_step(self, layer)

        def bad_keys(self, padded):
            keys = real_keys(self, padded)
            return keys & np.uint64(3) if self.coef[0] == first_coef else keys

        mp.setattr(enumeration, "_BYTE_PRODUCTS", 0)
        mp.setattr(enumeration, "_NATIVE_PRODUCTS", 0)
        mp.setattr(enumeration._Closure, "_step_rows", step_rows)
        if collide:
            mp.setattr(Rows, "keys_of", bad_keys)
        raw = enumeration.enumerate_monoid(dfa, max_monoid=3_000, check="none", stop_at_periodic=False)
    m = raw.elements.shape[0]
    maps, words = naive_monoid(dfa, limit=m + 1)
    assert [tuple(r) for r in raw.elements.tolist()] == maps[:m]
    assert [raw.word_indices(i) for i in range(m)] == [words[y] for y in maps[:m]]
    assert raw.complete == (len(maps) == m)
    if raw.complete:
        index = {v: i for i, v in enumerate(maps)}
        gens = [tuple(dfa.transitions[q][a] for q in range(dfa.n_states)) for a in range(dfa.n_letters)]
        assert raw.cayley.tolist() == [[index[tuple(g[q] for q in u)] for g in gens] for u in maps]


def test_restarts_are_bounded_then_exact(monkeypatch, s5, caplog):
    """A hash that collides on every salt: a bounded number of attempts, no
    recursion, then the exact row dictionary gives the same monoid (numpy
    layers from the start)."""
    monkeypatch.setattr(enumeration, "_BYTE_PRODUCTS", 0)
    monkeypatch.setattr(enumeration, "_NATIVE_PRODUCTS", 0)
    calls = []
    real_init = enumeration._Closure.__init__

    def counting_init(self, *args, **kwargs):
        calls.append(kwargs["exact"])
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(enumeration._Closure, "__init__", counting_init)
    monkeypatch.setattr(Rows, "keys_of", lambda self, padded: np.zeros(padded.shape[0], dtype=np.uint64))
    with caplog.at_level(logging.WARNING, logger="automata_probe.algebra._enumeration"):
        m = transition_monoid(s5)
    assert calls == [False] * enumeration._HASH_ATTEMPTS + [True]
    assert "exact row dictionary" in caplog.text
    maps, words = naive_monoid(s5.minimize())
    assert [tuple(r) for r in m.elements.tolist()] == maps
    assert [m.word(i) for i in (0, 5, 100)] == [tuple(s5.alphabet[a] for a in words[maps[i]]) for i in (0, 5, 100)]
    assert m.ids_of(m.elements[[5, 7]]).tolist() == [5, 7]
    assert classify(s5).complexity == "NC1-complete"


@given(st.one_of(structured_dfas(), uniform_dfas()))
@PROPERTY
def test_hashed_and_exact_enumerations_match_the_brute_force_monoid(dfa):
    """17-64 states, structured rows or uniformly random ones: elements, shortest words and the Cayley
    graph agree with the naive BFS, hashed and exact alike (or the same BFS
    prefix when the cap of 5,000 elements stops both); numpy layers
    throughout (``byte_products=0``), the path these rows take past the bytes layers."""
    for exact in (False, True):
        raw = enumeration._Closure(
            dfa, max_monoid=5_000, check="none", stop_at_periodic=False, salt=1, exact=exact, byte_products=0
        ).run()
        m = raw.elements.shape[0]
        maps, words = naive_monoid(dfa, limit=m + 1)
        assert [tuple(r) for r in raw.elements.tolist()] == maps[:m]
        assert [raw.word_indices(i) for i in range(0, m, max(1, m // 50))] == [
            words[maps[i]] for i in range(0, m, max(1, m // 50))
        ]
        assert raw.complete == (len(maps) == m)
        if raw.complete:
            index = {v: i for i, v in enumerate(maps)}
            gens = [tuple(dfa.transitions[q][a] for q in range(dfa.n_states)) for a in range(dfa.n_letters)]
            expected = [[index[tuple(g[q] for q in u)] for g in gens] for u in maps]
            assert raw.cayley.tolist() == expected
            assert raw.index.find(raw.elements[::-1]).tolist() == list(range(m))[::-1]


@given(structured_dfas(min_states=17, max_states=40))
@settings(PROPERTY, max_examples=25)
def test_classify_on_structured_dfas_matches_the_definition(dfa):
    """Star-freeness by the definition (m^n = m^(n+1) on the naive monoid)."""
    from .reference import brute_aperiodic

    d = dfa.minimize()
    maps, _ = naive_monoid(d, limit=20_001)
    if len(maps) > 20_000:
        return
    c = classify(d)
    assert c.monoid_size == len(maps)
    assert c.star_free == brute_aperiodic(maps)


@given(st.lists(st.integers(0, 30), min_size=1, max_size=300))
@settings(max_examples=50, deadline=None)
def test_first_occurrence(values):
    keys = np.array(values, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    rep = HashTable._first_occurrence(keys)
    first = {}
    for i, v in enumerate(values):
        first.setdefault(v, i)
    assert rep.tolist() == [first[v] for v in values]


def test_first_occurrence_settles_clashes_without_recursion(monkeypatch):
    """Every multiplier sends all keys to one slot: the last resort (a sort)
    still finds the first occurrences."""
    monkeypatch.setattr(HashTable, "_claim_slots", staticmethod(lambda keys, mult: np.zeros(keys.size, dtype=np.intp)))
    values = [5, 3, 5, 9, 3, 3, 1]
    rep = HashTable._first_occurrence(np.array(values, dtype=np.uint64))
    assert rep.tolist() == [0, 1, 0, 3, 1, 1, 6]


@given(st.lists(st.lists(st.integers(0, 3), min_size=3, max_size=3), min_size=1, max_size=40))
@settings(max_examples=50, deadline=None)
def test_row_dict_numbers_new_rows_in_order_of_first_occurrence(rows):
    table = RowDict()
    table.insert(np.zeros((1, 3), dtype=np.uint8), np.zeros(1, dtype=np.int32))
    ids, new = table.lookup_insert(np.array(rows, dtype=np.uint8), 1)
    seen = {(0, 0, 0): 0}
    expected, expected_new = [], []
    for i, r in enumerate(map(tuple, rows)):
        if r not in seen:
            seen[r] = len(seen)
            expected_new.append(i)
        expected.append(seen[r])
    assert ids.tolist() == expected and new.tolist() == expected_new
