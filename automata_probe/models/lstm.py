"""LSTM baseline (Hochreiter & Schmidhuber 1997): a stack of single-layer ``nn.LSTM``.

Each layer is its own ``nn.LSTM`` so every layer's hidden state is a site. The
cell state c_t is not returned by ``nn.LSTM`` per position; when the site
``layers.{i}.cell`` is requested the layer runs step by step with the same
weights (PyTorch's gate order i, f, g, o), which gives the same h_t.

Sites: ``embed``, ``layers.{i}.resid`` (hidden state h_t of layer i),
``layers.{i}.cell`` (cell state c_t), ``final`` (what the head reads: the last
layer's h_t).

Recurrent state (:mod:`.base`): ``layers.{i}.resid`` (h) and
``layers.{i}.cell`` (c) per layer, each (B, d_model): the same names and
values as the sites. ``forward_state`` runs ``nn.LSTM`` from the given
(h, c) (a packed sequence gives each row's state after its own length);
``step`` is the gate equations written out.
"""

from __future__ import annotations

from typing import Iterable

import torch
from torch import Tensor, nn

from ..errors import ModelError
from .base import Patch, RecurrentState, SequenceModel, SiteOutputs, StateOutputs, StepOutputs
from .config import ModelConfig

__all__ = ["LSTMModel", "lstm_with_cells"]


def lstm_with_cells(lstm: nn.LSTM, x: Tensor) -> tuple[Tensor, Tensor]:
    """Run a single-layer, batch-first ``nn.LSTM`` step by step.

    Parameters
    ----------
    lstm : nn.LSTM
        One layer, unidirectional, batch_first, with biases.
    x : Tensor (B, L, D_in)

    Returns
    -------
    h : Tensor (B, L, H)
        Hidden states (equal to ``lstm(x)[0]``).
    c : Tensor (B, L, H)
        Cell states.
    """
    batch, length, _ = x.shape
    hidden = lstm.hidden_size
    gates_x = x @ lstm.weight_ih_l0.T + lstm.bias_ih_l0 + lstm.bias_hh_l0  # (B, L, 4H)
    h = x.new_zeros(batch, hidden)  # (B, H)
    c = x.new_zeros(batch, hidden)  # (B, H)
    hs, cs = [], []
    for g_x in gates_x.unbind(1):
        i, f, g, o = (g_x + h @ lstm.weight_hh_l0.T).chunk(4, dim=-1)  # (B, H) each
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        hs.append(h)
        cs.append(c)
    if not hs:
        empty = x.new_zeros(batch, 0, hidden)
        return empty, empty
    return torch.stack(hs, dim=1), torch.stack(cs, dim=1)


class LSTMModel(SequenceModel):
    """Embedding, ``n_layers`` LSTM layers of width d_model (dropout between layers), linear head."""

    def __init__(self, config: ModelConfig):
        if config.arch != "lstm":
            raise ModelError(f"LSTMModel needs arch 'lstm', got {config.arch!r}")
        super().__init__(config)
        self.embedding = nn.Embedding(config.vocab_size, config.d_model)
        self.layers = nn.ModuleList(
            nn.LSTM(config.d_model, config.d_model, num_layers=1, batch_first=True) for _ in range(config.n_layers)
        )
        self.dropout = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.d_model, config.n_outputs)

    def site_names(self) -> list[str]:
        names = ["embed"]
        for i in range(self.config.n_layers):
            names += [f"layers.{i}.cell", f"layers.{i}.resid"]
        return names + ["final"]

    # ------------------------------------------------------ recurrent state
    def initial_state(self, batch: int) -> RecurrentState:
        """Zeros: ``layers.{i}.resid`` (h) and ``layers.{i}.cell`` (c), (B, d_model) each."""
        p = self.embedding.weight
        out: dict[str, Tensor] = {}
        for i in range(self.config.n_layers):
            out[f"layers.{i}.resid"] = p.new_zeros(batch, self.config.d_model)
            out[f"layers.{i}.cell"] = p.new_zeros(batch, self.config.d_model)
        return RecurrentState(out)

    def forward_state(self, tokens: Tensor, state: RecurrentState | None = None, *,
                      lengths: Tensor | None = None) -> StateOutputs:
        self._check_tokens(tokens, self.config.vocab_size)
        lengths = self._lengths(tokens, lengths)
        state = self.initial_state(tokens.shape[0]) if state is None else state
        if tokens.shape[1] == 0:  # nothing to read (nn.LSTM refuses empty sequences)
            return StateOutputs(outputs=self.head.weight.new_zeros(tokens.shape[0], 0, self.config.n_outputs),
                                state=state)
        full = bool((lengths == tokens.shape[1]).all())
        x = self.embedding(tokens)  # (B, L, D)
        new: dict[str, Tensor] = {}
        for i, lstm in enumerate(self.layers):
            if i > 0:
                x = self.dropout(x)
            h0, c0 = state[f"layers.{i}.resid"], state[f"layers.{i}.cell"]  # (B, D) each
            out, (h, c) = lstm(x, (h0[None].contiguous(), c0[None].contiguous()))  # (B, L, D); (1, B, D)
            if not full:
                h, c = _state_after(lstm, x, h0, c0, lengths)
            else:
                h, c = h[0], c[0]
            new[f"layers.{i}.resid"], new[f"layers.{i}.cell"] = h, c
            x = out
        return StateOutputs(outputs=self.head(self.dropout(x)), state=RecurrentState(new))

    def step(self, tokens: Tensor, state: RecurrentState, *, patch: Patch | None = None) -> StepOutputs:
        self._check_patch(patch)
        self._check_tokens(tokens[:, None], self.config.vocab_size)
        sites: dict[str, Tensor] = {}
        x = self._patched(patch, "embed", self.embedding(tokens))  # (B, D)
        sites["embed"] = x
        new: dict[str, Tensor] = {}
        for i, lstm in enumerate(self.layers):
            if i > 0:
                x = self.dropout(x)
            h, c = state[f"layers.{i}.resid"], state[f"layers.{i}.cell"]  # (B, D) each
            gates = x @ lstm.weight_ih_l0.T + lstm.bias_ih_l0 + h @ lstm.weight_hh_l0.T + lstm.bias_hh_l0
            i_g, f_g, g_g, o_g = gates.chunk(4, dim=-1)  # PyTorch's gate order i, f, g, o
            c = self._patched(patch, f"layers.{i}.cell", torch.sigmoid(f_g) * c + torch.sigmoid(i_g) * torch.tanh(g_g))
            x = self._patched(patch, f"layers.{i}.resid", torch.sigmoid(o_g) * torch.tanh(c))  # (B, D)
            new[f"layers.{i}.resid"], new[f"layers.{i}.cell"] = x, c
            sites[f"layers.{i}.cell"], sites[f"layers.{i}.resid"] = c, x
        final = self._patched(patch, "final", x)
        sites["final"] = final
        return StepOutputs(outputs=self.head(self.dropout(final)), state=RecurrentState(new), sites=sites)

    def forward_sites(self, tokens: Tensor, sites: Iterable[str] | None = None) -> SiteOutputs:
        wanted = self._resolve_sites(sites)
        self._check_tokens(tokens, self.config.vocab_size)
        got: dict[str, Tensor] = {}
        x = self.embedding(tokens)  # (B, L, D)
        got["embed"] = x
        for i, lstm in enumerate(self.layers):
            if i > 0:
                x = self.dropout(x)
            if f"layers.{i}.cell" in wanted:
                x, c = lstm_with_cells(lstm, x)  # (B, L, D) each
                got[f"layers.{i}.cell"] = c
            else:
                x, _ = lstm(x)  # (B, L, D)
            got[f"layers.{i}.resid"] = x
        got["final"] = x
        outputs = self.head(self.dropout(x))  # (B, L, n_outputs)
        return SiteOutputs(outputs=outputs, sites=self._ordered({k: v for k, v in got.items() if k in wanted}))


def _state_after(lstm: nn.LSTM, x: Tensor, h0: Tensor, c0: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
    """(h, c) of a one-layer ``lstm`` after ``lengths[b]`` steps of row b of ``x`` (B, L, D), from (h0, c0)."""
    h, c = h0.clone(), c0.clone()  # rows with length 0 keep the given state
    rows = torch.nonzero(lengths > 0).flatten()
    if rows.numel():
        packed = nn.utils.rnn.pack_padded_sequence(x[rows], lengths[rows].cpu(), batch_first=True,
                                                   enforce_sorted=False)
        _, (h_n, c_n) = lstm(packed, (h0[rows][None].contiguous(), c0[rows][None].contiguous()))
        h = h.index_put((rows,), h_n[0])
        c = c.index_put((rows,), c_n[0])
    return h, c
