"""Interchange interventions on a sequence model: patch one site at u's last position, continue with w.

For a batch of :class:`~.triples.Triples`, :func:`prepare` runs the base
``u`` and the source ``v`` once (for a recurrent model: the state before u's
last token, then one :meth:`~automata_probe.models.SequenceModel.step` each,
which gives every site's value there), the plain model on ``v·w`` and ``u·w``
(its own behaviour) and the automaton's outputs along ``w`` from each
candidate state. :func:`patched_codes` then runs one intervention (a site and
a function replacing its value) and returns the model's outputs along ``w``
as codes; :func:`scores` compares them with the model on ``v·w``
(interchange accuracy) and with the automaton from ``q_v`` (DFA agreement).
:func:`full_swap_codes` is the ceiling (the whole recurrent state of ``v``),
the unpatched run the floor. :func:`free_run` lets the patched model choose
its own letters.

The patch functions (:func:`site_patch`, :func:`subspace_patch`,
:func:`shift_patch`) map the site's value at u's last position, ``(n, F)``,
to its replacement.

Two kinds of sites: a model's intervention sites (activations and state
components, patched where the step computes them, so later layers at that
position see the patch too), and, for a recurrent model, *layer memories*
``layers.{i}.state`` (:func:`memory_sites`): all of layer i's state
components at once, concatenated, replaced in the state carried on after u's
last token (the layer's whole memory, as the ceiling swaps every layer's).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import torch
from torch import Tensor

from ..data import Tokenizer, tokens_from_indices
from ..errors import ModelError
from .labels import Labeler
from .triples import Triples, dfa_codes, model_codes

__all__ = [
    "Prepared",
    "prepare",
    "patched_codes",
    "run_states",
    "full_swap_codes",
    "unpatched_codes",
    "patched_logits",
    "scores",
    "site_patch",
    "subspace_patch",
    "shift_patch",
    "free_run",
    "patched_start",
    "memory_sites",
    "FreeRun",
]


@dataclass(frozen=True, kw_only=True, eq=False)
class Prepared:
    """One model's runs of a batch of triples, ready for interventions.

    Attributes
    ----------
    triples
        The triples.
    task
        The model's task.
    recurrent
        Whether the model has a recurrent state (else patching runs the whole sequence).
    uw_tokens, u_last
        ``(n, T)`` tokens of BOS·u·w and ``(n,)`` the token at u's last position.
    before_u, state_u
        The state before that token and after it (recurrent models).
    sites_u, sites_v
        Every intervention site's value at u's and v's last position, ``(n, F)``.
    state_v, outputs_v
        The state after ``v`` and the outputs there, (n, n_outputs) (recurrent models; the ceiling).
    w_tokens
        ``(n, |w|max)`` continuation tokens (PAD past each end).
    mask
        ``(n, |w|max)`` True on the real positions of w.
    own_vw, own_uw
        ``(n, |w|max)`` the model's codes along w after ``v`` and after ``u`` (unpatched).
    dfa_cand
        ``(n, c, |w|max)`` the automaton's codes along w from each candidate state (``-1`` pads).
    dfa_v
        ``(n, |w|max)`` the automaton's codes along w from ``q_v`` itself.
    """

    triples: Triples
    task: str
    recurrent: bool
    uw_tokens: Tensor
    u_last: Tensor
    before_u: Any
    state_u: Any
    sites_u: dict[str, Tensor]
    sites_v: dict[str, Tensor]
    state_v: Any
    outputs_v: Any
    w_tokens: Tensor
    mask: np.ndarray
    own_vw: np.ndarray
    own_uw: np.ndarray
    dfa_cand: np.ndarray
    dfa_v: np.ndarray

    @property
    def informative(self) -> np.ndarray:
        """``(n,)`` triples on which the model itself tells u·w from v·w (interchange accuracy is over these)."""
        return ((self.own_uw != self.own_vw) & self.mask).any(1)


def _tokens(indices: np.ndarray, lengths: np.ndarray, device: torch.device) -> Tensor:
    tokens, _ = tokens_from_indices(indices, lengths)
    return torch.from_numpy(tokens).to(device)


def _letters(indices: np.ndarray, lengths: np.ndarray, device: torch.device) -> Tensor:
    """``(n, Lmax)`` letter tokens without BOS (PAD past each end)."""
    return _tokens(indices, lengths, device)[:, 1:]


def run_states(dfa: Any, starts: np.ndarray, w: np.ndarray, w_len: np.ndarray) -> np.ndarray:
    """``(n, |w|max)`` DFA states along w from ``starts`` (``-1`` past each end or for a ``-1`` start)."""
    n, width = w.shape
    out = np.full((n, width), -1, dtype=np.int64)
    q = np.maximum(starts, 0)
    for t in range(width):
        q = dfa.table[q, w[:, t]]
        out[:, t] = np.where((t < w_len) & (starts >= 0), q, -1)
    return out


def _joined(first: np.ndarray, first_len: np.ndarray, w: np.ndarray, w_len: np.ndarray) -> np.ndarray:
    """Letter indices of first·w per row, ``(n, |first|max + |w|max)`` (0 past each end)."""
    n, width = w.shape
    joined = np.zeros((n, first.shape[1] + width), dtype=np.int64)
    joined[:, : first.shape[1]] = np.where(np.arange(first.shape[1])[None, :] < first_len[:, None], first, 0)
    rows = np.arange(n)
    for t in range(width):  # w right after each row's own prefix
        joined[rows, first_len + t] = np.where(t < w_len, w[:, t], 0)
    return joined


def _run_prefix(model: Any, first: np.ndarray, first_len: np.ndarray, t: Triples, task: str,
                device: torch.device) -> tuple[np.ndarray, Any, Tensor, Tensor, dict[str, Tensor], Any, Any]:
    """One plain run of BOS·first·w: the model's own codes along w; and, at first's last position,
    the state before it, the token there, every site's value, the state after it and the outputs there."""
    tokens = _tokens(_joined(first, first_len, t.w, t.w_len), first_len + t.w_len, device)
    rows = torch.arange(t.n, device=device)
    at = torch.from_numpy(first_len).to(device)
    if getattr(model, "is_recurrent", False):
        run = model.forward_state(tokens, lengths=at)  # outputs of the whole run; state before first's last token
        logits, before = run.outputs, run.state
        step = model.step(tokens[rows, at], before)
        sites, after, out = step.sites, step.state, step.outputs
    else:
        run = model.forward_sites(tokens)
        logits, before, after, out = run.outputs, None, None, None
        sites = {k: v[rows, at] for k, v in run.sites.items()}
    width = t.w.shape[1]
    pos = np.minimum(first_len[:, None] + 1 + np.arange(width)[None, :], logits.shape[1] - 1)  # after w's letters
    codes = model_codes(logits, task)[np.arange(t.n)[:, None], pos]
    codes = np.where(np.arange(width)[None, :] < t.w_len[:, None], codes, -1)
    return codes, before, tokens[rows, at], tokens, sites, after, out


@torch.no_grad()
def prepare(model: Any, triples: Triples, labeler: Labeler, task: str) -> Prepared:
    """Run everything an intervention on ``triples`` needs once (no gradients): two plain runs, BOS·u·w and BOS·v·w."""
    device = next(model.parameters()).device
    t = triples
    own_uw, before_u, u_last, uw_tokens, sites_u, state_u, _ = _run_prefix(model, t.u, t.u_len, t, task, device)
    own_vw, _, _, _, sites_v, state_v, outputs_v = _run_prefix(model, t.v, t.v_len, t, task, device)
    for name, parts in memory_sites(model).items():  # a layer's memory: its state components, concatenated
        sites_u[name] = torch.cat([state_u.features(c) for c in parts], 1)
        sites_v[name] = torch.cat([state_v.features(c) for c in parts], 1)
    dfa = labeler.dfa
    q_v = labeler.states_of_nodes[t.node_v]
    cand_states = np.stack([run_states(dfa, t.candidates[:, j], t.w, t.w_len) for j in range(t.candidates.shape[1])],
                           axis=1)  # (n, c, |w|max)
    return Prepared(
        triples=t, task=task, recurrent=bool(getattr(model, "is_recurrent", False)), uw_tokens=uw_tokens,
        u_last=u_last, before_u=before_u, state_u=state_u, sites_u=sites_u, sites_v=sites_v, state_v=state_v, outputs_v=outputs_v,
        w_tokens=_letters(t.w, t.w_len, device), mask=np.arange(t.w.shape[1])[None, :] < t.w_len[:, None],
        own_vw=own_vw, own_uw=own_uw,
        dfa_cand=np.where(cand_states >= 0, dfa_codes(dfa, cand_states, task), -1),
        dfa_v=dfa_codes(dfa, run_states(dfa, q_v, t.w, t.w_len), task),
    )


def memory_sites(model: Any) -> dict[str, tuple[str, ...]]:
    """``layers.{i}.state`` -> the names of layer i's state components (a recurrent model; else empty)."""
    if not getattr(model, "is_recurrent", False):
        return {}
    out: dict[str, list[str]] = {}
    for name in model.state_names():
        head, _, rest = name.partition(".")
        index, _, _ = rest.partition(".")
        if head == "layers" and index.isdigit():
            out.setdefault(f"layers.{index}.state", []).append(name)
    return {k: tuple(v) for k, v in out.items()}


def _replace_memory(state: Any, parts: tuple[str, ...], fn: Callable[[Tensor], Tensor]) -> Any:
    """``state`` with the concatenated features of ``parts`` passed through ``fn`` and split back."""
    feats = [state.features(c) for c in parts]
    new = fn(torch.cat(feats, 1))
    sizes = [f.shape[1] for f in feats]
    return state.replace(dict(zip(parts, new.split(sizes, dim=1))))


def _step_patched(model: Any, prep: "Prepared", site: str | None, fn: Callable[[Tensor], Tensor] | None,
                  sel: Any) -> tuple[Tensor, Any]:
    """Outputs and state after u's last token with ``site`` patched: inside the step, or in the memory carried on."""
    before = prep.before_u if sel is None else prep.before_u.select(sel)
    u_last = prep.u_last if sel is None else prep.u_last[sel]
    parts = memory_sites(model).get(site) if site is not None else None
    if parts:
        step = model.step(u_last, before)
        return step.outputs, _replace_memory(step.state, parts, fn)
    step = model.step(u_last, before, patch={site: fn} if site is not None else None)
    return step.outputs, step.state


def site_patch(value: Tensor) -> Callable[[Tensor], Tensor]:
    """Replace the whole site by ``value`` (n, F)."""
    return lambda x: value


def subspace_patch(value: Tensor, basis: Tensor) -> Callable[[Tensor], Tensor]:
    """Replace the component of the site in the span of ``basis`` (F, k), orthonormal, by ``value``'s."""
    return lambda x: x + ((value - x) @ basis) @ basis.T


def shift_patch(delta: Tensor) -> Callable[[Tensor], Tensor]:
    """Add ``delta`` (n, F) to the site (steering)."""
    return lambda x: x + delta


def patched_logits(model: Any, prep: Prepared, site: str, fn: Callable[[Tensor], Tensor],
                   rows: np.ndarray | None = None, horizon: int | None = None) -> Tensor:
    """The model's outputs ``(n, |w|max, n_outputs)`` along w after patching ``site`` at u's last position.

    ``fn`` sees the site's values of the chosen ``rows`` (default: all); ``horizon`` keeps the first
    letters of w only. Gradients flow when enabled (DAS).
    """
    t = prep.triples
    device = prep.u_last.device
    sel = torch.arange(t.n, device=device) if rows is None else torch.from_numpy(np.asarray(rows)).to(device)
    w_tokens = prep.w_tokens[sel][:, :horizon]
    if prep.recurrent:
        _, state = _step_patched(model, prep, site, fn, None if rows is None else sel)
        return model.forward_state(w_tokens, state).outputs
    position = torch.from_numpy(t.u_len).to(device)[sel]
    out = model.forward_patched(prep.uw_tokens[sel], position, {site: fn})  # (n, T, n_out)
    idx = position[:, None] + 1 + torch.arange(w_tokens.shape[1], device=device)[None, :]
    return out[torch.arange(len(sel), device=device)[:, None], idx.clamp(max=out.shape[1] - 1)]


@torch.no_grad()
def patched_codes(model: Any, prep: Prepared, site: str, fn: Callable[[Tensor], Tensor]) -> np.ndarray:
    """Codes ``(n, |w|max)`` of the patched run along w (``-1`` past each end)."""
    codes = model_codes(patched_logits(model, prep, site, fn), prep.task)
    return np.where(prep.mask, codes, -1)


@torch.no_grad()
def full_swap_codes(model: Any, prep: Prepared) -> np.ndarray:
    """The ceiling: every component of the state after u replaced by v's, continued with w."""
    if not prep.recurrent:
        raise ModelError("a full-state swap needs a recurrent state; this model has none")
    codes = model_codes(model.forward_state(prep.w_tokens, prep.state_v).outputs, prep.task)
    return np.where(prep.mask, codes, -1)


def unpatched_codes(prep: Prepared) -> np.ndarray:
    """The floor: the model's own run on u·w."""
    return prep.own_uw


def scores(prep: Prepared, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per triple: ``(interchange, dfa)`` bools, strict over w.

    ``interchange``: the codes equal the model's own on v·w; ``dfa``: they
    equal the automaton's from one of the candidate states (``q_v`` for the
    state target).
    """
    pad = ~prep.mask
    interchange = ((codes == prep.own_vw) | pad).all(1)
    dfa = (((codes[:, None, :] == prep.dfa_cand) | pad[:, None, :]).all(2) & (prep.dfa_cand[:, :, 0] >= 0)).any(1)
    return interchange, dfa


@dataclass(frozen=True, kw_only=True, eq=False)
class FreeRun:
    """Free-running continuations after a patch, per distance ``d = 1..D``.

    Attributes
    ----------
    accepted
        ``(n, D)``: the automaton from ``q_v`` accepts the model's first ``d`` letters.
    agree
        ``(n, D)``: the model's outputs after each of its first ``d`` letters match the automaton from ``q_v`` (strict).
    """

    accepted: np.ndarray
    agree: np.ndarray


def patched_start(model: Any, prep: Prepared, site: str | None, fn: Callable[[Tensor], Tensor] | None,
                  rows: np.ndarray | None = None) -> tuple[Tensor, Any]:
    """The outputs at u's last position and the state after it, with ``site`` patched (None: unpatched)."""
    sel = None if rows is None else torch.from_numpy(np.asarray(rows)).to(prep.u_last.device)
    return _step_patched(model, prep, site, fn, sel)


@torch.no_grad()
def free_run(model: Any, labeler: Labeler, logits: Tensor, state: Any, q_v: np.ndarray, *, steps: int,
             greedy: bool, rng: np.random.Generator) -> FreeRun:
    """Let the model write ``steps`` letters itself from ``state`` and follow them on the automaton from ``q_v``.

    ``logits`` (n, k + 1) is the model's output where the run starts (it
    predicts the first letter). The next letter is the most confident one
    (``greedy``) or uniform among those the model predicts possible (its
    next-set; all letters when it predicts none). A recurrent, next-character
    model only; start from :func:`patched_start` or from v's own state.
    """
    dfa = labeler.dfa
    k = dfa.n_letters
    q = np.asarray(q_v, dtype=np.int64).copy()
    n = q.shape[0]
    accepted = np.zeros((n, steps), dtype=bool)
    agree = np.zeros((n, steps), dtype=bool)
    ok = np.ones(n, dtype=bool)
    device = logits.device
    for d in range(steps):
        x = logits[:, :k].cpu().numpy()  # (n, k): letter logits
        letters = x.argmax(1) if greedy else _sample_next(x > 0, rng)
        out = model.step(torch.from_numpy(letters + Tokenizer.OFFSET).to(device), state)
        logits, state = out.outputs, out.state
        q = dfa.table[q, letters]
        accepted[:, d] = dfa.accept_mask[q]
        ok &= model_codes(logits, "next") == dfa_codes(dfa, q, "next")
        agree[:, d] = ok
    return FreeRun(accepted=accepted, agree=agree)


def _sample_next(allowed: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One letter per row, uniform among the allowed ones (all when none is)."""
    allowed = allowed | ~allowed.any(1, keepdims=True)
    u = rng.random(allowed.shape) * allowed
    return u.argmax(1)
