"""The documentation site builds with warnings as errors (a broken reference fails)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_docs_build_strict(tmp_path):
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, env=env, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    for page in ("index.html", "reference/automata/index.html", "probing/index.html",
                 "notebooks/02_train_and_probe/index.html"):
        assert (tmp_path / "site" / page).is_file(), page
    # the API reference is built from the docstrings
    assert "regex_to_dfa" in (tmp_path / "site" / "reference/automata/index.html").read_text()
