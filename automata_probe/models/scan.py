"""Selective scan (the SSM recurrence of Mamba) in pure PyTorch.

Glossary (code name -> Gu & Dao 2023, arXiv:2312.00752, Algorithm 2)::

    u      (B, L, ED)   x, the SSM input (after conv1d and SiLU)
    delta  (B, L, ED)   Delta, the step size (after softplus)
    A      (ED, N)      A, diagonal and negative: A = -exp(A_log)
    B, C   (B, L, N)    B, C, input-dependent (shared by all ED channels)
    D      (ED,)        D, the skip connection
    z      (B, L, ED)   the gate branch: y <- y * silu(z)
    dA     (B, L, ED, N) A-bar = exp(delta * A), the diagonal transition
    dBu    (B, L, ED, N) B-bar * u = delta * B * u (Mamba's simplified ZOH for B)
    h      (B, ED, N)   the state: h_t = dA_t * h_{t-1} + dBu_t, h_{-1} = 0
    y      (B, L, ED)   y_t = <h_t, C_t> + D * u_t

Layout: time is dimension 1 (``(B, L, ...)``), unlike mamba_ssm's kernels,
which take ``(B, ED, L)``; the CUDA adapter in :mod:`.mamba` transposes.

Three implementations of the same function, all differentiable:

- :func:`selective_scan_ref`: the readable sequential loop (discretize, update,
  read out, one step at a time). The ground truth for tests.
- :func:`selective_scan_states`: a careful autograd loop (inputs split once with
  ``unbind``, no per-step indexing of big tensors) that also returns every h_t
  (for probing).
- :func:`selective_scan_chunked_from`: the fast scan from a given state
  ``h0``, returning the state at a given step of each row (no gradient):
  how a recurrent model continues a sequence (:mod:`.base`'s state API).
- :func:`selective_scan`: the fast default, a chunked scan with a hand-written
  backward (``torch.autograd.Function``). Time is cut into chunks of
  ``chunk_size`` steps. Per chunk, the transitions ``exp(delta A)``, the inputs
  ``delta u B`` and the read-outs are each one vectorized op over a
  (chunk, B, N, ED) buffer of about 4 MiB, allocated once and reused; the
  recurrence itself is one in-place ``addcmul`` per step and batch block, on
  blocks small enough to run on one thread. Only the state at each chunk
  boundary is kept; the backward pass recomputes a chunk from it and runs the
  adjoint recurrence ``g_t = C_t y'_t + dA_{t+1} g_{t+1}`` the same way.

Why not a parallel (Blelloch) scan, as mambapy: on a 2-core CPU the scan is
memory-bound, and a parallel scan materializes several (B, L, ED, N) tensors
(134 MB each at B = 64, L = 256, ED = 128, N = 16) and does twice the work. A
per-step loop keeps the state in cache; chunking turns the per-step work
around the recurrence into a few large ops. ``benchmarks/bench_mamba.py``
measures the three against mambapy.

Negative eigenvalues (Grazzi et al. 2024, "Unlocking State-Tracking in Linear
RNNs Through Negative Eigenvalues", arXiv:2411.12537): the transition
``exp(delta * A)`` in (0, 1) is mapped to ``2 * exp(delta * A) - 1`` in (-1, 1)
(the range multiplied by 2, then 1 subtracted); the input term is unchanged.
See :func:`transition`.
"""

from __future__ import annotations

import contextlib
import math
from typing import Iterator

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.autograd.function import once_differentiable

from ..errors import ModelError

__all__ = [
    "transition",
    "selective_scan",
    "selective_scan_ref",
    "selective_scan_states",
    "selective_scan_chunked_states",
    "selective_scan_chunked_from",
    "SCANS",
    "scan_blocking",
]


def transition(delta_A: Tensor, negative_eigenvalues: bool = False) -> Tensor:
    """The diagonal state transition from ``delta * A``.

    ``exp(delta * A)`` in (0, 1), or with ``negative_eigenvalues``
    ``2 * exp(delta * A) - 1`` in (-1, 1) (Grazzi et al. 2024, arXiv:2411.12537).
    """
    dA = torch.exp(delta_A)
    return 2.0 * dA - 1.0 if negative_eigenvalues else dA


def _prepare_delta(delta: Tensor, delta_bias: Tensor | None, delta_softplus: bool) -> Tensor:
    if delta_bias is not None:
        delta = delta + delta_bias
    return F.softplus(delta) if delta_softplus else delta


def _finish(y: Tensor, u: Tensor, D: Tensor | None, z: Tensor | None) -> Tensor:
    if D is not None:
        y = y + D * u
    if z is not None:
        y = y * F.silu(z)
    return y


def selective_scan_ref(
    u: Tensor, delta: Tensor, A: Tensor, B: Tensor, C: Tensor, D: Tensor | None = None,
    z: Tensor | None = None, *, delta_bias: Tensor | None = None, delta_softplus: bool = False,
    negative_eigenvalues: bool = False, h0: Tensor | None = None, return_last_state: bool = False,
) -> Tensor | tuple[Tensor, Tensor]:
    """Reference selective scan: one readable step at a time.

    Parameters
    ----------
    u, delta : Tensor (B, L, ED)
        SSM input and step size (before ``delta_bias``/softplus if given).
    A : Tensor (ED, N)
        Diagonal continuous-time transition (negative).
    B, C : Tensor (B, L, N)
        Input and output projections.
    D : Tensor (ED,), optional
        Skip connection.
    z : Tensor (B, L, ED), optional
        Gate: the output is multiplied by ``silu(z)``.
    delta_bias : Tensor (ED,), optional
        Added to delta before the softplus.
    delta_softplus : bool
        Apply softplus to delta.
    negative_eigenvalues : bool
        Use the transition in (-1, 1), see :func:`transition`.
    h0 : Tensor (B, ED, N), optional
        The state before the first step (default zeros): the scan continues
        a sequence whose state this is.
    return_last_state : bool
        Also return the state after the last step (mamba_ssm's argument).

    Returns
    -------
    y : Tensor (B, L, ED)
    last_state : Tensor (B, ED, N)
        Only with ``return_last_state``.
    """
    delta = _prepare_delta(delta, delta_bias, delta_softplus)
    batch, length, d_inner = u.shape
    h = u.new_zeros(batch, d_inner, A.shape[1]) if h0 is None else h0  # (B, ED, N)
    ys = []
    for t in range(length):
        dA = transition(delta[:, t, :, None] * A, negative_eigenvalues)  # (B, ED, N)
        dB = delta[:, t, :, None] * B[:, t, None, :]  # (B, ED, N)
        h = dA * h + dB * u[:, t, :, None]  # (B, ED, N)
        ys.append((h * C[:, t, None, :]).sum(-1))  # (B, ED)
    y = torch.stack(ys, dim=1) if ys else u.new_zeros(u.shape)  # (B, L, ED)
    y = _finish(y, u, D, z)
    return (y, h) if return_last_state else y


def selective_scan_states(
    u: Tensor, delta: Tensor, A: Tensor, B: Tensor, C: Tensor, D: Tensor | None = None,
    z: Tensor | None = None, *, delta_bias: Tensor | None = None, delta_softplus: bool = False,
    negative_eigenvalues: bool = False, h0: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """Selective scan that also returns every state h_t (a careful autograd loop).

    Same arguments as :func:`selective_scan_ref` (``h0``: the state before the
    first step, gradients flow into it).

    Returns
    -------
    y : Tensor (B, L, ED)
    states : Tensor (B, L, ED, N)
        h_t after reading token t.
    """
    delta = _prepare_delta(delta, delta_bias, delta_softplus)
    dA = transition(delta.unsqueeze(-1) * A, negative_eigenvalues)  # (B, L, ED, N)
    dBu = (delta * u).unsqueeze(-1) * B.unsqueeze(2)  # (B, L, ED, N)
    grad_inputs = (u, delta, A, B, C) if h0 is None else (u, delta, A, B, C, h0)
    if not torch.is_grad_enabled() or not any(t.requires_grad for t in grad_inputs):
        # probing: no graph to keep, so run the recurrence in place in the
        # dBu buffer (states_t = dA_t * states_{t-1} + dBu_t) instead of
        # stacking per-step tensors into a second full-size copy
        states = dBu
        if h0 is not None and states.shape[1]:
            states[:, 0].addcmul_(dA[:, 0], h0)
        for t in range(1, states.shape[1]):
            states[:, t].addcmul_(dA[:, t], states[:, t - 1])
        y = torch.matmul(states, C.unsqueeze(-1)).squeeze(-1)  # (B, L, ED)
        return _finish(y, u, D, z), states
    h = u.new_zeros(u.shape[0], u.shape[2], A.shape[1]) if h0 is None else h0  # (B, ED, N)
    hs = []
    # unbind once: indexing dA[:, t] inside the loop would build a full-size
    # gradient tensor per step in backward
    for a_t, b_t in zip(dA.unbind(1), dBu.unbind(1)):
        h = torch.addcmul(b_t, a_t, h)  # (B, ED, N)
        hs.append(h)
    states = torch.stack(hs, dim=1) if hs else dA.new_zeros(dA.shape)  # (B, L, ED, N)
    y = torch.matmul(states, C.unsqueeze(-1)).squeeze(-1)  # (B, L, ED)
    return _finish(y, u, D, z), states


def selective_scan_chunked_states(
    u: Tensor, delta: Tensor, A: Tensor, B: Tensor, C: Tensor, D: Tensor | None = None,
    z: Tensor | None = None, *, delta_bias: Tensor | None = None, delta_softplus: bool = False,
    negative_eigenvalues: bool = False, chunk_size: int | None = None, batch_block: int | None = None,
    threads: int | None = None,
) -> tuple[Tensor, Tensor]:
    """The fast chunked scan that also returns every state h_t; no gradient (probing).

    Same arguments and results as :func:`selective_scan_states` (plus the
    tuning knobs of :func:`selective_scan`), except that
    ``states`` is a strided view: h_t is written once, straight into one
    (L, B, N, ED) tensor, by the same recurrence the fast forward runs, so
    reading the states costs their memory and nothing more. Use
    :func:`selective_scan_states` when gradients must flow through the states.

    Returns
    -------
    y : Tensor (B, L, ED)
    states : Tensor (B, L, ED, N), a view (``.contiguous()`` copies it)
    """
    if torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in (u, delta, A, B, C, D, z)):
        raise ModelError("selective_scan_chunked_states computes no gradient; run it under torch.no_grad() "
                         "or use selective_scan_states")
    batch, length, d_inner = u.shape
    if batch == 0 or length == 0:
        return _finish(torch.zeros_like(u), u, D, z), u.new_zeros(batch, length, d_inner, A.shape[1])
    chunk_size, batch_block = _blocking(u, A, chunk_size, batch_block)
    with _capped_threads(threads):
        delta = _prepare_delta(delta, delta_bias, delta_softplus)
        y, (states,) = _scan_forward(u, delta, A, B, C, negative_eigenvalues, chunk_size, batch_block,
                                     keep_states=True)
        y = _finish(y, u, D, z)
    return y, states.permute(1, 0, 3, 2)  # (L, B, N, ED) -> (B, L, ED, N), a view


def selective_scan_chunked_from(
    u: Tensor, delta: Tensor, A: Tensor, B: Tensor, C: Tensor, D: Tensor | None = None,
    z: Tensor | None = None, *, delta_bias: Tensor | None = None, delta_softplus: bool = False,
    negative_eigenvalues: bool = False, h0: Tensor | None = None, at: Tensor | None = None,
    chunk_size: int | None = None, batch_block: int | None = None, threads: int | None = None,
) -> tuple[Tensor, Tensor]:
    """The fast chunked scan from a given state, returning the state at given steps; no gradient.

    What a recurrent model needs to continue a sequence: ``h0`` is the state
    before the first step, and row b's state after step ``at[b]`` comes back
    (one state per row, copied out as the scan passes; nothing else is kept).

    Parameters
    ----------
    u, delta, A, B, C, D, z, delta_bias, delta_softplus, negative_eigenvalues
        As :func:`selective_scan_ref`.
    h0 : Tensor (B, ED, N), optional
        The state before the first step (default zeros).
    at : Tensor (B,) of int, optional
        Steps in ``-1..L-1`` (``-1``: ``h0`` itself); default: the last step.
    chunk_size, batch_block, threads
        As :func:`selective_scan`.

    Returns
    -------
    y : Tensor (B, L, ED)
    h_at : Tensor (B, ED, N)
    """
    if torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in (u, delta, A, B, C, D, z, h0)):
        raise ModelError("selective_scan_chunked_from computes no gradient; run it under torch.no_grad() "
                         "or use selective_scan_states")
    batch, length, d_inner = u.shape
    if at is None:
        at = torch.full((batch,), length - 1, dtype=torch.long, device=u.device)
    at = at.to(device=u.device, dtype=torch.long)
    if at.shape != (batch,) or (batch and (int(at.min()) < -1 or int(at.max()) >= length)):
        raise ModelError(f"at must be {batch} steps in -1..{length - 1}")
    start = u.new_zeros(batch, d_inner, A.shape[1]) if h0 is None else h0  # (B, ED, N)
    if batch == 0 or length == 0:
        return _finish(torch.zeros_like(u), u, D, z), start.clone()
    chunk_size, batch_block = _blocking(u, A, chunk_size, batch_block)
    with _capped_threads(threads):
        delta = _prepare_delta(delta, delta_bias, delta_softplus)
        y, (h_at,) = _scan_forward(u, delta, A, B, C, negative_eigenvalues, chunk_size, batch_block,
                                   h0=start.transpose(1, 2), at=at)
        y = _finish(y, u, D, z)
    return y, h_at.transpose(1, 2)  # (B, N, ED) -> (B, ED, N)


def selective_scan(
    u: Tensor, delta: Tensor, A: Tensor, B: Tensor, C: Tensor, D: Tensor | None = None,
    z: Tensor | None = None, *, delta_bias: Tensor | None = None, delta_softplus: bool = False,
    negative_eigenvalues: bool = False, chunk_size: int | None = None, batch_block: int | None = None,
    threads: int | None = None,
) -> Tensor:
    """Fast selective scan: chunked recurrence with a hand-written backward.

    Same arguments as :func:`selective_scan_ref`, plus tuning knobs (for the
    first two None picks them from the shapes, see :func:`scan_blocking`):

    chunk_size : int, optional
        Time steps per chunk. Per chunk, transitions, inputs and read-outs are
        single vectorized ops over (chunk_size, B, N, ED); the backward pass keeps
        one state per chunk and recomputes the rest.
    batch_block : int, optional
        Sequences per step of the recurrence loop.
    threads : int or None
        At most this many intra-op threads inside the scan (forward and
        backward), restored afterwards; None (default) leaves
        ``torch.get_num_threads()`` alone. The scan is a long series of
        mid-sized ops, and on a machine whose cores are busy with other
        processes every multithreaded op waits until all of its threads are
        scheduled: there ``threads=1`` helps (on a 2-core machine with a load
        of 4-6, a training step at length 256 ran about 3x faster), while on a
        lightly loaded one two threads were about 2x faster than one.

    Returns
    -------
    Tensor (B, L, ED)
    """
    batch, length, _ = u.shape
    if batch == 0 or length == 0:
        return _finish(torch.zeros_like(u), u, D, z)  # (B, L, ED): nothing to scan
    chunk_size, batch_block = _blocking(u, A, chunk_size, batch_block)
    if threads is not None and threads < 1:
        raise ModelError(f"threads must be positive or None, got {threads}")
    return _SelectiveScanFn.apply(u, delta, A, B, C, D, z, delta_bias, bool(delta_softplus), bool(negative_eigenvalues),
                                  int(chunk_size), int(batch_block), threads)


# PyTorch runs an elementwise op on one thread below this many elements
# (at::internal::GRAIN_SIZE)
_GRAIN_SIZE = 32768
# elements of one (chunk, B, N, ED) buffer: 2**20 float32 = 4 MiB
_CHUNK_ELEMENTS = 2**20
_LN2 = math.log(2.0)


def _blocking(u: Tensor, A: Tensor, chunk_size: int | None, batch_block: int | None) -> tuple[int, int]:
    """(chunk_size, batch_block) for a scan of ``u``: the given values, else the defaults for its shape and device."""
    batch, length, d_inner = u.shape
    if u.is_cuda:  # the GPU runs each step over the whole batch at once; launches, not caches, are the cost
        auto_chunk, auto_block = length, batch
    else:
        auto_chunk, auto_block = scan_blocking(batch, length, d_inner, A.shape[1])
    chunk_size = auto_chunk if chunk_size is None else chunk_size
    batch_block = auto_block if batch_block is None else batch_block
    if chunk_size < 1 or batch_block < 1:
        raise ModelError(f"chunk_size and batch_block must be positive, got {chunk_size}, {batch_block}")
    return chunk_size, batch_block


def scan_blocking(batch: int, length: int, d_inner: int, d_state: int) -> tuple[int, int]:
    """Default (chunk_size, batch_block) of :func:`selective_scan` for these shapes.

    The recurrence is a loop of small ops, one per step and batch block; a
    block of ``batch_block * ED * N < 32768`` elements runs on one thread.
    Multithreaded small ops are a trap on a busy machine: each one waits until
    every thread of the pool has been scheduled. The vectorized per-chunk ops
    keep the threads; ``chunk_size`` makes each of their buffers about 4 MiB
    (measured on 2 cores: 2-4 MiB fastest on an idle machine, 8-16 MiB on a
    busy one, where fewer multithreaded ops wait less).
    """
    per_step = d_inner * d_state
    batch_block = max(1, min(batch, (_GRAIN_SIZE - 1) // per_step))
    chunk_size = max(1, min(length, _CHUNK_ELEMENTS // (batch * per_step)))
    return chunk_size, batch_block


def _recur(states: Tensor, dA: Tensor, h0: Tensor, batch_block: int) -> None:
    """In place: states[t] <- dA[t] * states[t-1] + states[t], states[-1] = h0; (T, B, N, ED)."""
    for s_blk, a_blk, prev in zip(states.split(batch_block, 1), dA.split(batch_block, 1), h0.split(batch_block, 0)):
        for s_t, a_t in zip(s_blk.unbind(0), a_blk.unbind(0)):  # s_t: contiguous (b, N, ED)
            prev = s_t.addcmul_(a_t, prev)


def _recur_reverse(g: Tensor, dA: Tensor, carry: Tensor, batch_block: int) -> None:
    """In place, from the end backwards: g[t] <- g[t] + dA[t+1] * g[t+1]; (T, B, N, ED).

    ``carry`` (B, N, ED) holds dA[T] * g[T] from the chunk after this one (zeros
    for the last chunk); it is added to g[T-1] and replaced by dA[0] * g[0].
    """
    for g_blk, a_blk, c_blk in zip(g.split(batch_block, 1), dA.split(batch_block, 1), carry.split(batch_block, 0)):
        g_steps, a_steps = g_blk.unbind(0), a_blk.unbind(0)
        nxt = g_steps[-1].add_(c_blk)
        for t in range(len(g_steps) - 2, -1, -1):
            nxt = g_steps[t].addcmul_(a_steps[t + 1], nxt)
        torch.mul(a_steps[0], nxt, out=c_blk)


@contextlib.contextmanager
def _capped_threads(threads: int | None) -> Iterator[None]:
    """Run the block with at most ``threads`` intra-op threads, then restore the setting."""
    before = torch.get_num_threads()
    if threads is None or before <= threads:
        yield
        return
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _chunk_transitions(delta_c: Tensor, A_t: Tensor, negative: bool, dA: Tensor) -> None:
    """dA (T, B, N, ED) <- transition(delta_c (T, B, ED) * A_t (N, ED)), in the buffer dA."""
    torch.mul(delta_c.unsqueeze(2), A_t, out=dA)
    if negative:
        dA.add_(_LN2).expm1_()  # 2 exp(x) - 1 = expm1(x + ln 2)
    else:
        dA.exp_()


def _chunk_states(du_c: Tensor, B_c: Tensor, dA: Tensor, h0: Tensor, batch_block: int, hs: Tensor) -> None:
    """States of one chunk into the buffer hs (T, B, N, ED), hs[t] = h_t.

    du_c = delta * u: (T, B, ED); B_c: (T, B, N); dA: (T, B, N, ED) the
    transitions; h0: (B, N, ED), the state before the chunk.
    """
    torch.mul(du_c.unsqueeze(2), B_c.unsqueeze(-1), out=hs)  # (T, B, N, ED): dBu
    _recur(hs, dA, h0, batch_block)  # h_t = dA_t * h_{t-1} + dBu_t


def _scan_forward(
    u: Tensor, delta: Tensor, A: Tensor, B: Tensor, C: Tensor, negative: bool, chunk_size: int, batch_block: int,
    keep_states: bool = False, h0: Tensor | None = None, at: Tensor | None = None,
) -> tuple[Tensor, tuple[Tensor, ...]]:
    """Core of the chunked scan: y_t = <h_t, C_t> (B, L, ED), and what the backward pass needs.

    Internally time-major, (L, B, ...), with the state laid out (N, ED): a step
    is one contiguous (B, N, ED) slab and elementwise loops run over ED
    contiguous floats instead of N = 16. The (T, B, N, ED) work buffers are
    allocated once per call and reused by every chunk (fresh tensors per chunk
    cost allocations and page faults).

    With ``keep_states`` the recurrence writes into one (L, B, N, ED) tensor
    instead of the reused chunk buffer, and the saved tuple is replaced by
    ``(states,)``: every h_t at the cost of writing it once, no extra work.

    ``h0`` (B, N, ED) is the state before the first step (default zeros). With
    ``at`` (B,) (positions in ``-1..L-1``) the saved tuple is replaced by
    ``(h_at,)``, (B, N, ED): row b's state after step ``at[b]`` (``-1``: h0),
    copied out of each chunk's buffer as the scan passes (no gradient).
    """
    u_t = u.transpose(0, 1).contiguous()  # (L, B, ED)
    delta_t = delta.transpose(0, 1).contiguous()  # (L, B, ED)
    B_t = B.transpose(0, 1).contiguous()  # (L, B, N)
    C_t = C.transpose(0, 1).contiguous()  # (L, B, N)
    A_t = A.t().contiguous()  # (N, ED)
    du_t = delta_t * u_t  # (L, B, ED)
    length, batch, d_inner = u_t.shape
    d_state = A.shape[1]
    dA_buf = u_t.new_empty(min(chunk_size, length), batch, d_state, d_inner)  # (T, B, N, ED)
    if keep_states:
        all_states = u_t.new_empty(length, batch, d_state, d_inner)  # (L, B, N, ED)
    else:
        hs_buf = torch.empty_like(dA_buf)  # (T, B, N, ED)
    starts = range(0, length, chunk_size)
    h0s = u_t.new_empty(len(starts), batch, d_state, d_inner)  # (n_chunks, B, N, ED): state before each chunk
    if h0 is None:
        h0s[0].zero_()
    else:
        h0s[0].copy_(h0)
    if at is not None:
        h_at = h0s[0].clone()  # (B, N, ED): rows with at = -1 keep h0
        rows_at = [torch.nonzero((at >= c0) & (at < c0 + chunk_size)).flatten() for c0 in starts]
    y = u_t.new_empty(length, batch, d_inner)  # (L, B, ED)
    for k, c0 in enumerate(starts):
        c1 = min(c0 + chunk_size, length)
        hs = all_states[c0:c1] if keep_states else hs_buf[: c1 - c0]
        dA = dA_buf[: c1 - c0]
        _chunk_transitions(delta_t[c0:c1], A_t, negative, dA)
        _chunk_states(du_t[c0:c1], B_t[c0:c1], dA, h0s[k], batch_block, hs)
        torch.matmul(C_t[c0:c1].unsqueeze(-2), hs, out=y[c0:c1].unsqueeze(-2))  # (T, B, 1, ED)
        if at is not None and rows_at[k].numel():
            h_at[rows_at[k]] = hs[at[rows_at[k]] - c0, rows_at[k]]
        if k + 1 < len(starts):
            h0s[k + 1].copy_(hs[-1])
    if at is not None:
        return y.transpose(0, 1), (h_at,)
    if keep_states:
        return y.transpose(0, 1), (all_states,)
    return y.transpose(0, 1), (u_t, delta_t, du_t, A_t, B_t, C_t, h0s)


def _scan_backward(
    saved: tuple[Tensor, ...], grad_y: Tensor, negative: bool, chunk_size: int, batch_block: int,
) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """Gradients of :func:`_scan_forward` with respect to u, delta, A, B, C."""
    u_t, delta_t, du_t, A_t, B_t, C_t, h0s = saved
    gy = grad_y.transpose(0, 1).contiguous()  # (L, B, ED)
    length, batch, d_inner = u_t.shape
    d_state = A_t.shape[0]
    gB = torch.empty_like(u_t)  # (L, B, ED): dL/d(delta u) = sum_n B g
    gx = torch.empty_like(u_t)  # (L, B, ED): dL/d(delta A) contracted with A: sum_n s A
    d_B = torch.empty_like(B_t)  # (L, B, N)
    d_C = torch.empty_like(C_t)  # (L, B, N)
    d_A_t = torch.zeros_like(A_t)  # (N, ED)
    hs_buf = u_t.new_empty(min(chunk_size, length), batch, d_state, d_inner)  # (T, B, N, ED)
    g_buf, tmp_buf = torch.empty_like(hs_buf), torch.empty_like(hs_buf)
    dA_buf = torch.empty_like(hs_buf)
    carry = u_t.new_zeros(batch, d_state, d_inner)  # (B, N, ED): dA_{c1} g_{c1}, sent back to h_{c1-1}
    starts = list(range(0, length, chunk_size))
    for k in reversed(range(len(starts))):
        c0 = starts[k]
        c1 = min(c0 + chunk_size, length)
        n = c1 - c0
        hs, g, tmp = hs_buf[:n], g_buf[:n], tmp_buf[:n]
        delta_c, du_c, gy_c = delta_t[c0:c1], du_t[c0:c1], gy[c0:c1]
        h0 = h0s[k]  # (B, N, ED)
        # recompute the chunk (cheaper than keeping (L, B, N, ED) transitions: measured)
        dA = dA_buf[:n]
        _chunk_transitions(delta_c, A_t, negative, dA)
        _chunk_states(du_c, B_t[c0:c1], dA, h0, batch_block, hs)
        # adjoint recurrence g_t = dL/dh_t = C_t y'_t + dA_{t+1} g_{t+1}
        torch.mul(gy_c.unsqueeze(2), C_t[c0:c1].unsqueeze(-1), out=g)  # (T, B, N, ED)
        _recur_reverse(g, dA, carry, batch_block)
        # y_t = <h_t, C_t>  =>  dC_t[n] = sum_e h_t[n, e] y'_t[e]  (mul + sum beats a batched GEMV)
        torch.sum(torch.mul(hs, gy_c.unsqueeze(2), out=tmp), -1, out=d_C[c0:c1])  # (T, B, N)
        # input term dBu_t = (delta_t u_t) B_t
        torch.matmul(B_t[c0:c1].unsqueeze(-2), g, out=gB[c0:c1].unsqueeze(-2))  # (T, B, 1, ED)
        torch.sum(torch.mul(g, du_c.unsqueeze(2), out=tmp), -1, out=d_B[c0:c1])  # (T, B, N)
        # transition term: dL/d dA_t = g_t * h_{t-1}, in place in g
        g[1:].mul_(hs[:-1])
        g[0].mul_(h0)
        # d exp(x)/dx = exp(x) = dA; with negative eigenvalues dA = 2 exp(x) - 1 and
        # the derivative is 2 exp(x) = dA + 1
        s = g.mul_(torch.add(dA, 1.0, out=tmp) if negative else dA)  # (T, B, N, ED): dL/d(delta A)
        torch.sum(torch.mul(s, A_t, out=tmp), -2, out=gx[c0:c1])  # (T, B, ED)
        d_A_t.add_(s.mul_(delta_c.unsqueeze(2)).sum((0, 1)))  # (N, ED)
    d_u = gB * delta_t  # (L, B, ED)
    d_delta = gB.mul_(u_t).add_(gx)  # (L, B, ED)
    return d_u.transpose(0, 1), d_delta.transpose(0, 1), d_A_t.t(), d_B.transpose(0, 1), d_C.transpose(0, 1)


class _SelectiveScanFn(torch.autograd.Function):
    """The whole of :func:`selective_scan` as one autograd node (as mamba_ssm's ``selective_scan_fn``).

    delta = softplus(delta + delta_bias) (each optional), the chunked scan, then
    y = (y + D u) * silu(z) (each optional), with a hand-written backward. Inputs
    that are None get no gradient.
    """

    @staticmethod
    def forward(ctx, u, delta, A, B, C, D, z, delta_bias, softplus, negative, chunk_size, batch_block,
                threads):  # type: ignore[override]
        with _capped_threads(threads):
            pre = delta if delta_bias is None else delta + delta_bias  # (B, L, ED)
            delta = F.softplus(pre) if softplus else pre
            y, saved = _scan_forward(u, delta, A, B, C, negative, chunk_size, batch_block)  # (B, L, ED)
            if D is not None:
                y = y + D * u
            out = y if z is None else y * F.silu(z)
        ctx.save_for_backward(*saved, u, pre, D, z, y if z is not None else None)
        ctx.settings = (softplus, negative, chunk_size, batch_block, threads, delta_bias is not None)
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out):  # type: ignore[override]
        *saved, u, pre, D, z, y = ctx.saved_tensors
        softplus, negative, chunk_size, batch_block, threads, has_bias = ctx.settings
        d_D = d_z = d_bias = None
        with _capped_threads(threads):
            g = grad_out  # (B, L, ED)
            if z is not None:
                sig = torch.sigmoid(z)
                d_z = grad_out * y * sig * (1 + z * (1 - sig))  # silu'(z) = sig (1 + z (1 - sig))
                g = grad_out * (z * sig)
            if D is not None:
                d_D = (g * u).sum((0, 1))  # (ED,)
            d_u, d_delta, d_A, d_B, d_C = _scan_backward(tuple(saved), g, negative, chunk_size, batch_block)
            if D is not None:
                d_u = d_u + g * D
            if softplus:
                d_delta = d_delta * torch.sigmoid(pre)  # softplus' = sigmoid
            if has_bias:
                d_bias = d_delta.sum((0, 1))  # (ED,)
        return d_u, d_delta, d_A, d_B, d_C, d_D, d_z, d_bias, None, None, None, None, None


SCANS = {
    "chunked": selective_scan,
    "loop": lambda *a, **k: selective_scan_states(*a, **k)[0],
    "ref": selective_scan_ref,
}
"""Scan implementations by name (all return y (B, L, ED)); "chunked" is the default."""
