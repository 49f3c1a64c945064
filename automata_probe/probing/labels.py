"""What a probe reads: per-position labels from a DFA, for each of :data:`TARGETS`.

A :class:`Labeler` is a deterministic automaton over the model's alphabet with
a class per node; :func:`make_labeler` builds it from the probed DFA (see
``docs/probing.md`` for what each target means).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from ..algebra import transition_monoid
from ..automata.counter import bounded_counter_dfa, counter_language, is_counter_name
from ..automata.dfa import DFA, align_alphabet, run_table
from ..automata.words import format_word
from ..data import check_indices, next_patterns
from ..errors import DataError
from .targets import TARGETS, check_target, monoid_classes, parse_target, state_classes

__all__ = ["TARGETS", "check_target", "Labeler", "make_labeler"]


@dataclass(frozen=True, kw_only=True, eq=False)
class Labeler:
    """Per-position labels as a deterministic automaton with a class per node.

    Attributes
    ----------
    target
        One of :data:`TARGETS`.
    alphabet
        The letters, in the order of the letter indices it reads (the
        model's tokenizer order).
    table
        ``(n_nodes, k)`` transitions.
    start
        The node of the empty prefix.
    node_class
        ``(n_nodes,)`` class of each node.
    class_names
        Display name of each class.
    dfa
        The minimal DFA (aligned to ``alphabet``) the labels come from.
    node_state
        ``(n_nodes,)`` the DFA state each node puts the automaton in (for
        ``monoid`` and ``quotient:`` targets, whose nodes are monoid
        elements); None when the nodes are the DFA's states.
    complement
        ``(n_nodes,)`` for a quotient with a normal complement: each node's
        class in the complement, so a node is (class, complement class);
        None otherwise.
    """

    target: str
    alphabet: tuple[str, ...]
    table: np.ndarray
    start: int
    node_class: np.ndarray
    class_names: tuple[str, ...]
    dfa: DFA
    node_state: np.ndarray | None = None
    complement: np.ndarray | None = None

    def __post_init__(self) -> None:
        check_target(self.target)
        table = np.asarray(self.table, dtype=np.int64)
        cls = np.asarray(self.node_class, dtype=np.int64)
        if table.ndim != 2 or table.shape[1] != len(self.alphabet):
            raise DataError(f"labeler table has shape {table.shape} for {len(self.alphabet)} letters")
        if cls.shape != (table.shape[0],):
            raise DataError(f"labeler has {cls.shape} node classes for {table.shape[0]} nodes")
        if cls.size and (cls.min() < 0 or cls.max() >= len(self.class_names)):
            raise DataError("labeler node classes fall outside its class names")
        table.setflags(write=False)
        cls.setflags(write=False)
        object.__setattr__(self, "table", table)
        object.__setattr__(self, "node_class", cls)
        for name in ("node_state", "complement"):
            value = getattr(self, name)
            if value is not None:
                value = np.asarray(value, dtype=np.int64)
                if value.shape != cls.shape:
                    raise DataError(f"labeler {name} has shape {value.shape} for {cls.shape[0]} nodes")
                value.setflags(write=False)
                object.__setattr__(self, name, value)

    @property
    def states_of_nodes(self) -> np.ndarray:
        """``(n_nodes,)`` the DFA state of each node."""
        return self.node_state if self.node_state is not None else np.arange(self.table.shape[0])

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    def nodes(self, indices: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """``(B, Lmax + 1)`` nodes visited (``-1`` past each word's end)."""
        idx, lengths = check_indices(indices, lengths, len(self.alphabet))
        Lmax = idx.shape[1]
        real = np.arange(Lmax)[None, :] < lengths[:, None]  # (B, Lmax)
        # letters past a word's end may be anything: read letter 0 there, then mask those nodes
        nodes = run_table(self.table, self.start, np.where(real, idx, 0))  # (B, Lmax+1)
        nodes[np.arange(Lmax + 1)[None, :] > lengths[:, None]] = -1
        return nodes

    def labels(self, indices: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """``(B, Lmax + 1)`` class of each prefix ``w_1..w_t`` (``-1`` past the end).

        Column ``t`` is the label after ``t`` letters; a word of length ``L``
        has ``L + 1`` labels.
        """
        nodes = self.nodes(indices, lengths)
        return np.where(nodes >= 0, self.node_class[np.maximum(nodes, 0)], -1)

    def word_labels(self, word: Sequence[str] | str) -> np.ndarray:
        """The ``L + 1`` labels of one word given as letters."""
        idx = self.dfa.encode(word)
        return self.labels(idx[None, :], np.asarray([len(idx)]))[0]


def make_labeler(
    dfa: DFA,
    target: str = "state",
    *,
    alphabet: Sequence[str] | None = None,
    max_monoid: int = 200_000,
    what: str = "the model",
    partitions: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
) -> Labeler:
    """Build the labels for ``target`` from ``dfa``.

    Parameters
    ----------
    dfa
        The automaton to probe for (it is minimized here).
    target
        ``"state"``, ``"monoid"``, ``"member"``, ``"next"``, ``"counter"``
        (a bounded counter language ``NAME@B`` only: the value of its first
        counter, e.g. the depth of Dyck-1; the labels follow the machine's
        configurations, not the minimal DFA's states), or a spec from
        :mod:`.targets` (``"partition:live-dead"``, ``"quotient:sign"``, ...).
    alphabet
        The model's letters in tokenizer order (default: the DFA's). It must
        be the same set as the DFA's alphabet.
    max_monoid
        Cap for the ``monoid`` and ``quotient:`` targets
        (:class:`~automata_probe.errors.MonoidTooLargeError` past it).
    what
        How the model is named in an alphabet error.
    partitions
        Named partitions (a language file's ``[partitions]``) for ``partition:NAME``.

    Raises
    ------
    AlphabetError
        The alphabets are different sets (the message names both).
    DataError
        A partition that does not partition the states, a quotient the
        monoid does not have.
    """
    kind, _ = parse_target(target)
    letters = tuple(alphabet) if alphabet is not None else dfa.alphabet
    minimal = align_alphabet(dfa, letters, what=what).minimize().with_name(dfa.name or "dfa")
    if kind in ("monoid", "quotient"):
        return _monoid_labeler(minimal, letters, max_monoid, target)
    if kind == "counter":
        return _counter_labeler(dfa, minimal, letters)
    n = minimal.n_states
    if target == "state":
        node_class, names = np.arange(n), tuple(_state_name(minimal, q) for q in range(n))
    elif target == "member":
        node_class, names = minimal.accept_mask.astype(np.int64), ("reject", "accept")
    elif target == "next":
        node_class, names = _next_classes(minimal, letters)
    else:
        node_class, names = state_classes(minimal, target, partitions)
    return Labeler(
        target=target, alphabet=letters, table=minimal.table, start=minimal.start, node_class=node_class,
        class_names=names, dfa=minimal,
    )


def _next_classes(dfa: DFA, letters: tuple[str, ...]) -> tuple[np.ndarray, tuple[str, ...]]:
    """A class per distinct next-set pattern (live letters, then the end bit), numbered by first state."""
    patterns = next_patterns(dfa)  # (n, k+1)
    k = dfa.n_letters
    ids: dict[bytes, int] = {}
    names: list[str] = []
    cls = np.empty(dfa.n_states, dtype=np.int64)
    for q in range(dfa.n_states):
        key = patterns[q].tobytes()
        if key not in ids:
            ids[key] = len(names)
            allowed = [letters[i] for i in range(k) if patterns[q, i]]
            if patterns[q, k]:
                allowed.append("END")
            names.append("{" + ",".join(allowed) + "}")
        cls[q] = ids[key]
    return cls, tuple(names)


def _monoid_labeler(minimal: DFA, letters: tuple[str, ...], max_monoid: int, target: str) -> Labeler:
    """The right Cayley graph of the transition monoid of the minimal DFA (classes: elements, or a quotient's)."""
    monoid = transition_monoid(minimal, max_monoid=max_monoid)
    cayley = np.asarray(monoid.cayley, dtype=np.int64)  # (m, k): element of w.a from element of w
    order = monoid.dfa.alphabet
    if order != letters:  # columns follow the monoid's alphabet order
        cayley = cayley[:, [order.index(a) for a in letters]]
    complement = None
    if target == "monoid":
        node_class, names = np.arange(monoid.size), tuple(format_word(w, letters) for w in monoid.words)
    else:
        node_class, names, complement = monoid_classes(monoid, target)
    return Labeler(
        target=target,
        alphabet=letters,
        table=cayley,
        start=0,  # element 0 is the identity (the empty word)
        node_class=node_class,
        class_names=names,
        dfa=minimal,
        node_state=np.asarray(monoid.elements[:, minimal.start], dtype=np.int64),
        complement=complement,
    )


def _counter_labeler(dfa: DFA, minimal: DFA, letters: tuple[str, ...]) -> Labeler:
    """The configuration graph of a bounded counter language, a class per value of its first counter."""
    if not is_counter_name(dfa.name or "") or "@" not in (dfa.name or ""):
        raise DataError(f"target 'counter' needs a bounded counter language (dyck1@20, ...), not {dfa.name!r}")
    machine = counter_language(dfa.name).machine
    graph, configs = bounded_counter_dfa(machine, int(dfa.name.partition("@")[2]))
    table = graph.table[:, [graph.alphabet.index(a) for a in letters]]
    values = [c[1][0] if c is not None else -1 for c in configs]
    top = max(values)
    node_class = np.array([v if v >= 0 else top + 1 for v in values], dtype=np.int64)
    names = tuple(str(v) for v in range(top + 1)) + ("rejected",)
    return Labeler(target="counter", alphabet=letters, table=table, start=graph.start, node_class=node_class,
                   class_names=names, dfa=minimal)


def _state_name(dfa: DFA, q: int) -> str:
    name = dfa.label(q)
    return f"{name} (dead)" if q in dfa.dead_states and "dead" not in name else name
