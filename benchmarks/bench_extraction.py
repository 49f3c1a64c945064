"""Probe-based extraction against one probing run, on the same model in the same process.

    python benchmarks/bench_extraction.py runs/demo-tomita4/model.pt [--threads 1] [--repeats 1]

The issue that asked for it: probe-based extraction took 82-220 s on 3-8 state
languages, where one probing run (``automata-probe probe`` with its defaults:
three seeds, the untrained-model and control-task controls) is the natural
peer. Prints, for each, the wall time and the process CPU time (the machine
is shared, so CPU time is the steadier figure), and the ratio:

- ``probe run``: :func:`automata_probe.probing.probe.probe_model` with
  ``ProbeConfig()``;
- ``probe method``: the probe method alone (activations of the extraction
  words at every site, a linear probe per site, the table);
- ``extract --method probe``: everything the command does: the model
  scored against the truth (every word up to length 14, then sampled bins),
  the probe method, and the extracted automaton scored against the model
  and compared with the truth.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

import torch  # noqa: E402

from automata_probe.experiments.extraction import ExtractionConfig, extract_all  # noqa: E402
from automata_probe.models.checkpoint import load_checkpoint  # noqa: E402
from automata_probe.probing.config import ProbeConfig  # noqa: E402
from automata_probe.probing.probe import probe_model  # noqa: E402


def _timed(fn):  # noqa: ANN001, ANN202
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("checkpoint")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--repeats", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    ckpt = load_checkpoint(args.checkpoint)
    dfa = ckpt.dfa
    rows = []
    for _ in range(args.repeats):
        _, w_probe, c_probe = _timed(lambda: probe_model(ckpt, dfa, ProbeConfig()))
        report, w_ext, c_ext = _timed(lambda: extract_all(ckpt, None, ExtractionConfig(methods=("probe",))))
        rows.append((w_probe, c_probe, w_ext, c_ext, report.result("probe").seconds))
    w_probe, c_probe, w_ext, c_ext, method = min(rows, key=lambda r: r[1])
    r = report.result("probe")
    print(f"model: {args.checkpoint} ({ckpt.language_name}), torch threads {args.threads}")
    print(f"probe run (ProbeConfig(): 3 seeds, controls):  wall {w_probe:7.1f} s  cpu {c_probe:7.1f} s")
    print(f"probe method alone:                            wall {method:7.1f} s")
    print(f"extract --method probe (fidelity included):    wall {w_ext:7.1f} s  cpu {c_ext:7.1f} s")
    print(f"ratio extract / probe run:                     wall {w_ext / w_probe:.2f}x  cpu {c_ext / c_probe:.2f}x")
    print(f"ratio probe method / probe run:                wall {method / w_probe:.2f}x")
    print(f"extracted: {r.states} states; {r.verdict}")


if __name__ == "__main__":
    main()
