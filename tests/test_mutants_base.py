"""Killed mutants of engine/base/suggest.py (tools/mutate.py): a "did you mean" hint names the option
a misspelt id differs from only by case when there is exactly one such, else the nearest by
spelling as written, then ignoring case; and no hint when nothing is near."""
from __future__ import annotations


def test_the_one_option_equal_but_for_case_is_named_before_a_nearer_spelling():
    from engine.base.suggest import closest

    # 'rICK' is nearer as written (three letters of four), 'rice' is the same word in other case
    assert closest("rICE", ["rice", "rICK"]) == "rice"
    assert closest("rICE", ["rICK", "rice"]) == "rice"


def test_two_options_equal_but_for_case_fall_back_to_the_nearest_spelling():
    from engine.base.suggest import closest

    assert closest("RICE", ["rice", "Rice", "RICF"]) == "RICF"


def test_an_option_spelt_exactly_is_not_a_case_hint_but_still_the_nearest():
    from engine.base.suggest import closest

    assert closest("rICK", ["rice", "rICK"]) == "rICK"


def test_the_nearest_ignoring_case_is_found_when_nothing_is_near_as_written():
    from engine.base.suggest import closest

    assert closest("RICES", ["rice", "Risk"]) == "rice"
    assert closest("RICES", ["Risk", "rice"]) == "rice"
    assert closest("zzz", ["rice", "Risk"]) is None


def test_did_you_mean_is_a_clause_or_nothing():
    from engine.base.suggest import did_you_mean

    assert did_you_mean("RICES", ["rice"]) == "; did you mean 'rice'?"
    assert did_you_mean("zzz", ["rice"]) == ""


def test_the_clock_reads_the_system_day():
    import datetime as dt

    from engine.base.clock import today

    assert today() == dt.date.today()


def test_duplicate_options_are_one_option():
    from engine.base.suggest import closest

    assert closest("RICE", ["rice", "rice", "RICF"]) == "rice"


def test_the_hint_ignoring_case_names_the_option_as_the_pack_spells_it():
    from engine.base.suggest import closest

    assert closest("rices", ["RICE"]) == "RICE"


def test_among_options_equal_but_for_case_the_hint_is_the_first_in_sorted_order():
    """The same hint on every run, whatever order the options come in (set order varies by run)."""
    import difflib
    import itertools

    from engine.base.suggest import closest

    for base, word in (("rice", "RIces"), ("risk", "RIsks"), ("dark", "DAfks")):
        variants = ["".join(c) for c in itertools.product(*[(ch, ch.upper()) for ch in base])]
        far = [v for v in variants if difflib.SequenceMatcher(None, word, v).ratio() < 0.6]
        assert len(far) > 5
        assert closest(word, far) == sorted(far)[0], (word, far)


def test_a_problems_file_name_is_one_line_of_visible_text():
    """errors.py:27: a file name may hold any byte but / and NUL; where a problem is located is
    shown with its control characters and line feeds escaped, so it can neither act on a terminal
    nor start a forged line of its own."""
    from engine.base.errors import Problem

    p = Problem(source="evil\n\x1b[2Jx.json", path="/a", message="m", line=3)
    assert p.location() == "evil\\x0a\\x1b[2Jx.json:3"
    assert "\n" not in str(p) and "\x1b" not in str(p)


def test_each_error_class_carries_its_documented_exit_code():
    """errors.py:49-53: the exit codes a script tells failures apart by (README, "Exit codes")."""
    from engine.base import errors

    assert errors.LadderError().exit_code == 2
    assert errors.UsageError().exit_code == 2
    assert errors.EvidenceError().exit_code == 3
    assert errors.RulesError().exit_code == 4
    assert errors.EngineError().exit_code == 70
    assert errors.DependencyError().exit_code == 70
    assert errors.OutputError().exit_code == 74
    assert errors.Interrupted().exit_code == 130
    assert errors.EXIT_READER_GONE == 141


def test_an_error_with_problems_shows_them_rather_than_its_summary():
    """errors.py:83: the summary stands alone only when there is no problem to show."""
    from engine.base.errors import LadderError, Problem

    p = Problem(source="a.json", path="/x", message="bad")
    assert str(LadderError(problems=[p], summary="the packet is invalid")) == "a.json: /x: bad"
    assert str(LadderError(summary="the packet is invalid")) == "the packet is invalid"
    assert str(LadderError()) == ""


def test_the_first_problem_of_none_is_nothing():
    from engine.base.errors import first_problem

    assert first_problem([]) == ""
    assert first_problem([{"message": "m"}]) == "m"
    two = [{"line": 3, "path": "/evidence/0/role", "message": "m"}, {"message": "n"}]
    assert first_problem(two) == "line 3: /evidence/0/role: m (and 1 more)"
