"""Fixtures shared by several test modules."""

from __future__ import annotations

import pytest

from automata_probe.automata.dfa import DFA


@pytest.fixture(scope="session")
def tomita4() -> DFA:
    """No three consecutive 0s; minimal: q0, q1 (one 0), q2 (two 0s), dead.

    Modules that test construction itself (test_dfa, test_compare, ...) keep
    their own fixture of this name on purpose.
    """
    return DFA.from_table(
        alphabet=["0", "1"],
        transitions={"q0": {"0": "q1", "1": "q0"}, "q1": {"0": "q2", "1": "q0"}, "q2": {"1": "q0"}},
        start="q0",
        accept=["q0", "q1", "q2"],
        name="tomita4",
    ).minimize()


def pytest_collection_modifyitems(config, items):
    """``@pytest.mark.slow`` tests run only when asked: ``-m slow`` or AUTOMATA_PROBE_SLOW=1 (kept out of CI)."""
    import os

    if os.environ.get("AUTOMATA_PROBE_SLOW") == "1" or "slow" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="slow: run with -m slow or AUTOMATA_PROBE_SLOW=1")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
