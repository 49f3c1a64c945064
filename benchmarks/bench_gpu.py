"""The GPU path: our Mamba against mamba_ssm's CUDA kernels, checked and timed.

    python benchmarks/bench_gpu.py [--lengths 64 256 1024] [--steps 20] [--json out.json]

Needs CUDA and mamba-ssm (``pip install 'automata-probe[gpu]'``). Three checks,
then a timing table:

1. **Our model, two scans, same weights.** ``set_backend("torch")`` (our chunked
   scan running on the GPU) against ``set_backend("cuda")`` (mamba_ssm's
   ``selective_scan_fn``): outputs and every parameter's gradient.
2. **An independent implementation.** mamba_ssm's own ``MambaLMHeadModel``
   (its blocks, norms and residual handling; ``use_fast_path=False`` because
   causal-conv1d is optional) with random weights, loaded into ours with
   :func:`load_mamba_ssm_state_dict`: the logits agree.
3. **GPU-trained weights on the CPU.** A few AdamW steps on the GPU with the
   CUDA kernel, then the weights in a CPU model: same outputs.

Timing: one training step (forward, backward, AdamW) of a 2-layer d_model-64
model at batch 64, tokens/s, median over rounds with one step of each
implementation per round: mamba_ssm's ``MambaLMHeadModel``, ours with
mamba_ssm's kernel, ours with our own scan on the GPU, and the ratio of each
to mamba_ssm. Prints everything; ``--json`` also writes it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from automata_probe.models import ModelConfig, build_model  # noqa: E402
from automata_probe.models.mamba import (  # noqa: E402
    config_from_mamba_ssm, load_mamba_ssm_state_dict, mamba_ssm_available,
)

VOCAB, BATCH = 8, 64


def _max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return (a.float() - b.float()).abs().max().item()


def _mamba_ssm_lm(d_model: int, n_layers: int, seed: int):
    from mamba_ssm.models.config_mamba import MambaConfig
    from mamba_ssm.models.mixer_seq_simple import MambaLMHeadModel

    cfg = MambaConfig(d_model=d_model, n_layer=n_layers, d_intermediate=0, vocab_size=VOCAB,
                      ssm_cfg={"layer": "Mamba1", "use_fast_path": False}, rms_norm=True, fused_add_norm=False,
                      residual_in_fp32=True, pad_vocab_size_multiple=8)
    torch.manual_seed(seed)
    return MambaLMHeadModel(cfg, device="cuda", dtype=torch.float32), cfg


def check_backends(d_model: int, n_layers: int) -> dict:
    cfg = ModelConfig(arch="mamba", vocab_size=VOCAB, n_outputs=VOCAB, d_model=d_model, n_layers=n_layers)
    model = build_model(cfg, seed=0).cuda()
    tokens = torch.randint(0, VOCAB, (8, 200), generator=torch.Generator().manual_seed(0)).cuda()
    out, grads = {}, {}
    for backend in ("torch", "cuda"):
        model.set_backend(backend)
        model.zero_grad()
        y = model(tokens)
        y.square().mean().backward()
        out[backend] = y.detach()
        grads[backend] = {k: p.grad.detach().clone() for k, p in model.named_parameters()}
    grad_rel = max(
        _max_diff(grads["cuda"][k], grads["torch"][k]) / max(grads["torch"][k].abs().max().item(), 1e-12)
        for k in grads["torch"]
    )
    return {"output_max_abs_diff": _max_diff(out["cuda"], out["torch"]), "grad_max_rel_diff": grad_rel}


def check_mamba_ssm_model(d_model: int, n_layers: int) -> dict:
    ref, ref_cfg = _mamba_ssm_lm(d_model, n_layers, seed=1)
    ref.eval()
    from dataclasses import asdict

    ours = build_model(config_from_mamba_ssm(asdict(ref_cfg)), seed=2).cuda().eval()
    ignored = load_mamba_ssm_state_dict(ours, ref.state_dict())
    tokens = torch.randint(0, VOCAB, (8, 200), generator=torch.Generator().manual_seed(1)).cuda()
    with torch.no_grad():
        want = ref(tokens).logits
        got_cuda = ours(tokens)
        ours.set_backend("torch")
        got_torch = ours(tokens)
    return {
        "ignored_keys": list(ignored),
        "logits_scale": want.abs().max().item(),
        "max_abs_diff_cuda_scan": _max_diff(got_cuda, want),
        "max_abs_diff_torch_scan": _max_diff(got_torch, want),
    }


def check_gpu_weights_on_cpu(d_model: int, n_layers: int) -> dict:
    cfg = ModelConfig(arch="mamba", vocab_size=VOCAB, n_outputs=VOCAB, d_model=d_model, n_layers=n_layers)
    model = build_model(cfg, seed=3).cuda()
    model.set_backend("cuda")
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    g = torch.Generator().manual_seed(3)
    for _ in range(20):
        tokens = torch.randint(0, VOCAB, (16, 100), generator=g).cuda()
        loss = F.cross_entropy(model(tokens[:, :-1]).reshape(-1, VOCAB), tokens[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    tokens = torch.randint(0, VOCAB, (8, 300), generator=g)
    with torch.no_grad():
        want = model(tokens.cuda()).cpu()
        cpu = build_model(cfg, seed=4)
        cpu.load_state_dict({k: v.cpu() for k, v in model.state_dict().items()})
        got = cpu(tokens)
    return {"max_abs_diff": _max_diff(got, want), "output_scale": want.abs().max().item()}


def _train_step(model, opt, tokens, logits_of):
    logits = logits_of(model, tokens)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tokens.roll(-1, 1).reshape(-1))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()


def time_training(lengths: list[int], rounds: int, warmup: int, d_model: int, n_layers: int) -> list[dict]:
    rows = []
    for length in lengths:
        ref, ref_cfg = _mamba_ssm_lm(d_model, n_layers, seed=0)
        from dataclasses import asdict

        ours_cuda = build_model(config_from_mamba_ssm(asdict(ref_cfg)), seed=0).cuda()
        load_mamba_ssm_state_dict(ours_cuda, ref.state_dict())
        ours_cuda.set_backend("cuda")
        ours_torch = build_model(config_from_mamba_ssm(asdict(ref_cfg)), seed=0).cuda()
        ours_torch.load_state_dict(ours_cuda.state_dict())
        ours_torch.set_backend("torch")
        impls = {
            "mamba_ssm MambaLMHeadModel": (ref, lambda m, t: m(t).logits),
            "ours, mamba_ssm kernel": (ours_cuda, lambda m, t: m(t)),
            "ours, our scan on the GPU": (ours_torch, lambda m, t: m(t)),
        }
        opts = {name: torch.optim.AdamW(m.parameters(), lr=1e-3) for name, (m, _) in impls.items()}
        tokens = torch.randint(0, VOCAB, (BATCH, length), generator=torch.Generator().manual_seed(0)).cuda()
        times: dict[str, list[float]] = {name: [] for name in impls}
        for r in range(warmup + rounds):
            for name, (m, logits_of) in impls.items():
                torch.cuda.synchronize()
                t0 = time.perf_counter()
                _train_step(m, opts[name], tokens, logits_of)
                torch.cuda.synchronize()
                if r >= warmup:
                    times[name].append(time.perf_counter() - t0)
        base = statistics.median(times["mamba_ssm MambaLMHeadModel"])
        for name in impls:
            t = statistics.median(times[name])
            rows.append({"length": length, "impl": name, "ms_per_step": 1000 * t,
                         "tokens_per_s": BATCH * length / t, "speed_vs_mamba_ssm": base / t})
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lengths", type=int, nargs="+", default=[64, 256, 1024])
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--d-model", type=int, default=64)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--json", metavar="PATH")
    args = ap.parse_args()
    if not mamba_ssm_available():
        print("error: needs CUDA and mamba-ssm (pip install 'automata-probe[gpu]')", file=sys.stderr)
        return 2
    torch.backends.cuda.matmul.allow_tf32 = False  # compare in true float32
    torch.backends.cudnn.allow_tf32 = False
    print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}")
    import mamba_ssm

    print(f"mamba_ssm {mamba_ssm.__version__}")
    result: dict = {"device": torch.cuda.get_device_name(), "torch": torch.__version__,
                    "mamba_ssm": mamba_ssm.__version__}
    result["backends"] = check_backends(args.d_model, args.layers)
    print("1. ours, torch scan vs mamba_ssm kernel, same weights:", result["backends"])
    try:
        result["mamba_ssm_model"] = check_mamba_ssm_model(args.d_model, args.layers)
        print("2. mamba_ssm MambaLMHeadModel weights loaded into ours:", result["mamba_ssm_model"])
    except ImportError as e:
        result["mamba_ssm_model"] = {"skipped": str(e)}
        print(f"2. skipped: mamba_ssm's model does not import here ({e})")
    result["gpu_weights_on_cpu"] = check_gpu_weights_on_cpu(args.d_model, args.layers)
    print("3. GPU-trained weights in a CPU model:", result["gpu_weights_on_cpu"])
    if "skipped" not in result["mamba_ssm_model"]:
        rows = time_training(args.lengths, args.rounds, args.warmup, args.d_model, args.layers)
        result["training"] = rows
        print(f"\ntraining step (fwd + bwd + AdamW), batch {BATCH}, {args.layers} layers, d_model {args.d_model}")
        print(f"{'length':>6}  {'implementation':<28} {'ms/step':>8} {'tokens/s':>11} {'vs mamba_ssm':>12}")
        for r in rows:
            print(f"{r['length']:>6}  {r['impl']:<28} {r['ms_per_step']:>8.2f} {r['tokens_per_s']:>11,.0f} "
                  f"{r['speed_vs_mamba_ssm']:>11.2f}x")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
