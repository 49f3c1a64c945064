"""Checkpoints (model.pt): safe to load, written atomically.

A checkpoint is a ``torch.save`` of a dict of plain data (dicts, lists,
tuples, strings, numbers, booleans, None) and tensors, so it loads with
``torch.load(path, weights_only=True)``: loading a checkpoint can never run
code. A pickle that names a class or function is refused with
:class:`~automata_probe.errors.CheckpointError` before anything runs.

Contents (``FORMAT_VERSION`` 1)::

    format            "automata-probe-checkpoint"
    format_version    1
    model_config      ModelConfig.to_dict()
    state_dict        the model's weights
    language          {"name", "alphabet", "dfa": {"transitions", "start", "accepting"} | None}
    task              "next" | "member" | "state"
    train_config      TrainConfig as a dict ({} when not trained here)
    metadata          steps, wall_time_s, seed, torch_version, package_version, date, ...
    metrics           the last evaluation report as a dict
    optimizer         optimizer.state_dict() (for --resume) or None
    training_state    step, RNG states, schedule, early-stop counters (for --resume) or None

Writes go to a temporary file in the same directory, are flushed and
fsync'ed, then renamed over the target with ``os.replace``: an interrupted or
failing write leaves the previous checkpoint intact.

Weights saved by mamba_ssm's ``MambaLMHeadModel`` (its ``pytorch_model.bin``
and ``config.json``) load with :func:`load_mamba_ssm_checkpoint`.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import signal
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Sequence

from .._version import __version__
from ..automata.dfa import DFA
from ..automata.language import Language
from ..automata.resolve import load_language
from ..data import Tokenizer
from ..errors import AutomataProbeError, CheckpointError, ModelError
from .build import build_model
from .config import ModelConfig
from .mamba import config_from_mamba_ssm, load_mamba_ssm_state_dict

if TYPE_CHECKING:  # pragma: no cover
    import torch

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "Checkpoint",
    "LoadedModel",
    "resolve_model",
    "save_checkpoint",
    "load_checkpoint",
    "load_mamba_ssm_checkpoint",
]

log = logging.getLogger(__name__)

FORMAT = "automata-probe-checkpoint"
FORMAT_VERSION = 1
_REQUIRED = ("format_version", "model_config", "state_dict", "language", "task")


@dataclass(frozen=True, kw_only=True, eq=False)
class Checkpoint:
    """A loaded checkpoint.

    Attributes
    ----------
    path
        Where it was loaded from ("" when built in memory).
    format_version
        The file's format version.
    model_config
        ``ModelConfig.to_dict()`` of the model (see :attr:`config`).
    state_dict
        The weights.
    language_name, alphabet
        The training language and its ordered alphabet (the tokenizer).
    dfa
        The training language's minimal DFA when the file stores it, else None.
    task
        The task the head was trained for.
    train_config, metadata, metrics
        Plain dicts (``{}`` when absent).
    optimizer_state, training_state
        What ``--resume`` needs, or None.
    """

    path: str
    format_version: int
    model_config: dict[str, Any]
    state_dict: dict[str, "torch.Tensor"]
    language_name: str
    alphabet: tuple[str, ...]
    dfa: DFA | None
    task: str
    train_config: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    optimizer_state: dict[str, Any] | None = None
    training_state: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "alphabet", tuple(self.alphabet))

    @property
    def config(self) -> "ModelConfig":
        """The :class:`~automata_probe.models.ModelConfig` rebuilt from the file."""
        try:
            return ModelConfig.from_dict(self.model_config)
        except AutomataProbeError as e:
            raise CheckpointError(f"checkpoint {self._where} has an invalid model config: {e}") from None

    @property
    def tokenizer(self) -> Tokenizer:
        return Tokenizer(alphabet=self.alphabet)

    @property
    def steps(self) -> int:
        return int(self.metadata.get("steps", 0))

    @property
    def _where(self) -> str:
        return self.path or "(in memory)"

    def language(self, spec: str | None = None) -> "Language | DFA":
        """The language named by ``spec`` (a suite name, file, regex or family;
        :func:`~automata_probe.automata.load_language`), else the one this
        model was trained on: its stored DFA, or its language's name."""
        if spec:
            return load_language(spec)
        if self.dfa is not None:
            return self.dfa.with_name(self.language_name)
        return load_language(self.language_name)

    def build_model(self):
        """The model with the saved weights loaded, in eval mode, on the CPU."""
        model = build_model(self.config)
        try:
            model.load_state_dict(self.state_dict, strict=True)
        except RuntimeError as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise CheckpointError(f"weights in {self._where} do not fit the saved model config: {first}") from None
        model.eval()
        return model

    def to_payload(self) -> dict[str, Any]:
        """The dict that :func:`save_checkpoint` writes."""
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "model_config": dict(self.model_config),
            "state_dict": self.state_dict,
            "language": {
                "name": self.language_name,
                "alphabet": list(self.alphabet),
                "dfa": _dfa_to_dict(self.dfa) if self.dfa is not None else None,
            },
            "task": self.task,
            "train_config": dict(self.train_config),
            "metadata": dict(self.metadata),
            "metrics": dict(self.metrics),
            "optimizer": self.optimizer_state,
            "training_state": self.training_state,
        }


def _dfa_to_dict(dfa: DFA) -> dict[str, Any]:
    return {
        "alphabet": list(dfa.alphabet),
        "transitions": [list(row) for row in dfa.transitions],
        "start": dfa.start,
        "accepting": sorted(dfa.accepting),
        "name": dfa.name,
    }


def _dfa_from_dict(d: Mapping[str, Any], where: str) -> DFA:
    try:
        return DFA(
            alphabet=tuple(d["alphabet"]),
            transitions=tuple(tuple(r) for r in d["transitions"]),
            start=int(d["start"]),
            accepting=frozenset(int(q) for q in d["accepting"]),
            name=str(d.get("name", "")),
        )
    except (KeyError, TypeError, ValueError) as e:
        raise CheckpointError(f"checkpoint {where} stores an invalid DFA: {e}") from None


# ----------------------------------------------------------------- saving
def _plain(obj: Any, where: str) -> Any:
    """``obj`` with numpy scalars turned into Python numbers; anything that
    ``torch.load(weights_only=True)`` would refuse raises CheckpointError."""
    import numpy as np
    import torch

    if obj is None or isinstance(obj, (torch.Tensor, torch.Size)):
        return obj
    # exact builtin types: subclasses (torch's TorchVersion, enums) would be
    # pickled as globals that weights_only loading refuses
    if isinstance(obj, bool):
        return bool(obj)
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        return float(obj)
    if isinstance(obj, str):
        return str(obj)
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, Mapping):
        out = {}
        for k, v in obj.items():
            if not isinstance(k, (str, int)):
                raise CheckpointError(f"checkpoint key {where}[{k!r}] is not a string or integer")
            out[k] = _plain(v, f"{where}[{k!r}]")
        return out
    if isinstance(obj, list):
        return [_plain(v, f"{where}[{i}]") for i, v in enumerate(obj)]
    if isinstance(obj, tuple):
        return tuple(_plain(v, f"{where}[{i}]") for i, v in enumerate(obj))
    raise CheckpointError(f"checkpoint value {where} is a {type(obj).__name__}, not plain data")


def save_checkpoint(
    path: str | os.PathLike[str],
    *,
    model: Any,
    language_name: str,
    alphabet: tuple[str, ...] | list[str],
    task: str,
    dfa: DFA | None = None,
    model_config: "ModelConfig | Mapping[str, Any] | None" = None,
    train_config: Mapping[str, Any] | None = None,
    metadata: Mapping[str, Any] | None = None,
    metrics: Mapping[str, Any] | None = None,
    optimizer_state: Mapping[str, Any] | None = None,
    training_state: Mapping[str, Any] | None = None,
) -> Path:
    """Write a checkpoint atomically.

    Parameters
    ----------
    path
        Target file; its directory must exist.
    model
        The model (``state_dict()`` is saved; its ``config`` too unless
        ``model_config`` is given).
    language_name, alphabet, task
        What the model was trained on; the alphabet order is the tokenizer's.
    dfa
        The language's DFA, stored so the checkpoint evaluates without the
        language file.
    model_config, train_config, metadata, metrics, optimizer_state, training_state
        See the module docstring. ``metadata`` gets ``torch_version``,
        ``package_version`` and ``date`` added when missing.

    Returns
    -------
    pathlib.Path
        The written path.
    """
    import torch

    if model_config is None:
        model_config = getattr(model, "config", None)
        if model_config is None:
            raise CheckpointError("the model has no .config; pass model_config")
    cfg = model_config.to_dict() if hasattr(model_config, "to_dict") else dict(model_config)
    meta = dict(metadata or {})
    meta.setdefault("torch_version", torch.__version__)
    meta.setdefault("package_version", __version__)
    meta.setdefault("date", _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
    state_dict = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    ckpt = Checkpoint(
        path=str(path),
        format_version=FORMAT_VERSION,
        model_config=cfg,
        state_dict=state_dict,
        language_name=language_name,
        alphabet=tuple(alphabet),
        dfa=dfa,
        task=task,
        train_config=dict(train_config or {}),
        metadata=meta,
        metrics=dict(metrics or {}),
        optimizer_state=dict(optimizer_state) if optimizer_state is not None else None,
        training_state=dict(training_state) if training_state is not None else None,
    )
    payload = _plain(ckpt.to_payload(), "checkpoint")
    return _atomic_save(payload, Path(path))


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Ctrl-C (SIGINT) during the block is held back and delivered when it ends.

    ``torch.save`` interrupted midway raises its own ``RuntimeError`` from the
    zip writer's ``__exit__`` ("unexpected pos"), which hides the
    ``KeyboardInterrupt``: the command then reported an internal error instead
    of stopping cleanly at the last checkpoint. Writing a checkpoint takes
    milliseconds, so the signal waits for it. Outside the main thread (where
    signal handlers cannot be set) the block runs unprotected. Nested blocks
    deliver to the outermost one.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    if previous is None:  # a handler set outside Python: the closest is the default
        previous = signal.SIG_DFL
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught and callable(previous):
        previous(signal.SIGINT, None)  # Python's default handler raises KeyboardInterrupt
    elif caught and previous == signal.SIG_DFL:
        os.kill(os.getpid(), signal.SIGINT)  # what the signal would have done; SIG_IGN: nothing


def _atomic_save(payload: dict[str, Any], path: Path) -> Path:
    with interrupts_deferred():
        return _write_atomically(payload, path)


def _write_atomically(payload: dict[str, Any], path: Path) -> Path:
    import torch

    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise CheckpointError(f"cannot write checkpoint {path}: directory {directory} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(payload, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:  # never leave a half file
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(e, OSError):
            raise CheckpointError(f"cannot write checkpoint {path}: {e.strerror or e}") from None
        raise
    _fsync_dir(directory)
    log.info("wrote checkpoint %s", path)
    return path


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


# ----------------------------------------------------------------- loading
def _safe_torch_load(path: Path, what: str = "checkpoint") -> Any:
    """``torch.load(weights_only=True)`` with every failure as one-line CheckpointError."""
    import pickle

    import torch

    if not path.exists():
        raise CheckpointError(f"{what} {path} does not exist")
    if path.is_dir():
        raise CheckpointError(f"{what} {path} is a directory, not a file")
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError as e:
        raise CheckpointError(f"cannot read {what} {path}: {e.strerror or e}") from None
    if not head:
        raise CheckpointError(f"{what} {path} is empty")
    if not (head.startswith(b"PK") or head[:1] == b"\x80"):
        raise CheckpointError(f"{path} is not a {what} (not a file written by torch.save)")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        msg = str(e)
        if "GLOBAL" in msg or "Unsupported" in msg or "unsupported" in msg:
            detail = next((line.strip() for line in msg.splitlines() if "GLOBAL" in line or "nsupported" in line), "")
            raise CheckpointError(
                f"refusing to load {path}: it contains code/objects that are not plain data ({detail})"
            ) from None
        raise CheckpointError(f"{path} is not a readable {what}: {_first_line(msg)}") from None
    except (RuntimeError, EOFError, OSError) as e:
        raise CheckpointError(f"{what} {path} is truncated or corrupt: {_first_line(str(e)) or type(e).__name__}") from None
    except Exception as e:  # torch raises assorted types on garbage input
        raise CheckpointError(f"{path} is not a readable {what}: {type(e).__name__}: {_first_line(str(e))}") from None


def _first_line(msg: str) -> str:
    msg = msg.strip()
    return msg.splitlines()[0] if msg else ""


def load_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Load a checkpoint with ``torch.load(weights_only=True)``.

    Raises
    ------
    CheckpointError
        Missing, empty, truncated or foreign file; a pickle that would run
        code; missing keys; an unsupported format version.
    """
    p = Path(path)
    raw = _safe_torch_load(p)
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise CheckpointError(f"{p} is not an automata-probe checkpoint (no format marker {FORMAT!r})")
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        raise CheckpointError(f"checkpoint {p} lacks key(s): {', '.join(missing)}")
    version = raw["format_version"]
    if not isinstance(version, int) or version < 1 or version > FORMAT_VERSION:
        raise CheckpointError(
            f"checkpoint {p} has format version {version!r}; this automata-probe reads versions 1..{FORMAT_VERSION}"
        )
    lang = raw["language"]
    if not isinstance(lang, dict) or "name" not in lang or "alphabet" not in lang:
        raise CheckpointError(f"checkpoint {p} lacks the language name or alphabet")
    if not isinstance(raw["state_dict"], dict) or not isinstance(raw["model_config"], dict):
        raise CheckpointError(f"checkpoint {p} has a malformed state_dict or model_config")
    dfa = _dfa_from_dict(lang["dfa"], str(p)) if lang.get("dfa") else None
    return Checkpoint(
        path=str(p),
        format_version=version,
        model_config=raw["model_config"],
        state_dict=raw["state_dict"],
        language_name=str(lang["name"]),
        alphabet=tuple(lang["alphabet"]),
        dfa=dfa,
        task=str(raw["task"]),
        train_config=dict(raw.get("train_config") or {}),
        metadata=dict(raw.get("metadata") or {}),
        metrics=dict(raw.get("metrics") or {}),
        optimizer_state=raw.get("optimizer"),
        training_state=raw.get("training_state"),
    )


# --------------------------------------------------------------- mamba_ssm
def load_mamba_ssm_checkpoint(
    weights_path: str | os.PathLike[str],
    config_path: str | os.PathLike[str],
    language: "Language",
    *,
    task: str = "next",
) -> Checkpoint:
    """Load weights saved by mamba_ssm's ``MambaLMHeadModel`` for probing.

    Parameters
    ----------
    weights_path
        The ``torch.save``'d state dict (``pytorch_model.bin``), loaded with
        ``weights_only=True``.
    config_path
        Its ``config.json`` (``d_model``, ``n_layer``, ``vocab_size``,
        ``ssm_cfg``, ``rms_norm``, ``pad_vocab_size_multiple``, ...).
    language
        The language the model reads, with our token ids (PAD 0, BOS 1,
        letters from 2); its vocabulary must fit the model's.
    task
        Recorded as the checkpoint's task; the head keeps mamba_ssm's LM-head
        width (the vocabulary), so only the backbone sites are meaningful for
        probing unless the head was trained for this task.

    Returns
    -------
    Checkpoint
        With our parameter names; ``build_model()`` gives the model.
    """
    cpath = Path(config_path)
    try:
        config = json.loads(cpath.read_text())
    except FileNotFoundError:
        raise CheckpointError(f"mamba_ssm config {cpath} does not exist") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"mamba_ssm config {cpath} is not readable JSON: {e}") from None
    if not isinstance(config, dict):
        raise CheckpointError(f"mamba_ssm config {cpath} is not a JSON object")
    try:
        mcfg = config_from_mamba_ssm(config)
    except AutomataProbeError as e:
        raise CheckpointError(f"mamba_ssm config {cpath} is not supported: {e}") from None
    except (TypeError, ValueError) as e:
        raise CheckpointError(f"mamba_ssm config {cpath} has an invalid value: {e}") from None
    tok = Tokenizer(alphabet=language.alphabet)
    if tok.vocab_size > mcfg.vocab_size:
        raise CheckpointError(
            f"language {language.name} needs {tok.vocab_size} token ids but the mamba_ssm model has "
            f"vocab_size {mcfg.vocab_size}"
        )
    sd = _safe_torch_load(Path(weights_path), what="mamba_ssm weights file")
    if not isinstance(sd, dict):
        raise CheckpointError(f"mamba_ssm weights file {weights_path} does not hold a state dict")
    model = build_model(mcfg)
    try:
        load_mamba_ssm_state_dict(model, sd)
    except CheckpointError:
        raise
    except (AutomataProbeError, RuntimeError, KeyError) as e:
        raise CheckpointError(f"mamba_ssm weights {weights_path} do not fit its config: {_first_line(str(e))}") from None
    return Checkpoint(
        path=str(weights_path),
        format_version=FORMAT_VERSION,
        model_config=model.config.to_dict(),
        state_dict={k: v.detach().clone() for k, v in model.state_dict().items()},
        language_name=language.name,
        alphabet=tuple(language.alphabet),
        dfa=language.dfa,
        task=task,
        metadata={"source": "mamba_ssm", "mamba_ssm_config": config},
    )


# --------------------------------------------------------------- resolution
@dataclass(frozen=True, kw_only=True, eq=False)
class LoadedModel:
    """A model ready to run, with what its checkpoint says about it.

    Attributes
    ----------
    model
        In eval mode.
    config
        Its :class:`ModelConfig` (None for a foreign module without one).
    alphabet
        The letters in tokenizer order.
    task
        The head's task (None when unknown).
    language_name
        The training language ("" when unknown).
    train_dfa
        The training language's DFA, when the checkpoint stores it.
    path
        The checkpoint path ("" for a model object).
    train_config
        The training config as a dict ({} when not trained here).
    """

    model: Any
    config: ModelConfig | None
    alphabet: tuple[str, ...]
    task: str | None
    language_name: str
    train_dfa: DFA | None
    path: str
    train_config: dict[str, Any]

    @property
    def tokenizer(self) -> Tokenizer:
        return Tokenizer(alphabet=self.alphabet)


def resolve_model(
    source: "str | os.PathLike[str] | Checkpoint | torch.nn.Module",
    *,
    alphabet: Sequence[str] | None = None,
    task: str | None = None,
) -> LoadedModel:
    """A checkpoint path, a :class:`Checkpoint` or a model object, as a :class:`LoadedModel`.

    For a bare model, ``alphabet`` (its letters in tokenizer order) and
    ``task`` say what the checkpoint would; they default to unknown.
    """
    import torch

    ckpt = load_checkpoint(source) if isinstance(source, (str, os.PathLike)) else source
    if isinstance(ckpt, Checkpoint):
        return LoadedModel(
            model=ckpt.build_model(), config=ckpt.config, alphabet=tuple(ckpt.alphabet), task=ckpt.task,
            language_name=ckpt.language_name, train_dfa=ckpt.dfa, path=ckpt.path, train_config=ckpt.train_config,
        )
    if isinstance(ckpt, torch.nn.Module):
        return LoadedModel(
            model=ckpt, config=getattr(ckpt, "config", None), alphabet=tuple(alphabet or ()), task=task,
            language_name="", train_dfa=None, path="", train_config={},
        )
    raise ModelError(f"expected a checkpoint path, a Checkpoint or a model, not a {type(source).__name__}")
