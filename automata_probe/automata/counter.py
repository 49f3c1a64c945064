"""Deterministic counter machines: the non-regular languages of Sarrof et al.'s counter table.

A :class:`CounterMachine` is a finite control with ``k`` counters (natural
numbers). A rule fires on (control state, letter, a zero/positive test of each
counter), moves to a control state and adds an increment to each counter; at
most one rule applies to any configuration (determinism, checked). A word is
accepted when its run ends in an accepting control state with every counter at
zero. A *configuration* is ``(control state, counters)``.

Glossary::

    config        (q, (c_1, ..., c_k))   control state and counter values
    step(c, a)    the configuration after letter a, or None (no rule: rejected)
    next set      the letters with a rule at c, and whether c accepts
    bounded_dfa   the DFA of the words whose counters never pass a bound

The nine languages of the counter table (Bhattamishra et al. 2020; Sarrof et
al. 2024) are in :data:`COUNTER_LANGUAGES`. None is regular, so none has a DFA:
:func:`~automata_probe.automata.load_language` refuses them with
:class:`~automata_probe.errors.NotRegularError`, and ``NAME@B`` (``dyck1@20``)
names the regular language of words whose counters stay at most ``B``, which
the DFA pipeline (training, probing with ``--target counter``) accepts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Sequence

from ..errors import NotRegularError, ParameterError, StateSpaceTooLargeError
from .dfa import DFA
from .language import Experiment, Language
from .words import split_word

__all__ = [
    "Rule",
    "CounterMachine",
    "CounterLanguage",
    "COUNTER_LANGUAGES",
    "counter_language",
    "is_counter_name",
    "shuffle_machines",
    "bounded_counter_dfa",
    "bounded_language",
]

Config = tuple[str, tuple[int, ...]]

#: Tests a rule makes of one counter.
GUARDS = ("any", "zero", "pos")

#: Configurations a bounded DFA may have before :class:`StateSpaceTooLargeError`.
MAX_BOUNDED_STATES = 200_000


@dataclass(frozen=True, kw_only=True)
class Rule:
    """``state --letter [guard]--> target``, adding ``delta`` to the counters."""

    state: str
    letter: str
    guard: tuple[str, ...]
    target: str
    delta: tuple[int, ...]

    def applies(self, counters: tuple[int, ...]) -> bool:
        return all(g == "any" or (g == "zero") == (c == 0) for g, c in zip(self.guard, counters))


@dataclass(frozen=True, kw_only=True, eq=False)
class CounterMachine:
    """A deterministic counter machine (see the module docstring).

    Parameters
    ----------
    name
        Display name.
    alphabet
        Ordered letters.
    n_counters
        ``k``.
    start
        Start control state; counters start at ``initial`` (zeros by default).
    rules
        The transition rules; at most one may apply to any configuration.
    accepting
        Control states that accept when every counter is zero.
    initial
        Start counter values.
    parts
        For a shuffle of machines over disjoint alphabets (:func:`shuffle_machines`),
        the components; the sampler counts through them.
    """

    name: str
    alphabet: tuple[str, ...]
    n_counters: int
    start: str
    rules: tuple[Rule, ...]
    accepting: frozenset[str]
    initial: tuple[int, ...] | None = None
    parts: tuple["CounterMachine", ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "alphabet", tuple(self.alphabet))
        object.__setattr__(self, "accepting", frozenset(self.accepting))
        if self.initial is None:
            object.__setattr__(self, "initial", (0,) * self.n_counters)
        if len(set(self.alphabet)) != len(self.alphabet) or not self.alphabet:
            raise ParameterError(f"counter machine {self.name!r}: the alphabet must be non-empty and distinct")
        if len(self.initial) != self.n_counters or min(self.initial, default=0) < 0:
            raise ParameterError(f"counter machine {self.name!r}: initial counters {self.initial} do not fit")
        for r in self.rules:
            self._validate_rule(r)
        self._check_deterministic()

    def _validate_rule(self, r: Rule) -> None:
        where = f"counter machine {self.name!r}, rule {r.state} --{r.letter}-->"
        if r.letter not in self.alphabet:
            raise ParameterError(f"{where}: letter {r.letter!r} is not in the alphabet")
        if len(r.guard) != self.n_counters or len(r.delta) != self.n_counters:
            raise ParameterError(f"{where}: guard and delta need {self.n_counters} entries")
        if any(g not in GUARDS for g in r.guard):
            raise ParameterError(f"{where}: a guard is one of {', '.join(GUARDS)}")
        for g, d in zip(r.guard, r.delta):
            if d < 0 and (g != "pos" or d < -1):
                raise ParameterError(f"{where}: a counter may only be decremented by 1 after a 'pos' test")

    def _check_deterministic(self) -> None:
        seen: dict[tuple[str, str], list[Rule]] = {}
        for r in self.rules:
            for other in seen.setdefault((r.state, r.letter), []):
                if not any({g, h} == {"zero", "pos"} for g, h in zip(r.guard, other.guard)):
                    raise ParameterError(
                        f"counter machine {self.name!r} is not deterministic: two rules fire on "
                        f"{r.state} --{r.letter}--> with guards {r.guard} and {other.guard}"
                    )
            seen[(r.state, r.letter)].append(r)

    @cached_property
    def _by_key(self) -> dict[tuple[str, str], tuple[Rule, ...]]:
        out: dict[tuple[str, str], list[Rule]] = {}
        for r in self.rules:
            out.setdefault((r.state, r.letter), []).append(r)
        return {k: tuple(v) for k, v in out.items()}

    @property
    def n_letters(self) -> int:
        return len(self.alphabet)

    @property
    def start_config(self) -> Config:
        return (self.start, tuple(self.initial))

    @cached_property
    def letter_index(self) -> dict[str, int]:
        return {a: i for i, a in enumerate(self.alphabet)}

    @cached_property
    def max_increment(self) -> int:
        """The most any counter grows in one step (bounds counters by length)."""
        return max((max(r.delta) for r in self.rules), default=0)

    def step(self, config: Config | None, letter: str) -> Config | None:
        """The configuration after ``letter``; None when no rule applies (rejected)."""
        if config is None:
            return None
        state, counters = config
        for r in self._by_key.get((state, letter), ()):
            if r.applies(counters):
                return (r.target, tuple(c + d for c, d in zip(counters, r.delta)))
        return None

    def accepts_config(self, config: Config | None) -> bool:
        return config is not None and config[0] in self.accepting and not any(config[1])

    def run(self, word: str | Sequence[str]) -> list[Config | None]:
        """Configurations ``c_0 .. c_L`` of the run on ``word`` (None from the first rejected letter)."""
        configs: list[Config | None] = [self.start_config]
        for letter in split_word(word, self.alphabet):
            configs.append(self.step(configs[-1], letter))
        return configs

    def accepts(self, word: str | Sequence[str]) -> bool:
        return self.accepts_config(self.run(word)[-1])

    def next_pattern(self, config: Config | None) -> tuple[bool, ...]:
        """The letters with a rule at ``config``, then whether it accepts (the ``next`` target).

        The nine machines of the suite are *trim* (every reachable
        configuration can still reach acceptance), so a letter with a rule is
        a letter some accepted word continues with.
        """
        return tuple(self.step(config, a) is not None for a in self.alphabet) + (self.accepts_config(config),)

    def __repr__(self) -> str:
        return f"CounterMachine({self.name!r}, {self.n_counters} counter{'s' * (self.n_counters != 1)})"


def _rule(state: str, letter: str, guard: str, target: str, delta: Sequence[int]) -> Rule:
    """Shorthand: ``guard`` is one character per counter (``*`` any, ``0`` zero, ``+`` positive)."""
    names = {"*": "any", "0": "zero", "+": "pos"}
    return Rule(state=state, letter=letter, guard=tuple(names[g] for g in guard), target=target,
                delta=tuple(delta))


def dyck1_machine(open_: str = "(", close: str = ")", name: str = "dyck1") -> CounterMachine:
    """Dyck-1: balanced brackets, one counter."""
    return CounterMachine(name=name, alphabet=(open_, close), n_counters=1, start="S",
                          rules=(_rule("S", open_, "*", "S", (1,)), _rule("S", close, "+", "S", (-1,))),
                          accepting={"S"})


def shuffle_machines(machines: Sequence[CounterMachine], name: str) -> CounterMachine:
    """The shuffle (interleaving) of machines over disjoint alphabets: one
    counter block per component, a word is accepted when its projection on
    each component's letters is."""
    letters = [a for m in machines for a in m.alphabet]
    if len(set(letters)) != len(letters):
        raise ParameterError(f"shuffle {name!r}: the components' alphabets must be disjoint")
    if any(len({r.state for r in m.rules} | {m.start}) != 1 for m in machines):
        raise ParameterError(f"shuffle {name!r}: components must have one control state")
    rules, offset, k = [], 0, sum(m.n_counters for m in machines)
    for m in machines:
        for r in m.rules:
            guard = ("any",) * offset + r.guard + ("any",) * (k - offset - m.n_counters)
            delta = (0,) * offset + r.delta + (0,) * (k - offset - m.n_counters)
            rules.append(Rule(state="S", letter=r.letter, guard=guard, target="S", delta=delta))
        offset += m.n_counters
    return CounterMachine(name=name, alphabet=tuple(letters), n_counters=k, start="S", rules=tuple(rules),
                          accepting={"S"}, parts=tuple(machines))


#: Bracket pairs of the release's Shuffle-n (Bhattamishra et al.'s order).
SHUFFLE_PAIRS = (("(", ")"), ("[", "]"), ("{", "}"), ("<", ">"), ("+", "-"), ("a", "b"))

#: Boolean operators by arity (Bhattamishra et al.): ~ 1, + 2, > 3, * 4, ^ 5.
BOOLEAN_OPERATORS = ("~", "+", ">", "*", "^")


def boolean_machine(n: int) -> CounterMachine:
    """Boolean-n: Boolean expressions in Polish notation with operators of arity 1..n
    over the operands 0 and 1. The counter holds the pending operands minus one."""
    ops = BOOLEAN_OPERATORS[:n]
    rules = [_rule("S", v, "0", "F", (0,)) for v in "01"] + [_rule("S", v, "+", "S", (-1,)) for v in "01"]
    rules += [_rule("S", op, "*", "S", (arity - 1,)) for arity, op in enumerate(ops, start=1)]
    return CounterMachine(name=f"boolean{n}", alphabet=("0", "1", *ops), n_counters=1, start="S",
                          rules=tuple(rules), accepting={"F"})


def blocks_machine(k: int) -> CounterMachine:
    """a^n b^n (k = 2), a^n b^n c^n (3), a^n b^n c^n d^n (4), n >= 1: k - 1 counters."""
    letters = "abcd"[:k]
    m = k - 1
    up = (1,) * m
    rules = [_rule("A0", "a", "*" * m, "A", up), _rule("A", "a", "*" * m, "A", up)]
    for i in range(1, k):  # the i-th block decrements counter i - 1
        guard = ["*"] * m
        guard[i - 1] = "+"
        if i > 1:
            guard[i - 2] = "0"  # the previous block is finished
        delta = [0] * m
        delta[i - 1] = -1
        here = "A" if i == 1 else letters[i - 1].upper()
        rules.append(_rule(here, letters[i], "".join(guard), letters[i].upper(), delta))
        stay = ["*"] * m
        stay[i - 1] = "+"
        rules.append(_rule(letters[i].upper(), letters[i], "".join(stay), letters[i].upper(), delta))
    name = "a^n " + " ".join(f"{x}^n" for x in letters[1:])
    return CounterMachine(name=name.replace(" ", ""), alphabet=tuple(letters), n_counters=m, start="A0",
                          rules=tuple(rules), accepting={letters[-1].upper()})


@dataclass(frozen=True, kw_only=True, eq=False)
class CounterLanguage:
    """A non-regular language given by a counter machine, with its default lengths.

    Parameters
    ----------
    name, description, source
        As for :class:`~automata_probe.automata.Language`.
    machine
        The machine.
    experiment
        Training lengths and the longer bins (the release's lengths).
    witness
        ``(u, (v_1, v_2, ...), t)``: prefixes ``u_n = u^(n+1)`` and suffixes
        ``v_n = v_1^(n+1) v_2^(n+1) ... t`` with ``u_i v_j`` accepted exactly
        when ``i = j``: infinitely many
        Myhill-Nerode classes, so the language is not regular
        (:func:`~automata_probe.algebra.non_regular_certificate` checks it).
    one_word_per_length
        Each length has at most one word, a block word (the a^n b^n family);
        the sampler enumerates instead of counting.
    """

    name: str
    description: str
    machine: CounterMachine
    experiment: Experiment
    witness: tuple[str, tuple[str, ...], str]
    source: str = "Bhattamishra, Ahuja & Goyal 2020; Sarrof, Veitsman & Hahn 2024"
    one_word_per_length: bool = False

    @property
    def alphabet(self) -> tuple[str, ...]:
        return self.machine.alphabet

    def accepts(self, word: str | Sequence[str]) -> bool:
        return self.machine.accepts(word)

    def witness_words(self, n: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """``(u_n, v_n)`` of the non-regularity witness."""
        u, vs, tail = self.witness
        return (u,) * (n + 1), tuple(x for v in vs for x in (v,) * (n + 1)) + ((tail,) if tail else ())


def _bins(train: tuple[int, int], *bins: tuple[int, int]) -> Experiment:
    return Experiment(train_lengths=train, test_bins=tuple(bins))


def _make_suite() -> dict[str, CounterLanguage]:
    suite = {
        "dyck1": CounterLanguage(
            name="dyck1", description="Dyck-1: balanced parentheses", machine=dyck1_machine(),
            experiment=_bins((2, 50), (52, 100), (102, 150)), witness=("(", (")",), "")),
    }
    for n, train, b1, b2 in ((2, (2, 50), (52, 100), (102, 150)), (4, (2, 100), (102, 150), (152, 200)),
                             (6, (2, 100), (102, 150), (152, 200))):
        parts = [dyck1_machine(o, c, name=f"dyck1{o}{c}") for o, c in SHUFFLE_PAIRS[:n]]
        suite[f"shuffle{n}"] = CounterLanguage(
            name=f"shuffle{n}", description=f"Shuffle-{n}: interleavings of {n} Dyck-1 languages",
            machine=shuffle_machines(parts, f"shuffle{n}"), experiment=_bins(train, b1, b2), witness=("(", (")",), ""))
    for n in (3, 5):
        suite[f"boolean{n}"] = CounterLanguage(
            name=f"boolean{n}", description=f"Boolean-{n}: Boolean expressions in Polish notation, arity <= {n}",
            machine=boolean_machine(n), experiment=_bins((2, 50), (51, 100), (101, 150)), witness=("+", ("0",), "0"))
    for k, name, train, b1, b2 in ((2, "anbn", (4, 200), (202, 400), (402, 600)),
                                   (3, "anbncn", (9, 450), (453, 900), (903, 1350)),
                                   (4, "anbncndn", (16, 800), (804, 1600), (1604, 2400))):
        letters = "abcd"[:k]
        suite[name] = CounterLanguage(
            name=name, description=" ".join(f"{x}^n" for x in letters) + " (n >= 1)", machine=blocks_machine(k),
            experiment=_bins(train, b1, b2), witness=("a", tuple(letters[1:]), ""), one_word_per_length=True)
    return suite


#: The counter table's languages by name (the release's lengths, three bins each).
COUNTER_LANGUAGES: dict[str, CounterLanguage] = _make_suite()


def is_counter_name(name: str) -> bool:
    """Whether ``name`` is a counter language (``dyck1``) or its bounded form (``dyck1@20``)."""
    base, _, bound = str(name).partition("@")
    return base.lower() in COUNTER_LANGUAGES and (not bound or bound.isdigit())


def counter_language(name: str) -> CounterLanguage:
    """The counter language ``name`` (case-insensitive); :class:`NotRegularError`-free lookup.

    Raises
    ------
    ParameterError
        An unknown name (the message lists the nine).
    """
    key = str(name).lower().partition("@")[0]
    if key not in COUNTER_LANGUAGES:
        raise ParameterError(f"unknown counter language {name!r}; expected one of {', '.join(COUNTER_LANGUAGES)}")
    return COUNTER_LANGUAGES[key]


def not_regular_error(name: str) -> NotRegularError:
    """The error a DFA-only entry point raises for a counter language."""
    lang = counter_language(name)
    k = lang.machine.n_counters
    return NotRegularError(
        f"{lang.name} is not regular ({lang.description}; a deterministic counter machine with {k} "
        f"counter{'s' * (k != 1)}), so it has no DFA; use `reproduce counter`, or {lang.name}@B for its "
        f"words with counters at most B"
    )


def bounded_counter_dfa(machine: CounterMachine, bound: int, *, name: str | None = None,
                        max_states: int = MAX_BOUNDED_STATES) -> tuple[DFA, tuple[Config | None, ...]]:
    """The DFA of the words whose run keeps every counter at most ``bound``.

    It agrees with the machine on every word of length at most
    ``bound // max_increment``. Returns the (unminimized) DFA and the
    configuration of each of its states (None for the sink).

    Raises
    ------
    StateSpaceTooLargeError
        More than ``max_states`` configurations.
    """
    if isinstance(bound, bool) or not isinstance(bound, int) or bound < 0:
        raise ParameterError(f"a counter bound is a natural number, got {bound!r}")
    index: dict[Config, int] = {machine.start_config: 0}
    configs: list[Config | None] = [machine.start_config]
    rows: list[list[int]] = []
    i = 0
    while i < len(configs):
        row = []
        for a in machine.alphabet:
            nxt = machine.step(configs[i], a)
            if nxt is None or max(nxt[1], default=0) > bound:
                row.append(-1)
                continue
            if nxt not in index:
                if len(configs) >= max_states:
                    raise StateSpaceTooLargeError(
                        f"{machine.name} bounded at {bound} has more than {max_states} configurations; "
                        f"use a smaller bound"
                    )
                index[nxt] = len(configs)
                configs.append(nxt)
            row.append(index[nxt])
        rows.append(row)
        i += 1
    sink = len(configs)
    table = tuple(tuple(sink if q < 0 else q for q in row) for row in rows) + (tuple([sink] * machine.n_letters),)
    accepting = frozenset(q for q, c in enumerate(configs) if machine.accepts_config(c))
    dfa = DFA(alphabet=machine.alphabet, transitions=table, start=0, accepting=accepting,
              name=name or f"{machine.name}@{bound}")
    return dfa, tuple(configs) + (None,)


def bounded_language(spec: str, *, max_states: int = MAX_BOUNDED_STATES) -> Language:
    """``NAME@B``: the regular language of ``NAME``'s words whose counters stay at most ``B``.

    It agrees with ``NAME`` on words up to length ``B // max_increment``; its
    experiment keeps the counter language's lengths that fit.
    """
    base, _, bound_text = str(spec).partition("@")
    lang = counter_language(base)
    if not bound_text.isdigit():
        raise ParameterError(f"{spec!r}: the bound after @ is a natural number (dyck1@20)")
    bound = int(bound_text)
    name = f"{lang.name}@{bound}"
    dfa, _ = bounded_counter_dfa(lang.machine, bound, name=name, max_states=max_states)
    horizon = bound // max(lang.machine.max_increment, 1)
    lo, hi = lang.experiment.train_lengths
    if lo > horizon:
        raise ParameterError(f"{spec!r}: the bound {bound} is below the shortest training length {lo}")
    train = (lo, min(hi, horizon))
    bins = [(a, min(b, horizon)) for a, b in lang.experiment.test_bins if a <= horizon]
    if not bins and train[1] < horizon:
        bins = [(train[1] + 1, horizon)]
    return Language(
        name=name,
        description=f"{lang.description}, counters at most {bound} (agrees up to length {horizon})",
        alphabet=lang.alphabet,
        dfa=dfa.minimize().with_name(name),
        source=lang.source,
        experiment=Experiment(train_lengths=train, test_bins=tuple(bins)),
        family="counter",
    )
