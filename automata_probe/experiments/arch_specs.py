"""Architectures as experiments name them: ``mamba-neg``, ``deltaproduct-2-neg``, ...: :class:`ArchSpec`.

A spec is ``ARCH[-N][-neg]``: ``ARCH`` one of :data:`~automata_probe.models.ARCHITECTURES`,
``N`` the Householder factors per token (``deltaproduct`` only; default 2),
``-neg`` the negative-eigenvalue range (``--neg-eigval``); ``transformer-nope``
is the Transformer without a positional encoding (the causal mask alone, the
"positional masking" with which Bhattamishra et al. 2020 found Transformers
length-generalize on counter languages). Sweeps and the
reproducers use it so a CSV row's ``arch`` column names the model completely.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import ParameterError
from ..models.config import ARCHITECTURES

__all__ = ["ArchSpec", "parse_arch", "model_label", "ARCH_SPEC_EXAMPLES"]

#: Examples shown in errors and help texts.
ARCH_SPEC_EXAMPLES = ("mamba", "mamba-neg", "mamba2", "mamba2-neg", "deltanet", "deltanet-neg", "gated-deltanet",
                      "gated-deltanet-neg", "deltaproduct-2-neg", "lstm", "transformer", "transformer-nope")

_NEG_OK = ("mamba", "mamba2", "deltanet", "gated-deltanet", "deltaproduct")
_SPEC_RE = re.compile(r"^(?P<arch>[a-z0-9]+(?:-deltanet)?)(?:-(?P<nh>\d+))?(?P<neg>-neg)?(?P<nope>-nope)?$")


@dataclass(frozen=True, kw_only=True)
class ArchSpec:
    """One architecture with its options: ``arch``, ``negative_eigenvalues``, ``householders``,
    ``positional_encoding`` (the Transformer's: ``sinusoidal`` or ``none``)."""

    arch: str
    negative_eigenvalues: bool = False
    householders: int = 1
    positional_encoding: str = "sinusoidal"

    def __post_init__(self) -> None:
        if self.arch not in ARCHITECTURES:
            raise ParameterError(f"unknown architecture {self.arch!r}; expected one of {', '.join(ARCH_SPEC_EXAMPLES)}")
        if self.negative_eigenvalues and self.arch not in _NEG_OK:
            raise ParameterError(f"{self.arch} has no negative-eigenvalue option (-neg); it exists for "
                                 f"{', '.join(_NEG_OK)}")
        if self.householders < 1 or (self.householders > 1 and self.arch != "deltaproduct"):
            raise ParameterError(f"{self.householders} Householder factors: only deltaproduct takes a count "
                                 "(deltaproduct-N), N >= 1")
        if self.positional_encoding not in ("sinusoidal", "none"):
            raise ParameterError(f"unknown positional encoding {self.positional_encoding!r}; expected sinusoidal "
                                 "or none")
        if self.positional_encoding == "none" and self.arch != "transformer":
            raise ParameterError(f"{self.arch} has no positional encoding to remove (-nope): "
                                 "only the transformer has one")

    @property
    def name(self) -> str:
        """The spec string (``deltaproduct-2-neg``)."""
        n = f"-{self.householders}" if self.arch == "deltaproduct" else ""
        nope = "-nope" if self.positional_encoding == "none" else ""
        return f"{self.arch}{n}{'-neg' if self.negative_eigenvalues else ''}{nope}"

    def model_fields(self, d_model: int) -> dict[str, Any]:
        """:class:`~automata_probe.models.ModelConfig` fields for this spec."""
        fields: dict[str, Any] = {"arch": self.arch}
        if self.negative_eigenvalues:
            fields["negative_eigenvalues"] = True
        if self.arch == "deltaproduct":
            fields["householders"] = self.householders
        if self.arch == "transformer":
            fields["n_heads"] = 4 if d_model % 4 == 0 else 1
            fields["positional_encoding"] = self.positional_encoding
        return fields


def parse_arch(spec: str) -> ArchSpec:
    """The :class:`ArchSpec` named by ``spec`` (one-line :class:`ParameterError` otherwise)."""
    m = _SPEC_RE.match(spec.strip().lower()) if isinstance(spec, str) else None
    if m is None:
        raise ParameterError(f"cannot read the architecture {spec!r}; write ARCH[-N][-neg], e.g. "
                             f"{', '.join(ARCH_SPEC_EXAMPLES[:6])}")
    arch, nh = m["arch"], m["nh"]
    if arch not in ARCHITECTURES:
        raise ParameterError(f"unknown architecture {spec!r}; expected one of {', '.join(ARCH_SPEC_EXAMPLES)}")
    if nh is not None and arch != "deltaproduct":
        raise ParameterError(f"{spec!r}: only deltaproduct takes a Householder count (deltaproduct-N)")
    householders = int(nh) if nh is not None else (2 if arch == "deltaproduct" else 1)
    return ArchSpec(arch=arch, negative_eigenvalues=m["neg"] is not None, householders=householders,
                    positional_encoding="none" if m["nope"] else "sinusoidal")


def model_label(arch: str, layers: int) -> str:
    """How tables and figures name a model: ``Transformer``, ``Transformer (NoPE)``
    (the Transformer columns name no depth, as the papers' do),
    ``Mamba, 2 layers``, else the spec and depth (``deltanet-neg 1L``)."""
    if arch == "transformer":
        return "Transformer"
    if arch == "transformer-nope":
        return "Transformer (NoPE)"
    if arch == "mamba":
        return f"Mamba, {layers} layer{'s' * (layers > 1)}"
    return f"{arch} {layers}L"
