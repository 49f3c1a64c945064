"""Training throughput of Mamba-2, DeltaNet, Gated DeltaNet and DeltaProduct against per-step recurrences.

The sizes of bench_mamba.py: embedding -> 2 residual blocks (d_model 64) ->
norm -> linear head, cross-entropy on every position, one AdamW step per
iteration (timed on both sides), batch 64, sequence lengths 64 and 256. Heads
4 (head_dim 16; Mamba-2: d_state 16, expand 2, head_dim 32), DeltaProduct
with n_h = 2, negative eigenvalues where the architecture has them.

For each architecture the same model (same weights) runs with:

* ours, the default backend: on the CPU the compiled recurrence
  (``automata_probe/models/_crec.c``, AVX2 where the CPU has it) when the
  extension is built, else the chunked PyTorch path; the chunked PyTorch
  path (``set_backend("torch")``) is timed beside it (column 'torch');
* the peer: fla's own pure-PyTorch reference recurrences,
  ``naive_recurrent_gated_delta_rule`` (DeltaNet with g = 0, Gated DeltaNet)
  and ``naive_recurrent_gated_delta_product`` (DeltaProduct) from
  ``fla/ops/*/naive.py``, swapped into our layers, when fla's source is found
  (``--fla DIR``: an unpacked flash-linear-attention wheel; its naive files
  need only torch, einops is stubbed if absent since those functions do not
  use it); otherwise, and for Mamba-2 (fla has no naive Mamba-2 recurrence),
  our careful per-step loop (``set_scan("ref")``).

Columns: CPU milliseconds per step (this process's user + sys: load from
other processes inflates it far less than the wall clock), the whole-step
ratio peer / ours from CPU time and from wall time (the issue's criterion is
the whole step), the same ratio for the chunked PyTorch path, the ratio for one layer's recurrence alone (forward +
backward at the layer's shapes, random inputs and dense random upstream
gradients), the bound (the peer's step
over the step of the same model with a recurrence that costs nothing: the
best whole-step ratio any recurrence could reach, since embedding,
projections, convolutions, norms, head and AdamW cost the same on both
sides), and the largest difference between our outputs and the peer's on the
same batch (float32). Rounds interleave the implementations so load from
other processes falls on all alike; medians are reported. The timing loop is
benchmarks/_timing.py, shared with bench_mamba.py.

    python benchmarks/bench_arch.py [--steps 3] [--seqs 64 256] [--threads 1] [--fla /tmp/fla]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import sys
import types
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _timing  # noqa: E402

from automata_probe.models import ModelConfig, build_model, compiled  # noqa: E402
from automata_probe.models import delta_net as _dn  # noqa: E402
from automata_probe.models import mamba2 as _m2  # noqa: E402
from automata_probe.models.linear_rnn import expand_householders  # noqa: E402


def make_step(model, seq: int, seed: int = 0) -> Callable[[], None]:
    """One forward + backward + AdamW step of ``model`` at this benchmark's sizes."""
    return _timing.make_step(model, seq, batch=BATCH, vocab=VOCAB, n_out=N_OUT, seed=seed)

BATCH, VOCAB, N_OUT = 64, 6, 5

CONFIGS = {
    "mamba2": dict(arch="mamba2", n_heads=4, d_state=16, negative_eigenvalues=True),
    "mamba2-pos": dict(arch="mamba2", n_heads=4, d_state=16),  # Mamba-2's own decay in (0, 1): fla's simple GLA
    "deltanet": dict(arch="deltanet", n_heads=4, negative_eigenvalues=True),
    "gated-deltanet": dict(arch="gated-deltanet", n_heads=4),
    "deltaproduct": dict(arch="deltaproduct", n_heads=4, householders=2, negative_eigenvalues=True),
}


def _load_naive(root: Path) -> dict[str, Callable] | None:
    """fla's naive recurrences from an unpacked wheel at ``root`` (None if absent)."""
    files = {"gdr": root / "fla/ops/gated_delta_rule/naive.py", "gdp": root / "fla/ops/gated_delta_product/naive.py",
             "sgla": root / "fla/ops/simple_gla/naive.py"}
    if not all(f.exists() for f in files.values()):
        return None
    if importlib.util.find_spec("einops") is None:  # imported at the top of naive.py, unused by these functions
        stub = types.ModuleType("einops")
        stub.rearrange = lambda *a, **k: (_ for _ in ()).throw(RuntimeError("einops stub"))  # type: ignore[attr-defined]
        sys.modules["einops"] = stub
    out = {}
    for key, path in files.items():
        spec = importlib.util.spec_from_file_location(f"fla_naive_{key}", path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)  # type: ignore[union-attr]
        out[key] = mod
    return {"gdr": out["gdr"].naive_recurrent_gated_delta_rule, "gdp": out["gdp"].naive_recurrent_gated_delta_product,
            "sgla": out["sgla"].naive_recurrent_simple_gla}


class _FlaSimpleGLAOp:
    """Our (B, H, T, *) scalar-decay recurrence (Mamba-2's SSD, decay a in (0, 1)) routed to fla's naive simple GLA,
    which takes the log decay g = log a in its (B, T, H, *) layout."""

    def __init__(self, naive: dict[str, Callable]):
        self.naive = naive

    def __call__(self, q, k, v, a, h0=None, states=False, **_):
        assert not states
        t = lambda x: x.transpose(1, 2)  # noqa: E731
        o, h = self.naive["sgla"](t(q), t(k), t(v), t(a.log()), scale=1.0, initial_state=h0, output_final_state=True)
        return o.transpose(1, 2), h


class _FlaNaiveOp:
    """Our (B, H, T, K) delta-rule call routed to fla's naive recurrence ((B, T, H, K) layout, its own q scale)."""

    def __init__(self, naive: dict[str, Callable], n_h: int):
        self.naive, self.n_h = naive, n_h

    def __call__(self, q, k, v, beta, g, h0, states=False):
        assert not states
        n = self.n_h
        if n > 1:  # undo expand_householders: q at the last sub-step, g at the first
            q, g = q[:, :, n - 1 :: n], (g[:, :, ::n] if g is not None else None)
        t = lambda x: x.transpose(1, 2)  # noqa: E731
        if n > 1:
            o, h = self.naive["gdp"](t(q), t(k), t(v), None if g is None else t(g), t(beta), scale=1.0,
                                     initial_state=h0, output_final_state=True, num_householder=n)
            o = o.transpose(1, 2).repeat_interleave(n, 2)  # the caller keeps every n-th step
        else:
            gg = torch.zeros_like(beta) if g is None else g
            o, h = self.naive["gdr"](t(q), t(k), t(v), t(beta), t(gg), scale=1.0, initial_state=h0,
                                     output_final_state=True)
            o = o.transpose(1, 2)
        return o, h


@contextlib.contextmanager
def swapped(module: types.ModuleType, name: str, fn: Callable):
    """``module.name`` replaced by ``fn`` for the duration (the mixers look their recurrence up at call time)."""
    original = getattr(module, name)
    setattr(module, name, fn)
    try:
        yield
    finally:
        setattr(module, name, original)


def _no_delta_rule(q, k, v, beta, g=None, h0=None, states=False, **_):
    """The floor: a recurrence costing nothing (o from q, k, v, beta, g elementwise, same shapes, same graph reach)."""
    o = v * beta[..., None] + (q * k).sum(-1, keepdim=True)
    return (o if g is None else o + g[..., None]), _state(h0, q, v)


def _no_ssd(q, k, v, a, h0=None, log_a=None, states=False, **_):
    return v * a[..., None] + (q * k).sum(-1, keepdim=True), _state(h0, q, v)


def _state(h0, q, v):
    """The state a free recurrence hands back: ``h0``, or zeros (B, H, K, V) (the layers pass None for zeros)."""
    return h0 if h0 is not None else v.new_zeros(*q.shape[:2], q.shape[-1], v.shape[-1])


def recurrence_inputs(arch: str, cfg: ModelConfig, seq: int) -> tuple[Tensor, ...]:
    """Inputs of one layer's recurrence at the benchmark's shapes (B, H, L, *), requiring gradients."""
    gen = torch.Generator().manual_seed(2)
    h, n_h = cfg.n_heads, cfg.householders
    if cfg.arch == "mamba2":
        n, p = cfg.d_state, int(cfg.head_dim)
        q, k = torch.randn(BATCH, 1, seq, n, generator=gen), torch.randn(BATCH, 1, seq, n, generator=gen)
        v = 0.1 * torch.randn(BATCH, h, seq, p, generator=gen)
        a = torch.rand(BATCH, h, seq, generator=gen).clamp(min=0.01)  # Mamba-2's decay in (0, 1)
        a = 2 * a - 1 if cfg.negative_eigenvalues else a  # negative eigenvalues: a in (-1, 1)
        xs = [q, k, v, a]
    else:
        dk = int(cfg.head_dim)
        q = torch.randn(BATCH, h, seq, dk, generator=gen) * dk ** -0.5
        k = F.normalize(torch.randn(BATCH, h, seq * n_h, dk, generator=gen), dim=-1)
        v = torch.randn(BATCH, h, seq * n_h, dk, generator=gen)
        beta = (2 if cfg.negative_eigenvalues else 1) * torch.rand(BATCH, h, seq * n_h, generator=gen)
        g = -F.softplus(torch.randn(BATCH, h, seq, generator=gen)) if arch != "deltanet" else None
        xs = [q, k, v, beta] + ([g] if g is not None else [])
    for x in xs:
        x.requires_grad_(True)
    return tuple(xs)


def recurrence_call(arch: str, cfg: ModelConfig, op: Callable, xs: tuple[Tensor, ...]) -> Callable[[], None]:
    """Forward + backward of one layer's recurrence ``op`` on ``xs``, as the mixer calls it.

    The upstream gradients are dense random tensors, as the layer's output side
    hands back (``o.sum()`` would send a broadcast one, which sends batched
    products down per-matrix paths no training step takes).
    """
    gen = torch.Generator().manual_seed(3)
    if cfg.arch == "mamba2":
        q, k, v, a = xs
        h0 = v.new_zeros(BATCH, cfg.n_heads, q.shape[-1], v.shape[-1])
        grads = (torch.randn(v.shape, generator=gen), torch.randn(h0.shape, generator=gen))

        def run() -> None:
            o, last = op(q.expand(-1, cfg.n_heads, -1, -1), k.expand(-1, cfg.n_heads, -1, -1), v, a, h0)
            torch.autograd.backward([o, last], grads)
        return run
    n_h = cfg.householders
    q, k, v, beta = xs[:4]
    g = xs[4] if len(xs) > 4 else None
    h0 = v.new_zeros(BATCH, cfg.n_heads, k.shape[-1], v.shape[-1])
    grads = (torch.randn(*q.shape[:3], v.shape[-1], generator=gen), torch.randn(h0.shape, generator=gen))

    def run() -> None:
        qe, ke, ve, be, ge = expand_householders(q, k, v, beta, g, n_h)
        o, last = op(qe, ke, ve, be, ge, h0)
        torch.autograd.backward([o[:, :, n_h - 1 :: n_h], last], grads)
    return run


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    _timing.add_arguments(p, threads=1)
    p.add_argument("--archs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    p.add_argument("--fla", type=Path, default=Path("/tmp/fla"), help="an unpacked flash-linear-attention wheel")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    naive = _load_naive(args.fla)
    native = compiled._module()
    ours_path = ("compiled C recurrence" + (" (AVX2 + FMA)" if native.avx2() else " (generic C)")
                 if compiled.available() else "chunked PyTorch (the compiled extension is off or not built)")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), batch {BATCH}, d_model 64, 2 layers; "
          f"step = forward + backward + AdamW; median of {args.steps} interleaved round(s); load average "
          f"{_timing.load_average()} at start; fla naive recurrences: "
          f"{'loaded from ' + str(args.fla) if naive else 'not found (peer: our per-step loop)'}; ours: {ours_path}")
    print("ratios are peer / ours (higher: ours faster), from CPU time (this process's user + sys) and wall time; "
          "'torch': peer / ours with the chunked PyTorch recurrence (backend 'torch'); "
          "'rec' times one layer's recurrence alone (fwd + bwd); 'bound' = peer step / step with a free recurrence")
    print(f"{'seq':>5} {'arch':<15} {'peer':<38} {'ours ms':>8} {'peer ms':>8} {'step cpu':>8} {'step wall':>9} "
          f"{'torch':>7} {'rec cpu':>8} {'bound':>6} {'max |diff|':>10}")
    for seq in args.seqs:
        for arch in args.archs:
            cfg = ModelConfig(vocab_size=VOCAB, n_outputs=N_OUT, d_model=64, n_layers=2, **CONFIGS[arch])
            ours, peer, floor = build_model(cfg, seed=0), build_model(cfg, seed=0), build_model(cfg, seed=0)
            chunked = build_model(cfg, seed=0)
            peer.set_scan("ref")
            chunked.set_backend("torch")
            floor.set_backend("torch")  # the free recurrence is swapped in for the chunked one
            if cfg.arch == "mamba2":
                label, where, name, op, ours_op, free = ("ours, per-step loop (ref)", _m2, "ssd_ref", _m2.ssd_ref,
                                                         _m2.ssd_compiled if compiled.available() else _m2.ssd_chunked,
                                                         _no_ssd)
                chunked_name = "ssd_chunked"
                if naive is not None and not cfg.negative_eigenvalues:  # fla has no recurrence for a < 0
                    label, op = "fla naive_recurrent_simple_gla", _FlaSimpleGLAOp(naive)
            else:
                where, name, free, chunked_name = _dn, "delta_rule_ref", _no_delta_rule, "delta_rule_chunked"
                ours_op = _dn.delta_rule_compiled if compiled.available() else _dn.delta_rule_chunked
                if naive is not None:
                    label = "fla naive_recurrent_" + ("gated_delta_product" if arch == "deltaproduct"
                                                      else "gated_delta_rule")
                    op = _FlaNaiveOp(naive, cfg.householders)
                else:
                    label, op = "ours, per-step loop (ref)", _dn.delta_rule_ref
            tokens = torch.randint(0, VOCAB, (4, seq), generator=torch.Generator().manual_seed(1))
            with torch.no_grad(), swapped(where, name, op):
                diff = float((ours(tokens) - peer(tokens)).abs().max())
            s_ours, s_peer, s_floor = make_step(ours, seq), make_step(peer, seq), make_step(floor, seq)
            s_chunked = make_step(chunked, seq)

            def run_peer(step=s_peer, op=op, where=where, name=name) -> None:
                with swapped(where, name, op):
                    step()

            def run_floor(step=s_floor, where=where, name=chunked_name, free=free) -> None:
                with swapped(where, name, free):
                    step()

            xs = recurrence_inputs(arch, cfg, seq)
            t = _timing.interleaved({"ours": s_ours, "peer": run_peer, "floor": run_floor, "torch": s_chunked,
                                     "rec ours": recurrence_call(arch, cfg, ours_op, xs),
                                     "rec peer": recurrence_call(arch, cfg, op, xs)},
                                    rounds=args.steps, warmup=args.warmup)
            print(f"{seq:>5} {arch:<15} {label:<38} {t['ours'].cpu * 1e3:>8.1f} {t['peer'].cpu * 1e3:>8.1f} "
                  f"{t['peer'].cpu / t['ours'].cpu:>7.2f}x {t['peer'].wall / t['ours'].wall:>8.2f}x "
                  f"{t['peer'].cpu / t['torch'].cpu:>6.2f}x {t['rec peer'].cpu / t['rec ours'].cpu:>7.2f}x {t['peer'].cpu / t['floor'].cpu:>5.1f}x "
                  f"{diff:>10.2e}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
