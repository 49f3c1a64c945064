"""Distributed alignment search (Geiger, Wu, Icard, Potts & Goodman 2023): learn the subspace that carries a variable.

DAS learns an orthonormal basis ``Q`` (F, k) of a site such that the
interchange ``x_u <- x_u + Q Q^T (x_v - x_u)`` at u's last position makes the
model continue along w as the automaton does from ``q_v`` (the high-level
counterfactual). The basis is ``Q = qr(M)`` of a free matrix ``M``, trained
with Adam on the training triples through the model's continuation (the
recurrent state API keeps gradients flowing into the patched state); the model
itself is frozen. Scored, like every intervention, on held-out triples.
Where no gradient reaches the continuation (a site that does not feed the
future, such as a recurrent model's last residual stream) the random initial
subspace is kept.

pyvene implements DAS on module outputs of a forward pass; here the patched
value lives inside a recurrent step (Mamba's SSM state is inside the scan) and
the run continues from the patched state, so the few lines below do it
directly on :mod:`automata_probe.models`' state API.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any, Iterator

import numpy as np
import torch
import torch.nn.functional as F

from .interventions import Prepared, run_states, patched_logits, subspace_patch
from .labels import Labeler
from .triples import dfa_targets

__all__ = ["fit_das"]

log = logging.getLogger(__name__)


@contextlib.contextmanager
def _frozen(model: Any) -> Iterator[None]:
    """The model's parameters without gradients inside the block (restored afterwards)."""
    flags = [(p, p.requires_grad) for p in model.parameters()]
    try:
        for p, _ in flags:
            p.requires_grad_(False)
        yield
    finally:
        for p, flag in flags:
            p.requires_grad_(flag)


def fit_das(model: Any, prep: Prepared, labeler: Labeler, site: str, k: int, *, steps: int = 60, batch: int = 32,
            lr: float = 0.05, seed: int = 0, horizon: int = 8) -> np.ndarray:
    """An orthonormal basis ``(F, k)`` of ``site`` learned by DAS on the triples of ``prep``.

    Parameters
    ----------
    model
        The model (frozen during training).
    prep
        The training triples, prepared (:func:`~.interventions.prepare`).
    labeler
        Gives the automaton and the state of ``q_v``: the loss pulls the patched
        run's outputs along w toward the automaton's from ``q_v``.
    site
        An intervention site of the model.
    k
        Dimension of the subspace (the probe's, to compare like with like).
    steps, batch, lr
        Adam steps, triples per step, learning rate.
    horizon
        The loss reads the first ``horizon`` letters of each continuation
        (where the states are told apart; it keeps training cheap).
    seed
        Initial basis and batches.
    """
    t = prep.triples
    width = prep.sites_v[site].shape[1]
    k = max(1, min(int(k), width))
    g = torch.Generator().manual_seed(int(seed))
    M = torch.nn.Parameter(torch.randn(width, k, generator=g, dtype=torch.float32).to(prep.u_last.device))
    opt = torch.optim.Adam([M], lr=lr)
    q_v = labeler.states_of_nodes[t.node_v]
    states = run_states(labeler.dfa, q_v, t.w, t.w_len)  # (n, |w|max)
    target = torch.from_numpy(dfa_targets(labeler.dfa, states, prep.task)).to(prep.u_last.device)[:, :horizon]
    mask = torch.from_numpy(prep.mask).to(prep.u_last.device)[:, :horizon]
    rng = np.random.default_rng([int(seed), 0xDA5])
    value = prep.sites_v[site]
    was_training = model.training
    model.eval()
    try:
        with _frozen(model), torch.enable_grad():
            for step in range(steps):
                rows = rng.choice(t.n, size=min(batch, t.n), replace=False)
                Q, _ = torch.linalg.qr(M)
                logits = patched_logits(model, prep, site, subspace_patch(value[rows], Q), rows=rows,
                                        horizon=horizon)
                loss = _loss(logits, target[rows], mask[rows], prep.task)
                if not loss.requires_grad:  # the site does not feed the continuation
                    log.debug("DAS at %s: the site does not reach the continuation", site)
                    break
                opt.zero_grad()
                loss.backward()
                if M.grad is None or not torch.isfinite(M.grad).all() or float(M.grad.abs().max()) == 0.0:
                    log.debug("DAS at %s: no gradient reaches the site (step %d)", site, step)
                    break
                opt.step()
    finally:
        model.train(was_training)
    Q, _ = torch.linalg.qr(M.detach())
    return Q.cpu().numpy()


def _loss(logits: torch.Tensor, target: torch.Tensor, mask: torch.Tensor, task: str) -> torch.Tensor:
    """Mean loss over the real positions of w: cross-entropy (state) or binary cross-entropy (next, member)."""
    if task == "state":
        ce = F.cross_entropy(logits.flatten(0, 1), target.clamp(min=0).flatten(), reduction="none")
        return (ce * mask.flatten()).sum() / mask.sum().clamp(min=1)
    bce = F.binary_cross_entropy_with_logits(logits, target, reduction="none").mean(-1)  # (n, W)
    return (bce * mask).sum() / mask.sum().clamp(min=1)
