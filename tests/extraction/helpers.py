"""Automata with known answers for the extraction tests: the Tomita grammars,
their true runs, and a fake causal "model" that runs a DFA."""

from __future__ import annotations

import numpy as np

from automata_probe.automata.dfa import DFA

B = ("0", "1")


def tomita(n: int) -> DFA:
    """The seven Tomita grammars over {0, 1}, minimal."""
    tables = {
        1: ({"a": {"1": "a"}}, "a", ["a"]),  # 1*
        2: ({"a": {"1": "b"}, "b": {"0": "a"}}, "a", ["a"]),  # (10)*
        3: (  # no odd run of 1s followed by an odd run of 0s
            {
                "s0": {"0": "s0", "1": "s1"},
                "s1": {"0": "s3", "1": "s2"},
                "s2": {"0": "s0", "1": "s1"},
                "s3": {"0": "s4"},
                "s4": {"0": "s3", "1": "s1"},
            },
            "s0",
            ["s0", "s1", "s2", "s4"],
        ),
        4: ({"a": {"0": "b", "1": "a"}, "b": {"0": "c", "1": "a"}, "c": {"1": "a"}}, "a", ["a", "b", "c"]),
        5: (  # even number of 0s and of 1s
            {"ee": {"0": "oe", "1": "eo"}, "oe": {"0": "ee", "1": "oo"}, "eo": {"0": "oo", "1": "ee"},
             "oo": {"0": "eo", "1": "oe"}},
            "ee",
            ["ee"],
        ),
        6: ({"0": {"0": "1", "1": "2"}, "1": {"0": "2", "1": "0"}, "2": {"0": "0", "1": "1"}}, "0", ["0"]),
        7: (  # 0*1*0*1*
            {"p0": {"0": "p0", "1": "p1"}, "p1": {"0": "p2", "1": "p1"}, "p2": {"0": "p2", "1": "p3"},
             "p3": {"1": "p3"}},
            "p0",
            ["p0", "p1", "p2", "p3"],
        ),
    }
    trans, start, accept = tables[n]
    return DFA.from_table(alphabet=B, transitions=trans, start=start, accept=accept, name=f"tomita{n}").minimize()


def random_words(rng: np.random.Generator, n: int, max_len: int, alphabet: tuple[str, ...] = B) -> list[tuple[str, ...]]:
    lengths = rng.integers(0, max_len + 1, size=n)
    return [tuple(alphabet[i] for i in rng.integers(0, len(alphabet), size=L)) for L in lengths]


def true_runs(dfa: DFA, words: list) -> tuple[list[np.ndarray], list[np.ndarray]]:
    states = [np.asarray(dfa.run(w)) for w in words]
    return states, [dfa.accept_mask[s] for s in states]


def dfa_module(dfa: DFA, noise: float = 0.1, seed: int = 0):  # noqa: ANN201 - a torch module
    """A fake causal "model" that runs a DFA: the known answer for extraction.

    ``forward`` gives ``(B, T, k + 1)`` as a perfect next-task model would:
    letter bits +1/-1 (the letter keeps the word alive) and an end bit +1/-1
    (the prefix is accepted); PAD positions get garbage (+5)
    so reading past a word's end would be caught. ``forward_sites`` also
    returns a "hidden state" per position: a fixed random point per DFA state
    plus noise (site ``layers.0.resid``) and the one-hot token (``embed``).
    """
    import torch

    class DFAModule(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            rng = np.random.default_rng(seed)
            self.centres = rng.normal(size=(dfa.n_states, 8)) * 2.0
            self.rng = rng

        def _run(self, tok: np.ndarray) -> np.ndarray:
            states = np.full(tok.shape, -1)  # (B, T), -1 on PAD
            q = np.full(tok.shape[0], dfa.start)
            for t in range(tok.shape[1]):
                q = np.where(tok[:, t] >= 2, dfa.table[q, np.maximum(tok[:, t] - 2, 0)], q)
                states[:, t] = np.where(tok[:, t] == 0, -1, q)
            return states

        def site_names(self) -> list[str]:
            return ["embed", "layers.0.resid"]

        def forward_sites(self, tokens, sites=None):  # noqa: ANN001, ANN201
            import types

            tok = tokens.numpy()
            states = self._run(tok)
            out = np.zeros(states.shape + (dfa.n_letters + 1,), dtype=np.float32)  # (B, T, k+1)
            out[..., -1] = np.where(states < 0, 5.0, np.where(dfa.accept_mask[states], 1.0, -1.0))
            live_next = dfa.live_mask[dfa.table][np.maximum(states, 0)]  # (B, T, k)
            out[..., :-1] = np.where(live_next, 1.0, -1.0)
            hidden = self.centres[np.maximum(states, 0)] + noise * self.rng.normal(size=states.shape + (8,))
            acts = {
                "embed": torch.from_numpy(np.eye(dfa.n_letters + 2)[tok]),
                "layers.0.resid": torch.from_numpy(hidden),
            }
            wanted = self.site_names() if sites is None else list(sites)
            return types.SimpleNamespace(outputs=torch.from_numpy(out), sites={k: acts[k] for k in wanted})

        def forward(self, tokens):  # noqa: ANN001, ANN201
            return self.forward_sites(tokens, ()).outputs

    return DFAModule()


class Tok:
    PAD, BOS = 0, 1

    def __init__(self, alphabet: tuple[str, ...]) -> None:
        self.alphabet = alphabet

    def encode(self, word) -> np.ndarray:  # noqa: ANN001
        return np.array([1] + [2 + self.alphabet.index(a) for a in word], dtype=np.int64)


def first_equals_last(name: str = "first_last") -> DFA:
    """Words over {0, 1} whose last letter equals the first (the empty word too): the
    state must remember the first letter, as in the issue's 8-state star-free language."""
    trans = {"s": {"0": "f0l0", "1": "f1l1"}}
    for f in "01":
        for last in "01":
            trans[f"f{f}l{last}"] = {a: f"f{f}l{a}" for a in "01"}
    return DFA.from_table(alphabet=B, transitions=trans, start="s", accept=["s", "f0l0", "f1l1"], name=name)


def forgetful(truth_len: int = 40) -> DFA:
    """A "model" of :func:`first_equals_last` with a planted error at long words: right up
    to length ``truth_len``; beyond, it has forgotten the first letter and accepts
    exactly the words ending in 0 (so it errs on every longer word that starts with 1)."""
    cap = truth_len + 1
    states = [("s",)] + [(n, f, last) for n in range(1, cap + 1) for f in "01" for last in "01"]
    index = {s: i for i, s in enumerate(states)}
    rows = []
    for s in states:
        if s == ("s",):
            rows.append(tuple(index[(1, a, a)] for a in B))
        else:
            n, f, _ = s
            rows.append(tuple(index[(min(n + 1, cap), f, a)] for a in B))
    accept = {index[("s",)]} | {index[s] for s in states[1:] if (s[0] < cap and s[1] == s[2])
                                or (s[0] == cap and s[2] == "0")}
    return DFA(alphabet=B, transitions=tuple(rows), start=0, accepting=frozenset(accept),
               name=f"forgetful{truth_len}").minimize()
