"""is-star-free on the issue's large reproducers (issue 11, items 1, 6, 7):
each answers with its verdict, or one line naming the cap and --max-monoid."""

from __future__ import annotations

import time

import pytest

from automata_probe.cli import is_star_free

from .test_languages import one_line_error, run


@pytest.mark.parametrize("spec", ["dyck-2-4", "dyck-3-3", "Dn-25"])
def test_dyck_like_dfas_are_star_free_within_a_second(capsys, spec):
    """These died with RecursionError (the row hash collided on every salt)."""
    t = time.process_time()
    code, out, err = run(capsys, is_star_free, "--dfa", spec)
    assert time.process_time() - t < 1.0
    assert code == 0 and "STAR-FREE" in out and "NOT STAR-FREE" not in out
    assert "Traceback" not in err


def test_dn_100000_is_star_free_in_seconds(capsys):
    """Loading D_n was quadratic (D_4000: 10 s of CPU); its monoid passes any
    cap (100,002 states need 100,002 elements, the cap allows 1,279 of
    them), so nothing is enumerated and the order of the states decides."""
    t = time.process_time()
    code, out, _ = run(capsys, is_star_free, "--dfa", "Dn-100000")
    assert time.process_time() - t < 10.0
    assert code == 0 and "STAR-FREE" in out and "order" in out and "at least 100,002 elements" in out


def test_a_monoid_past_the_cap_is_one_line_naming_the_flag(capsys):
    code, out, err = run(capsys, is_star_free, "--dfa", "flip_flop", "--max-monoid", "100")
    assert code == 2 and out == ""
    line = one_line_error(err)
    assert "more than 100 elements" in line and "--max-monoid" in line
