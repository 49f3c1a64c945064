"""Tests for automata_probe.probing, plots and the probe-states CLI."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from automata_probe.automata.dfa import DFA
from automata_probe.errors import AlphabetError, DataError
from automata_probe.probing import (
    ProbeReport,
    Score,
    control_window,
    make_control,
    make_labeler,
    probe_model,
    resolve_source,
    sample_probe_words,
)


@pytest.fixture(scope="module")
def ab_star() -> DFA:
    """(ab)* over {a, b}: a different alphabet from tomita4's."""
    return DFA.from_table(alphabet=["a", "b"], transitions={"e": {"a": "o"}, "o": {"b": "e"}}, start="e",
                          accept=["e"], name="ab_star").minimize()


@pytest.fixture(scope="module")
def tiny_model():
    from automata_probe.models import ModelConfig, build_model

    return build_model(ModelConfig(arch="mamba", vocab_size=4, n_outputs=3, d_model=8, n_layers=1, d_state=2), seed=0)


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory, tiny_model, tomita4):
    from automata_probe.models.checkpoint import save_checkpoint

    path = tmp_path_factory.mktemp("ckpt") / "tiny.pt"
    save_checkpoint(path, model=tiny_model, language_name="tomita4", alphabet=("0", "1"), task="next", dfa=tomita4,
                    train_config={"train_lengths": [1, 8], "test_bins": [[9, 12]]})
    return path


SMALL = dict(n_train=12, n_test=6, train_lengths=(1, 8), test_bins=[(9, 12)])


# ------------------------------------------------------------------ labels
def test_state_labels_follow_the_run(tomita4):
    lab = make_labeler(tomita4, "state")
    for word in ["", "0", "0010001", "111000"]:
        labels = lab.word_labels(word)
        assert len(labels) == len(word) + 1  # a run of length L visits L + 1 states
        np.testing.assert_array_equal(labels, tomita4.run(word))
    assert lab.class_names[tomita4.dead] == "dead"


def test_labels_pad_past_each_word(tomita4):
    lab = make_labeler(tomita4, "member")
    out = lab.labels(np.array([[0, 0, 0], [1, 0, 0]]), np.array([3, 1]))
    np.testing.assert_array_equal(out, [[1, 1, 1, 0], [1, 1, -1, -1]])


def test_next_and_member_targets(tomita4):
    nxt = make_labeler(tomita4, "next")
    # q0, q1: both letters and the end allowed; q2: only 1 and the end; dead: nothing
    assert nxt.class_names == ("{0,1,END}", "{1,END}", "{}")
    np.testing.assert_array_equal(nxt.word_labels("0001"), [0, 0, 1, 2, 2])
    mem = make_labeler(tomita4, "member")
    np.testing.assert_array_equal(mem.word_labels("0001"), [1, 1, 1, 0, 0])


def test_monoid_target_is_the_prefix_element(tomita4):
    from automata_probe.algebra import transition_monoid

    lab = make_labeler(tomita4, "monoid")
    monoid = transition_monoid(tomita4)
    assert lab.n_classes == monoid.size == 12
    word = "0100111000"
    expected = [monoid.element_of(word[:t]) for t in range(len(word) + 1)]
    np.testing.assert_array_equal(lab.word_labels(word), expected)


def test_model_alphabet_order_is_respected(tomita4):
    """A model whose tokenizer reads ('1', '0'): index 0 means '1'."""
    lab = make_labeler(tomita4, "state", alphabet=("1", "0"))
    np.testing.assert_array_equal(lab.labels(np.array([[1, 1, 0]]), np.array([3]))[0], tomita4.run("001"))


def test_alphabet_mismatch_names_both(tomita4):
    with pytest.raises(AlphabetError, match=r"\{a, b\}.*\{0, 1\}"):
        make_labeler(tomita4, "state", alphabet=("a", "b"))


def test_unknown_target(tomita4):
    with pytest.raises(DataError, match="unknown probe target"):
        make_labeler(tomita4, "colour")


# ----------------------------------------------------------------- control
def _control_for(dfa: DFA, seed: int):
    lab = make_labeler(dfa, "state")
    words = sample_probe_words(lab.dfa, n_train=60, n_test=5, train_lengths=(1, 30), test_bins=[], seed=0)
    train = words.words(0)
    idx, lengths = words.indices[train], words.lengths[train]
    labels = lab.labels(idx, lengths)
    return make_control(idx, lengths, labels, n_letters=2, n_classes=lab.n_classes, seed=seed), labels


def test_control_has_the_task_classes_and_distribution(tomita4):
    control, labels = _control_for(tomita4, seed=0)
    assert control.n_classes == 4
    assert control.window == control_window(2, 4) == 4  # 2^4 >= 4 * 4 classes
    assert control.mapping.min() >= 0 and control.mapping.max() < 4
    assert len(np.unique(control.mapping)) == 4  # every class is used
    # matched distribution on the training positions, up to the weight of a few types
    idx, lengths = _training_words(tomita4)
    ctl = control.labels(idx, lengths)
    real = ctl >= 0
    task_p = np.bincount(labels[labels >= 0], minlength=4) / real.sum()
    ctl_p = np.bincount(ctl[real], minlength=4) / real.sum()
    assert np.abs(task_p - ctl_p).max() < 0.12


def _training_words(dfa):
    lab = make_labeler(dfa, "state")
    words = sample_probe_words(lab.dfa, n_train=60, n_test=5, train_lengths=(1, 30), test_bins=[], seed=0)
    train = words.words(0)
    return words.indices[train], words.lengths[train]


def test_control_is_deterministic_and_seeded(tomita4):
    a, _ = _control_for(tomita4, seed=3)
    b, _ = _control_for(tomita4, seed=3)
    c, _ = _control_for(tomita4, seed=4)
    np.testing.assert_array_equal(a.mapping, b.mapping)
    assert not np.array_equal(a.mapping, c.mapping)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 1), min_size=0, max_size=10), st.lists(st.integers(0, 1), min_size=0, max_size=10),
       st.lists(st.integers(0, 1), min_size=4, max_size=4))
def test_control_depends_only_on_the_last_window_letters(tomita4, u, v, tail):
    """Two prefixes ending in the same `window` letters get the same control label."""
    control, _ = _control_for(tomita4, seed=0)
    assert control.window == 4
    w1, w2 = u + tail, v + tail
    L = max(len(w1), len(w2))
    idx = np.zeros((2, L), dtype=np.int64)
    idx[0, : len(w1)], idx[1, : len(w2)] = w1, w2
    labels = control.labels(idx, np.array([len(w1), len(w2)]))
    assert labels[0, len(w1)] == labels[1, len(w2)]


def test_control_window_grows_with_classes():
    assert control_window(2, 2) == 3
    assert control_window(2, 5) == 5
    assert control_window(3, 120) >= 6


# ------------------------------------------------------------------- words
def test_splits_are_by_sequence_and_disjoint(tomita4):
    words = sample_probe_words(tomita4, n_train=80, n_test=40, train_lengths=(1, 6), test_bins=[(7, 9)], seed=1)
    keys = [tuple(words.indices[i, : words.lengths[i]]) for i in range(len(words.lengths))]
    assert len(set(keys)) == len(keys)  # no word twice, so no word in two sets
    for s, (lo, hi) in enumerate(words.bins):
        lens = words.lengths[words.split == s]
        assert lens.size > 0 and lens.min() >= lo and lens.max() <= hi
    assert (words.split == 0).sum() == 80 and (words.split == 2).sum() == 40


def test_probe_words_are_seeded(tomita4):
    a = sample_probe_words(tomita4, n_train=10, n_test=5, train_lengths=(1, 6), test_bins=[], seed=2)
    b = sample_probe_words(tomita4, n_train=10, n_test=5, train_lengths=(1, 6), test_bins=[], seed=2)
    np.testing.assert_array_equal(a.indices, b.indices)


# ------------------------------------------------------------- end to end
@pytest.fixture(scope="module")
def tiny_report(tiny_model, tomita4) -> ProbeReport:
    return probe_model(tiny_model, tomita4, seeds=(0, 1), mlp=True, **SMALL)


def test_report_is_well_formed(tiny_report, tiny_model):
    r = tiny_report
    assert [s.site for s in r.sites] == tiny_model.site_names()
    assert r.class_names == ("q0", "q1", "q2", "dead") and r.control_window == 4
    for s in r.sites:
        assert [b.lengths for b in s.bins] == [(1, 8), (9, 12)]
        for b in s.bins:
            for score in (b.accuracy, b.majority, b.untrained, b.control, b.mlp):
                assert len(score.values) == 2 and all(0.0 <= v <= 1.0 for v in score.values)
            np.testing.assert_allclose(b.selectivity.values, np.subtract(b.accuracy.values, b.control.values))
        assert np.asarray(s.confusion).shape == (4, 4)
        assert np.asarray(s.confusion).sum() == sum(s.at_train.n_positions)
        assert len(s.accuracy_by_length) == 13  # prefix lengths 0..12
    assert s.n_probe_features == s.n_features == 8
    assert r.site("layers.0.ssm_state").n_features == 32
    assert r.projection is not None and len(r.projection.points) == len(r.projection.labels) > 0


def test_report_json_round_trip(tiny_report, tmp_path):
    path = tmp_path / "r.json"
    tiny_report.to_json(path)
    d = json.loads(path.read_text())
    assert d["target"] == "state" and len(d["sites"]) == len(tiny_report.sites)
    assert d["sites"][0]["bins"][0]["accuracy"]["mean"] == pytest.approx(tiny_report.sites[0].at_train.accuracy.mean)


def test_same_seeds_give_identical_numbers(tiny_model, tomita4, tiny_report):
    again = probe_model(tiny_model, tomita4, seeds=(0, 1), mlp=True, **SMALL)
    assert again.to_dict() == tiny_report.to_dict()


def test_without_controls_the_fields_are_none(tiny_model, tomita4):
    r = probe_model(tiny_model, tomita4, seeds=(0,), controls=False, sites=["embed"], **SMALL)
    b = r.sites[0].at_train
    assert b.untrained is None and b.control is None and b.selectivity is None and b.mlp is None
    assert r.control_window is None


def test_wide_sites_are_reduced(tiny_model, tomita4):
    r = probe_model(tiny_model, tomita4, seeds=(0,), controls=False, sites=["layers.0.ssm_state"], max_features=5,
                    **SMALL)
    assert (r.sites[0].n_features, r.sites[0].n_probe_features) == (32, 5)


def test_score_mean_and_spread():
    s = Score(values=(0.5, 1.0))
    assert s.mean == 0.75 and s.std == pytest.approx(np.std([0.5, 1.0], ddof=1))
    assert f"{s:.2f}" == "0.75±0.35"


def test_plots_write_four_files(tiny_report, tmp_path):
    from automata_probe.viz.probe_plots import plot_report

    paths = plot_report(tiny_report, tmp_path / "r.png")
    assert [p.name for p in paths] == ["r.png", "r_length.png", "r_confusion.png", "r_pca.png"]
    for p in paths:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------- CLI
def _cli(argv, capsys):
    from automata_probe.cli.probe import main

    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_prints_one_row_per_site(tiny_checkpoint, tiny_model, tmp_path, capsys):
    argv = [str(tiny_checkpoint), "--dfa", "tomita4", "--seeds", "1", "--n-train", "12", "--n-test", "6",
            "--json", str(tmp_path / "r.json")]
    code, out, err = _cli(argv, capsys)
    assert code == 0, err
    assert "acc@1-8" in out and "acc@9-12" in out and "selectivity" in out
    for site in tiny_model.site_names():
        assert any(line.startswith(site) for line in out.splitlines())
    assert json.loads((tmp_path / "r.json").read_text())["dfa"] == "tomita4"


def test_cli_is_a_subcommand_too(tiny_checkpoint, capsys):
    from automata_probe.cli import main

    code = main(["probe", str(tiny_checkpoint), "--seeds", "1", "--n-train", "12", "--n-test", "6",
                 "--no-controls", "--sites", "final"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "final" in out and "untrained" not in out


def test_cli_alphabet_mismatch(tiny_checkpoint, capsys):
    code, out, err = _cli([str(tiny_checkpoint), "--dfa", "abab_star"], capsys)
    assert code == 2
    assert err.startswith("error: ") and "alphabet" in err and len(err.strip().splitlines()) == 1


def test_cli_missing_file(tmp_path, capsys):
    code, _, err = _cli([str(tmp_path / "nope.pt")], capsys)
    assert code == 2 and "does not exist" in err and len(err.strip().splitlines()) == 1


def test_cli_not_a_checkpoint(tmp_path, capsys):
    path = tmp_path / "notes.pt"
    path.write_text("hello\n")
    code, _, err = _cli([str(path)], capsys)
    assert code == 2 and "not a checkpoint" in err


class _Payload:
    """Unpickling this would create a marker file (a checkpoint that carries code)."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_cli_checkpoint_with_code_is_refused_before_running(tmp_path, capsys):
    import torch

    marker = tmp_path / "ran"
    path = tmp_path / "evil.pt"
    torch.save({"format": "automata-probe-checkpoint", "payload": _Payload(str(marker))}, path)
    code, _, err = _cli([str(path)], capsys)
    assert code == 2 and "refusing" in err
    assert not marker.exists()
    with pytest.raises(pickle.UnpicklingError):  # the file really carries a callable
        torch.load(path, weights_only=True)


def test_cli_bad_output_directory(tiny_checkpoint, tmp_path, capsys):
    code, _, err = _cli([str(tiny_checkpoint), "--plot", str(tmp_path / "no" / "r.png")], capsys)
    assert code == 2 and "does not exist" in err


def test_language_source_keeps_to_the_language(tomita4):
    words = sample_probe_words(tomita4, n_train=30, n_test=10, train_lengths=(1, 9), test_bins=[(10, 12)], seed=3,
                               source="language")
    for i, L in enumerate(words.lengths):
        assert tomita4.accepts(tomita4.decode(words.indices[i, :L]))
    with pytest.raises(DataError, match="unknown word source"):
        sample_probe_words(tomita4, n_train=3, n_test=3, train_lengths=(1, 9), test_bins=[], seed=0, source="web")


def test_auto_source_is_the_training_distribution_of_the_training_language(tomita4, ab_star):
    next_task = {"task": "next", "source": None}
    assert resolve_source("auto", tomita4, "tomita4", next_task) == "language"  # Sarrof et al.: positive strings
    assert resolve_source("auto", tomita4, "tomita4", {"task": "next", "source": "mixed"}) == "mixed"
    assert resolve_source("auto", tomita4, "tomita4", {"task": "state", "source": None}) == "mixed"
    # another automaton than the training language, a bare model, an imported checkpoint: mixed
    assert resolve_source("auto", ab_star, "tomita4", next_task) == "mixed"
    assert resolve_source("auto", tomita4, "", {}) == "mixed"
    assert resolve_source("auto", tomita4, "tomita4", {}) == "mixed"
    assert resolve_source("uniform", tomita4, "tomita4", next_task) == "uniform"
    with pytest.raises(DataError, match="web"):
        resolve_source("web", tomita4, "tomita4", next_task)


def test_cli_default_words_follow_the_checkpoint(tiny_checkpoint, tmp_path, capsys):
    argv = [str(tiny_checkpoint), "--seeds", "1", "--n-train", "12", "--n-test", "6", "--no-controls",
            "--sites", "final", "--json", str(tmp_path / "r.json")]
    code, out, err = _cli(argv, capsys)
    assert code == 0, err
    # the tiny checkpoint's train_config names no task: not trained here, so auto means mixed
    assert json.loads((tmp_path / "r.json").read_text())["source"] == "mixed"
    code, out, err = _cli(argv + ["--words", "language"], capsys)
    assert code == 0, err
    assert "words: the language's own words only" in out
