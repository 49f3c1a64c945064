"""What an extraction report concludes, in words.

:func:`method_verdict` says which of three outcomes holds for one extracted
automaton (from its fidelity to the model and its comparison with the
truth): the model computes the truth up to the lengths checked and the
method found it; the model computes something else and the method found
that; or the method is not faithful to the model, and where.
:func:`report_summary` says it for the whole report, and
:func:`check_lengths` chooses the lengths every check runs on.
"""

from __future__ import annotations

from typing import Any, Sequence

from ..automata.dfa import DFA
from ..automata.words import format_word
from ..extraction.fidelity import Fidelity, percent

__all__ = ["check_lengths", "method_verdict", "report_summary"]


def check_lengths(
    experiment: Sequence[tuple[int, int]], max_length: int | None = None
) -> tuple[tuple[int, int], ...]:
    """The length bins an extraction is checked on.

    ``experiment`` is the training lengths then the test bins. Without
    ``max_length``: the training lengths and the first longer bin. With it:
    every bin cut at ``max_length``, and one more bin up to ``max_length``
    when it lies beyond the last.
    """
    bins = [(int(lo), int(hi)) for lo, hi in experiment]
    if max_length is None:
        return tuple(bins[:2])
    out = [(lo, min(hi, max_length)) for lo, hi in bins if lo <= max_length]
    last = max((hi for _, hi in out), default=0)
    if max_length > last:
        out.append((last + 1, max_length))
    return tuple(out)


def _pct(f: Fidelity) -> str:
    rows = f.sampled_rows
    if not rows:
        return f"100% up to length {f.exact_up_to}" if f.faithful else "disagrees within the enumerated lengths"
    return ", ".join(f"{percent(r.agreement)} at {r.span}" for r in rows)


def method_verdict(result: Any, truth: DFA) -> str:
    """Which of the three outcomes holds for one method, in one line.

    ``result`` is an :class:`~automata_probe.experiments.extraction.MethodResult`
    (its ``fidelity``, ``comparison``, ``failure`` and learner status).
    """
    if result.failed or result.fidelity is None or result.comparison is None:
        return f"failed: {result.failure}"
    f, c = result.fidelity, result.comparison
    n = f.max_length
    if f.faithful and c.equivalent:
        text = f"faithful to the model up to length {n}, and equivalent to {truth.name}"
    elif f.faithful:
        w = c.counterexample or ()
        who = "accepts" if c.truth_accepts_counterexample else "rejects"
        text = (f"faithful to the model up to length {n}, not equivalent to {truth.name}: the model computes "
                f"something else, first differing at {format_word(w, truth.alphabet)} ({len(w)} letters, {truth.name} {who})")
    else:
        text = (f"NOT faithful to the model: first disagreement {f.where()}; agreement {_pct(f)}; "
                + ("equivalent to " if c.equivalent else "not equivalent to ") + truth.name)
    if f.not_scored:
        spans = ", ".join(f"{lo}-{hi}" for lo, hi in f.not_scored)
        text += f" [scoring's time budget spent: lengths {spans} not scored]"
    if result.unverified:
        text += f" [{result.details.get('status', 'unverified')}]"
    return text


def report_summary(model: Fidelity, results: Sequence[Any], truth: DFA) -> str:
    """The report in one line: does the model compute the truth, and which methods found what it computes."""
    if model.faithful:
        sampled = sum(r.n_words for r in model.sampled_rows)
        more = f", {sampled} sampled words to length {model.max_length}" if sampled else ""
        head = (f"the model computes {truth.name} up to the lengths checked (every word up to length "
                f"{model.exact_up_to}{more}; none disagrees)")
    else:
        head = (f"the model does NOT compute {truth.name}: it errs on {model.where()}; agreement with "
                f"{truth.name} {_pct(model)}")
    found = [f"{r.method} ({r.states} states{', equivalent to the truth' if r.equivalent else ''})"
             for r in results if r.faithful]
    unfaithful = [r.method for r in results if not r.failed and not r.faithful]
    failed = [r.method for r in results if r.failed]
    parts = [head]
    parts.append("faithful extractions: " + (", ".join(found) if found else "none"))
    scored = [r for r in results if not r.failed and r.fidelity.sampled_rows]
    if not found and scored:
        def key(r: Any) -> tuple[float, int]:
            return (min(x.agreement for x in r.fidelity.sampled_rows), -r.states)

        best = max(scored, key=key)
        parts.append(f"closest to the model: {best.method} ({best.states} states; {_pct(best.fidelity)})")
    if unfaithful:
        parts.append("not faithful: " + ", ".join(unfaithful))
    if failed:
        parts.append("failed: " + ", ".join(failed))
    return "; ".join(parts)
