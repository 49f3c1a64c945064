"""Figures are written atomically: a failing write keeps the old file."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest

from automata_probe.viz.saving import save_figure


def _figure():
    fig, ax = plt.subplots(figsize=(2, 2))
    ax.plot([0, 1], [1, 0])
    return fig


def test_writes_png_and_closes(tmp_path):
    fig = _figure()
    p = save_figure(fig, tmp_path / "a.png", dpi=50)
    assert p == tmp_path / "a.png"
    assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not plt.fignum_exists(fig.number)
    assert [q.name for q in tmp_path.iterdir()] == ["a.png"]  # no temporary file left


def test_suffixless_path_gets_png(tmp_path):
    p = save_figure(_figure(), tmp_path / "fig", dpi=50)
    assert p.name == "fig.png" and p.is_file()


def test_pdf_by_suffix(tmp_path):
    p = save_figure(_figure(), tmp_path / "f.pdf")
    assert p.read_bytes()[:4] == b"%PDF"


def test_failed_write_keeps_old_file(tmp_path, monkeypatch):
    target = tmp_path / "a.png"
    target.write_bytes(b"old figure")
    fig = _figure()

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(fig, "savefig", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        save_figure(fig, target)
    assert target.read_bytes() == b"old figure"
    assert [q.name for q in tmp_path.iterdir()] == ["a.png"]
    assert not plt.fignum_exists(fig.number)  # closed even when writing fails
