"""Fixtures shared by several test modules."""

from __future__ import annotations

import pytest

from automata_probe.automata.dfa import DFA
from automata_probe.models import ModelConfig, build_model
from automata_probe.probing import ProbeConfig, ProbeReport, probe_model


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
    """Tests marked ``slow`` run only when asked for (``pytest -m slow``); the default suite skips them."""
    if "slow" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="slow: run with -m slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def tiny_model():
    """An untrained one-layer Mamba over tomita4's tokens: small enough to probe in a second."""
    return build_model(ModelConfig(arch="mamba", vocab_size=4, n_outputs=3, d_model=8, n_layers=1, d_state=2), seed=0)


@pytest.fixture(scope="session")
def tiny_report(tiny_model, tomita4) -> ProbeReport:
    """probe_model on tiny_model: two seeds, the MLP probe, one longer bin (probing, report and plot tests)."""
    settings = dict(n_train=12, n_test=6, train_lengths=(1, 8), test_bins=[(9, 12)])
    return probe_model(tiny_model, tomita4, ProbeConfig(seeds=(0, 1), mlp=True, **settings))
