"""Tests for automata_probe.algebra._bytelayers: the byte layers, compiled (``_clayers``) and
pure Python, give the numpy layers' enumeration exactly; the fallback when the extension is missing."""

from __future__ import annotations

import logging
import signal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from automata_probe.algebra import _bytelayers as bytelayers
from automata_probe.algebra import _enumeration as enumeration
from automata_probe.algebra import transition_monoid
from automata_probe.algebra._bytelayers import ByteLayers, NativeLayers, byte_layers, native_module
from automata_probe.automata import load_language, suite_names

from .reference import (
    PROPERTY,
    catalan,
    dfa_from_rows,
    naive_monoid,
    small_dfas,
    structured_dfas,
    uniform_dfas,
)

#: Switch-over points: numpy throughout (0), bytes for the first layer only
#: (1), handed over midway (8, 64), the default, bytes throughout (huge).
_THRESHOLDS = (0, 1, 8, 64, enumeration._BYTE_PRODUCTS, 10**9)

#: The byte layers to tie: pure Python, and compiled where the extension is built.
_NATIVE = (False, True) if native_module() is not None else (False,)
needs_native = pytest.mark.skipif(native_module() is None, reason="the C extension _clayers is not built")


def _run(dfa, byte_products, *, max_monoid=3_000, check="none", stop=False, exact=False, native=False):
    return enumeration._Closure(
        dfa,
        max_monoid=max_monoid,
        check=check,
        stop_at_periodic=stop,
        salt=0,
        exact=exact,
        byte_products=byte_products,
        native=native,
    ).run()


def _same(a, b):
    assert a.complete == b.complete
    assert a.first_periodic == b.first_periodic
    assert a.elements.dtype == b.elements.dtype
    np.testing.assert_array_equal(a.elements, b.elements)
    np.testing.assert_array_equal(a.parents, b.parents)
    np.testing.assert_array_equal(a.letters, b.letters)
    if a.complete:
        np.testing.assert_array_equal(a.cayley, b.cayley)
    else:
        assert a.cayley is None and b.cayley is None


dfas = st.one_of(
    small_dfas(min_states=1, max_states=8),
    structured_dfas(min_states=3, max_states=40),
    uniform_dfas(min_states=3, max_states=24),
)


@given(dfas, st.sampled_from(["none", "periodic", "group"]), st.booleans(), st.sampled_from([1, 7, 200, 3_000]))
@settings(PROPERTY, max_examples=300)
def test_bytes_layers_match_numpy_layers_across_the_switch(dfa, check, stop, cap):
    """Elements, shortest words (parents, letters), the Cayley graph, the
    first periodic element and where the cap stops: identical whichever layer
    hands over to numpy, packed (n <= 16) or hashed rows (n > 16) alike, from
    the Python and the compiled byte layers."""
    reference = _run(dfa, 0, max_monoid=cap, check=check, stop=stop)
    for native in _NATIVE:
        for threshold in _THRESHOLDS[1:]:
            _same(_run(dfa, threshold, max_monoid=cap, check=check, stop=stop, native=native), reference)


@given(structured_dfas(min_states=17, max_states=40))
@settings(PROPERTY, max_examples=30)
def test_exact_rows_take_over_from_bytes(dfa):
    """The exact row dictionary (after repeated hash collisions) adopts the bytes layers too."""
    reference = _run(dfa, 0)
    for native in _NATIVE:
        for threshold in (1, 64):
            _same(_run(dfa, threshold, exact=True, native=native), reference)


@given(small_dfas(min_states=2, max_states=6))
@PROPERTY
def test_bytes_layers_alone_match_the_naive_bfs(dfa):
    """The readable reference: a plain BFS over tuples."""
    layers = ByteLayers(dfa.transitions)
    while layers.step(10**6):
        pass
    assert layers.frontier_size == 0 and layers.frontier_rows() == b""
    maps, words = naive_monoid(dfa)
    assert [tuple(row) for row in layers.index] == maps
    assert list(layers.index.values()) == list(range(len(maps)))
    flat = list(layers.cayley)
    parents, letters = bytelayers.found_at(np.array(flat, dtype=np.int32), dfa.n_letters, layers.total)
    # the plain reading: element j was found by the first product equal to it
    assert parents[1:].tolist() == [flat.index(j) // dfa.n_letters for j in range(1, len(maps))]
    word = {0: ()}
    for i in range(1, layers.total):
        word[i] = word[int(parents[i])] + (int(letters[i]),)
    assert [word[i] for i in range(len(maps))] == [words[v] for v in maps]


def test_cayley_graph_of_a_handed_over_monoid():
    """Catalan(7): bytes layers, then numpy; every Cayley edge is a product."""
    d = catalan(7)
    m = transition_monoid(d, minimize=False)
    gens = np.array(d.transitions).T  # (k, n)
    products = m.elements[:, None, :].repeat(d.n_letters, 1)  # (m, k, n)
    expected = np.take_along_axis(gens[None, :, :].repeat(m.size, 0), products.astype(np.intp), axis=2)
    np.testing.assert_array_equal(m.elements[m.cayley], expected)


@pytest.mark.parametrize("n", [255, 256, 257])
def test_the_bytes_limit_is_256_states(n):
    """A cycle of n states: bytes up to 256 states, numpy rows (or the
    compiled layers' two-byte rows) beyond; same group."""
    rows = [[(q + 1) % n, 0 if q == 1 else q] for q in range(n)]
    d = dfa_from_rows("ab", rows, [0])
    a = _run(d, 0, max_monoid=50)
    for native in _NATIVE:
        _same(_run(d, 10**9, max_monoid=50, native=native), a)



@needs_native
@given(
    st.one_of(structured_dfas(min_states=257, max_states=700), uniform_dfas(min_states=257, max_states=400)),
    st.sampled_from(["none", "periodic", "group"]),
    st.booleans(),
    st.sampled_from([1, 60, 600]),
)
@settings(PROPERTY, max_examples=40)
def test_compiled_two_byte_rows_match_numpy_layers(dfa, check, stop, cap):
    """Past 256 states the compiled layers store two bytes a state: the same
    elements (uint16), words, Cayley graph, first periodic element and cap
    as the numpy layers."""
    reference = _run(dfa, 0, max_monoid=cap, check=check, stop=stop)
    compiled = _run(dfa, 10**9, max_monoid=cap, check=check, stop=stop, native=True)
    assert compiled.elements.dtype == np.uint16
    _same(compiled, reference)


@needs_native
@pytest.mark.parametrize("n", [257, 300, 1001])
def test_compiled_two_byte_rows_of_a_dihedral_group(n):
    """The dihedral group of a regular n-gon (a rotation and a reflection
    of n > 256 states, 2n elements): words return to the identity, hashed
    when it was stored and again as a product, so the two row hashes of
    the C code must agree; same monoid as the numpy layers."""
    d = dfa_from_rows("ab", [[(q + 1) % n, (n - q) % n] for q in range(n)], [0])
    compiled = _run(d, 10**9, max_monoid=100_000, native=True)
    assert compiled.complete and compiled.elements.shape == (2 * n, n)
    _same(compiled, _run(d, 0, max_monoid=100_000))

# ------------------------------------------------------- compiled against Python
def _arrays(layers):
    out = layers.arrays()
    return [out.elements, out.parents, out.letters, out.cayley]


@needs_native
@given(
    st.one_of(small_dfas(min_states=1, max_states=8), structured_dfas(3, 60), uniform_dfas(3, 40)),
    st.sampled_from([1, 2, 9, 100, 2_000]),
)
@settings(PROPERTY, max_examples=300)
def test_compiled_layers_step_as_the_python_layers(dfa, cap):
    """Layer by layer: the same counts (None where the cap stops), the same
    frontier rows, then identical elements, parents, letters and flat Cayley
    ids (dtypes included) and depth."""
    python, compiled = ByteLayers(dfa.transitions), NativeLayers(dfa.transitions, native_module())
    while True:
        fresh = python.step(cap)
        assert compiled.step(cap) == fresh
        assert (compiled.total, compiled.depth, compiled.frontier_size) == (python.total, python.depth, python.frontier_size)
        assert compiled.frontier_rows() == python.frontier_rows()
        if not fresh:
            break
    for a, b in zip(_arrays(compiled), _arrays(python)):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)


@needs_native
@given(st.one_of(small_dfas(min_states=2, max_states=8), structured_dfas(3, 40)), st.integers(1, 300))
@PROPERTY
def test_a_capped_step_leaves_the_compiled_enumeration_as_it_was(dfa, cap):
    """A layer abandoned at the cap (its rows already in the hash table) is
    forgotten: stepping on with a higher cap gives the enumeration at that cap."""
    higher = 3_000
    capped, plain = NativeLayers(dfa.transitions, native_module()), NativeLayers(dfa.transitions, native_module())
    while capped.step(cap):
        pass
    while capped.step(higher):
        pass
    while plain.step(higher):
        pass
    assert (capped.total, capped.frontier_size) == (plain.total, plain.frontier_size)
    for a, b in zip(_arrays(capped), _arrays(plain)):
        np.testing.assert_array_equal(a, b)


class _Alarm(Exception):
    pass


@needs_native
@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="needs signal.setitimer")
def test_a_signal_stops_a_compiled_layer_and_leaves_it_unstepped():
    """A signal handler's exception (Ctrl-C's KeyboardInterrupt) raised while
    C steps a layer of 480,000 products (10 ms at least) comes out of
    ``step`` within some 65,000 products; the layer is abandoned and stepping
    again completes the monoid (Catalan(13): 742,900 elements)."""
    layers = NativeLayers(catalan(13).transitions, native_module())
    while layers.frontier_size < 40_000:
        assert layers.step(10**7)
    total, frontier = layers.total, layers.frontier_size

    def handler(signum, frame):
        raise _Alarm

    old = signal.signal(signal.SIGALRM, handler)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.001)
        with pytest.raises(_Alarm):
            layers.step(10**7)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert (layers.total, layers.frontier_size) == (total, frontier)
    while layers.step(10**7):
        pass
    assert layers.total == 742_900


@needs_native
@pytest.mark.parametrize("name", suite_names())
def test_every_suite_language_has_one_monoid_on_both_paths(name, monkeypatch):
    """The whole language suite: the compiled and the pure-Python enumerations
    (the latter with its numpy layers) give identical monoids."""
    d = load_language(name).dfa.minimize()
    compiled = transition_monoid(d, minimize=False)
    monkeypatch.setenv(bytelayers.PURE_PYTHON_ENV, "1")
    python = transition_monoid(d, minimize=False)
    for field in ("transformations", "parents", "letters", "cayley"):
        np.testing.assert_array_equal(getattr(compiled, field), getattr(python, field))


@needs_native
def test_the_compiled_layers_refuse_misuse():
    """Letter tables of the wrong size or with states out of range, too many
    states, and a step after the end raise."""
    native = native_module()
    with pytest.raises(ValueError):
        native.Layers(bytes(100), 3)
    with pytest.raises(ValueError):
        native.Layers(bytes(256), 257)  # two-byte rows take n uint16 a letter
    with pytest.raises(ValueError):
        native.Layers(np.array([1, 2, 300] + [0] * 297, dtype=np.uint16).tobytes(), 300)  # 300 is no state
    with pytest.raises(ValueError):
        native.Layers(bytes(2 * 65537), 65537)
    layers = native.Layers(bytes(range(256)), 4)
    assert layers.step(10) == 0  # the identity letter: a one-element monoid
    rows, parents, letters, cayley = layers.finish()
    assert (bytes(rows), bytes(cayley)) == (bytes(range(4)), bytes(4))
    with pytest.raises(RuntimeError):
        layers.step(10)


def test_the_environment_variable_forces_pure_python(monkeypatch, caplog):
    """AUTOMATA_PROBE_PURE_PYTHON=1: the Python layers, said at debug level;
    ``0`` or unset: the compiled ones where built."""
    monkeypatch.setenv(bytelayers.PURE_PYTHON_ENV, "1")
    assert native_module() is None
    with caplog.at_level(logging.DEBUG, logger=bytelayers.__name__):
        assert isinstance(byte_layers(catalan(4).transitions), ByteLayers)
    assert "pure Python" in caplog.text
    monkeypatch.setenv(bytelayers.PURE_PYTHON_ENV, "0")
    expected = NativeLayers if bytelayers.native_module() is not None else ByteLayers
    assert isinstance(byte_layers(catalan(4).transitions), expected)


def test_without_the_extension_the_python_layers_run(monkeypatch, caplog):
    """An install without a compiler: importing ``_clayers`` fails, the
    enumeration falls back to the Python and numpy layers (same monoid),
    and asking for the compiled layers explicitly raises ImportError."""
    def missing():
        raise ImportError("No module named 'automata_probe.algebra._clayers' (simulated)")

    monkeypatch.delenv(bytelayers.PURE_PYTHON_ENV, raising=False)
    monkeypatch.setattr(bytelayers, "_native", bytelayers._UNLOADED)
    monkeypatch.setattr(bytelayers, "_import_native", missing)
    with caplog.at_level(logging.DEBUG, logger=bytelayers.__name__):
        assert native_module() is None
        m = transition_monoid(catalan(9), minimize=False)  # 4,862 elements: bytes, then numpy
    assert "not available" in caplog.text and "pure Python" in caplog.text
    maps, _ = naive_monoid(catalan(9))
    assert [tuple(r) for r in m.elements.tolist()] == maps
    with pytest.raises(ImportError):
        byte_layers(catalan(4).transitions, native=True)
