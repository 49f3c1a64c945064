"""GPU kernels for Mamba-2 and the DeltaNet family: fla's and mamba_ssm's Triton kernels behind our layers.

Where CUDA is present and flash-linear-attention (``fla``) or ``mamba_ssm``
imports (``pip install 'automata-probe[gpu]'``), their chunked kernels can
run the recurrence of our models; the rest of the layer (projections,
convolutions, norms) stays ours, so weights and outputs are the same model's.
The libraries are imported here only, on first use.

:func:`select_recurrence` is the choice, a plain function of the request
and what is installed: "auto" (the default) takes the kernel when the
tensors are on CUDA and the library imports, else our chunked PyTorch path;
"torch" always ours; "cuda" the kernel or a :class:`~automata_probe.errors.ModelError`
naming what is missing. Mamba-2 with negative eigenvalues has no kernel
(mamba_ssm fixes the decay to exp(dt A)) and runs ours.

The kernel wrappers take our layouts (:mod:`.linear_rnn`: (B, H, L, *),
state (B, H, K, V); DeltaProduct already expanded to n_h L steps, which is
what fla's gated_delta_product computes) and give our results. Checked
against ours on a GPU by ``benchmarks/gpu_check_arch.py``.
"""

from __future__ import annotations

import functools
import logging
from typing import Any, Callable

import torch
from torch import Tensor

from ..errors import ModelError
from . import compiled

__all__ = ["BACKENDS", "select_recurrence", "fla_available", "mamba2_kernel_available",
           "fla_delta_rule", "mamba_ssm_ssd"]

log = logging.getLogger(__name__)

#: Recurrence backends a linear-RNN model accepts (``LinearRNNModel.set_backend``).
BACKENDS = ("auto", "torch", "compiled", "cuda")

_INSTALL = "pip install 'automata-probe[gpu]'"


@functools.lru_cache(maxsize=1)
def _fla_ops() -> dict[str, Callable[..., Any]] | None:
    """fla's chunked delta-rule kernels, or None when fla (or Triton) does not import."""
    try:
        from fla.ops.delta_rule import chunk_delta_rule
        from fla.ops.gated_delta_rule import chunk_gated_delta_rule
    except Exception as e:  # ImportError, or Triton failing without a GPU
        log.debug("fla unavailable: %s", e)
        return None
    return {"delta": chunk_delta_rule, "gated": chunk_gated_delta_rule}


@functools.lru_cache(maxsize=1)
def _mamba_ssm_ssd() -> Callable[..., Any] | None:
    """mamba_ssm's ``mamba_chunk_scan_combined`` (Mamba-2's SSD kernel), or None."""
    try:
        from mamba_ssm.ops.triton.ssd_combined import mamba_chunk_scan_combined
    except Exception as e:
        log.debug("mamba_ssm's SSD kernel unavailable: %s", e)
        return None
    return mamba_chunk_scan_combined


def fla_available() -> bool:
    """True when CUDA is present and fla's delta-rule kernels import."""
    return torch.cuda.is_available() and _fla_ops() is not None


def mamba2_kernel_available() -> bool:
    """True when CUDA is present and mamba_ssm's SSD kernel imports."""
    return torch.cuda.is_available() and _mamba_ssm_ssd() is not None


def select_recurrence(backend: str, arch: str, *, on_cuda: bool, negative_eigenvalues: bool = False,
                      kernel_imports: bool | None = None, compiled_runs: bool | None = None) -> str:
    """Which recurrence runs: "kernel" (fla / mamba_ssm), "compiled" (ours in C, CPU) or "torch" (our chunked path).

    Parameters
    ----------
    backend : {"auto", "torch", "compiled", "cuda"}
    arch : str
        "mamba2", "deltanet", "gated-deltanet" or "deltaproduct".
    on_cuda : bool
        Whether the layer's tensors are on a CUDA device.
    negative_eigenvalues : bool
        Mamba-2's kernel cannot run them.
    kernel_imports : bool or None
        Whether the library imports (None: try it).
    compiled_runs : bool or None
        Whether our compiled recurrence takes the layer's tensors (None: whether
        it is built here, :func:`.compiled.available`).

    Raises
    ------
    ModelError
        ``backend`` is unknown, or "cuda" cannot be honoured (one line saying why).
    """
    if backend not in BACKENDS:
        raise ModelError(f"unknown backend {backend!r}; expected one of {', '.join(BACKENDS)}")
    if backend == "torch":
        return "torch"
    if backend == "compiled" or (backend == "auto" and not on_cuda):  # on the CPU "auto" imports no GPU library
        if compiled_runs is None:
            compiled_runs = compiled.available()
        if compiled_runs:
            return "compiled"
        if backend == "compiled":
            raise ModelError("backend 'compiled' needs CPU float32 / float64 tensors and the compiled extension "
                             "automata_probe.models._crec, which is not built here (reinstall with a C compiler, "
                             "or unset AUTOMATA_PROBE_PURE_PYTHON)")
        return "torch"
    library = "mamba-ssm" if arch == "mamba2" else "flash-linear-attention (fla)"
    why = None
    if arch == "mamba2" and negative_eigenvalues:
        why = "mamba_ssm's SSD kernel cannot run negative eigenvalues (its decay is exp(dt A)); use backend 'torch'"
    elif not on_cuda:
        why = f"backend 'cuda' needs CUDA tensors (a GPU) and {library}: {_INSTALL}"
    else:
        if kernel_imports is None:
            kernel_imports = (_mamba_ssm_ssd() if arch == "mamba2" else _fla_ops()) is not None
        if not kernel_imports:
            why = f"backend 'cuda' needs {library}, which does not import here: {_INSTALL}"
    if why is None:
        return "kernel"
    if backend == "cuda":
        raise ModelError(why)
    return "torch"


def fla_delta_rule(q: Tensor, k: Tensor, v: Tensor, beta: Tensor, g: Tensor | None = None,
                   h0: Tensor | None = None, *, states: bool = False) -> tuple[Tensor, Tensor]:
    """The gated delta rule by fla's chunked kernel; arguments and results as :func:`.linear_rnn.delta_rule_chunked`.

    q is already scaled and q, k normalized (scale 1, no l2norm in the
    kernel); beta may exceed 1 (negative eigenvalues). ``states`` is not
    offered by the kernel.
    """
    if states:
        raise ModelError("fla's kernel returns the last state only; every step's state needs backend 'torch'")
    ops = _fla_ops()
    if ops is None:
        raise ModelError(f"fla does not import here: {_INSTALL}")
    t = lambda x: x.transpose(1, 2).contiguous()  # noqa: E731  (B, H, L, *) -> fla's (B, L, H, *)
    if g is None:
        o, h = ops["delta"](t(q), t(k), t(v), t(beta), scale=1.0, initial_state=h0, output_final_state=True)
    else:
        o, h = ops["gated"](t(q), t(k), t(v), t(g), t(beta), scale=1.0, initial_state=h0, output_final_state=True)
    return o.transpose(1, 2), h  # (B, H, L, V), (B, H, K, V)


def mamba_ssm_ssd(x: Tensor, dt: Tensor, A: Tensor, B: Tensor, C: Tensor, h0: Tensor, *,
                  chunk: int = 64) -> tuple[Tensor, Tensor]:
    """Mamba-2's SSD by mamba_ssm's kernel: y (B, L, H, P) without the D skip, and the last state (B, H, P, N).

    x (B, L, H, P), dt (B, L, H) after softplus, A (H,) = -exp(A_log),
    B and C (B, L, N) (one group), h0 (B, H, P, N).
    """
    ssd = _mamba_ssm_ssd()
    if ssd is None:
        raise ModelError(f"mamba_ssm does not import here: {_INSTALL}")
    y, last = ssd(x.contiguous(), dt.contiguous(), A, B[:, :, None].contiguous(), C[:, :, None].contiguous(),
                  chunk, initial_states=h0, return_final_states=True)
    return y, last
