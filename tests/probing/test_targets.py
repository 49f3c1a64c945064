"""Tests for automata_probe.probing.targets: partitions of the states and quotients of the monoid as probe targets."""

from __future__ import annotations

import pytest

from automata_probe.automata import load_language
from automata_probe.errors import DataError, LanguageFileError
from automata_probe.probing import ProbeConfig, make_labeler, parse_target, probe_model


def test_parse_target_forms():
    assert parse_target("state") == ("state", "")
    assert parse_target("partition:q0,q1|dead") == ("partition", "q0,q1|dead")
    assert parse_target("quotient:sign") == ("quotient", "sign")
    for bad in ("states", "partition:", "quotient", "sign"):
        with pytest.raises(DataError, match="unknown probe target"):
            parse_target(bad)


def test_live_dead_and_explicit_partitions(tomita4):
    lab = make_labeler(tomita4, "partition:live-dead")
    assert lab.class_names == ("live", "dead") and lab.node_class.tolist() == [0, 0, 0, 1]
    assert lab.word_labels("1000").tolist() == [0, 0, 0, 0, 1]
    lab = make_labeler(tomita4, "partition:q0|q1,q2|dead")
    assert lab.class_names == ("{q0}", "{q1,q2}", "{dead}") and lab.node_class.tolist() == [0, 1, 1, 2]


def test_language_file_partition_block_parity_of_tomita3():
    lang = load_language("tomita3")
    lab = make_labeler(lang.dfa, "partition:block-parity", partitions=lang.partitions)
    assert lab.class_names == ("odd", "even", "dead")
    assert lab.word_labels("1").tolist() == [1, 0]  # an odd 1-block pending
    assert lab.word_labels("110").tolist() == [1, 0, 1, 1]


@pytest.mark.parametrize("spec, message", [
    ("partition:q0,q1|q2", "does not cover state 'dead'"),
    ("partition:q0,q1|q1,q2|dead", "state 'q1' is in two blocks"),
    ("partition:q0,q9|q1,q2|dead", "has no state 'q9'"),
    ("partition:nope", "unknown partition 'nope'"),
])
def test_bad_partitions_name_the_culprit(tomita4, spec, message):
    with pytest.raises(DataError, match=message):
        make_labeler(tomita4, spec)


def test_live_dead_needs_a_dead_state():
    with pytest.raises(DataError, match="no dead state"):
        make_labeler(load_language("parity").dfa, "partition:live-dead")


def test_a_language_file_with_a_bad_partition_fails_to_load(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('alphabet = ["a"]\nregex = "aa*"\n[partitions]\nx = { one = ["q0"] }\n')
    with pytest.raises(LanguageFileError, match="partitions.x"):
        load_language(str(path))


def test_quotient_labeler_runs_on_the_cayley_graph():
    lab = make_labeler(load_language("group-S3").dfa, "quotient:sign")
    assert lab.class_names == ("even", "odd")
    assert lab.word_labels("ttct").tolist() == [0, 1, 0, 0, 1]
    assert lab.node_state is not None and lab.states_of_nodes.shape == lab.node_class.shape


def test_probe_model_reads_a_quotient(tmp_path):
    from automata_probe.models import ModelConfig, build_model

    lang = load_language("group-S3")
    model = build_model(ModelConfig(arch="lstm", vocab_size=4, n_outputs=6, d_model=8, n_layers=1), seed=0)
    report = probe_model(model, lang, ProbeConfig(target="quotient:sign", seeds=(0,), n_train=20, n_test=10,
                                                  train_lengths=(1, 6), test_bins=((7, 9),), controls=False))
    assert report.target == "quotient:sign" and report.class_names == ("even", "odd")
    assert 0.0 <= report.sites[0].at_train.accuracy.mean <= 1.0
