"""Activations at named sites, aligned with the DFA run.

:func:`capture` is a scoped context manager: inside the ``with`` block every
forward call of the model records the activations at the requested sites;
whatever it installed on the model is removed in ``finally``, also when the
forward raises (TransformerLens's ``hooks()`` pattern)::

    with capture(model, sites=["layers.1.resid"]) as cap:
        model(tokens)                         # (B, T) -> outputs as usual
    cap["layers.1.resid"][0]                  # (B, T, F), one entry per call

Site names are those of :meth:`SequenceModel.site_names
<automata_probe.models.SequenceModel.site_names>`: ``embed``,
``layers.{i}.resid``, ``layers.{i}.ssm_state`` (Mamba, ``ED * N`` features),
``layers.{i}.cell`` (LSTM), ``final``. A model of ours is captured through its
``forward_sites``, which returns sites that are not module outputs (the SSM
state lives inside the scan); Mamba computes the state with the pure-PyTorch
scan whatever backend runs the rest, so a model trained with mamba_ssm's fused
CUDA kernels gives its SSM state through the same weights. Any other
``torch.nn.Module`` is captured with forward hooks, and its sites are module
paths (``dict(model.named_modules())``).

:func:`collect_activations` runs words through the model in batches and
returns, per site, a flat ``(N, F)`` float32 matrix of *real* positions only
(PAD excluded) with an index: row ``r`` is position ``position[r]`` of word
``sequence[r]``. A word of length ``L`` has ``L + 1`` rows, ``t = 0..L``, the
``t``-th after reading ``BOS w_1..w_t``, aligned with the DFA state ``q_t``
(see :mod:`automata_probe.data`). Words are batched by length to save padding
and put back in their order; rows are ordered by word, then position.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np
import torch
from torch import Tensor, nn

from ..data import check_indices, pad_words, tokens_from_indices
from ..errors import DataError, ModelError

__all__ = [
    "Capture",
    "capture",
    "Activations",
    "collect_activations",
    "collect_from_indices",
    "available_sites",
    "resolve_sites",
]

log = logging.getLogger(__name__)


def available_sites(model: nn.Module) -> list[str]:
    """The site names :func:`capture` accepts for ``model``, in forward order."""
    if hasattr(model, "forward_sites") and hasattr(model, "site_names"):
        return list(model.site_names())
    return [name for name, _ in model.named_modules() if name]


def resolve_sites(model: nn.Module, sites: Iterable[str] | str | None) -> tuple[str, ...]:
    """``sites`` checked against :func:`available_sites` and put in forward order (None: all)."""
    names = available_sites(model)
    if sites is None:
        return tuple(names)
    wanted = [sites] if isinstance(sites, str) else list(sites)
    for s in wanted:
        if s not in names:
            raise ModelError(f"unknown site {s!r}; known sites: {', '.join(names)}")
    order = {n: i for i, n in enumerate(names)}
    return tuple(sorted(dict.fromkeys(wanted), key=order.__getitem__))


class Capture:
    """What :func:`capture` records: per site, one tensor per forward call.

    Attributes
    ----------
    sites
        The captured site names, in forward order.
    """

    def __init__(self, sites: tuple[str, ...], *, to_cpu: bool):
        self.sites = sites
        self._to_cpu = to_cpu
        self._records: dict[str, list[Tensor]] = {s: [] for s in sites}

    def _add(self, site: str, value: Tensor) -> None:
        value = value.detach()
        if self._to_cpu:
            value = value.cpu()
        self._records[site].append(value)

    def __getitem__(self, site: str) -> list[Tensor]:
        """``(B, T, F)`` tensors of ``site``, one per forward call, in call order."""
        try:
            return self._records[site]
        except KeyError:
            raise KeyError(f"site {site!r} was not captured; captured: {', '.join(self.sites)}") from None

    def __contains__(self, site: object) -> bool:
        return site in self._records

    def clear(self) -> None:
        """Forget what was recorded (the capture stays active)."""
        for v in self._records.values():
            v.clear()


@contextlib.contextmanager
def capture(
    model: nn.Module, sites: Iterable[str] | str | None = None, *, to_cpu: bool = True
) -> Iterator[Capture]:
    """Record the activations at ``sites`` during every forward call in the block.

    Parameters
    ----------
    model
        One of our models (captured via ``forward_sites``) or any module
        (captured with forward hooks on the submodules named by ``sites``).
    sites
        Site names; None captures every site.
    to_cpu
        Move recorded tensors to the CPU (they are always detached).

    Yields
    ------
    Capture
        ``cap[site]`` is the list of recorded ``(B, T, F)`` tensors.

    Raises
    ------
    ModelError
        An unknown site (the message lists the known ones).
    """
    names = resolve_sites(model, sites)
    cap = Capture(names, to_cpu=to_cpu)
    if hasattr(model, "forward_sites") and hasattr(model, "site_names"):
        had_own = "forward" in model.__dict__
        own = model.__dict__.get("forward")

        def forward(tokens: Tensor, *args: Any, **kwargs: Any) -> Tensor:
            out = model.forward_sites(tokens, names, *args, **kwargs)
            for name, value in out.sites.items():
                cap._add(name, value)
            return out.outputs

        model.forward = forward  # instance attribute: nn.Module.__call__ runs it, hooks still apply
        try:
            yield cap
        finally:
            if had_own:
                model.forward = own
            else:
                del model.forward
        return
    modules = dict(model.named_modules())
    handles = []
    try:
        for name in names:
            handles.append(modules[name].register_forward_hook(_hook(cap, name)))
        yield cap
    finally:
        for h in handles:
            h.remove()


def _hook(cap: Capture, name: str) -> Callable[..., None]:
    def hook(module: nn.Module, inputs: Any, output: Any) -> None:
        if isinstance(output, tuple):  # e.g. nn.LSTM returns (output, (h, c))
            output = output[0]
        if not isinstance(output, Tensor):
            raise ModelError(f"module {name!r} returns {type(output).__name__}, not a tensor")
        cap._add(name, output)

    return hook


# --------------------------------------------------------------- collection
@dataclass(frozen=True, kw_only=True, eq=False)
class Activations:
    """Activations at real positions, flattened, with their (word, position) index.

    Attributes
    ----------
    features
        ``site -> (N, F)`` float32 arrays (rows aligned across sites).
    sequence
        ``(N,)`` word index of each row.
    position
        ``(N,)`` position ``t`` of each row (``0..L``; ``t`` letters read).
    lengths
        ``(n_words,)`` word lengths ``L``.
    """

    features: Mapping[str, np.ndarray]
    sequence: np.ndarray
    position: np.ndarray
    lengths: np.ndarray

    def __post_init__(self) -> None:
        n = int(self.sequence.shape[0])
        if self.position.shape != (n,):
            raise DataError(f"{self.position.shape} positions for {n} rows")
        if int((self.lengths + 1).sum()) != n:
            raise DataError(f"{n} rows for words with {int((self.lengths + 1).sum())} positions")
        for site, x in self.features.items():
            if x.ndim != 2 or x.shape[0] != n:
                raise DataError(f"site {site!r} has shape {x.shape}; expected ({n}, F)")

    @property
    def n_rows(self) -> int:
        return int(self.sequence.shape[0])

    @property
    def sites(self) -> tuple[str, ...]:
        return tuple(self.features)

    def __getitem__(self, site: str) -> np.ndarray:
        return self.features[site]

    def word_rows(self, word: int) -> np.ndarray:
        """Row indices of word ``word`` (its ``L + 1`` positions in order)."""
        start = int((self.lengths[:word] + 1).sum())
        return np.arange(start, start + int(self.lengths[word]) + 1)


def collect_activations(
    model: nn.Module,
    words: Sequence[str | Sequence[str]],
    tokenizer: Any,
    *,
    sites: Iterable[str] | str | None = None,
    batch_size: int = 64,
) -> Activations:
    """Run ``words`` through ``model`` and keep the real positions of each site.

    Parameters
    ----------
    model
        The model (put in eval mode for the call, then restored).
    words
        Words as strings or letter sequences.
    tokenizer
        A :class:`~automata_probe.data.Tokenizer` (its alphabet order gives
        the letter indices).
    sites
        Site names; None for every site.
    batch_size
        Words per forward call.

    Returns
    -------
    Activations
        ``L + 1`` rows per word, ordered by word then position.
    """
    indices, lengths = pad_words([tokenizer.encode(w)[1:] - tokenizer.OFFSET for w in words])  # letter indices
    return collect_from_indices(model, indices, lengths, sites=sites, batch_size=batch_size)


def collect_from_indices(
    model: nn.Module,
    indices: np.ndarray,
    lengths: np.ndarray,
    *,
    sites: Iterable[str] | str | None = None,
    batch_size: int = 64,
) -> Activations:
    """:func:`collect_activations` for words given as letter indices.

    Parameters
    ----------
    indices
        ``(n_words, Lmax)`` letter indices in tokenizer order (entries past a
        word's length are ignored).
    lengths
        ``(n_words,)`` word lengths.
    sites, batch_size
        As :func:`collect_activations`.
    """
    idx, lengths = check_indices(indices, lengths)
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise DataError(f"batch_size must be a positive integer, got {batch_size!r}")
    names = resolve_sites(model, sites)
    n_words = idx.shape[0]
    row_start = np.concatenate([[0], np.cumsum(lengths + 1)])  # (n_words + 1,)
    n_rows = int(row_start[-1])
    sequence = np.repeat(np.arange(n_words), lengths + 1)
    position = np.arange(n_rows) - row_start[:-1][sequence]
    features: dict[str, np.ndarray] = {}
    try:
        device = next(model.parameters()).device
    except StopIteration:
        device = torch.device("cpu")
    order = np.argsort(lengths, kind="stable")  # batch words of similar length
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), capture(model, names, to_cpu=True) as cap:
            for start in range(0, n_words, batch_size):
                ids = order[start : start + batch_size]
                lens = lengths[ids]
                tokens, _ = tokens_from_indices(idx[ids], lens)  # (b, T), T = max L + 1
                T = tokens.shape[1]
                model(torch.from_numpy(tokens).to(device))
                for name in names:
                    (value,) = cap[name]  # (b, T, F)
                    if value.dim() != 3 or value.shape[:2] != (len(ids), T):
                        raise ModelError(
                            f"site {name!r} has shape {tuple(value.shape)}; expected ({len(ids)}, {T}, F)"
                        )
                    v = value.float().numpy()  # (b, T, F), a view when already float32 on the CPU
                    if name not in features:
                        features[name] = np.empty((n_rows, v.shape[2]), dtype=np.float32)
                    out = features[name]
                    # one copy per word straight into its rows (positions 0..L; padding dropped)
                    for j, i in enumerate(ids):
                        out[row_start[i] : row_start[i + 1]] = v[j, : lens[j] + 1]
                cap.clear()
    finally:
        model.train(was_training)
    if n_words == 0:
        features = {name: np.zeros((0, 0), dtype=np.float32) for name in names}
    return Activations(features=features, sequence=sequence, position=position, lengths=lengths)
