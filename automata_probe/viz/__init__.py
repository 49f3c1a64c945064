"""Pictures: automata side by side, disagreement curves, fidelity to a model, probe reports, the papers' figures (matplotlib, Agg).

The names below are loaded from their modules on first use (PEP 562): the
drawings of automata need neither torch nor the probing stage, so ``show``
and ``compare`` start fast, while the report figures load what they need.
"""

from .._lazy import lazy_exports

#: Public name -> the module of this package that defines it.
_HOMES = {
    "draw_comparison": "drawing",
    "draw_dfa": "drawing",
    "plot_disagreement": "drawing",
    "plot_fidelity": "fidelity_plots",
    "save_dfa_figure": "drawing",
    "draw_egg_box": "eggbox",
    "save_egg_box_figure": "eggbox",
    "accuracy_figure": "probe_plots",
    "confusion_figure": "probe_plots",
    "length_figure": "probe_plots",
    "plot_report": "probe_plots",
    "projection_figure": "probe_plots",
    "causal_figure": "causal_plots",
    "free_run_figure": "causal_plots",
    "heatmap_figure": "causal_plots",
    "plot_intervention_report": "causal_plots",
    "plot_dyck_memory": "reproduce_curves",
    "plot_flip_flop": "reproduce_curves",
    "plot_merrill": "reproduce_plots",
    "plot_merrill_depth": "reproduce_plots",
    "plot_sarrof": "reproduce_plots",
    "plot_state_tracking": "state_tracking_plots",
}

__all__ = list(_HOMES)

__getattr__, __dir__ = lazy_exports(__name__, _HOMES, __all__)
