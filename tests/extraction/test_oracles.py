"""Tests for automata_probe.extraction: every algorithm on known automata first.

The oracles and "hidden states" here come from DFAs whose answer is known:
true runs (probe-based), noisy one-hot embeddings of true states (clustering),
and a DFA answering membership queries (L*, KV).
"""

from __future__ import annotations

import sys
import tomllib

import numpy as np
import pytest

from automata_probe.automata.dfa import DFA, are_equivalent
from automata_probe.errors import AlphabetError, AutomataProbeError, DataError
from automata_probe.extraction import (
    DFAOracle,
    LearningBudget,
    ModelOracle,
    acceptance_from_outputs,
    dfa_from_aalpy,
    estimate_table,
    extract_by_clustering,
    extract_from_probe,
    learn_dfa,
)
from automata_probe.automata.files import language_toml, write_language_file

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


@pytest.fixture
def tomita4() -> DFA:
    return tomita(4)


def random_words(rng: np.random.Generator, n: int, max_len: int, alphabet: tuple[str, ...] = B) -> list[tuple[str, ...]]:
    lengths = rng.integers(0, max_len + 1, size=n)
    return [tuple(alphabet[i] for i in rng.integers(0, len(alphabet), size=L)) for L in lengths]


def true_runs(dfa: DFA, words: list) -> tuple[list[np.ndarray], list[np.ndarray]]:
    states = [np.asarray(dfa.run(w)) for w in words]
    return states, [dfa.accept_mask[s] for s in states]


# ------------------------------------------------------------------ oracles
def test_dfa_oracle_answers_and_counts(tomita4: DFA) -> None:
    o = DFAOracle(tomita4)
    got = o.accepts_batch([(), ("0", "0", "0"), "0010", ("1",)])
    assert got.tolist() == [True, False, True, True]
    assert o.n_queries == 4
    (acc,) = o.prefix_acceptance(["1000"])
    assert acc.tolist() == [True, True, True, True, False]  # L + 1 = 5 prefixes


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


def test_model_oracle_reads_the_last_real_position_and_caches_prefixes(tomita4: DFA) -> None:
    pytest.importorskip("torch")
    model = dfa_module(tomita4)
    o = ModelOracle(model, Tok(B), "next", batch_size=2)
    words = [(), ("0", "0", "0"), ("0", "0", "1", "0", "0"), ("1",), ("0", "0", "0", "1")]
    assert o.accepts_batch(words).tolist() == [tomita4.accepts(w) for w in words]
    # () , 000 and 1 are prefixes of nothing else run... only maximal words run
    assert o.n_forward_words == 3  # 00100, 0001 and 1 (000 and () are prefixes of 0001)
    before = o.n_forward_words
    assert o.accepts_batch([("0", "0"), ("0", "0", "1", "0")]).tolist() == [True, True]
    assert o.n_forward_words == before  # answered from the prefix cache


def test_acceptance_from_outputs_per_task(tomita4: DFA) -> None:
    # next: end bit on at both positions, but letter "0" was predicted impossible at position 0
    nxt = np.array([[-1.0, 9.0, 2.0], [0.0, 0.0, 2.0]])  # (L+1, k+1) for the word "0"
    assert acceptance_from_outputs(nxt, np.array([0]), "next").tolist() == [True, False]
    assert acceptance_from_outputs(nxt, np.array([1]), "next").tolist() == [True, True]
    nxt_end_off = np.array([[9.0, 9.0, -2.0], [9.0, 9.0, 2.0]])
    assert acceptance_from_outputs(nxt_end_off, np.array([0]), "next").tolist() == [False, True]
    mem = np.array([[0.5], [-0.5]])
    assert acceptance_from_outputs(mem, np.array([1]), "member").tolist() == [True, False]
    state = np.eye(4)[[3, 2]]  # predicted states dead, q2
    assert acceptance_from_outputs(state, np.array([0]), "state", tomita4).tolist() == [False, True]
    with pytest.raises(DataError, match="training DFA"):
        acceptance_from_outputs(state, np.array([0]), "state")
    with pytest.raises(DataError, match="a word of 2 letters"):
        acceptance_from_outputs(mem, np.array([0, 1]), "member")


def test_next_task_acceptance_needs_the_letter_bits(tomita4: DFA) -> None:
    """A next-task model whose end bit is always on still rejects 000 through its letter bits."""
    pytest.importorskip("torch")
    import torch

    live_next = tomita4.live_mask[tomita4.table]  # (n, k): letter keeps the word alive

    class EndAlwaysOn(torch.nn.Module):
        def forward(self, tokens):  # noqa: ANN001, ANN201
            tok = tokens.numpy()
            q = np.full(tok.shape[0], tomita4.start)
            out = np.zeros(tok.shape + (3,), dtype=np.float32)  # (B, T, k+1)
            for t in range(tok.shape[1]):
                q = np.where(tok[:, t] >= 2, tomita4.table[q, np.maximum(tok[:, t] - 2, 0)], q)
                out[:, t, :2] = np.where(live_next[q], 1.0, -1.0)
                out[:, t, 2] = 1.0  # the end bit never learnt to switch off
            return torch.from_numpy(out)

    o = ModelOracle(EndAlwaysOn(), Tok(B), "next")
    words = [(), ("0", "0"), ("0", "0", "0"), ("1", "0", "0", "0", "1")]
    assert o.accepts_batch(words).tolist() == [True, True, False, False]


# ------------------------------------------------------------ probe-based
def test_true_runs_give_back_exactly_the_truth(tomita4: DFA) -> None:
    words = random_words(np.random.default_rng(0), 200, 10)
    states, acc = true_runs(tomita4, words)
    got = extract_from_probe(states, words, acc, B)
    assert got == tomita4  # minimal and canonical: equal as objects
    est = estimate_table(states, words, acc, B)
    assert est.transition_consistency == 1.0 and est.acceptance_consistency == 1.0


def test_arbitrary_label_values_are_fine(tomita4: DFA) -> None:
    words = random_words(np.random.default_rng(1), 150, 8)
    states, acc = true_runs(tomita4, words)
    relabelled = [s * 10 + 7 for s in states]  # labels 7, 17, 27, 37
    assert extract_from_probe(relabelled, words, acc, B) == tomita4


@pytest.mark.parametrize("n", [3, 5, 7])
def test_majority_outvotes_a_few_wrong_labels(n: int) -> None:
    truth = tomita(n)
    rng = np.random.default_rng(n)
    words = random_words(rng, 400, 12)
    states, acc = true_runs(truth, words)
    noisy_states, noisy_acc = [], []
    for s, a in zip(states, acc):
        s = s.copy()
        a = a.copy()
        flip = rng.random(len(s)) < 0.03
        s[flip] = rng.integers(0, truth.n_states, size=int(flip.sum()))
        a[rng.random(len(a)) < 0.03] ^= True
        noisy_states.append(s)
        noisy_acc.append(a)
    est = estimate_table(noisy_states, words, noisy_acc, B)
    assert est.transition_consistency < 1.0  # the noise is there...
    assert extract_from_probe(noisy_states, words, noisy_acc, B) == truth  # ...and outvoted


def test_unobserved_transitions_go_to_a_dead_state() -> None:
    words = ["", "1", "11", "111"]
    states = [np.zeros(len(w) + 1, dtype=int) for w in words]
    acc = [np.ones(len(w) + 1, dtype=bool) for w in words]
    est = estimate_table(states, words, acc, B)
    assert est.unobserved == 1  # (state 0, letter 0) never seen
    got = extract_from_probe(states, words, acc, B)
    assert are_equivalent(got, tomita(1))
    assert got.n_states == 2 and got.dead is not None


def test_misaligned_labels_name_the_word(tomita4: DFA) -> None:
    words = ["01", "0"]
    states = [np.array([0, 1, 0]), np.array([0])]  # second word needs 2 labels
    acc = [np.ones(3, bool), np.ones(1, bool)]
    with pytest.raises(DataError, match="word 1 has 1 letters, so 2 positions"):
        extract_from_probe(states, words, acc, B)
    with pytest.raises(AlphabetError, match="word 0 has letter '2'"):
        extract_from_probe([np.array([0, 1])], ["2"], [np.ones(2, bool)], B)


# -------------------------------------------------------------- clustering
def synthetic_hidden(dfa: DFA, words: list, rng: np.random.Generator, noise: float = 0.15) -> list[np.ndarray]:
    """Noisy embeddings of the true states: one random point per state plus noise."""
    centres = rng.normal(size=(dfa.n_states, 12)) * 2.0
    return [centres[dfa.run(w)] + noise * rng.normal(size=(len(w) + 1, 12)) for w in words]


@pytest.mark.parametrize("n", [4, 5, 7])
def test_clustering_recovers_the_dfa_from_noisy_state_embeddings(n: int) -> None:
    truth = tomita(n)
    rng = np.random.default_rng(10 + n)
    words = random_words(rng, 200, 10)
    hidden = synthetic_hidden(truth, words, rng)
    _, acc = true_runs(truth, words)
    res = extract_by_clustering(hidden, words, acc, B, k_range=range(2, 9), seed=0)
    assert res.met_threshold
    assert res.k == truth.n_states  # fewer clusters merge states and break consistency
    assert res.dfa == truth
    assert [d.k for d in res.diagnostics] == list(range(2, truth.n_states + 1))
    assert all(min(d.transition_consistency, d.acceptance_consistency) < 0.99 for d in res.diagnostics[:-1])


def test_clustering_is_seeded(tomita4: DFA) -> None:
    rng = np.random.default_rng(3)
    words = random_words(rng, 100, 8)
    hidden = synthetic_hidden(tomita4, words, rng, noise=1.0)  # hard: clusters overlap
    _, acc = true_runs(tomita4, words)
    a = extract_by_clustering(hidden, words, acc, B, k_range=range(2, 7), seed=5, max_points=300)
    b = extract_by_clustering(hidden, words, acc, B, k_range=range(2, 7), seed=5, max_points=300)
    assert a == b


def test_clustering_without_a_consistent_k_says_so(tomita4: DFA) -> None:
    rng = np.random.default_rng(4)
    words = random_words(rng, 100, 8)
    hidden = [rng.normal(size=(len(w) + 1, 4)) for w in words]  # no structure at all
    _, acc = true_runs(tomita4, words)
    res = extract_by_clustering(hidden, words, acc, B, k_range=range(2, 5), seed=0)
    assert not res.met_threshold
    assert len(res.diagnostics) == 3 and res.k in (2, 3, 4)


# --------------------------------------------------------- active learning
@pytest.mark.parametrize("algorithm", ["lstar", "kv"])
@pytest.mark.parametrize("n", range(1, 8))
def test_active_learning_recovers_every_tomita_grammar(n: int, algorithm: str) -> None:
    pytest.importorskip("aalpy")
    truth = tomita(n)
    oracle = DFAOracle(truth)
    res = learn_dfa(oracle, algorithm=algorithm, seed=0, budget=LearningBudget(walks_per_state=50))
    assert res.converged
    assert res.dfa == truth  # minimal, canonical: equal as objects
    assert res.membership_queries > 0 and res.rounds >= 1


def test_active_learning_gets_the_empty_word_right() -> None:
    """Tomita 2 accepts the empty word; AALpy's own TomitaSUL gets that wrong."""
    pytest.importorskip("aalpy")
    res = learn_dfa(DFAOracle(tomita(2)), algorithm="lstar", seed=1)
    assert res.dfa.accepts(()) and res.dfa.accepts("1010") and not res.dfa.accepts("10100")


def test_active_learning_stops_at_the_state_budget() -> None:
    pytest.importorskip("aalpy")
    # count of 0s mod 12: 12 states, more than the budget allows
    mod12 = DFA(alphabet=B, transitions=tuple(((q + 1) % 12, q) for q in range(12)), start=0, accepting={0})
    res = learn_dfa(DFAOracle(mod12), algorithm="kv", budget=LearningBudget(max_states=3), seed=0)
    assert not res.converged  # the budget stopped it: nobody checked the 12-state hypothesis
    assert res.dfa.n_states > 3 and res.rounds <= 3


def test_missing_aalpy_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tomita4: DFA) -> None:
    monkeypatch.setitem(sys.modules, "aalpy", None)  # import aalpy -> ImportError
    with pytest.raises(AutomataProbeError, match=r"install automata-probe\[learn\]"):
        learn_dfa(DFAOracle(tomita4))


def test_dfa_from_aalpy_completes_a_partial_automaton() -> None:
    aalpy = pytest.importorskip("aalpy")
    from aalpy.automata import Dfa, DfaState

    s0, s1 = DfaState("s0", is_accepting=True), DfaState("s1", is_accepting=False)
    s0.transitions = {"1": s1}
    s1.transitions = {"0": s0}
    got = dfa_from_aalpy(Dfa(s0, [s0, s1]), B)
    assert got == tomita(2) and aalpy is not None


# ---------------------------------------------------------- language files
def test_language_toml_reads_back_to_the_same_dfa(tomita4: DFA, tmp_path) -> None:  # noqa: ANN001
    path = write_language_file(tmp_path / "t4.toml", tomita4, name="t4-extracted", source="test")
    data = tomllib.loads(path.read_text())
    assert data["name"] == "t4-extracted" and data["alphabet"] == ["0", "1"]
    assert data["expect"]["min_states"] == 4
    assert data["dfa"]["transitions"]["dead"] == {"0": "dead", "1": "dead"}
    back = DFA.from_table(
        alphabet=data["alphabet"],
        transitions=data["dfa"]["transitions"],
        start=data["dfa"]["start"],
        accept=data["dfa"]["accept"],
    ).minimize()
    assert back == tomita4


def test_language_toml_quotes_odd_letters() -> None:
    d = DFA(alphabet=("push(", 'say"hi"', "é"), transitions=((0, 0, 0),), start=0, accepting={0})
    data = tomllib.loads(language_toml(d, name="odd"))
    assert data["alphabet"] == ["push(", 'say"hi"', "é"]
    assert data["dfa"]["transitions"]["q0"]['say"hi"'] == "q0"


def test_language_file_loads_back_with_load_language(tmp_path) -> None:  # noqa: ANN001
    from automata_probe.automata import load_language

    t3 = tomita(3)
    path = write_language_file(
        tmp_path / "ext.toml", t3, name="ext", expect={"accepts": ["", "110"]},
        experiment={"train_lengths": [1, 50], "test_bins": [[51, 60]]},
    )
    lang = load_language(str(path))
    assert lang.name == "ext" and lang.alphabet == B
    assert lang.dfa == t3
    assert lang.expect["min_states"] == t3.n_states
    assert lang.experiment.train_lengths == (1, 50)


# ----------------------------------------------------- all methods, end to end
def test_extract_all_on_a_model_that_is_a_dfa() -> None:
    pytest.importorskip("torch")
    from automata_probe.data import Tokenizer
    from automata_probe.extraction import extract_all

    truth = tomita(4)
    model = dfa_module(truth)
    report = extract_all(
        model, truth, tokenizer=Tokenizer(alphabet=B), task="next", max_length=8, n_words=150,
        word_max_length=12, k_range=range(2, 8), budget=LearningBudget(walks_per_state=30, walk_length=12),
    )
    assert [r.method for r in report.results] == ["probe", "cluster", "lstar", "kv"]
    for r in report.results:
        assert r.equivalent, r.method
        assert r.comparison.mapping.is_bijection
    assert report.result("probe").details["site"] == "layers.0.resid"  # embed cannot tell q0 from q1
    # the model's letter bits mark the dead prefixes, so only the 3 live states are clustered
    assert report.result("cluster").details["k"] == truth.n_states - 1
    assert report.model.counterexample is None
    assert report.to_dict()["results"][0]["comparison"]["equivalent"] is True


def test_cli_extract_missing_checkpoint_is_one_line_exit_2(capsys: pytest.CaptureFixture[str], tmp_path) -> None:  # noqa: ANN001
    from automata_probe.cli import main

    rc = main(["extract", str(tmp_path / "nope.pt"), "--dfa", "tomita4"])
    out, err = capsys.readouterr()
    assert rc == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1 and "nope.pt" in err


def test_active_learning_stops_at_the_query_budget() -> None:
    """A learner that runs out of membership queries returns its last tested hypothesis."""
    pytest.importorskip("aalpy")
    mod12 = DFA(alphabet=B, transitions=tuple(((q + 1) % 12, q) for q in range(12)), start=0, accepting={0})
    res = learn_dfa(DFAOracle(mod12), algorithm="lstar", budget=LearningBudget(max_queries=40), seed=0)
    assert not res.converged
    assert res.membership_queries <= 40 and res.rounds >= 1
    with pytest.raises(DataError, match="before its first hypothesis"):
        learn_dfa(DFAOracle(mod12), algorithm="lstar", budget=LearningBudget(max_queries=2), seed=0)


def test_cli_extract_on_a_tiny_real_checkpoint(capsys: pytest.CaptureFixture[str], tmp_path) -> None:  # noqa: ANN001
    """Wiring only (an untrained model recognizes some random language): the
    table, the language file and the picture come out, and the file loads."""
    pytest.importorskip("torch")
    from automata_probe.models.checkpoint import save_checkpoint
    from automata_probe.cli import main
    from automata_probe.automata import load_language
    from automata_probe.models import ModelConfig, build_model

    truth = tomita(4)
    config = ModelConfig(arch="mamba", vocab_size=4, n_outputs=3, d_model=8, n_layers=1, d_state=4)
    ckpt = save_checkpoint(
        tmp_path / "m.pt", model=build_model(config, seed=0), language_name="tomita4", alphabet=B, task="next",
        dfa=truth, model_config=config,
    )
    out_toml, png = tmp_path / "x.toml", tmp_path / "x.png"
    rc = main([
        "extract", str(ckpt), "--dfa", "tomita4", "--method", "kv", "--max-length", "6", "--max-queries", "300",
        "--walks-per-state", "5", "--max-rounds", "3", "-o", str(out_toml), "--png", str(png),
    ])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert "method" in out and "\nkv " in out and "\nmodel " in out
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert load_language(str(out_toml)).alphabet == B
    # a language file whose alphabet differs from the model's is one line and exit 2
    rc = main(["extract", str(ckpt), "--dfa", "aa_star", "--method", "kv"])
    _, err = capsys.readouterr()
    assert rc == 2 and err.count("\n") == 1 and "alphabet" in err
