"""The stochastic word generators of Sarrof et al.'s release, ported.

The release (lacoco-lab/ssm_expressivity, ``src/generators``; ported from
Bhattamishra et al. 2020) draws its words from hand-written generators, not
uniformly. Their length laws and shapes differ from a uniform sampler's, and
that explains several gaps between a uniform reproduction and the published
figures (``docs/experiments.md``). Each function here follows one generator
line by line, with one seeded :class:`numpy.random.Generator` for all
randomness (served from buffers: :class:`_Stream`); dedup (``unique``) and the ``[lo, hi]`` filter are the release's.

:func:`release_words` is the entry point: ``release_words(name, lo, hi, n, rng)``
for a language of the suite (``tomita3``, ``d12``, ``dyck1``, ...). The
windows are the generators' own arguments: for a^n b^n (c^n (d^n)) they bound
``n``, for the others the length.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..errors import DataError

__all__ = ["RELEASE_GENERATORS", "release_words"]

_MAX_TRIES = 2_000_000


class _Stream:
    """Seeded uniform and normal draws served from buffers (one numpy call per 4096 draws,
    not one per letter); ``integers(lo, hi)`` is uniform on ``lo..hi-1`` as numpy's."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self._u: list[float] = []
        self._z: list[float] = []

    def random(self) -> float:
        if not self._u:
            self._u = self.rng.random(4096).tolist()
        return self._u.pop()

    def standard_normal(self) -> float:
        if not self._z:
            self._z = self.rng.standard_normal(4096).tolist()
        return self._z.pop()

    def integers(self, lo: int, hi: int | None = None) -> int:
        if hi is None:
            lo, hi = 0, lo
        if hi <= lo:
            raise ValueError(f"empty range [{lo}, {hi})")
        return lo + min(int(self.random() * (hi - lo)), hi - lo - 1)


def _geometric_string(rng: _Stream, p: float, max_length: int, letters: str = "01") -> str:
    """Letters i.i.d. with probability p each, stop with probability 1 - 2p (the release's Tomita/parity law)."""
    out = []
    while len(out) < max_length:
        u = rng.random()
        if u >= 2 * p:
            break
        out.append(letters[0] if u < p else letters[1])
    return "".join(out)


def _window_p(lo: int, hi: int) -> float:
    mean = (lo + hi) // 2
    return mean / (2 * (1 + mean))


def _tomita3(rng: _Stream, lo: int, hi: int) -> str:
    """Few, long blocks: each block's length uniform in what remains of a uniform total length."""
    length = int(rng.integers(lo, hi + 1))
    s, last, ones = "", None, 0
    while len(s) != length:
        toss = "0" if rng.random() < 0.5 else "1"
        room = length - len(s)
        if toss == "1":
            k = int(rng.integers(room + 1))
            ones = k if (last == "0" and k) else ones + k
        elif last is None or ones % 2 == 0:
            k = int(rng.integers(room + 1))
        else:  # after an odd block of 1s, an even block of 0s
            k = 2 * int(rng.integers(room // 2 + 1))
        s += toss * k
        if k:
            last = toss
    return s


def _tomita4(rng: _Stream, lo: int, hi: int) -> str:
    length = int(rng.integers(lo, hi + 1))
    s = ""
    while len(s) < length:
        toss = "0" if rng.random() < 0.5 else "1"
        if toss == "0" and s.endswith("00"):
            continue
        s += toss
    return s


def _tomita7(rng: _Stream, lo: int, hi: int) -> str:
    """0*1*0*1*: four blocks, each uniform in what remains of ``hi``."""
    s = ""
    for letter in "0101":
        s += letter * int(rng.integers(0, hi - len(s) + 1))
        if len(s) == hi:
            break
    return s


def _tomita_member(k: int) -> Callable[[str], bool]:
    if k == 3:
        return lambda w: not _odd_ones_then_odd_zeros(w)
    if k == 5:
        return lambda w: w.count("0") % 2 == 0 and w.count("1") % 2 == 0
    if k == 6:
        return lambda w: (w.count("0") - w.count("1")) % 3 == 0
    return lambda w: True


def _odd_ones_then_odd_zeros(w: str) -> bool:
    blocks = [(c, len(b)) for c, b in _blocks(w)]
    return any(c1 == "1" and n1 % 2 and c2 == "0" and n2 % 2
               for (c1, n1), (c2, n2) in zip(blocks, blocks[1:]))


def _blocks(w: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for ch in w:
        if out and out[-1][0] == ch:
            out[-1] = (ch, out[-1][1] + ch)
        else:
            out.append((ch, ch))
    return out


def _tomita(k: int) -> Callable[..., list[str]]:
    def gen(rng: _Stream, lo: int, hi: int, n: int, unique: bool) -> list[str]:
        p = _window_p(lo, hi)
        member = _tomita_member(k)
        draw: Callable[[], str] = {
            1: lambda: "1" * int(rng.integers(lo, hi + 1)),
            2: lambda: "10" * ((int(rng.integers(lo, hi)) + 1) // 2),
            3: lambda: _tomita3(rng, lo, hi),
            4: lambda: _tomita4(rng, lo, hi),
            7: lambda: _tomita7(rng, lo, hi),
        }.get(k, lambda: _geometric_string(rng, p, hi))
        # leak=True in every Tomita config: duplicates are kept while drawing,
        # and a held-out bin is deduplicated afterwards (unique=True)
        words = _collect(lambda: draw(), lambda w: lo <= len(w) <= hi and member(w), n, dedup=False)
        return _dedup(words) if unique else words
    return gen


def _collect(draw: Callable[[], str], keep: Callable[[str], bool], n: int, *, dedup: bool) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for _ in range(_MAX_TRIES):
        if len(out) >= n:
            return out
        w = draw()
        if dedup and w in seen:
            continue
        if keep(w):
            out.append(w)
            seen.add(w)
    raise DataError(f"the release generator produced only {len(out)} of {n} words in {_MAX_TRIES} draws")


def _dedup(words: list[str]) -> list[str]:
    return list(dict.fromkeys(words))


def _parity(rng: _Stream, lo: int, hi: int, n: int, unique: bool) -> list[str]:
    p = _window_p(lo, hi)
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < n:
        w = _geometric_string(rng, p, hi)
        if w in seen or not lo <= len(w) <= hi:
            continue
        if w.count("1") % 2:
            w += "1"  # odd parity: append a 1
        if len(w) <= hi:
            out.append(w)
            seen.add(w)
    return out


def _repeat(unit: str) -> Callable[..., list[str]]:
    """(aa)*, (aaaa)*, (abab)*: ``(lo + U{0..hi-lo}) // |unit|`` copies of the unit."""
    def gen(rng: _Stream, lo: int, hi: int, n: int, unique: bool) -> list[str]:
        draw = lambda: unit * ((lo + int(rng.integers(hi - lo + 1))) // len(unit))  # noqa: E731
        words = _collect(draw, lambda w: lo <= len(w) <= hi, n, dedup=False)
        return _dedup(words) if unique else words
    return gen


def _d_n(depth: int) -> Callable[..., list[str]]:
    """D_n: recursive, deep words (``D_nLanguage``): a target length 0.75 of the
    maximum (sd 10%), filled with ``a D_{n-1} b`` blocks each aiming at 0.75 of it."""
    def build(rng: _Stream, n: int, max_length: int, ratio: float) -> str:
        if n == 0 or max_length == 0:
            return ""
        s = ""
        while len(s) < max_length:
            inner = int(max_length * ratio * (0.1 * rng.standard_normal() + 1))
            s += "a" + build(rng, n - 1, inner, ratio) + "b"
        return s

    def gen(rng: _Stream, lo: int, hi: int, n: int, unique: bool) -> list[str]:
        out: list[str] = []
        seen: set[str] = set()
        ratio, tries = 0.75, 0
        while len(out) < n and ratio >= 0:
            w = build(rng, depth, int(hi * ratio * (0.1 * rng.standard_normal() + 1)), ratio)
            if w not in seen and lo <= len(w) <= hi:
                out.append(w)
                seen.add(w)
            else:
                tries += 1
            if tries > 20000:  # the release lowers its ratio when it stops finding words
                tries, ratio = 0, ratio - 0.02
        return out
    return gen


def _pre_mandatory_post(pre: str, mandatory: str, post: str) -> Callable[..., list[str]]:
    """{a,b}*d{b,c}* and {0,1,2}*02*: a uniform prefix length, then a uniform suffix length."""
    def gen(rng: _Stream, lo: int, hi: int, n: int, unique: bool) -> list[str]:
        def draw() -> str:
            k = int(rng.integers(0, hi - 1))
            m = int(rng.integers(0, hi - k - 1))
            return ("".join(pre[rng.integers(len(pre))] for _ in range(k)) + mandatory
                    + "".join(post[rng.integers(len(post))] for _ in range(m)))
        return _dedup(_collect(draw, lambda w: lo <= len(w) <= hi, n, dedup=True))
    return gen


def _abcde(rng: _Stream, lo: int, hi: int, n: int, unique: bool) -> list[str]:
    """aa*bb*cc*dd*ee* (``AAStarBBStarLanguage``): each block ``lo // 5`` plus a share of the slack."""
    def draw() -> str:
        s, total = "", hi - lo + 1
        for letter in "abcde":
            count = int(rng.integers(total)) + 1 if total > 0 else 0
            s += letter * (lo // 5 + count)
            total -= count
        return s
    return _collect(draw, lambda w: lo <= len(w) <= hi and "e" in w, n, dedup=True)


def _dyck_pcfg(pairs: tuple[tuple[str, str], ...], p: float = 0.5, q: float = 0.25) -> Callable[..., list[str]]:
    """Dyck-1 and Shuffle-n: the PCFG S -> (_i S )_i (p) | S S (q) | empty, truncated at the maximum size."""
    def generate(rng: _Stream, size: int, max_size: int, depth: int) -> str:
        if size >= max_size or depth > 900:
            return ""
        u = rng.random()
        if u < p:
            o, c = pairs[int(rng.integers(len(pairs)))]
            s = o + generate(rng, size + 2, max_size, depth + 1) + c
        elif u < p + q:
            s = generate(rng, size, max_size, depth + 1) + generate(rng, size, max_size, depth + 1)
        else:
            return ""
        return s if len(s) <= max_size else ""

    def gen(rng: _Stream, lo: int, hi: int, n: int, unique: bool) -> list[str]:
        return _collect(lambda: generate(rng, 0, hi, 0), lambda w: len(w) >= lo, n, dedup=True)
    return gen


def _boolean(arity: int, p: float) -> Callable[..., list[str]]:
    """Boolean-n in Polish notation: an operand with probability 1 - p, else an operator of uniform arity."""
    ops = "~+>*^"[:arity]

    def draw(rng: _Stream, hi: int) -> str:
        pending, s = 1, ""
        for _ in range(hi):
            u = rng.random()
            k = 0 if u < 1 - p else min(1 + int((u - (1 - p)) / (p / arity)), arity)
            s += ("01"[int(rng.integers(2))]) if k == 0 else ops[k - 1]
            pending += k - 1
            if pending == 0:
                return s
        return ""

    def gen(rng: _Stream, lo: int, hi: int, n: int, unique: bool) -> list[str]:
        return _collect(lambda: draw(rng, hi), lambda w: len(w) >= lo and w != "", n, dedup=True)
    return gen


def _blocks_n(k: int) -> Callable[..., list[str]]:
    """a^n b^n (c^n (d^n)): n uniform in the window, duplicates removed (the window bounds n)."""
    def gen(rng: _Stream, lo: int, hi: int, n: int, unique: bool) -> list[str]:
        reps = [rng.integers(lo, hi + 1) for _ in range(n)]
        return _dedup(["".join(x * int(r) for x in "abcd"[:k]) for r in reps])
    return gen


_SHUFFLE = (("(", ")"), ("[", "]"), ("{", "}"), ("<", ">"), ("+", "-"), ("a", "b"))

#: Generators by language name: ``fn(rng, lo, hi, n, unique) -> words``.
RELEASE_GENERATORS: dict[str, Callable[..., list[str]]] = {
    **{f"tomita{k}": _tomita(k) for k in range(1, 8)},
    "parity": _parity,
    "aa_star": _repeat("aa"),
    "aaaa_star": _repeat("aaaa"),
    "abab_star": _repeat("abab"),
    **{f"d{n}": _d_n(n) for n in (2, 3, 4, 12)},
    "ab_d_bc": _pre_mandatory_post("ab", "d", "bc"),
    "012_02": _pre_mandatory_post("012", "0", "2"),
    "abcde": _abcde,
    "dyck1": _dyck_pcfg(_SHUFFLE[:1]),
    **{f"shuffle{n}": _dyck_pcfg(_SHUFFLE[:n]) for n in (2, 4, 6)},
    "boolean3": _boolean(3, 0.5),
    "boolean5": _boolean(5, 0.3),
    "anbn": _blocks_n(2),
    "anbncn": _blocks_n(3),
    "anbncndn": _blocks_n(4),
}


def release_words(name: str, lo: int, hi: int, n: int, rng: np.random.Generator | int, *,
                  unique: bool = False) -> list[str]:
    """``n`` words (fewer after dedup) from the release's generator for ``name``.

    Parameters
    ----------
    name
        A language of :data:`RELEASE_GENERATORS`.
    lo, hi
        The generator's window (lengths; for the a^n b^n family, ``n``).
    n
        Words to draw.
    rng
        Seed or Generator.
    unique
        Deduplicate afterwards (the release's held-out bins do; some training sets do not).
    """
    if name not in RELEASE_GENERATORS:
        raise DataError(f"no release generator for {name!r}; known: {', '.join(RELEASE_GENERATORS)}")
    if not 0 <= lo <= hi:
        raise DataError(f"window [{lo}, {hi}] is not a range of lengths")
    return RELEASE_GENERATORS[name](_Stream(np.random.default_rng(rng)), lo, hi, n, unique)
