"""Linear recurrences with matrix-valued state: the (gated) delta rule and Mamba-2's SSD, in pure PyTorch.

Each recurrence has a readable sequential reference (one token at a time, as
the paper writes it) and a fast chunked path for training (whole chunks of C
tokens as matrix products, one small loop over chunks), tied by
``tests/models/test_linear_rnn.py`` on outputs, states and gradients.

Glossary (per head; code name -> paper symbol)::

    q, k   (B, H, L, K)   query, key            q_t, k_t
    v      (B, H, L, V)   value                 v_t
    beta   (B, H, L)      write strength        beta_t (in [0, 1], or [0, 2] with negative eigenvalues)
    g      (B, H, L)      log decay             log alpha_t (<= 0); None: no decay
    h      (B, H, K, V)   state                 S_t^T (fla's layout: key-major)

The gated delta rule (Yang, Kautz & Hatamizadeh 2024, arXiv:2412.06464;
DeltaNet when g = 0, Schlag et al. 2021; Yang et al. 2024, arXiv:2406.06484)::

    h_t = exp(g_t) (I - beta_t k_t k_t^T) h_{t-1} + beta_t k_t v_t^T,    o_t = h_t^T q_t

whose transition has eigenvalues 1 - beta_t |k_t|^2 along k_t: negative when
beta_t > 1 and |k_t| = 1 (Grazzi et al. 2024, arXiv:2411.12537). DeltaProduct
(Siems et al. 2025, arXiv:2502.10297) applies n_h such Householder steps per
token; :func:`expand_householders` writes it as a delta rule over n_h L steps.

The chunked path is the WY/UT form (Yang et al. 2024): inside a chunk with
cumulative log decay G_t, the "new values" e_t = beta_t (v_t - exp(g_t)
h_{t-1}^T k_t) solve one unit lower-triangular system, ``(I + M) E = beta V -
diag(beta exp(G)) K h_0`` with ``M[t, s] = beta_t (k_t . k_s) exp(G_t - G_s)``
for s < t; then ``h_t = exp(G_t) h_0 + sum_{s <= t} exp(G_t - G_s) k_s e_s^T``.

SSD, Mamba-2's scalar-decay recurrence (Dao & Gu 2024, arXiv:2405.21060), with
a = per-step decay (B, H, L), possibly negative::

    h_t = a_t h_{t-1} + k_t v_t^T,    o_t = h_t^T q_t

Its chunked path weighs the causal "attention" matrix with the products of a
between positions, carried as log |a| and the parity of negative factors.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.autograd.function import once_differentiable

__all__ = [
    "delta_rule_ref",
    "delta_rule_chunked",
    "ssd_ref",
    "ssd_chunked",
    "expand_householders",
    "unit_lower_inverse",
    "CHUNK",
]

#: Default chunk length of the chunked paths (16 was fastest on a CPU at L = 64-256, batch 64, 4 heads of 16).
CHUNK = 16

#: Smallest |a| in the signed SSD chunk (log |a| must stay finite).
_TINY = 1e-6


# --------------------------------------------------------------------------- delta rule
def delta_rule_ref(q: Tensor, k: Tensor, v: Tensor, beta: Tensor, g: Tensor | None = None,
                   h0: Tensor | None = None, *, states: bool = False) -> tuple[Tensor, Tensor]:
    """The gated delta rule one token at a time (the readable reference).

    Parameters
    ----------
    q, k : Tensor (B, H, L, K)
        Queries (already scaled) and keys (normalized by the caller when wanted).
    v : Tensor (B, H, L, V)
    beta : Tensor (B, H, L)
    g : Tensor (B, H, L) or None
        Log decay per step (None: no decay, DeltaNet).
    h0 : Tensor (B, H, K, V) or None
        State before the first step (None: zeros).
    states : bool
        Return every step's state (B, H, L, K, V) instead of the last one.

    Returns
    -------
    o : Tensor (B, H, L, V)
    h : Tensor (B, H, K, V), or (B, H, L, K, V) with ``states``
    """
    batch, heads, length, dk = k.shape
    h = q.new_zeros(batch, heads, dk, v.shape[-1]) if h0 is None else h0  # (B, H, K, V)
    outs, hs = [], []
    for t in range(length):
        if g is not None:
            h = h * g[:, :, t].exp()[..., None, None]
        kt = k[:, :, t]  # (B, H, K)
        e = beta[:, :, t, None] * (v[:, :, t] - torch.einsum("bhkv,bhk->bhv", h, kt))  # (B, H, V)
        h = h + kt[..., :, None] * e[..., None, :]  # (B, H, K, V)
        outs.append(torch.einsum("bhkv,bhk->bhv", h, q[:, :, t]))  # (B, H, V)
        hs.append(h)
    o = torch.stack(outs, 2) if outs else v.new_zeros(batch, heads, 0, v.shape[-1])
    if states:
        return o, (torch.stack(hs, 2) if hs else h.new_zeros(batch, heads, 0, dk, v.shape[-1]))
    return o, h


def _chunks(x: Tensor, chunk: int, length: int) -> Tensor:
    """(B, H, L, ...) -> (B, H, N, C, ...), zero-padded to N * C steps."""
    pad = (-length) % chunk
    if pad:
        shape = list(x.shape)
        shape[2] = pad
        x = torch.cat([x, x.new_zeros(shape)], 2)
    return x.unflatten(2, (-1, chunk))


def unit_lower_inverse(M: Tensor) -> Tensor:
    """``(I + tril(M, -1))^-1`` for a batch of square matrices (..., C, C); only M's strictly lower part is read.

    The inverse is unit lower triangular. Its backward is written out,
    ``dM = -tril(T^T dT T^T, -1)`` (two matrix products), instead of
    autograd's route through the triangular solve.
    """
    return _UnitLowerInverse.apply(M)


class _UnitLowerInverse(torch.autograd.Function):
    @staticmethod
    def forward(ctx, M):  # type: ignore[override]
        eye = torch.eye(M.shape[-1], dtype=M.dtype, device=M.device).expand(M.shape)
        T = torch.linalg.solve_triangular(M, eye, upper=False, unitriangular=True)  # (..., C, C)
        ctx.save_for_backward(T)
        return T

    @staticmethod
    def backward(ctx, grad_T):  # type: ignore[override]
        (T,) = ctx.saved_tensors
        Tt = T.transpose(-1, -2)
        return -(Tt @ grad_T.contiguous() @ Tt).tril(-1)


def delta_rule_chunked(q: Tensor, k: Tensor, v: Tensor, beta: Tensor, g: Tensor | None = None,
                       h0: Tensor | None = None, *, states: bool = False,
                       chunk: int = CHUNK) -> tuple[Tensor, Tensor]:
    """The gated delta rule in chunks (WY/UT form): same arguments and results as :func:`delta_rule_ref`.

    Padding steps (beta = 0, g = 0) leave the state unchanged, so the last
    state is exact for any L. Gradients flow through autograd; the
    within-chunk system goes through :func:`unit_lower_inverse` (a triangular
    solve forward, two matrix products backward).
    """
    batch, heads, length, dk = k.shape
    dv = v.shape[-1]
    h = q.new_zeros(batch, heads, dk, dv) if h0 is None else h0  # (B, H, K, V)
    if length == 0:
        return v.new_zeros(batch, heads, 0, dv), (h.new_zeros(batch, heads, 0, dk, dv) if states else h)
    c = min(chunk, length)
    # one copy each to (B, H, L, *) order (callers pass permuted views): the batched products below would
    # otherwise copy their operands again, forward and backward (measured 2-6% of a training step)
    q, k, v = q.contiguous(), k.contiguous(), v.contiguous()
    qc, kc, vc = _chunks(q, c, length), _chunks(k, c, length), _chunks(v, c, length)  # (B, H, N, C, *)
    bc = _chunks(beta[..., None], c, length)  # (B, H, N, C, 1)
    kcT = kc.transpose(-1, -2)  # (B, H, N, K, C)
    # two products, not one over cat([q, k]): the (2C, C) product and the cat's copy and zero-filled slice
    # gradients cost more than both
    bk = bc * kc  # (B, H, N, C, K): beta_t k_t
    qk, M = qc @ kcT, bk @ kcT  # (B, H, N, C, C): q_t . k_s, beta_t k_t . k_s
    lower = torch.ones(c, c, dtype=torch.bool, device=q.device).tril()  # s <= t
    if g is None:  # DeltaNet: no decay, so no exp(G_t - G_s) factors at all
        attn = qk.tril()  # (B, H, N, C, C), incl. diagonal
        wk = bk  # (B, H, N, C, K); only M's strictly lower part is read, below
        qG, tail, last = qc, kc, None
    else:
        G = _chunks(g[..., None], c, length)[..., 0].cumsum(-1)  # (B, H, N, C): cumulative log decay
        decay = (G[..., :, None] - G[..., None, :]).masked_fill(~lower, float("-inf")).exp()  # (B, H, N, C, C)
        attn = qk * decay  # exp(G_t - G_s) q_t . k_s for s <= t, else 0
        M = M * decay
        eG = G.exp()  # (B, H, N, C)
        wk = bk * eG[..., None]
        qG = qc * eG[..., None]  # (B, H, N, C, K)
        tail = (G[..., -1:] - G).exp()[..., None] * kc  # (B, H, N, C, K): exp(G_C - G_s) k_s
        last = eG[..., -1, None, None]  # (B, H, N, 1, 1)
    # (I + M) X = rhs with M's strictly lower part: T = (I + M)^-1 once, then two products (one triangular
    # solve with V + K right-hand sides and its backward cost more)
    T = unit_lower_inverse(M)  # (B, H, N, C, C)
    U, W = T @ (bc * vc), T @ wk  # (B, H, N, C, V), (B, H, N, C, K): E = U - W h0 per chunk
    if states:  # through autograd: gradients may flow from every step's state too
        H0, Ev, h = _scan_chunks(U, W, tail, last, h)  # (B, H, N, K, V), (B, H, N, C, V), (B, H, K, V)
        o = (qG @ H0 + attn @ Ev).flatten(2, 3)[:, :, :length]  # (B, H, L, V)
    else:
        o, h = _ChunkedDeltaScan.apply(U, W, tail, last, h, qG, attn)
        o = o.flatten(2, 3)[:, :, :length]  # (B, H, L, V)
    if states:  # every step's state: exp(G_t) h0 + sum_{s<=t} exp(G_t - G_s) k_s e_s^T
        weights = lower.to(q.dtype).expand(*bc.shape[:3], c, c) if g is None else decay  # (B, H, N, C, C)
        start = H0[:, :, :, None] if g is None else eG[..., None, None] * H0[:, :, :, None]  # (B, H, N, C, K, V)
        hs = start + torch.einsum("bhnts,bhnsk,bhnsv->bhntkv", weights, kc, Ev)
        return o, hs.flatten(2, 3)[:, :, :length]
    return o, h


def _scan_chunks(U: Tensor, W: Tensor, tail: Tensor, last: Tensor | None,
                 h: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """The chunk-to-chunk recurrence: E_n = U_n - W_n h_n, h_{n+1} = last_n h_n + tail_n^T E_n.

    U (B, H, N, C, V), W and tail (B, H, N, C, K), last (B, H, N, 1, 1) or
    None (no decay), h (B, H, K, V) -> the state at each chunk's start H0
    (B, H, N, K, V), the new values E (B, H, N, C, V), the last state.
    """
    # unbind once: indexing chunk n in the loop would cost a zero-filled full-size gradient per chunk
    Us, Ws, tails = U.unbind(2), W.unbind(2), tail.transpose(-1, -2).unbind(2)
    lasts = [None] * len(Us) if last is None else last.unbind(2)
    starts, Es = [], []
    for U_n, W_n, tail_n, last_n in zip(Us, Ws, tails, lasts):  # only the state crosses chunks
        E = U_n - W_n @ h  # (B, H, C, V): the chunk's new values e_t
        starts.append(h)
        Es.append(E)
        h = (h if last_n is None else last_n * h) + tail_n @ E  # (B, H, K, V)
    return torch.stack(starts, 2), torch.stack(Es, 2), h


class _ChunkedDeltaScan(torch.autograd.Function):
    """o = qG H0 + attn E over the chunks, and the last state, with the backward written out.

    Forward: :func:`_scan_chunks`. Backward, one reverse loop over the chunks
    carrying dh (the gradient of the state entering chunk n + 1)::

        dE_n = attn_n^T dO_n + tail_n dh,    dh <- qG_n^T dO_n + last_n dh - W_n^T dE_n

    then every other gradient as one batched product over all chunks (autograd
    adds a stack, an unbind and per-chunk nodes).
    """

    @staticmethod
    def forward(ctx, U, W, tail, last, h0, qG, attn):  # type: ignore[override]
        H0, E, h = _scan_chunks(U, W, tail, last, h0)
        o = qG @ H0 + attn @ E  # (B, H, N, C, V)
        ctx.save_for_backward(W, tail, last, qG, attn, H0, E)
        return o, h

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_o, grad_h):  # type: ignore[override]
        W, tail, last, qG, attn, H0, E = ctx.saved_tensors
        n_chunks = E.shape[2]
        dO = grad_o.contiguous() if grad_o is not None else torch.zeros_like(E)  # (B, H, N, C, V)
        dh = grad_h.contiguous() if grad_h is not None else torch.zeros_like(H0[:, :, 0])  # (B, H, K, V)
        dE_out = attn.transpose(-1, -2) @ dO  # (B, H, N, C, V): the outputs' share of dE
        dh_out = qG.transpose(-1, -2) @ dO  # (B, H, N, K, V): the outputs' share of dh_n
        WT = W.transpose(-1, -2)  # (B, H, N, K, C)
        dEs, dhs = [None] * n_chunks, [None] * n_chunks
        for n in range(n_chunks - 1, -1, -1):
            dhs[n] = dh  # gradient of the state after chunk n
            dE = dE_out[:, :, n] + tail[:, :, n] @ dh  # (B, H, C, V)
            dEs[n] = dE
            carried = dh if last is None else last[:, :, n] * dh
            dh = dh_out[:, :, n] + carried - WT[:, :, n] @ dE  # (B, H, K, V)
        dE, dH1 = torch.stack(dEs, 2), torch.stack(dhs, 2)  # (B, H, N, C, V), (B, H, N, K, V)
        d_tail = E @ dH1.transpose(-1, -2)  # (B, H, N, C, K)
        d_last = (H0 * dH1).sum((-1, -2), keepdim=True) if last is not None else None  # (B, H, N, 1, 1)
        d_W = -(dE @ H0.transpose(-1, -2))  # (B, H, N, C, K)
        d_qG = dO @ H0.transpose(-1, -2)  # (B, H, N, C, K)
        d_attn = dO @ E.transpose(-1, -2)  # (B, H, N, C, C)
        return dE, d_W, d_tail, d_last, dh, d_qG, d_attn


def expand_householders(q: Tensor, k: Tensor, v: Tensor, beta: Tensor, g: Tensor | None,
                        n_h: int) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor | None]:
    """DeltaProduct as a delta rule over n_h L steps (fla's GatedDeltaProduct layout).

    Token t's n_h Householder steps become steps t n_h .. t n_h + n_h - 1; the
    decay acts on the first of them, the query reads the last (the others read
    nothing: q = 0).

    Parameters
    ----------
    q : Tensor (B, H, L, K)
    k : Tensor (B, H, L n_h, K)
    v : Tensor (B, H, L n_h, V)
    beta : Tensor (B, H, L n_h)
    g : Tensor (B, H, L) or None
    n_h : int

    Returns
    -------
    q, k, v, beta, g over n_h L steps; keep every n_h-th output,
    ``o[:, :, n_h - 1 :: n_h]``.
    """
    if n_h == 1:
        return q, k, v, beta, g
    batch, heads, length, dk = q.shape
    qe = q.new_zeros(batch, heads, length, n_h, dk)
    qe[:, :, :, -1] = q
    ge = None
    if g is not None:
        ge = g.new_zeros(batch, heads, length, n_h)
        ge[..., 0] = g
        ge = ge.flatten(2)
    return qe.flatten(2, 3), k, v, beta, ge


# --------------------------------------------------------------------------- SSD (Mamba-2)
def ssd_ref(q: Tensor, k: Tensor, v: Tensor, a: Tensor, h0: Tensor | None = None, *,
            states: bool = False) -> tuple[Tensor, Tensor]:
    """Scalar-decay recurrence ``h_t = a_t h_{t-1} + k_t v_t^T``, ``o_t = h_t^T q_t``, one step at a time.

    Parameters
    ----------
    q, k : Tensor (B, H, L, K)
        Mamba-2's C and B (K = N, the state size).
    v : Tensor (B, H, L, V)
        Mamba-2's dt x (V = P, the head dimension).
    a : Tensor (B, H, L)
        Per-step decay, in (0, 1), or (-1, 1) with negative eigenvalues.
    h0 : Tensor (B, H, K, V) or None
    states : bool
        Return every step's state (B, H, L, K, V).

    Returns
    -------
    o : Tensor (B, H, L, V)
    h : Tensor (B, H, K, V), or (B, H, L, K, V) with ``states``
    """
    batch, heads, length, dk = k.shape
    h = q.new_zeros(batch, heads, dk, v.shape[-1]) if h0 is None else h0
    outs, hs = [], []
    for t in range(length):
        h = a[:, :, t, None, None] * h + k[:, :, t, :, None] * v[:, :, t, None, :]  # (B, H, K, V)
        outs.append(torch.einsum("bhkv,bhk->bhv", h, q[:, :, t]))
        hs.append(h)
    o = torch.stack(outs, 2) if outs else v.new_zeros(batch, heads, 0, v.shape[-1])
    if states:
        return o, (torch.stack(hs, 2) if hs else h.new_zeros(batch, heads, 0, dk, v.shape[-1]))
    return o, h


def ssd_chunked(q: Tensor, k: Tensor, v: Tensor, a: Tensor, h0: Tensor | None = None, *,
                log_a: Tensor | None = None, states: bool = False,
                chunk: int = CHUNK) -> tuple[Tensor, Tensor]:
    """The scalar-decay recurrence in chunks; same arguments and results as :func:`ssd_ref`.

    ``log_a`` (B, H, L), when given, is log a for a positive decay (exact
    gradients, no clamping: Mamba-2's ``dt * A``); otherwise the products of a
    are carried as log max(|a|, 1e-6) and the parity of negative factors, so
    a may be negative.
    """
    batch, heads, length, dk = k.shape
    dv = v.shape[-1]
    h = q.new_zeros(batch, heads, dk, dv) if h0 is None else h0
    if length == 0:
        return v.new_zeros(batch, heads, 0, dv), (h.new_zeros(batch, heads, 0, dk, dv) if states else h)
    c = min(chunk, length)
    qc, kc, vc = _chunks(q, c, length), _chunks(k, c, length), _chunks(v, c, length)  # (B, H, N, C, *)
    if log_a is not None:
        la, neg = log_a, None
    else:
        la, neg = a.abs().clamp(min=_TINY).log(), (a < 0).to(q.dtype)
    G = _chunks(la[..., None], c, length)[..., 0].cumsum(-1)  # (B, H, N, C); padding: log a = 0
    lower = torch.ones(c, c, dtype=torch.bool, device=q.device).tril()
    decay = (G[..., :, None] - G[..., None, :]).masked_fill(~lower, float("-inf")).exp()  # (B, H, N, C, C)
    first, tail = G.exp(), (G[..., -1:] - G).exp()  # (B, H, N, C): products from the chunk's start / to its end
    if neg is not None:  # sign of a product = (-1)^(number of negative factors)
        P = _chunks(neg[..., None], c, length)[..., 0].cumsum(-1)  # (B, H, N, C)
        sgn = 1 - 2 * torch.remainder(P, 2)  # (B, H, N, C): (-1)^P_t, so (-1)^(P_t - P_s) = sgn_t sgn_s
        decay = decay * (sgn[..., :, None] * sgn[..., None, :])
        first = first * sgn
        tail = tail * (sgn[..., -1:] * sgn)
    if heads > 1 and q.stride(1) == 0 and k.stride(1) == 0:  # q, k shared by the heads (Mamba-2's C, B): once
        qk = qc[:, :1] @ kc[:, :1].transpose(-1, -2)  # (B, 1, N, C, C)
    else:
        qk = qc @ kc.transpose(-1, -2)  # (B, H, N, C, C)
    intra = (qk * decay) @ vc  # (B, H, N, C, V)
    qG = qc * first[..., None]
    inc = (kc * tail[..., None]).transpose(-1, -2) @ vc  # (B, H, N, K, V): each chunk's own contribution
    last = first[..., -1, None, None]  # (B, H, N, 1, 1)
    starts = []
    for last_n, inc_n in zip(last.unbind(2), inc.unbind(2)):  # only the state crosses chunks
        starts.append(h)
        h = last_n * h + inc_n  # (B, H, K, V)
    H0 = torch.stack(starts, 2)  # (B, H, N, K, V): the state at each chunk's start
    o = (qG @ H0 + intra).flatten(2, 3)[:, :, :length]  # (B, H, L, V)
    if states:
        hs = first[..., None, None] * H0[:, :, :, None] + torch.einsum("bhnts,bhnsk,bhnsv->bhntkv", decay, kc, vc)
        return o, hs.flatten(2, 3)[:, :, :length]
    return o, h
