"""Shared by the tests of automata_probe.automata."""

from __future__ import annotations

from pathlib import Path

from automata_probe.automata import suite_names

SUITE = suite_names()

# Sarrof et al.'s star-free column (issue 2, "Done when")
STAR_FREE = {"tomita1", "tomita2", "tomita4", "tomita7", "d1", "d2", "d3", "d4", "d12", "abcde", "ab_d_bc",
             "012_02", "flip_flop"}
NOT_STAR_FREE = {"parity", "aa_star", "aaaa_star", "abab_star", "tomita3", "tomita5", "tomita6"}

TOMITA4 = """\
name = "tomita4"
description = "no three consecutive 0s"
alphabet = ["0", "1"]
regex = "(1|01|001)*(0|00)?"
[expect]
min_states = 4
[dfa]
start = "q0"
accept = ["q0", "q1", "q2"]
[dfa.transitions]
q0 = { "0" = "q1", "1" = "q0" }
q1 = { "0" = "q2", "1" = "q0" }
q2 = { "1" = "q0" }
"""


def write(tmp_path: Path, text: str, name: str = "lang.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p
