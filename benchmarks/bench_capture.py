"""Overhead of capturing activations over a plain forward pass.

    python benchmarks/bench_capture.py [--arch mamba] [--batch 64] [--length 100] [--repeats 5]

Prints the median time of a plain ``model(tokens)`` (no grad, eval mode) and of
the same call inside :func:`automata_probe.probing.activations.capture` for three site
sets, with the ratio to the plain forward (goal: <= 1.25x):

- ``resid``: embed, every layer's output, final (free to keep: views of
  tensors the forward computes);
- ``all``: every site, for Mamba including ``layers.{i}.ssm_state``: the
  plain forward keeps only one chunk of states in a reused buffer, while
  capturing them has the same chunked scan write every h_t into one
  ``(L, B, N, ED)`` tensor (``selective_scan_chunked_states``), 32x the width
  of the residual stream; the extra cost is writing that memory once;
- ``collect``: :func:`collect_from_indices` for every site on the same words
  (capture plus masking and copying real positions into numpy), against a
  plain forward over the same words in the same batches.

Like the CLI, the benchmark backs large tensors with transparent huge pages
(:func:`automata_probe.cli.prefer_huge_pages`); run it with
``THP_MEM_ALLOC_ENABLE=0`` to see the cost of 4 KB pages.

Timings on a shared CPU are noisy: the calls run in interleaved rounds (one of
each per round) and the median of ``--repeats`` rounds is shown.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from automata_probe.cli import prefer_huge_pages  # noqa: E402

prefer_huge_pages()  # as the CLI does, before torch is imported; THP_MEM_ALLOC_ENABLE=0 turns it off

import numpy as np  # noqa: E402
import torch  # noqa: E402

from automata_probe.probing.activations import capture, collect_from_indices
from automata_probe.models import ModelConfig, build_model


def _median_times(fns: dict, repeats: int) -> dict[str, float]:
    """Median seconds per call of each function, timed in rounds (one call of each per round)
    so that load from other processes falls on all of them alike."""
    for fn in fns.values():
        fn()  # warm-up
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    return {name: statistics.median(ts) for name, ts in times.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--arch", default="mamba", choices=["mamba", "lstm", "transformer"])
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--length", type=int, default=100, help="letters per word (tokens = length + 1)")
    ap.add_argument("--d-model", type=int, default=64)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    model = build_model(
        ModelConfig(arch=args.arch, vocab_size=4, n_outputs=3, d_model=args.d_model, n_layers=args.layers), seed=0
    ).eval()
    rng = np.random.default_rng(0)
    indices = rng.integers(0, 2, size=(args.batch, args.length))
    tokens = torch.from_numpy(np.concatenate([np.ones((args.batch, 1), np.int64), indices + 2], axis=1))
    names = model.site_names()
    resid = [s for s in names if not s.endswith(("ssm_state", "cell"))]

    def plain() -> None:
        with torch.no_grad():
            model(tokens)

    def captured(sites):
        def fn() -> None:
            with torch.no_grad(), capture(model, sites=sites):
                model(tokens)

        return fn

    lengths = np.full(args.batch, args.length)

    def collect() -> None:
        collect_from_indices(model, indices, lengths, sites=names, batch_size=args.batch)

    fns = {"plain forward": plain, f"capture resid sites ({len(resid)})": captured(resid)}
    if len(resid) != len(names):
        fns[f"capture all sites ({len(names)})"] = captured(names)
    fns["collect_from_indices, all sites"] = collect
    medians = _median_times(fns, args.repeats)
    base = medians["plain forward"]
    import os

    print(f"{args.arch} d_model={args.d_model} layers={args.layers}, batch {args.batch} x {args.length + 1} tokens, "
          f"{torch.get_num_threads()} torch threads, median of {args.repeats} interleaved rounds, "
          f"THP_MEM_ALLOC_ENABLE={os.environ.get('THP_MEM_ALLOC_ENABLE', 'unset')}")
    for label, t in medians.items():
        print(f"{label:<40} {t * 1e3:9.1f} ms   {t / base:.2f}x")

if __name__ == "__main__":
    main()
