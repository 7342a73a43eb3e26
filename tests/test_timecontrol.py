"""Time control: GTP/KGS settings, time_left reports, per-move budgets that never lose on time."""

from __future__ import annotations

import itertools

import pytest

from go_engine.timecontrol import Clock, TimeControl, TimeManager

TM = TimeManager()


# --- settings ---------------------------------------------------------------------------------


def test_from_gtp_canadian() -> None:
    tc = TimeControl.from_gtp(600, 30, 5)
    assert tc == TimeControl("canadian", 600.0, 30.0, byo_yomi_stones=5)


def test_from_gtp_absolute_and_none() -> None:
    assert TimeControl.from_gtp(300, 0, 0) == TimeControl("absolute", 300.0)
    assert TimeControl.from_gtp(300, 0, 7).kind == "absolute"  # stones ignored without byo time
    assert TimeControl.from_gtp(0, 1, 0).kind == "none"  # GTP v2: byo > 0, stones 0 = no limit


def test_from_gtp_accepts_strings_and_floats() -> None:
    tc = TimeControl.from_gtp("90", "10.5", "3")
    assert (tc.kind, tc.main_time, tc.byo_yomi_time, tc.byo_yomi_stones) == (
        "canadian",
        90.0,
        10.5,
        3,
    )


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("x", 30, 5), "main time"),
        ((-1, 30, 5), "main time"),
        ((60, "nan", 5), "byo-yomi time"),
        ((60, float("inf"), 5), "byo-yomi time"),
        ((60, 30, -2), "byo-yomi stones"),
        ((60, 30, "2.5"), "byo-yomi stones"),
        ((60, 30, 2.0), "byo-yomi stones"),
        ((60, 30, True), "byo-yomi stones"),
    ],
)
def test_from_gtp_rejects_bad_input(args: tuple, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        TimeControl.from_gtp(*args)


def test_from_kgs_all_systems() -> None:
    assert TimeControl.from_kgs(["none"]) == TimeControl()
    assert TimeControl.from_kgs(["absolute", "1200"]) == TimeControl("absolute", 1200.0)
    assert TimeControl.from_kgs(["byoyomi", "600", "30", "5"]) == TimeControl(
        "byoyomi", 600.0, 30.0, byo_yomi_periods=5
    )
    assert TimeControl.from_kgs(["canadian", "600", "300", "25"]) == TimeControl(
        "canadian", 600.0, 300.0, byo_yomi_stones=25
    )
    assert TimeControl.from_kgs(["BYOYOMI", "60", "0", "5"]).kind == "absolute"
    assert TimeControl.from_kgs(["byoyomi", "60", "10", "0"]).kind == "absolute"


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ([], "time system"),
        (["fischer", "60", "5"], "unknown"),
        (["none", "5"], "takes 0 arguments"),
        (["absolute"], "takes 1 arguments"),
        (["byoyomi", "600", "30"], "takes 3 arguments"),
        (["canadian", "600", "30", "5", "1"], "takes 3 arguments"),
        (["absolute", "-5"], "main time"),
        (["byoyomi", "600", "abc", "5"], "period time"),
        (["byoyomi", "600", "30", "x"], "periods"),
        (["canadian", "600", "30", "1.5"], "stones"),
    ],
)
def test_from_kgs_rejects_bad_input(args: list[str], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        TimeControl.from_kgs(args)


def test_time_control_checks_its_fields() -> None:
    with pytest.raises(ValueError, match="kind"):
        TimeControl("fischer", 60.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="canadian"):
        TimeControl("canadian", 60.0, 30.0, byo_yomi_stones=0)
    with pytest.raises(ValueError, match="japanese"):
        TimeControl("byoyomi", 60.0, 0.0, byo_yomi_periods=5)


# --- clock ------------------------------------------------------------------------------------


def test_clock_update() -> None:
    clock = Clock()
    clock.update("123.5", "0")
    assert (clock.time, clock.stones) == (123.5, 0)
    clock.update(20, 4)
    assert (clock.time, clock.stones) == (20.0, 4)
    clock.update(-0.7, 1)  # a late report: no time left, not an error
    assert (clock.time, clock.stones) == (0.0, 1)
    for time, stones in [("soon", 0), (float("nan"), 0), (10, -1), (10, "two")]:
        with pytest.raises(ValueError):
            clock.update(time, stones)
    with pytest.raises(ValueError):
        Clock(5.0, -3)


# --- budgets ----------------------------------------------------------------------------------


def test_no_time_limit_gives_none() -> None:
    assert TM.budget(TimeControl(), None, 19, 0) is None
    assert TM.budget(TimeControl.from_gtp(0, 1, 0), Clock(5.0, 0), 9, 30) is None


def test_main_time_budget_shrinks_as_time_runs_out() -> None:
    tc = TimeControl.from_kgs(["absolute", "1800"])
    budgets = [TM.budget(tc, Clock(t, 0), 19, 60) for t in (1800, 900, 300, 60, 10, 1, 0.3)]
    assert all(a > b for a, b in itertools.pairwise(budgets[:5]))
    assert budgets[4] >= budgets[5] > budgets[6] == TM.min_budget
    # Early in a 19x19 game with 30 minutes: main time over ~126 own moves, minus the margin.
    assert TM.budget(tc, None, 19, 0) == pytest.approx(1800 / (0.7 * 361 / 2) - 0.3)


def test_main_time_budget_depends_on_board_and_move_number() -> None:
    tc = TimeControl.from_gtp(300, 0, 0)
    clock = Clock(300.0, 0)
    assert TM.budget(tc, clock, 9, 0) > TM.budget(tc, clock, 19, 0)
    assert TM.budget(tc, clock, 19, 200) > TM.budget(tc, clock, 19, 0)
    # Past the expected game length the floor of min_moves_left applies.
    assert TM.budget(tc, clock, 19, 400) == pytest.approx(300 / TM.min_moves_left - 0.3)


def test_absolute_time_with_tiny_time_left() -> None:
    tc = TimeControl.from_gtp(600, 0, 0)
    assert TM.budget(tc, Clock(0.5, 0), 19, 100) <= 0.2
    assert TM.budget(tc, Clock(0.0, 0), 19, 100) == TM.min_budget
    assert TM.budget(tc, Clock(0.2, 0), 9, 10) == TM.min_budget


def test_canadian_period_budget() -> None:
    tc = TimeControl.from_gtp(600, 300, 25)
    assert TM.budget(tc, Clock(300.0, 25), 19, 150) == pytest.approx(300 / 25 - 0.3)
    assert TM.budget(tc, Clock(60.0, 3), 19, 150) == pytest.approx(20 - 0.3)
    assert TM.budget(tc, Clock(2.0, 1), 19, 150) == pytest.approx(2.0 - 0.3)
    # No main time and no report yet: a fresh period.
    assert TM.budget(TimeControl.from_gtp(0, 60, 10), None, 9, 0) == pytest.approx(6 - 0.3)


def test_byoyomi_budget_below_period_time() -> None:
    tc = TimeControl.from_kgs(["byoyomi", "600", "30", "5"])
    for periods in (5, 3, 1):
        budget = TM.budget(tc, Clock(30.0, periods), 19, 200)
        assert 25 < budget < 30 - TM.safety_margin + 1e-9
    assert TM.budget(tc, Clock(12.0, 2), 19, 200) == pytest.approx(12 - 0.3)
    assert TM.budget(TimeControl.from_kgs(["byoyomi", "0", "10", "3"]), None, 9, 0) < 10


def test_main_time_with_byoyomi_adds_the_overtime_allowance() -> None:
    japanese = TimeControl.from_kgs(["byoyomi", "600", "30", "5"])
    canadian = TimeControl.from_gtp(600, 300, 25)
    absolute = TimeControl.from_gtp(600, 0, 0)
    clock = Clock(600.0, 0)
    base = TM.budget(absolute, clock, 19, 0)
    assert TM.budget(japanese, clock, 19, 0) == pytest.approx(base + 30)
    assert TM.budget(canadian, clock, 19, 0) == pytest.approx(base + 12)
    # Main time almost gone: about what the first byo-yomi move will get.
    assert TM.budget(japanese, Clock(1.0, 0), 19, 100) < 1 + 30 - 0.3 + 1e-9


def _hard_limit(tc: TimeControl, clock: Clock) -> float:
    """Seconds that can be spent on this move without losing on time or a byo-yomi period."""
    if tc.kind == "absolute" or clock.stones == 0:
        if tc.kind == "canadian":
            return clock.time + tc.byo_yomi_time / tc.byo_yomi_stones
        if tc.kind == "byoyomi":
            return clock.time + tc.byo_yomi_time
        return clock.time
    if tc.kind == "canadian":
        return clock.time
    return min(clock.time, tc.byo_yomi_time)


def test_budget_never_exceeds_time_left_on_a_grid() -> None:
    controls = [
        TimeControl.from_gtp(600, 0, 0),
        TimeControl.from_gtp(5, 0, 0),
        TimeControl.from_gtp(1800, 30, 1),
        TimeControl.from_gtp(600, 300, 25),
        TimeControl.from_kgs(["byoyomi", "600", "30", "5"]),
        TimeControl.from_kgs(["byoyomi", "0", "1", "3"]),
    ]
    managers = [TM, TimeManager(safety_margin=1.0, min_move_time=0.5, max_fraction=0.9)]
    times = [0.0, 0.01, 0.3, 0.35, 1.0, 2.5, 10.0, 29.9, 30.0, 120.0, 599.0, 1800.0]
    checked = 0
    for tm, tc, time, stones, size, move in itertools.product(
        managers, controls, times, (0, 1, 2, 5, 25), (9, 13, 19), (0, 40, 150, 400)
    ):
        clock = Clock(time, stones)
        budget = tm.budget(tc, clock, size, move)
        assert budget is not None and budget >= tm.min_budget
        limit = _hard_limit(tc, clock) - tm.safety_margin
        assert budget <= max(limit, tm.min_budget) + 1e-9, (tc, clock, size, move, budget)
        if stones == 0 and tc.kind == "absolute":
            cap = max(tm.max_fraction * time - tm.safety_margin, tm.min_move_time, tm.min_budget)
            assert budget <= cap + 1e-9
        checked += 1
    assert checked == 2 * 6 * 12 * 5 * 3 * 4
