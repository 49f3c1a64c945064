"""Pictures: automata side by side, disagreement curves, probe reports, the papers' figures (matplotlib, Agg)."""

from .drawing import draw_comparison, draw_dfa, plot_disagreement, save_dfa_figure
from .probe_plots import accuracy_figure, confusion_figure, length_figure, plot_report, projection_figure
from .reproduce_plots import plot_merrill, plot_sarrof

__all__ = [
    "draw_comparison",
    "draw_dfa",
    "plot_disagreement",
    "save_dfa_figure",
    "accuracy_figure",
    "confusion_figure",
    "length_figure",
    "plot_report",
    "projection_figure",
    "plot_merrill",
    "plot_sarrof",
]
