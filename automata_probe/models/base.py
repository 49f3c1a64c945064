"""What every sequence model shares: the site interface used by probing, and the recurrent-state API.

A *site* is a named per-position activation, shaped ``(B, L, F)``: ``embed``,
``layers.{i}.resid`` (the residual stream / hidden state after block i),
architecture-specific ones (``layers.{i}.ssm_state``, ``layers.{i}.cell``) and
``final`` (what the task head reads). Names are stable across versions so
probing reports and extraction code can refer to them.

A *recurrent* model (Mamba, LSTM, and every architecture whose past is a
fixed-size state) also exposes that state, so that a caller can start from a
given state, read the state after a prefix and step one token at a time. The
contract a recurrent architecture implements (``docs/models.md`` walks through
it; ``tests/models/test_recurrent_state.py`` checks any model added to its
list):

``initial_state(batch)``
    The state before the first token (BOS), a :class:`RecurrentState`.
``forward_state(tokens, state=None, *, lengths=None)``
    Outputs ``(B, L, n_outputs)`` for ``tokens`` read from ``state`` (None:
    the initial state), and the state after the first ``lengths[b]`` tokens of
    row ``b`` (default: all of them; ``0`` gives ``state`` back). The fast path.
``step(tokens, state, *, patch=None)``
    One token per row, ``(B,)``: a :class:`StepOutputs` with the outputs
    ``(B, n_outputs)``, the new state and every intervention site's value at
    this position. ``patch`` maps a site name to a function that replaces the
    site's value, ``(B, F) -> (B, F)``, where it is computed, so everything
    downstream (later layers, the head, the state carried on) sees the patched
    value. The readable reference, and how interventions are made.

Outputs and states must agree with ``forward`` to float tolerance whichever
way a sequence is cut. The components of a :class:`RecurrentState` are named
like sites (``layers.{i}.ssm_state``, ``layers.{i}.conv_state``,
``layers.{i}.resid``, ``layers.{i}.cell``), each ``(B, ...)``; a component's
*features*, what probes and interventions see, are its values flattened,
``tensor.flatten(1)``, and when the component is also a site of
:meth:`SequenceModel.forward_sites` its features are that site's value at
the position. :meth:`SequenceModel.intervention_sites` lists the sites
``step`` can patch: the forward sites and the state components.

A model with no recurrent state (the Transformer) implements
:meth:`SequenceModel.forward_patched` directly: activation patching of a site
at one position per row, the rest of the sequence recomputed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Sequence

import torch
from torch import Tensor, nn

from ..errors import ModelError
from .config import ModelConfig

__all__ = ["SiteOutputs", "SequenceModel", "RecurrentState", "StateOutputs", "StepOutputs", "Patch"]

#: Site name -> function replacing that site's value, ``(B, F) -> (B, F)``.
Patch = Mapping[str, Callable[[Tensor], Tensor]]


@dataclass(frozen=True, kw_only=True, eq=False)
class SiteOutputs:
    """Outputs of a forward pass together with the requested activations.

    Attributes
    ----------
    outputs : Tensor (B, L, n_outputs)
        The task head's output (logits), as :meth:`SequenceModel.forward`.
    sites : dict[str, Tensor (B, L, F)]
        The requested sites, in the order of :meth:`SequenceModel.site_names`.
    """

    outputs: Tensor
    sites: dict[str, Tensor]


@dataclass(frozen=True, eq=False)
class RecurrentState:
    """A recurrent model's whole memory after a prefix: named tensors, batch first.

    Attributes
    ----------
    tensors : Mapping[str, Tensor (B, ...)]
        The components, named like sites, in the model's order.

    Examples
    --------
    >>> import torch
    >>> s = RecurrentState({"layers.0.resid": torch.zeros(3, 4), "layers.0.cell": torch.ones(3, 4)})
    >>> s.batch_size, s.features("layers.0.cell").shape
    (3, torch.Size([3, 4]))
    >>> s.select(torch.tensor([0, 2])).batch_size
    2
    """

    tensors: Mapping[str, Tensor]

    def __post_init__(self) -> None:
        tensors = dict(self.tensors)
        sizes = {t.shape[0] if t.dim() else -1 for t in tensors.values()}
        if len(sizes) > 1 or -1 in sizes:
            shapes = {k: tuple(v.shape) for k, v in tensors.items()}
            raise ModelError(f"state components must share their first (batch) dimension: {shapes}")
        object.__setattr__(self, "tensors", tensors)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.tensors)

    @property
    def batch_size(self) -> int:
        return next(iter(self.tensors.values())).shape[0] if self.tensors else 0

    def __getitem__(self, name: str) -> Tensor:
        try:
            return self.tensors[name]
        except KeyError:
            raise ModelError(f"the state has no component {name!r}; it has {', '.join(self.tensors)}") from None

    def features(self, name: str) -> Tensor:
        """Component ``name`` flattened to ``(B, F)``: what probes and interventions see."""
        return self[name].flatten(1)

    def replace(self, values: Mapping[str, Tensor]) -> "RecurrentState":
        """A new state with some components replaced (same shapes; flat ``(B, F)`` values are reshaped)."""
        out = dict(self.tensors)
        for name, value in values.items():
            old = self[name]
            if value.shape != old.shape:
                if value.dim() != 2 or value.shape[1] != old[0].numel() or value.shape[0] != old.shape[0]:
                    raise ModelError(f"component {name!r} has shape {tuple(old.shape)}, got {tuple(value.shape)}")
                value = value.reshape(old.shape)
            out[name] = value
        return RecurrentState(out)

    def select(self, rows: Tensor | Sequence[int]) -> "RecurrentState":
        """The rows ``rows`` of every component."""
        rows = torch.as_tensor(rows, dtype=torch.long)
        return RecurrentState({k: v[rows.to(v.device)] for k, v in self.tensors.items()})

    def detach(self) -> "RecurrentState":
        return RecurrentState({k: v.detach() for k, v in self.tensors.items()})

    @staticmethod
    def cat(states: Sequence["RecurrentState"]) -> "RecurrentState":
        """Rows of several states with the same components, one after another."""
        if not states:
            raise ModelError("cat needs at least one state")
        return RecurrentState({k: torch.cat([s[k] for s in states]) for k in states[0].names})


@dataclass(frozen=True, kw_only=True, eq=False)
class StateOutputs:
    """What :meth:`SequenceModel.forward_state` returns.

    Attributes
    ----------
    outputs : Tensor (B, L, n_outputs)
    state : RecurrentState
        After the first ``lengths[b]`` tokens of each row.
    """

    outputs: Tensor
    state: RecurrentState


@dataclass(frozen=True, kw_only=True, eq=False)
class StepOutputs:
    """What :meth:`SequenceModel.step` returns.

    Attributes
    ----------
    outputs : Tensor (B, n_outputs)
    state : RecurrentState
        After this token.
    sites : dict[str, Tensor (B, F)]
        Every intervention site's value at this position (after any patch).
    """

    outputs: Tensor
    state: RecurrentState
    sites: dict[str, Tensor]


class SequenceModel(nn.Module):
    """Base class: a causal model from tokens (B, L) to per-position outputs (B, L, n_outputs)."""

    config: ModelConfig

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config

    def forward(self, tokens: Tensor) -> Tensor:
        """Per-position outputs (logits) for ``tokens`` (B, L) -> (B, L, n_outputs)."""
        return self.forward_sites(tokens, sites=()).outputs

    def forward_sites(self, tokens: Tensor, sites: Iterable[str] | None = None) -> SiteOutputs:
        """Outputs and the activations at ``sites`` (None: every site)."""
        raise NotImplementedError

    def site_names(self) -> list[str]:
        """Names of every site this model exposes, in forward order."""
        raise NotImplementedError

    # ----------------------------------------------------- recurrent state
    @property
    def is_recurrent(self) -> bool:
        """True when the architecture implements the recurrent-state API."""
        return type(self).initial_state is not SequenceModel.initial_state

    def initial_state(self, batch: int) -> RecurrentState:
        """The state before the first token, for ``batch`` rows (on the model's device and dtype)."""
        raise ModelError(f"{self.config.arch} has no recurrent state (its past is every position, not a state)")

    def forward_state(self, tokens: Tensor, state: RecurrentState | None = None, *,
                      lengths: Tensor | None = None) -> StateOutputs:
        """Outputs for ``tokens`` (B, L) read from ``state``, and the state after ``lengths[b]`` tokens of each row."""
        raise ModelError(f"{self.config.arch} has no recurrent state")

    def step(self, tokens: Tensor, state: RecurrentState, *, patch: Patch | None = None) -> StepOutputs:
        """Read one token per row, ``tokens`` (B,), from ``state``; ``patch`` replaces site values on the way."""
        raise ModelError(f"{self.config.arch} has no recurrent state")

    def state_names(self) -> list[str]:
        """Names of the state's components (empty for a model without a recurrent state)."""
        return list(self.initial_state(1).names) if self.is_recurrent else []

    def intervention_sites(self) -> list[str]:
        """Sites an intervention can patch: the forward sites, then state components that are not sites."""
        names = self.site_names()
        return names + [s for s in self.state_names() if s not in names]

    def forward_patched(self, tokens: Tensor, position: Tensor, patch: Patch) -> Tensor:
        """Outputs (B, L, n_outputs) with the sites in ``patch`` replaced at ``position[b]`` of each row.

        Everything downstream of the patched values is recomputed: later
        layers at that position and every later position. Padding may follow
        a row's last token (outputs there are not meaningful). The generic
        version uses the recurrent-state API; a model without a state
        overrides it.
        """
        self._check_patch(patch)
        batch, length = tokens.shape
        position = torch.as_tensor(position, dtype=torch.long, device=tokens.device)
        if position.shape != (batch,) or (batch and (int(position.min()) < 0 or int(position.max()) >= length)):
            raise ModelError(f"position must be {batch} indices in 0..{length - 1}")
        rows = torch.arange(batch, device=tokens.device)
        before = self.forward_state(tokens, lengths=position)  # state before the patched token
        here = self.step(tokens[rows, position], before.state, patch=patch)
        rest_len = length - 1 - position  # tokens after the patched one, per row
        shift = (torch.arange(length, device=tokens.device)[None, :] + position[:, None] + 1).clamp(max=length - 1)
        rest = tokens.gather(1, shift)[:, : max(int(rest_len.max()), 0) if batch else 0]  # (B, L') left-aligned
        t = torch.arange(length, device=tokens.device)[None, :]  # (1, L)
        out = torch.where((t < position[:, None])[..., None], before.outputs, here.outputs[:, None, :])
        if rest.shape[1]:
            after = self.forward_state(rest, here.state).outputs  # (B, L', n_outputs)
            idx = (t - position[:, None] - 1).clamp(0, rest.shape[1] - 1)  # (B, L)
            later = after.gather(1, idx[..., None].expand(-1, -1, after.shape[-1]))
            out = torch.where((t > position[:, None])[..., None], later, out)
        return out

    # ------------------------------------------------------------ helpers
    def _check_patch(self, patch: Patch | None) -> None:
        if patch:
            known = self.intervention_sites()
            for site in patch:
                if site not in known:
                    raise ModelError(f"unknown site {site!r} for {self.config.arch}; known sites: {', '.join(known)}")

    @staticmethod
    def _patched(patch: Patch | None, site: str, value: Tensor) -> Tensor:
        """``value`` (B, ...) with ``patch[site]`` applied to its flat (B, F) view, if ``site`` is patched."""
        if not patch or site not in patch:
            return value
        new = patch[site](value.flatten(1))
        if new.shape != (value.shape[0], value[0].numel()):
            raise ModelError(f"patch of {site!r} returned shape {tuple(new.shape)}; expected "
                             f"{(value.shape[0], value[0].numel())}")
        return new.reshape(value.shape)

    def _lengths(self, tokens: Tensor, lengths: Tensor | None) -> Tensor:
        """``lengths`` checked (B,) in 0..L, default all L."""
        batch, length = tokens.shape
        if lengths is None:
            return torch.full((batch,), length, dtype=torch.long, device=tokens.device)
        lengths = torch.as_tensor(lengths, dtype=torch.long, device=tokens.device)
        if lengths.shape != (batch,) or (batch and (int(lengths.min()) < 0 or int(lengths.max()) > length)):
            raise ModelError(f"lengths must be {batch} counts in 0..{length}")
        return lengths

    def _resolve_sites(self, sites: Iterable[str] | None) -> set[str]:
        names = self.site_names()
        if sites is None:
            return set(names)
        wanted = [sites] if isinstance(sites, str) else list(sites)
        unknown = [s for s in wanted if s not in names]
        if unknown:
            raise ModelError(f"unknown site {unknown[0]!r} for {self.config.arch}; known sites: {', '.join(names)}")
        return set(wanted)

    def _ordered(self, collected: dict[str, Tensor]) -> dict[str, Tensor]:
        return {name: collected[name] for name in self.site_names() if name in collected}

    @staticmethod
    def _check_tokens(tokens: Tensor, vocab_size: int) -> None:
        if tokens.dim() != 2:
            raise ModelError(f"tokens must be (batch, length), got shape {tuple(tokens.shape)}")
        if tokens.dtype not in (torch.int64, torch.int32):
            raise ModelError(f"tokens must be an integer tensor, got {tokens.dtype}")
        if tokens.numel() and (int(tokens.min()) < 0 or int(tokens.max()) >= vocab_size):
            raise ModelError(f"token ids must lie in [0, {vocab_size}), got range "
                             f"[{int(tokens.min())}, {int(tokens.max())}]")
