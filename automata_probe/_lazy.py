"""Lazy re-exports for a subpackage's ``__init__`` (PEP 562), at the bottom layer.

    _HOMES = {"DFA": "dfa", ...}             # public name -> the submodule that defines it
    __all__ = [...]
    __getattr__, __dir__ = lazy_exports(__name__, _HOMES, __all__)

A name is imported from its submodule on first use and then stored in the
package, so later lookups never reach ``__getattr__``: a command imports only
the modules it needs (``is-star-free '(ab)*'`` pays for no language files,
Green's relations or holonomy).
"""

from __future__ import annotations

import sys
from importlib import import_module
from typing import Any, Callable, Mapping, Sequence

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, homes: Mapping[str, str], public: Sequence[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The module-level ``__getattr__`` and ``__dir__`` of ``package``.

    Parameters
    ----------
    package
        The package's ``__name__``.
    homes
        Each lazily exported name -> the submodule of ``package`` that defines it.
    public
        The package's ``__all__`` (listed by ``dir()`` before first use).
    """

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(f"{package}.{home}"), name)
        setattr(sys.modules[package], name, value)  # later lookups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(public))

    return __getattr__, __dir__
