"""Tests for automata_probe.viz.drawing: drawings of automata."""

from __future__ import annotations

import pytest

from automata_probe.automata import language_from_regex


@pytest.mark.parametrize("pattern, alphabet", [("(a|b)*b", "ab"), ("aa*bb*cc*dd*ee*", "abcde")])
def test_edge_labels_stay_upright(pattern, alphabet):
    """Turned along a vertical edge, ``b`` reads as ``q``: every letter is drawn unrotated."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from automata_probe.viz.drawing import draw_dfa

    dfa = language_from_regex(pattern, alphabet=alphabet).dfa
    fig, ax = plt.subplots(figsize=(5, 5))
    try:
        draw_dfa(ax, dfa)
        fig.canvas.draw()  # labels on edges take their angle when drawn
        letters = [t for t in ax.texts if t.get_text() and set(t.get_text()) <= set(alphabet + ", ")]
        assert len(letters) >= len(alphabet)  # the edge and loop labels are there
        assert all(t.get_rotation() % 360 == 0 for t in letters), [(t.get_text(), t.get_rotation()) for t in letters]
    finally:
        plt.close(fig)
