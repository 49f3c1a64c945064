"""A recurrent model that runs a DFA exactly: a known ground truth for the state API and for interventions.

Its state is the one-hot DFA state (``layers.0.resid``, also a site); a token
multiplies it by the letter's transition matrix (BOS and PAD by the
identity); the head maps it to the next-character logits (+1 where the bit is
set, -1 elsewhere). Every method of the recurrent-state contract in
``automata_probe/models/base.py`` is written out in a few lines, as a new
architecture would.
"""

from __future__ import annotations

from types import SimpleNamespace

import torch
from torch import Tensor

from automata_probe.automata.dfa import DFA
from automata_probe.data import next_patterns
from automata_probe.models import RecurrentState, SequenceModel, SiteOutputs, StateOutputs, StepOutputs


class DFAModel(SequenceModel):
    """Sites ``embed`` (one-hot token), ``layers.0.resid`` (one-hot state, the recurrent state), ``final``."""

    def __init__(self, dfa: DFA):
        n, k = dfa.n_states, dfa.n_letters
        super().__init__(SimpleNamespace(arch="dfa", vocab_size=k + 2, n_outputs=k + 1, d_model=n, n_layers=1))
        T = torch.zeros(k + 2, n, n)
        T[0] = T[1] = torch.eye(n)  # PAD, BOS
        for a in range(k):
            T[a + 2, torch.arange(n), torch.tensor(dfa.table[:, a], dtype=torch.long)] = 1.0
        self.register_buffer("T", T)  # (V, n, n): state row -> next state row
        self.register_buffer("H", torch.from_numpy(2.0 * next_patterns(dfa) - 1.0).float())  # (n, k + 1)
        self.start = dfa.start
        self.scale = torch.nn.Parameter(torch.ones(()))  # so the model has a parameter (a device)

    def site_names(self) -> list[str]:
        return ["embed", "layers.0.resid", "final"]

    def initial_state(self, batch: int) -> RecurrentState:
        s = torch.zeros(batch, self.T.shape[1])
        s[:, self.start] = 1.0
        return RecurrentState({"layers.0.resid": s})

    def step(self, tokens: Tensor, state: RecurrentState, *, patch=None) -> StepOutputs:
        self._check_patch(patch)
        embed = self._patched(patch, "embed", torch.nn.functional.one_hot(tokens, self.T.shape[0]).float())
        s = torch.einsum("bv,bn,vnm->bm", embed, state["layers.0.resid"], self.T)  # (B, n)
        s = self._patched(patch, "layers.0.resid", s)
        final = self._patched(patch, "final", s)
        return StepOutputs(outputs=self.scale * final @ self.H, state=RecurrentState({"layers.0.resid": s}),
                           sites={"embed": embed, "layers.0.resid": s, "final": final})

    def forward_state(self, tokens: Tensor, state: RecurrentState | None = None, *, lengths=None) -> StateOutputs:
        lengths = self._lengths(tokens, lengths)
        state = self.initial_state(tokens.shape[0]) if state is None else state
        keep = state["layers.0.resid"]
        outs = []
        for t in range(tokens.shape[1]):
            step = self.step(tokens[:, t], state)
            state = step.state
            outs.append(step.outputs)
            keep = torch.where((lengths == t + 1)[:, None], state["layers.0.resid"], keep)
        out = torch.stack(outs, 1) if outs else self.H.new_zeros(tokens.shape[0], 0, self.H.shape[1])
        return StateOutputs(outputs=out, state=RecurrentState({"layers.0.resid": keep}))

    def forward_sites(self, tokens: Tensor, sites=None) -> SiteOutputs:
        wanted = self._resolve_sites(sites)
        state = self.initial_state(tokens.shape[0])
        outs, got = [], {s: [] for s in self.site_names()}
        for t in range(tokens.shape[1]):
            step = self.step(tokens[:, t], state)
            state = step.state
            outs.append(step.outputs)
            for s in got:
                got[s].append(step.sites[s])
        return SiteOutputs(outputs=torch.stack(outs, 1),
                           sites={s: torch.stack(v, 1) for s, v in got.items() if s in wanted})


def three_letter_dfa() -> DFA:
    """A 4-state DFA over a, b, c (with a dead state), for the shared state tests (vocabulary 5)."""
    return DFA.from_table(
        alphabet=["a", "b", "c"],
        transitions={"p": {"a": "q", "b": "p", "c": "r"}, "q": {"a": "r", "b": "p"}, "r": {"a": "p", "c": "q"}},
        start="p", accept=["p", "r"], name="abc",
    ).minimize()

