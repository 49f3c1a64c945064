"""One factor at a time: what moves D12's and Tomita 3's strict accuracy (Sarrof et al. 2024).

Trains one 1-layer Mamba per run on the release's data (``--protocol``), with
the release's loss and batch 32, and writes a learning curve (strict accuracy
on a fixed subsample of each evaluation split every ``--eval-every`` steps)
and a final row (the full splits) to ``--out``. The published figure of the
same depth is printed beside ours. Factors, each one flag:

``--protocol``  release | uniform | release-words | release-target | shipped
``--scale``     fraction of the release's training set (1.0 = 10k words)
``--epochs``    passes over it (the release: 100 for D12 and Tomita 3)
``--d-model``, ``--lr``, ``--layers``  the grid cell and the depth
``--norm``      layer (mamba_ssm's MixerModel default, as the release built it) | rms

Run one at a time with one thread (the machine is shared)::

    OMP_NUM_THREADS=1 python benchmarks/sarrof_ablation.py --language d12 --epochs 8 --out runs.csv
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from automata_probe.automata import load_language
from automata_probe.data import pad_words
from automata_probe.experiments.fixed_data import FitConfig, fit, strict_accuracy
from automata_probe.experiments.protocols import Split, language_data
from automata_probe.experiments.published import published_cell
from automata_probe.models import ModelConfig, build_model


def subsample(split: Split, n: int, seed: int = 0) -> Split:
    """The first ``n`` words of ``split`` in a seeded order (the curve's cheap score)."""
    if split.n <= n:
        return split
    rows = np.sort(np.random.default_rng([seed, 0xC0]).choice(split.n, n, replace=False))
    return replace(split, words=tuple(split.words[i] for i in rows), tokens=split.tokens[rows],
                   targets=split.targets[rows], mask=split.mask[rows])


def _errors_by_state(model: torch.nn.Module, split: Split, language: str) -> dict[str, float]:
    """Error rate (%) of the positions in each DFA state (D_n: each depth, ``d``) that has errors."""
    dfa = load_language(language).dfa
    idx, _ = pad_words([dfa.encode(w) for w in split.words])
    states = dfa.run_indices(idx)  # (N, Lmax + 1): state after each prefix
    prefix = "q"
    if language[0] == "d" and language[1:].isdigit():  # D_n: the depth, #a - #b
        steps = np.where(idx == dfa.alphabet.index("a"), 1, -1) * (np.arange(idx.shape[1]) < _lengths(split))
        states, prefix = np.concatenate([np.zeros((len(idx), 1), int), np.cumsum(steps, axis=1)], axis=1), "d"
    wrong: dict[int, list[int]] = {}
    for i in range(0, split.n, 128):
        pred = model(torch.from_numpy(split.tokens[i:i + 128])).argmax(-1).numpy()  # (B, T)
        for row in range(len(pred)):
            m = split.mask[i + row]
            t = np.nonzero(m)[0]
            q = states[i + row, t]
            bad = pred[row, t] != split.targets[i + row, t]
            for state, b in zip(q.tolist(), bad.tolist()):
                wrong.setdefault(state, [0, 0])[0] += b
                wrong[state][1] += 1
    return {f"err_{prefix}{q}": round(100 * w / n, 2) for q, (w, n) in sorted(wrong.items()) if w}


def _lengths(split: Split) -> np.ndarray:
    return np.array([len(w) for w in split.words])[:, None]  # (N, 1)


@torch.no_grad()
def class_recall(model: torch.nn.Module, split: Split, class_names: tuple[str, ...], loss: str,
                 language: str | None = None) -> dict[str, float]:
    """Per target class, the fraction of its positions predicted right (classes targets only),
    and the fraction of wrong words whose first error sits at that class."""
    if loss != "mse" and loss != "ce":
        return {}
    model.eval()
    out: dict[str, list[int]] = {c: [0, 0, 0] for c in class_names}  # right, total, first errors
    for i in range(0, split.n, 128):
        tokens = torch.from_numpy(split.tokens[i:i + 128])
        targets, mask = split.targets[i:i + 128], split.mask[i:i + 128]
        pred = model(tokens).argmax(-1).numpy()  # (B, T)
        for row in range(len(tokens)):
            m = mask[row]
            t, q = targets[row][m], pred[row][m]
            for c in np.unique(t):
                sel = t == c
                out[class_names[c]][0] += int((q[sel] == c).sum())
                out[class_names[c]][1] += int(sel.sum())
            wrong = np.nonzero(q != t)[0]
            if len(wrong):
                out[class_names[t[wrong[0]]]][2] += 1
    errors = max(sum(v[2] for v in out.values()), 1)
    by_state = _errors_by_state(model, split, language) if language else {}
    return {**by_state, **{f"recall_{c}": round(100 * v[0] / max(v[1], 1), 3) for c, v in out.items()},
            **{f"first_error_{c}": round(100 * v[2] / errors, 1) for c, v in out.items()}}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--language", default="d12")
    p.add_argument("--protocol", default="release")
    p.add_argument("--release-dir", default=None, help="the release's checkout (for --protocol shipped)")
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--max-steps", type=int, default=None)
    p.add_argument("--d-model", type=int, default=16)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--layers", type=int, default=1)
    p.add_argument("--norm", choices=("layer", "rms"), default="layer")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--eval-every", type=int, default=313)
    p.add_argument("--eval-words", type=int, default=400)
    p.add_argument("--cross", action="store_true", help="also score on the other sampler's words (x- splits)")
    p.add_argument("--label", default="")
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    torch.set_num_threads(1)

    t0 = time.process_time()
    data = language_data(a.language, a.protocol, a.seed, scale=a.scale, release_dir=a.release_dir, cross=a.cross)
    model = build_model(ModelConfig(arch="mamba", vocab_size=data.vocab_size, n_outputs=data.n_outputs,
                                    d_model=a.d_model, n_layers=a.layers, rms_norm=a.norm == "rms"), seed=a.seed)
    small = [subsample(s, a.eval_words) for s in data.evals]
    config = FitConfig(epochs=a.epochs, batch_size=32, lr=a.lr, weight_decay=0.1, loss=data.protocol.loss,
                       seed=a.seed, eval_every=a.eval_every, max_steps=a.max_steps, threads=1)
    steps_per_epoch = -(-data.train.n // 32)

    def show(entry: dict) -> None:
        accs = "  ".join(f"{s.name} {100 * entry[s.name]:5.1f}" for s in small)
        print(f"  step {entry['step']:6d} (epoch {entry['step'] / steps_per_epoch:5.2f}) loss {entry['loss']:.5f}  {accs}",
              flush=True)

    result = fit(model, data.train, small, config, on_eval=show)
    final = {s.name: strict_accuracy(model, s, loss=data.protocol.loss) for s in data.evals}
    recall = {s.name: class_recall(model, s, data.class_names, data.protocol.loss, a.language) for s in data.evals}
    cpu = time.process_time() - t0
    paper = published_cell(a.language, f"mamba{a.layers}")
    settings = {k: getattr(a, k) for k in ("language", "protocol", "scale", "epochs", "d_model", "lr", "layers",
                                           "norm", "seed")}
    label = a.label or " ".join(f"{k}={v}" for k, v in settings.items() if k not in ("language",))
    print(f"{a.language} [{label}] n_train {data.train.n}, {result.steps} steps, cpu {cpu:.0f} s")
    for s in data.evals:
        print(f"  {s.name:16s} {s.lo}-{s.hi} ({s.n} words): strict {100 * final[s.name][0]:6.2f}  "
              f"token {100 * final[s.name][1]:6.2f}")
    print(f"  published mamba{a.layers}: {paper}")
    if paper:  # ours / published, bin 1 and the longer bin (ours; the release's longer bin is the same here)
        ours = (final["train"][0], final.get("longer", final.get("longer-release", (float("nan"),)))[0])
        print("  ours / published: " + " / ".join(f"{100 * o / p:.2f}" if p else "-" for o, p in zip(ours, paper)))
    for name, r in recall.items():
        if r:
            print(f"  {name:16s} per class: {r}")
    out = Path(a.out)
    new = not out.exists()
    with out.open("a", newline="") as f:
        w = csv.writer(f)
        if new:
            w.writerow(["label", "settings", "kind", "step", "epoch", "split", "bin", "strict", "token", "loss",
                        "cpu_s", "paper"])
        for entry in result.history:
            for s in small:
                w.writerow([label, json.dumps(settings), "curve", entry["step"], round(entry["step"] / steps_per_epoch, 3),
                            s.name, f"{s.lo}-{s.hi}", round(100 * entry[s.name], 2),
                            round(100 * entry[f"{s.name}_token"], 2), round(entry["loss"], 6), "", ""])
        for s in data.evals:
            w.writerow([label, json.dumps(settings), "final", result.steps, round(result.epochs, 3), s.name,
                        f"{s.lo}-{s.hi}", round(100 * final[s.name][0], 2), round(100 * final[s.name][1], 2),
                        round(result.final_loss, 6), round(cpu, 1), json.dumps(paper)])
    if any(recall.values()):
        with out.with_suffix(".recall.jsonl").open("a") as f:
            for name, r in recall.items():
                f.write(json.dumps({"label": label, "split": name, **r}) + "\n")




#: The release's budget for D12 and Tomita 3: 100 epochs of 10,000 words at batch 32.
RELEASE_STEPS = 100 * 313


def plot(csv_path: str, png: str, splits: tuple[str, ...] = ("train", "longer")) -> None:
    """Strict accuracy against optimizer steps, one panel per split, one line per run (label)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in csv.DictReader(open(csv_path)) if r["kind"] == "curve"]
    labels = list(dict.fromkeys(r["label"] for r in rows))
    cols = min(len(splits), 2)
    rows_ = -(-len(splits) // cols)
    fig, axes = plt.subplots(rows_, cols, figsize=(6.5 * cols, 4.2 * rows_), sharey=True, squeeze=False)
    axes = axes.ravel()
    paper = {}
    for r in csv.DictReader(open(csv_path)):
        if r["kind"] == "final" and r["paper"] not in ("", "null"):
            paper[r["label"]] = json.loads(r["paper"])
    for ax, split in zip(axes, splits):
        for label in labels:
            pts = [(float(r["step"]), float(r["strict"])) for r in rows if r["label"] == label and r["split"] == split]
            if pts:
                x, y = zip(*pts)
                ax.plot(x, y, marker=".", label=label)
        published = {tuple(v) for v in paper.values()}
        for v in published if not split.startswith("x-") else ():  # the sheet scores the release's words
            ax.axhline(v[0 if split == "train" else 1], color="k", ls="--", lw=0.8)
        ax.axvline(RELEASE_STEPS, color="grey", ls=":", lw=1)
        ax.set_xscale("log")
        ax.set_title(f"{Path(csv_path).stem}: {split} bin (dashed: published; dotted: the release's budget)",
                     fontsize=9)
        ax.set_xlabel("optimizer steps (batch 32)")
        ax.set_ylabel("strict accuracy (%)")
        ax.set_ylim(-2, 102)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(png, dpi=110)


def table(csv_path: str) -> None:
    """The final rows: one line per run, strict accuracy per split, CPU seconds."""
    rows = [r for r in csv.DictReader(open(csv_path)) if r["kind"] == "final"]
    splits = list(dict.fromkeys(r["split"] for r in rows))
    print("| run | steps | " + " | ".join(splits) + " | cpu s | published |")
    print("|---" * (len(splits) + 4) + "|")
    for label in dict.fromkeys(r["label"] for r in rows):
        rs = {r["split"]: r for r in rows if r["label"] == label}
        first = next(iter(rs.values()))
        cells = [rs[s]["strict"] if s in rs else "" for s in splits]
        paper = json.loads(first["paper"]) if first["paper"] not in ("", "null") else ""
        print(f"| {label} | {first['step']} | " + " | ".join(cells) + f" | {first['cpu_s']} | "
              f"{' / '.join(str(v) for v in paper) if paper else ''} |")


def _hashable(targets: np.ndarray) -> list:
    """Class ids, or multi-hot rows as tuples."""
    return [tuple(x) for x in targets.tolist()] if targets.ndim == 2 else targets.tolist()


def run_memory_baseline(language: str, protocol: str, ks: tuple[int, ...] = (1, 2, 4, 8, 16, 32)) -> list[dict]:
    """A control without a model: predict, at every position, the training set's majority class
    given the current letter and the length of the current run of that letter, exactly
    while the run is shorter than ``k`` and as "k or longer" (parity unknown) beyond.
    Strict accuracy of that predictor on each split tells how much of a figure
    finite memory of the current run already earns."""
    data = language_data(language, protocol, 0)

    def keys(split: Split, k: int) -> list[list[tuple]]:
        out = []
        for w in split.words:
            run, row = 0, []
            for i, ch in enumerate(w):
                run = run + 1 if i and w[i - 1] == ch else 1
                row.append((ch, run if run < k else -k, run % 2 if run < k else -1))
            out.append(row)
        return out

    rows = []
    for k in ks:
        counts: dict[tuple, dict[int, int]] = {}
        for row, ks_ in enumerate(keys(data.train, k)):
            t = _hashable(data.train.targets[row][data.train.mask[row]])
            for key, c in zip(ks_, t):
                counts.setdefault(key, {}).setdefault(c, 0)
                counts[key][c] += 1
        majority = {key: max(v, key=v.get) for key, v in counts.items()}
        entry = {"language": language, "protocol": protocol, "k": k}
        for split in data.evals:
            right = 0
            for row, ks_ in enumerate(keys(split, k)):
                t = _hashable(split.targets[row][split.mask[row]])
                right += all(majority.get(key, -1) == c for key, c in zip(ks_, t))
            entry[split.name] = round(100 * right / split.n, 2)
        rows.append(entry)
    return rows


if __name__ == "__main__":
    import sys

    if len(sys.argv) > 1 and sys.argv[1] == "plot":  # plot CSV PNG [SPLIT ...]
        plot(sys.argv[2], sys.argv[3], tuple(sys.argv[4:]) or ("train", "longer"))
    elif len(sys.argv) > 1 and sys.argv[1] == "table":  # table CSV
        table(sys.argv[2])
    elif len(sys.argv) > 1 and sys.argv[1] == "baseline":  # baseline LANGUAGE PROTOCOL
        for entry in run_memory_baseline(sys.argv[2], sys.argv[3]):
            print(json.dumps(entry))
    else:
        main()
