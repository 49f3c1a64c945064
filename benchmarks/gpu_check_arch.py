"""On a GPU: fla's and mamba_ssm's kernels against our PyTorch path, inside our Mamba-2 / DeltaNet-family models.

First the recurrence alone: fla's chunked kernel (models/kernels.py,
``fla_delta_rule``) against our ``delta_rule_chunked`` on random inputs with
beta in [0, 2], with and without decay, from a nonzero initial state:
relative errors (max |ours - kernel| / max |ours|) of the outputs, the last
state and the input gradients. Then whole models: for each architecture
(DeltaNet with and without negative eigenvalues, Gated DeltaNet,
DeltaProduct n_h = 2, and 3 with a forget gate, Mamba-2), one model on CUDA
runs with ``set_backend("cuda")`` (the kernel) and ``set_backend("torch")``
(our chunked path): relative errors of the outputs and of every parameter's
gradient, and the time of one forward + backward each way. Mamba-2 with
negative eigenvalues has no kernel and is reported as skipped. TF32 is off.
Exit status 0 when every relative error is below --tol (default 1e-3: both
compute in float32 but accumulate in different orders), 1 otherwise, 2
without CUDA or the libraries.

    pip install 'automata-probe[gpu]'     # mamba-ssm, causal-conv1d, flash-linear-attention
    python benchmarks/gpu_check_arch.py [--seq 256] [--batch 16] [--tol 1e-3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from automata_probe.errors import ModelError  # noqa: E402
from automata_probe.models import ModelConfig, build_model, fla_available, mamba2_kernel_available  # noqa: E402
from automata_probe.models.kernels import fla_delta_rule  # noqa: E402
from automata_probe.models.linear_rnn import delta_rule_chunked  # noqa: E402

CASES = {
    "deltanet": dict(arch="deltanet"),
    "deltanet-neg": dict(arch="deltanet", negative_eigenvalues=True),
    "gated-deltanet": dict(arch="gated-deltanet"),
    "deltaproduct-2": dict(arch="deltaproduct", householders=2, negative_eigenvalues=True),
    "deltaproduct-3-gate": dict(arch="deltaproduct", householders=3, forget_gate=True, negative_eigenvalues=True),
    "mamba2": dict(arch="mamba2", d_state=16),
    "mamba2-neg": dict(arch="mamba2", d_state=16, negative_eigenvalues=True),
}


def rel(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max() / a.abs().max().clamp(min=1e-12))


def run_model(model, tokens, targets) -> tuple[torch.Tensor, dict[str, torch.Tensor], float]:
    """Outputs, gradients and seconds of one forward + backward."""
    model.zero_grad(set_to_none=True)
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    out = model(tokens)
    F.cross_entropy(out.flatten(0, 1), targets.flatten()).backward()
    torch.cuda.synchronize()
    dt = time.perf_counter() - t0
    return out.detach(), {n: p.grad.detach().clone() for n, p in model.named_parameters() if p.grad is not None}, dt


def check_recurrence(batch: int, seq: int) -> float:
    """fla's kernel against delta_rule_chunked on random inputs (outputs, last state, input gradients)."""
    gen = torch.Generator(device="cuda").manual_seed(0)
    shape = (batch, 4, seq, 32)
    q = torch.randn(shape, device="cuda", generator=gen) * 32 ** -0.5
    k = F.normalize(torch.randn(shape, device="cuda", generator=gen), dim=-1)
    v = torch.randn(shape, device="cuda", generator=gen)
    beta = 2 * torch.rand(shape[:3], device="cuda", generator=gen)
    g = -F.softplus(torch.randn(shape[:3], device="cuda", generator=gen))
    h0 = torch.randn(batch, 4, 32, 32, device="cuda", generator=gen) * 0.1
    worst = 0.0
    for gate in (None, g):
        results = []
        for op in (delta_rule_chunked, fla_delta_rule):
            xs = [t.clone().requires_grad_(True) for t in (q, k, v, beta)]
            o, h = op(*xs, gate, h0)
            (o.square().sum() + h.square().sum()).backward()
            results.append([o.detach(), h.detach()] + [x.grad for x in xs])
        errs = [rel(a, b) for a, b in zip(*results)]
        print(f"  recurrence {'gated' if gate is not None else 'plain'} delta rule, fla vs ours: "
              + ", ".join(f"{n} {e:.1e}" for n, e in zip(("o", "h", "dq", "dk", "dv", "dbeta"), errs)))
        worst = max(worst, *errs)
    return worst


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seq", type=int, default=256)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--tol", type=float, default=1e-3)
    args = p.parse_args(argv)
    if not torch.cuda.is_available():
        print("gpu_check_arch: no CUDA device here; run it on a GPU machine", file=sys.stderr)
        return 2
    if not (fla_available() or mamba2_kernel_available()):
        print("gpu_check_arch: neither fla nor mamba_ssm imports: pip install 'automata-probe[gpu]'", file=sys.stderr)
        return 2
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    print(f"torch {torch.__version__}, {torch.cuda.get_device_name()}, batch {args.batch}, seq {args.seq}, "
          f"fla {'yes' if fla_available() else 'no'}, mamba_ssm SSD {'yes' if mamba2_kernel_available() else 'no'}")
    worst = check_recurrence(args.batch, args.seq) if fla_available() else 0.0
    for name, fields in CASES.items():
        cfg = ModelConfig(vocab_size=6, n_outputs=5, d_model=128, n_layers=2, n_heads=4, **fields)
        model = build_model(cfg, seed=0).cuda()
        try:
            model.set_backend("cuda")
        except ModelError as e:
            print(f"{name:<20} skipped: {e}")
            continue
        gen = torch.Generator().manual_seed(1)
        tokens = torch.randint(0, 6, (args.batch, args.seq), generator=gen).cuda()
        targets = torch.randint(0, 5, (args.batch, args.seq), generator=gen).cuda()
        run_model(model, tokens, targets)  # warm up the kernels' autotuning
        out_k, grads_k, t_k = run_model(model, tokens, targets)
        model.set_backend("torch")
        run_model(model, tokens, targets)
        out_t, grads_t, t_t = run_model(model, tokens, targets)
        e_out = rel(out_t, out_k)
        e_grad = max(rel(grads_t[n], grads_k[n]) for n in grads_t)
        worst_param = max(grads_t, key=lambda n: rel(grads_t[n], grads_k[n]))
        worst = max(worst, e_out, e_grad)
        print(f"{name:<20} outputs {e_out:.1e}  gradients {e_grad:.1e} (worst: {worst_param})  "
              f"step ms: ours {t_t * 1e3:.1f}, kernel {t_k * 1e3:.1f}")
    verdict = "agree" if worst < args.tol else "DISAGREE"
    print(f"largest relative error {worst:.1e}: kernels and ours {verdict} (tolerance {args.tol:g})")
    return 0 if worst < args.tol else 1


if __name__ == "__main__":
    raise SystemExit(main())
