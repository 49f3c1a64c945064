"""How a reproduction draws and scores its data: the release's way, ours, and the two in between.

A :class:`Protocol` fixes two choices, each measured on its own
(``reproduce sarrof --protocol ...``):

``words``
    ``"release"``: the release's generators (:mod:`automata_probe.data.generators`:
    geometric lengths, deep D_n words, Tomita 3's long blocks), its training-set
    sizes and its bins; ``"uniform"``: our exact uniform sampler over the
    suite's lengths (:func:`~automata_probe.data.sample_words`, and
    :func:`~automata_probe.data.sample_counter_words` for counter languages),
    same sizes; ``"shipped"``: the release's shipped files
    (``generated_ds/`` of a checkout given as ``release_dir``).
``target``
    ``"classes"``: the release's class per position (one-hot, MSE, argmax),
    Tomita 3 with its dead-state encoding; ``"next"``: our next set (k letters
    and the end bit, BCE, every bit thresholded).

Named protocols (:data:`PROTOCOLS`): ``release`` (release words, classes),
``uniform`` (uniform words, next set), and the two crossings
``release-words`` and ``release-target``. Every protocol trains on a fixed
set for a number of epochs, scores positions ``1..L`` (after each letter, as
the release; position 0 sees only BOS) and counts a word only if every
position is right.

Longer bins: the release's longer bin of ``{a,b}*d{b,c}*``, ``{0,1,2}*02*``,
``aa*bb*cc*dd*ee*`` and D_n overlaps the training lengths; under the release's
words those languages get the release's bin (the published comparison) and
ours, drawn from the same generator above the training lengths.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..automata import COUNTER_LANGUAGES, load_language
from ..data import Tokenizer, counter_patterns, next_patterns, pad_words, sample_counter_words, sample_words
from ..data.generators import release_words
from ..errors import DataError, ParameterError

log = logging.getLogger(__name__)

__all__ = [
    "Protocol",
    "PROTOCOLS",
    "protocol",
    "Recipe",
    "RECIPES",
    "Split",
    "LanguageData",
    "language_data",
    "word_statistics",
    "release_target_strings",
]


@dataclass(frozen=True, kw_only=True)
class Protocol:
    """Where words come from and what is predicted (see the module docstring)."""

    name: str
    words: str
    target: str

    def __post_init__(self) -> None:
        if self.words not in ("release", "uniform", "shipped"):
            raise ParameterError(f"protocol {self.name!r}: words is release, uniform or shipped, not {self.words!r}")
        if self.target not in ("classes", "next"):
            raise ParameterError(f"protocol {self.name!r}: target is classes or next, not {self.target!r}")

    @property
    def loss(self) -> str:
        """``"mse"`` on one-hot classes (the release) or ``"bce"`` on the next set."""
        return "mse" if self.target == "classes" else "bce"


PROTOCOLS: dict[str, Protocol] = {
    "release": Protocol(name="release", words="release", target="classes"),
    "uniform": Protocol(name="uniform", words="uniform", target="next"),
    "release-words": Protocol(name="release-words", words="release", target="next"),
    "release-target": Protocol(name="release-target", words="uniform", target="classes"),
    "shipped": Protocol(name="shipped", words="shipped", target="classes"),
}


def protocol(name: str) -> Protocol:
    """The named protocol; :class:`ParameterError` naming the choices otherwise."""
    if name not in PROTOCOLS:
        raise ParameterError(f"unknown protocol {name!r}; expected one of {', '.join(PROTOCOLS)}")
    return PROTOCOLS[name]


@dataclass(frozen=True, kw_only=True)
class Recipe:
    """How the release builds one language's data (its dataset config).

    ``window`` is the generator's training window; ``longer`` its windows for
    the longer bins. ``together``: the training set and the held-out bin are
    drawn as one corpus and split (else drawn apart). ``per_n``: windows bound
    ``n`` of a^n b^n ..., not the length. ``folder``: the shipped dataset's name.
    """

    window: tuple[int, int]
    train_size: int
    test_size: int
    longer: tuple[tuple[int, int], ...]
    folder: str
    together: bool = True
    train_unique: bool = True
    per_n: int = 0


def _tomita(n_train: int, n_test: int, folder: str) -> Recipe:
    return Recipe(window=(1, 100), train_size=n_train, test_size=n_test, longer=((101, 150),), folder=folder,
                  together=False, train_unique=False)


#: Every language of the sheet, as the release's configs build it.
RECIPES: dict[str, Recipe] = {
    "tomita1": _tomita(1000, 50, "Tomita-1"),
    "tomita2": _tomita(1000, 25, "Tomita-2"),
    "tomita3": _tomita(10000, 2000, "Tomita-3"),
    "tomita4": _tomita(10000, 2000, "Tomita-4"),
    "tomita5": _tomita(10000, 2000, "Tomita-5"),
    "tomita6": _tomita(10000, 10000, "Tomita-6"),
    "tomita7": _tomita(10000, 2000, "Tomita-7"),
    "parity": Recipe(window=(2, 50), train_size=10000, test_size=2000, longer=((51, 100),), folder="Parity"),
    "aa_star": Recipe(window=(2, 500), train_size=250, test_size=50, longer=((501, 600),), folder="AAStar",
                      together=False, train_unique=False),
    "aaaa_star": Recipe(window=(4, 500), train_size=125, test_size=25, longer=((501, 600),), folder="AAAAStar",
                        together=False, train_unique=False),
    "abab_star": Recipe(window=(4, 500), train_size=125, test_size=25, longer=((501, 600),), folder="ABABStar",
                        together=False, train_unique=False),
    **{f"d{n}": Recipe(window=(2, 100), train_size=10000, test_size=2000, longer=((2, 200),), folder=f"D-{n}")
       for n in (2, 3, 4, 12)},
    "abcde": Recipe(window=(5, 200), train_size=10000, test_size=2000, longer=((5, 300),),
                    folder="AAStarBBStarCCStarDDStarEEStar"),
    "ab_d_bc": Recipe(window=(2, 50), train_size=10000, test_size=2000, longer=((2, 100),), folder="ABStar_D_BCStar"),
    "012_02": Recipe(window=(2, 50), train_size=10000, test_size=2000, longer=((2, 100),), folder="012Star_0_2Star"),
    "dyck1": Recipe(window=(2, 50), train_size=10000, test_size=2000, longer=((52, 100), (102, 150)),
                    folder="Dyck1", together=False),
    "shuffle2": Recipe(window=(2, 50), train_size=10000, test_size=2000, longer=((52, 100), (100, 150)),
                       folder="Shuffle2", together=False),
    **{f"shuffle{n}": Recipe(window=(2, 100), train_size=10000, test_size=2000, longer=((102, 150), (150, 200)),
                             folder=f"Shuffle{n}", together=False) for n in (4, 6)},
    **{f"boolean{n}": Recipe(window=(2, 50), train_size=10000, test_size=2000, longer=((51, 100), (100, 150)),
                             folder=f"Boolean{n}") for n in (3, 5)},
    "anbn": Recipe(window=(2, 100), train_size=1000, test_size=50, longer=((101, 200), (200, 300)), folder="anbn",
                   together=False, per_n=2),
    "anbncn": Recipe(window=(3, 150), train_size=1000, test_size=50, longer=((151, 300), (300, 450)),
                     folder="anbncn", together=False, per_n=3),
    "anbncndn": Recipe(window=(4, 200), train_size=1000, test_size=50, longer=((201, 400), (400, 600)),
                       folder="anbncndn", together=False, per_n=4),
}


@dataclass(frozen=True, kw_only=True, eq=False)
class Split:
    """Words and their per-position targets.

    ``tokens`` ``(N, T)`` (BOS, letters, PAD); ``targets`` ``(N, T)`` class ids
    or ``(N, T, C)`` multi-hot; ``mask`` ``(N, T)``: the scored positions
    (``1..L``). ``lo``/``hi``: the length range asked for; ``overlaps``: it
    shares lengths with the training set.
    """

    name: str
    words: tuple[str, ...]
    tokens: np.ndarray
    targets: np.ndarray
    mask: np.ndarray
    lo: int
    hi: int
    overlaps: bool = False

    @property
    def n(self) -> int:
        return len(self.words)

    @property
    def lengths(self) -> np.ndarray:
        return self.mask.sum(axis=1)


@dataclass(frozen=True, kw_only=True, eq=False)
class LanguageData:
    """A language's training set and evaluation splits under one protocol."""

    language: str
    protocol: Protocol
    train: Split
    evals: tuple[Split, ...]
    n_outputs: int
    vocab_size: int
    class_names: tuple[str, ...]


def _patterns(name: str, words: Sequence[str], target: str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Letter indices ``(N, Lmax)`` and next-set patterns ``(N, Lmax + 1, k + 1)``
    (Tomita 3's classes: which letter leads to acceptance, as its release)."""
    if name in COUNTER_LANGUAGES:
        machine = COUNTER_LANGUAGES[name].machine
        alphabet = machine.alphabet
        idx, lengths = pad_words([np.array([alphabet.index(c) for c in w], dtype=np.int64) for w in words])
        patterns, _ = counter_patterns(machine, idx, lengths)
        return idx, patterns, alphabet
    dfa = load_language(name).dfa
    idx, lengths = pad_words([dfa.encode(w) for w in words])
    states = dfa.run_indices(idx)  # (N, Lmax + 1)
    table = next_patterns(dfa)
    if name == "tomita3" and target == "classes":  # the release's dead_states hold q3: a letter is legal when it leads to acceptance
        table = np.concatenate([dfa.accept_mask[dfa.table], dfa.accept_mask[:, None]], axis=1)
    return idx, table[states], dfa.alphabet


def _split(name: str, split: str, words: Sequence[str], target: str, lo: int, hi: int, overlaps: bool,
           classes: dict[tuple[bool, ...], int]) -> Split:
    if not words:
        raise DataError(f"{name}: the {split} split has no words in [{lo}, {hi}]")
    idx, patterns, alphabet = _patterns(name, words, target)
    lengths = np.array([len(w) for w in words], dtype=np.int64)
    T = int(lengths.max()) + 1
    positions = np.arange(T)[None, :]
    mask = (positions >= 1) & (positions <= lengths[:, None])  # (N, T): after each letter
    tokens = np.zeros((len(words), T), dtype=np.int64)
    tokens[:, 0] = Tokenizer.BOS
    tokens[:, 1:] = np.where(mask[:, 1:], idx[:, : T - 1] + Tokenizer.OFFSET, Tokenizer.PAD)
    patterns = patterns[:, :T]
    if name == "tomita3" and target == "classes":
        patterns = patterns[..., :2]  # the release's Tomita classes have no end bit
    if target == "next":
        targets = (patterns & mask[..., None]).astype(np.float32)
    else:
        codes = (patterns.astype(np.int64) << np.arange(patterns.shape[-1])).sum(axis=-1)  # (N, T)
        for code in np.unique(codes[mask]):  # new classes in a fixed order
            classes.setdefault(tuple(bool(code >> i & 1) for i in range(patterns.shape[-1])), len(classes))
        lookup = {sum(int(b) << i for i, b in enumerate(p)): c for p, c in classes.items()}
        targets = np.where(mask, np.vectorize(lambda c: lookup.get(int(c), -1))(codes), -1).astype(np.int64)
    return Split(name=split, words=tuple(words), tokens=tokens, targets=targets, mask=mask, lo=lo, hi=hi,
                 overlaps=overlaps)


def _experiment(name: str) -> tuple[tuple[int, int], tuple[tuple[int, int], ...]]:
    """Our lengths: the suite's experiment (counter languages: theirs, non-overlapping)."""
    if name in COUNTER_LANGUAGES:
        e = COUNTER_LANGUAGES[name].experiment
    else:
        e = load_language(name).experiment
    return tuple(e.train_lengths), tuple(tuple(b) for b in e.test_bins)


def _uniform(name: str, bin: tuple[int, int], n: int, rng: np.random.Generator) -> list[str]:
    if name in COUNTER_LANGUAGES:
        lang = COUNTER_LANGUAGES[name]
        idx, lengths = sample_counter_words(lang, bin, n, rng)
        alphabet = lang.alphabet
    else:
        dfa = load_language(name).dfa
        idx, lengths = sample_words(dfa, bin, n, rng, source="language")
        alphabet = dfa.alphabet
    return ["".join(alphabet[i] for i in row[:length]) for row, length in zip(idx, lengths)]


def _release_bins(name: str, recipe: Recipe, n_train: int, n_test: int, rng: np.random.Generator):
    """(train words, [(split name, lo, hi, words)]) the release's way."""
    k = recipe.per_n or 1
    lo, hi = recipe.window
    if recipe.together:
        corpus = release_words(name, lo, hi, n_train + n_test, rng, unique=True)
        n_held = n_test
        if len(corpus) < n_train + n_test:
            # The generator ran dry (D_2 gives about 1,400 distinct words of length 2-100, against the
            # release's shipped 4,999 + 999): split what there is in the asked proportion, so that a
            # held-out bin exists, instead of filling the training set first.
            n_held = max(1, round(len(corpus) * n_test / (n_train + n_test)))
            log.warning("%s: the release generator gives only %d distinct words of length %d-%d (asked for %d); "
                        "split %d / %d", name, len(corpus), lo, hi, n_train + n_test, len(corpus) - n_held, n_held)
        train, held = corpus[:len(corpus) - n_held], corpus[len(corpus) - n_held:]
    else:
        train = release_words(name, lo, hi, n_train, rng, unique=recipe.train_unique)
        held = release_words(name, lo, hi, n_test, rng, unique=True)
    lengths = [len(w) for w in train + held]
    bins = [("train", min(lengths), max(lengths), held)]
    ours_train, ours_bins = _experiment(name)
    for i, (a, b) in enumerate(recipe.longer):
        label = "longer" if i == 0 else f"longer{i + 1}"
        words = release_words(name, a, b, n_test, rng, unique=True)
        overlap = a * k <= ours_train[1]
        bins.append((label + ("-release" if overlap else ""), a * k, b * k, words))
        if overlap:  # ours, above the training lengths, from the same generator
            o_lo, o_hi = ours_bins[i]
            words = release_words(name, max(o_lo // k, 1), o_hi // k, n_test, rng, unique=True)
            bins.append((label, o_lo, o_hi, [w for w in words if o_lo <= len(w) <= o_hi]))
    return train, bins


def _shipped(name: str, recipe: Recipe, release_dir: str) -> tuple[list[str], list]:
    folder = Path(release_dir) / "generated_ds" / recipe.folder
    if not folder.is_dir():
        raise DataError(f"no shipped dataset for {name}: {folder} is not a folder (give the release's checkout)")

    def read(file: str) -> list[str]:
        path = folder / file
        if not path.is_file():
            raise DataError(f"{path}: missing from the shipped dataset")
        return [line.rstrip("\n") for line in path.open() if line.strip()]

    train = read("train_src.txt")
    bins = []
    for i in range(1 + len(recipe.longer)):
        words = read(f"val_src_bin{i}.txt")
        label = "train" if i == 0 else ("longer" if i == 1 else f"longer{i}")
        lengths = [len(w) for w in words]
        bins.append((label, min(lengths), max(lengths), words))
    return train, bins


def _words_and_bins(name: str, words: str, recipe: Recipe, n_train: int, n_test: int, rng: np.random.Generator,
                    release_dir: str | None) -> tuple[list[str], list]:
    if words == "shipped":
        if release_dir is None:
            raise ParameterError("the shipped protocol needs the release's checkout (--release-dir)")
        train, bins = _shipped(name, recipe, release_dir)
        return train[:n_train], [(label, lo, hi, w[:n_test]) for label, lo, hi, w in bins]
    if words == "release":
        return _release_bins(name, recipe, n_train, n_test, rng)
    (t_lo, t_hi), ours = _experiment(name)
    train = _uniform(name, (t_lo, t_hi), n_train, rng)
    bins = [("train", t_lo, t_hi, _uniform(name, (t_lo, t_hi), n_test, rng))]
    bins += [("longer" if i == 0 else f"longer{i + 1}", a, b, _uniform(name, (a, b), n_test, rng))
             for i, (a, b) in enumerate(ours)]
    return train, bins


@lru_cache(maxsize=8)
def language_data(name: str, protocol_name: str, seed: int, *, scale: float = 1.0,
                  release_dir: str | None = None, cross: bool = False) -> LanguageData:
    """Build (and cache) the training set and evaluation splits of ``name``.

    Parameters
    ----------
    name
        A language of :data:`RECIPES`.
    protocol_name
        A key of :data:`PROTOCOLS`.
    seed
        Seeds every draw.
    scale
        Fraction of the release's set sizes (``--quick`` uses less); at least
        64 training and 32 held-out words.
    release_dir
        The release's checkout, for the ``shipped`` protocol.
    cross
        Also score on the other sampler's bins (``x-train``, ``x-longer``:
        uniform words for a release protocol, the release's for a uniform
        one), to tell what the training words change from what the test words do.
    """
    if name not in RECIPES:
        raise ParameterError(f"no recipe for {name!r}; the sheet's languages are {', '.join(RECIPES)}")
    if not 0 < scale <= 1:
        raise ParameterError(f"scale must be in (0, 1], got {scale}")
    proto = protocol(protocol_name)
    recipe = RECIPES[name]
    rng = np.random.default_rng([seed, 0x5A77])
    n_train = max(64, round(recipe.train_size * scale))
    n_test = max(32, round(recipe.test_size * scale))
    train, bins = _words_and_bins(name, proto.words, recipe, n_train, n_test, rng, release_dir)
    if cross:  # the other sampler's held-out bins, scored with this protocol's targets
        other = "uniform" if proto.words != "uniform" else "release"
        _, more = _words_and_bins(name, other, recipe, 1, n_test, rng, release_dir)
        bins += [(f"x-{label}", lo, hi, words) for label, lo, hi, words in more]
    classes: dict[tuple[bool, ...], int] = {}
    t_lo, t_hi = min(len(w) for w in train), max(len(w) for w in train)
    train_split = _split(name, "fit", train, proto.target, t_lo, t_hi, True, classes)
    evals = tuple(_split(name, label, words, proto.target, lo, hi, label == "train" or lo <= t_hi, classes)
                  for label, lo, hi, words in bins)
    alphabet = COUNTER_LANGUAGES[name].alphabet if name in COUNTER_LANGUAGES else load_language(name).alphabet
    k = len(alphabet) + (0 if name == "tomita3" and proto.target == "classes" else 1)
    names = tuple("".join("1" if x else "0" for x in p) for p, _ in sorted(classes.items(), key=lambda kv: kv[1]))
    return LanguageData(
        language=name, protocol=proto, train=train_split, evals=evals,
        n_outputs=len(classes) if proto.target == "classes" else k,
        vocab_size=Tokenizer(alphabet=alphabet).vocab_size, class_names=names,
    )


def release_target_strings(name: str, words: Sequence[str]) -> list[str]:
    """The release's target file lines (``*_tgt.txt``) for ``words`` of a language
    whose release target is the set of legal next letters (D_n, Tomita 3, the
    star-free languages): after each letter, one bit per letter of the alphabet
    (no end bit). Tomita 3 uses its release's dead-state classes. This is what
    :func:`language_data`'s class targets encode, written the release's way, so
    the two can be compared on the release's shipped files."""
    if name in COUNTER_LANGUAGES:
        raise ParameterError(f"{name} is a counter language; its release targets are not letter sets")
    idx, patterns, alphabet = _patterns(name, words, "classes")
    k = len(alphabet)
    return ["".join("".join("1" if b else "0" for b in patterns[i, t, :k]) for t in range(1, len(w) + 1))
            for i, w in enumerate(words)]


def word_statistics(name: str, words: Sequence[str]) -> dict[str, Any]:
    """What distinguishes samplers: lengths, and for D_n the depth reached, for
    Tomita 3 the longest block."""
    lengths = np.array([len(w) for w in words])
    out: dict[str, Any] = {"n": len(words), "median_length": float(np.median(lengths)),
                           "min_length": int(lengths.min()), "max_length": int(lengths.max())}
    if name.startswith("d") and name[1:].isdigit():
        n = int(name[1:])
        depths = [np.cumsum([1 if c == "a" else -1 for c in w]) for w in words if w]
        out["reach_max_depth"] = float(np.mean([d.max() == n for d in depths]))
        out["positions_deep"] = float(np.mean(np.concatenate(depths) >= n - 2))
    if name == "tomita3":
        longest = [max((len(b) for b in _runs(w)), default=0) for w in words]
        out["median_longest_block"] = float(np.median(longest))
        out["block_ge_20"] = float(np.mean(np.array(longest) >= 20))
        out["median_blocks"] = float(np.median([len(_runs(w)) for w in words]))
    return out


def _runs(word: str) -> list[str]:
    runs: list[str] = []
    for ch in word:
        if runs and runs[-1][0] == ch:
            runs[-1] += ch
        else:
            runs.append(ch)
    return runs
