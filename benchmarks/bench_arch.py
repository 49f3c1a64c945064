"""Training throughput of Mamba-2, DeltaNet, Gated DeltaNet and DeltaProduct against per-step recurrences.

The sizes of bench_mamba.py: embedding -> 2 residual blocks (d_model 64) ->
norm -> linear head, cross-entropy on every position, one AdamW step per
iteration (timed on both sides), batch 64, sequence lengths 64 and 256. Heads
4 (head_dim 16; Mamba-2: d_state 16, expand 2, head_dim 32), DeltaProduct
with n_h = 2, negative eigenvalues where the architecture has them.

For each architecture the same model (same weights) runs with:

* ours, the chunked recurrence (``set_scan("chunked")``, the default);
* the peer: fla's own pure-PyTorch reference recurrences,
  ``naive_recurrent_gated_delta_rule`` (DeltaNet with g = 0, Gated DeltaNet)
  and ``naive_recurrent_gated_delta_product`` (DeltaProduct) from
  ``fla/ops/*/naive.py``, swapped into our layers, when fla's source is found
  (``--fla DIR``: an unpacked flash-linear-attention wheel; its naive files
  need only torch, einops is stubbed if absent since those functions do not
  use it); otherwise, and for Mamba-2 (fla has no naive Mamba-2 recurrence),
  our careful per-step loop (``set_scan("ref")``).

Also printed: the largest difference between our chunked outputs and the
peer's on the same batch (float32). Rounds interleave the implementations so
load from other processes falls on all alike; the median is reported with
the ratio ours / peer.

    python benchmarks/bench_arch.py [--steps 3] [--seqs 64 256] [--threads 2] [--fla /tmp/fla]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
import types
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from automata_probe.models import ModelConfig, build_model  # noqa: E402
from automata_probe.models import delta_net as _dn  # noqa: E402

BATCH, VOCAB, N_OUT = 64, 6, 5

CONFIGS = {
    "mamba2": dict(arch="mamba2", n_heads=4, d_state=16, negative_eigenvalues=True),
    "deltanet": dict(arch="deltanet", n_heads=4, negative_eigenvalues=True),
    "gated-deltanet": dict(arch="gated-deltanet", n_heads=4),
    "deltaproduct": dict(arch="deltaproduct", n_heads=4, householders=2, negative_eigenvalues=True),
}


def _load_naive(root: Path) -> dict[str, Callable] | None:
    """fla's naive recurrences from an unpacked wheel at ``root`` (None if absent)."""
    files = {"gdr": root / "fla/ops/gated_delta_rule/naive.py", "gdp": root / "fla/ops/gated_delta_product/naive.py"}
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
    return {"gdr": out["gdr"].naive_recurrent_gated_delta_rule, "gdp": out["gdp"].naive_recurrent_gated_delta_product}


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


def make_step(model: nn.Module, seq: int, seed: int = 0) -> Callable[[], float]:
    gen = torch.Generator().manual_seed(seed)
    tokens = torch.randint(0, VOCAB, (BATCH, seq), generator=gen)
    targets = torch.randint(0, N_OUT, (BATCH, seq), generator=gen)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)

    def step() -> float:
        t0 = time.perf_counter()
        logits = model(tokens)
        loss = F.cross_entropy(logits.reshape(-1, N_OUT), targets.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return time.perf_counter() - t0

    return step


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=3, help="timed rounds")
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--seqs", type=int, nargs="+", default=[64, 256])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--archs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    p.add_argument("--fla", type=Path, default=Path("/tmp/fla"), help="an unpacked flash-linear-attention wheel")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    naive = _load_naive(args.fla)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), batch {BATCH}, d_model 64, 2 layers; "
          f"step = forward + backward + AdamW; median of {args.steps} interleaved round(s); "
          f"fla naive recurrences: {'loaded from ' + str(args.fla) if naive else 'not found (peer: our per-step loop)'}")
    print(f"{'seq':>5} {'arch':<15} {'peer':<34} {'ours ms':>8} {'peer ms':>8} {'ours/peer':>9} {'max |diff|':>10}")
    original = _dn.delta_rule_ref
    for seq in args.seqs:
        for arch in args.archs:
            cfg = ModelConfig(vocab_size=VOCAB, n_outputs=N_OUT, d_model=64, n_layers=2, **CONFIGS[arch])
            ours, peer = build_model(cfg, seed=0), build_model(cfg, seed=0)
            use_fla = naive is not None and arch != "mamba2"
            if use_fla:
                label = "fla naive_recurrent_" + ("gated_delta_product" if arch == "deltaproduct" else "gated_delta_rule")
                op = _FlaNaiveOp(naive, cfg.householders)
            else:
                label = "ours, per-step loop (ref)"
                op = original
            peer.set_scan("ref")

            def run_peer(step: Callable[[], float], op=op) -> float:
                _dn.delta_rule_ref = op  # the "ref" path of DeltaMixer calls this name
                try:
                    return step()
                finally:
                    _dn.delta_rule_ref = original

            tokens = torch.randint(0, VOCAB, (4, seq), generator=torch.Generator().manual_seed(1))
            with torch.no_grad():
                _dn.delta_rule_ref = op
                try:
                    diff = float((ours(tokens) - peer(tokens)).abs().max())
                finally:
                    _dn.delta_rule_ref = original
            s_ours, s_peer = make_step(ours, seq), make_step(peer, seq)
            times: dict[str, list[float]] = {"ours": [], "peer": []}
            for _ in range(args.warmup):
                s_ours()
                run_peer(s_peer)
            for _ in range(args.steps):
                times["ours"].append(s_ours())
                times["peer"].append(run_peer(s_peer))
            t_o, t_p = statistics.median(times["ours"]), statistics.median(times["peer"])
            print(f"{seq:>5} {arch:<15} {label:<34} {t_o * 1e3:>8.1f} {t_p * 1e3:>8.1f} {t_p / t_o:>8.2f}x "
                  f"{diff:>10.2e}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
