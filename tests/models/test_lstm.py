"""Tests for automata_probe.models: scans, Mamba (weights, mambapy cross-check), LSTM, Transformer."""

from __future__ import annotations

import torch

from automata_probe.models.lstm import lstm_with_cells


def test_lstm_cells_loop_matches_nn_lstm():
    lstm = torch.nn.LSTM(4, 6, batch_first=True)
    x = torch.randn(2, 7, 4, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        h, c = lstm_with_cells(lstm, x)
        expected, (h_n, c_n) = lstm(x)
    torch.testing.assert_close(h, expected)
    torch.testing.assert_close(c[:, -1], c_n[0])
