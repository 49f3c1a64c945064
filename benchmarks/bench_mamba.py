"""Training throughput of our Mamba against mambapy (pure PyTorch, parallel scan).

Same model on both sides: embedding -> 2 Mamba residual blocks (d_model 64,
d_state 16, expand 2, d_conv 4) -> RMSNorm -> linear head, cross-entropy on
every position, one AdamW step per iteration (included in the timing on both
sides). Batch 64, sequence lengths 64 and 256, ``torch.set_num_threads(2)``.
Both sides start from the same weights (ours copied into mambapy's blocks).

Rows: mambapy with ``pscan=True`` (its default), ours with the default chunked
scan, the same with the scan capped at one thread (``set_scan("chunked",
threads=1)``, the setting for a machine whose cores are busy with other work),
ours with the careful autograd loop (``scan="loop"``), and ours with the
readable reference scan (``scan="ref"``: one timed step, no warmup, at the
shortest length only unless ``--ref-all``; it is slow). The timed steps run
in rounds, one step of each implementation per round, so load from other
processes falls on all of them alike. Tokens/s counts batch * seq tokens per
step; the median over the rounds is reported, with the ratio ours / mambapy.

On a shared machine, several threads per process hurt: every multithreaded
op waits until all threads of its pool are scheduled. ``--threads 1`` then
shows the work each implementation does.

    python benchmarks/bench_mamba.py [--steps 3] [--warmup 1] [--threads 2] [--no-ref | --ref-all]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import _timing  # noqa: E402

from automata_probe.models import ModelConfig, build_model  # noqa: E402

VOCAB, N_OUT, BATCH = 8, 8, 64


class MambapyLM(nn.Module):
    """mambapy's Mamba stack wrapped with the same embedding, final norm and head as ours."""

    def __init__(self, ours: nn.Module, pscan: bool):
        super().__init__()
        from mambapy.mamba import Mamba, MambaConfig, RMSNorm

        cfg = ours.config
        self.embedding = nn.Embedding(cfg.padded_vocab_size, cfg.d_model)
        self.mamba = Mamba(MambaConfig(d_model=cfg.d_model, n_layers=cfg.n_layers, d_state=cfg.d_state,
                                       expand_factor=cfg.expand, d_conv=cfg.d_conv, pscan=pscan))
        self.norm_f = RMSNorm(cfg.d_model)
        self.head = nn.Linear(cfg.d_model, cfg.n_outputs)
        sd = ours.state_dict()
        self.embedding.load_state_dict({"weight": sd["backbone.embedding.weight"]})
        self.mamba.load_state_dict({k[len("backbone."):]: v for k, v in sd.items()
                                    if k.startswith("backbone.layers.")}, strict=True)
        self.norm_f.load_state_dict({"weight": sd["backbone.norm_f.weight"]})
        self.head.load_state_dict({"weight": sd["head.weight"], "bias": sd["head.bias"]})

    def forward(self, tokens):
        return self.head(self.norm_f(self.mamba(self.embedding(tokens))))


def make_step(model: nn.Module, seq: int, seed: int = 0) -> Callable[[], None]:
    """One forward + backward + AdamW step of ``model`` at this benchmark's sizes."""
    return _timing.make_step(model, seq, batch=BATCH, vocab=VOCAB, n_out=N_OUT, seed=seed)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    _timing.add_arguments(p, threads=2, steps_help="timed rounds (the reference scan: 1 step)")
    p.add_argument("--no-ref", action="store_true", help="skip the (slow) reference scan")
    p.add_argument("--ref-all", action="store_true", help="time the reference scan at every length")
    args = p.parse_args(argv)

    torch.set_num_threads(args.threads)
    cfg = ModelConfig(arch="mamba", vocab_size=VOCAB, n_outputs=N_OUT, d_model=64, n_layers=2, d_state=16)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), batch {BATCH}, d_model 64, 2 layers, "
          f"d_state 16; step = forward + backward + AdamW; median of {args.steps} interleaved round(s)")
    print(f"{'seq':>5} {'implementation':<28} {'ms/step':>9} {'tokens/s':>10} {'vs mambapy':>10}")
    for seq in args.seqs:
        steps: dict[str, Callable[[], None]] = {"mambapy (pscan=True)": make_step(MambapyLM(build_model(cfg, seed=0),
                                                                                         pscan=True), seq)}
        for scan, threads, label in (("chunked", None, "ours, chunked scan (default)"),
                                     ("chunked", 1, "ours, chunked, scan threads=1"),
                                     ("loop", None, "ours, careful loop")):
            model = build_model(cfg, seed=0)
            model.set_scan(scan, threads=threads)
            steps[label] = make_step(model, seq)
        timings = {label: t.wall for label, t in _timing.interleaved(steps, rounds=args.steps,
                                                                     warmup=args.warmup).items()}
        if not args.no_ref and (seq == min(args.seqs) or args.ref_all):
            model = build_model(cfg, seed=0)
            model.set_scan("ref")
            timings["ours, reference scan"] = _timing.timed(make_step(model, seq))[0]
        t_peer = timings["mambapy (pscan=True)"]
        for label, t in timings.items():
            print(f"{seq:>5} {label:<28} {t * 1e3:>9.1f} {BATCH * seq / t:>10,.0f} {t_peer / t:>9.2f}x", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
