"""Fixtures shared by the tests of automata_probe.models."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture
def tokens() -> torch.Tensor:
    return torch.randint(0, 5, (3, 11), generator=torch.Generator().manual_seed(0))
