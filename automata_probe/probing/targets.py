"""Targets beyond the state: coarsenings of the automaton's states and quotients of its syntactic monoid.

A target spec is a plain target (``state``, ``monoid``, ``member``, ``next``) or

``partition:NAME``
    a partition of the minimal DFA's states: the built-in ``live-dead``, or
    one named in the language file's ``[partitions]`` table (``partition:
    block-parity`` for Tomita 3);
``partition:q0,q1|q2|dead``
    a partition written out: blocks separated by ``|``, states by ``,``;
``quotient:NAME``
    a quotient of the syntactic monoid, which must be a group: ``sign`` (the
    sign of a permutation for ``S_n``), ``Z<k>`` (the ``Z5`` factor of
    ``A4 x Z5``), ``abelian`` (see :mod:`automata_probe.algebra.quotients`).

:func:`state_classes` and :func:`monoid_classes` turn a spec into a class per
node; :func:`~automata_probe.probing.labels.make_labeler` uses them.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from ..algebra.monoid import Monoid
from ..algebra.quotients import monoid_quotient
from ..automata.dfa import DFA
from ..automata.language import partition_classes
from ..errors import DataError

__all__ = ["TARGETS", "BUILTIN_PARTITIONS", "check_target", "parse_target", "state_classes", "monoid_classes"]

#: The plain targets; ``partition:...`` and ``quotient:...`` specs come on top.
TARGETS = ("state", "monoid", "member", "next", "counter")

#: Partitions every automaton has.
BUILTIN_PARTITIONS = ("live-dead",)


def parse_target(spec: str) -> tuple[str, str]:
    """``(kind, argument)``: ``("state", "")``, ``("partition", "live-dead")``, ``("quotient", "sign")``, ...

    Raises
    ------
    DataError
        Anything else (the message lists the forms).
    """
    if not isinstance(spec, str):
        raise DataError(f"a probe target must be a string, not {type(spec).__name__}")
    if spec in TARGETS:
        return spec, ""
    kind, sep, arg = spec.partition(":")
    if sep and kind in ("partition", "quotient") and arg.strip():
        return kind, arg.strip()
    raise DataError(f"unknown probe target {spec!r}; expected one of {', '.join(TARGETS)}, "
                    "partition:NAME (live-dead, a [partitions] name of the language file, or q0,q1|q2|...) "
                    "or quotient:NAME (sign, Z<k>, abelian)")


def check_target(spec: str) -> str:
    """``spec`` if it is a valid target spec (its syntax; the automaton is checked when labels are made)."""
    parse_target(spec)
    return spec


def state_classes(dfa: DFA, spec: str, partitions: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
                  ) -> tuple[np.ndarray, tuple[str, ...]]:
    """Class of each state of the minimal ``dfa`` for a ``partition:`` spec, and the class names.

    Raises
    ------
    DataError
        An unknown partition name, or blocks that do not partition the states.
    """
    kind, arg = parse_target(spec)
    if kind != "partition":
        raise DataError(f"{spec!r} is not a partition target")
    what = f"partition {arg!r}"
    if arg == "live-dead":
        dead = dfa.dead_states
        if not dead:
            raise DataError(f"partition 'live-dead': {dfa.name or 'the DFA'} has no dead state (one class only)")
        return np.asarray([int(q in dead) for q in range(dfa.n_states)], dtype=np.int64), ("live", "dead")
    if partitions and arg in partitions:
        blocks = {name: tuple(states) for name, states in partitions[arg].items()}
    elif "|" in arg or "," in arg:
        blocks = {}
        for part in arg.split("|"):
            states = tuple(s.strip() for s in part.split(",") if s.strip())
            blocks["{" + ",".join(states) + "}"] = states
    else:
        known = [*BUILTIN_PARTITIONS, *(partitions or {})]
        raise DataError(f"unknown partition {arg!r} for {dfa.name or 'the DFA'}; known: {', '.join(known)} "
                        "(or write one out: q0,q1|q2|dead)")
    classes = partition_classes(dfa, blocks, what=what)
    return classes, tuple(blocks)


def monoid_classes(monoid: Monoid, spec: str) -> tuple[np.ndarray, tuple[str, ...], np.ndarray | None]:
    """Class of each monoid element for a ``quotient:`` spec, the class names and the complement's classes (or None)."""
    kind, arg = parse_target(spec)
    if kind != "quotient":
        raise DataError(f"{spec!r} is not a quotient target")
    q = monoid_quotient(monoid, arg)
    return q.classes.astype(np.int64), q.class_names, None if q.complement is None else q.complement.astype(np.int64)
