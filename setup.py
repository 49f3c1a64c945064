"""Build hooks that pyproject.toml cannot express; all metadata lives there.

- The optional C extension ``automata_probe.algebra._clayers`` (the byte
  layers of the monoid enumeration, see automata_probe/algebra/_bytelayers.py).
  ``optional=True``: without a compiler the build warns and goes on, and the
  package runs its pure-Python layers (``AUTOMATA_PROBE_PURE_PYTHON=1`` forces
  them where the extension is built). An editable install (``pip install -e``)
  builds it in place, next to the module.
- The optional C extension ``automata_probe.models._crec`` (the matrix-state
  recurrences of DeltaNet, Gated DeltaNet, DeltaProduct and Mamba-2 on the
  CPU, forward and backward, see automata_probe/models/compiled.py), optional
  in the same way: without it the models run their chunked PyTorch path.
- The language suite: the top-level ``languages/`` (data, not code) ships
  inside the wheel as ``automata_probe/languages``, so ``--dfa tomita4`` works
  anywhere. An editable install reads the checkout's folder instead.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_py import build_py


class BuildPyWithLanguages(build_py):
    """``build_py`` that also copies ``languages/*.toml`` to ``automata_probe/languages`` (not in editable mode)."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "automata_probe" / "languages"
        self.mkpath(str(target))
        for source in sorted(Path("languages").glob("*.toml")):
            self.copy_file(str(source), str(target / source.name))


setup(
    ext_modules=[
        Extension("automata_probe.algebra._clayers", ["automata_probe/algebra/_clayers.c"], optional=True),
        Extension("automata_probe.models._crec", ["automata_probe/models/_crec.c"],
                  depends=["automata_probe/models/_crec_impl.h", "automata_probe/models/_crec_avx2.h"],
                  optional=True),
    ],
    cmdclass={"build_py": BuildPyWithLanguages},
)
