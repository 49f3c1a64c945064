"""What importing the package and running is-star-free pull in: numpy, never the heavy optional stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {"torch", "scipy", "sklearn", "networkx", "matplotlib", "automata", "pandas", "libsemigroups_pybind11"}


def _third_party(code: str) -> set[str]:
    script = code + "; import sys, json; print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    modules = json.loads(out.stdout.strip().splitlines()[-1])
    stdlib = set(sys.stdlib_module_names)
    return {m for m in modules if m not in stdlib and not m.startswith("_") and m != "automata_probe"}


def test_algebra_and_automata_import_only_numpy():
    assert _third_party("import automata_probe.algebra, automata_probe.automata") <= {"numpy"}


def test_is_star_free_end_to_end_imports_only_numpy():
    used = _third_party("from automata_probe.cli import main; main(['is-star-free', '(ab)*'])")
    assert used == {"numpy"}, used & FORBIDDEN


#: Standard-library modules the regex path of is-star-free no longer imports
#: (each cost startup: issue 15); they are imported where they are used.
SLOW_STDLIB = {"tempfile", "pathlib", "shutil", "difflib", "json", "tomllib", "zipfile", "importlib.resources"}


def test_is_star_free_on_a_regex_skips_the_slow_standard_library():
    script = (
        "import io, contextlib, sys\n"
        "from automata_probe.cli import main, is_star_free\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['is-star-free', '(ab)*'])\n"
        "    is_star_free(['(ab)*'])\n"
        f"print(sorted(m for m in {sorted(SLOW_STDLIB)!r} if m in sys.modules))"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr
