"""Vintages: publishing freezes a quarter's figures, idempotently per run; restatements show what changed since."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import duckdb
import pytest

from quality_pipeline.indicators.vintages import latest_vintage, publish_vintage, quarters_to_publish_at_close
from quality_pipeline.warehouse.migrations import migrate

ROWS = [
    # quarter, indicator, scope, value, numerator, denominator, target, target_met, unit
    ("2026Q2", "sampling_pass_rate", "district", 94.0, 94.0, 100.0, 93.0, True, "%"),
    ("2026Q2", "sampling_pass_rate", "金砂街道", 90.0, 9.0, 10.0, 93.0, False, "%"),
    ("2026Q2", "enforcement_cases", "district", 31.0, None, None, None, None, "count"),
    ("2026Q1", "enforcement_cases", "district", 25.0, None, None, None, None, "count"),
]
INSERT_ROWS = ("INSERT INTO marts.quarterly_indicators (quarter, indicator, scope, value, numerator, denominator,"
               " target, target_met, unit) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")


@pytest.fixture
def con():
    connection = duckdb.connect()
    migrate(connection)
    connection.executemany(INSERT_ROWS, ROWS)
    yield connection
    connection.close()


def restatements(con, vintage_id: int) -> dict[tuple[str, str], tuple]:
    rows = con.execute(
        "SELECT indicator, scope, change, reported_value, current_value, difference FROM marts.indicator_restatements "
        "WHERE vintage_id = ?", [vintage_id]).fetchall()
    return {(r[0], r[1]): r[2:] for r in rows}


def test_publishing_freezes_the_quarter_rows(con):
    vintage = publish_vintage(con, "2026Q2", "run-1", published_at=dt.datetime(2026, 7, 1, 3))
    frozen = con.execute(
        "SELECT quarter, indicator, scope, value, numerator, denominator, target, target_met, unit "
        "FROM marts.indicator_vintages WHERE vintage_id = ? ORDER BY indicator, scope", [vintage]).fetchall()
    assert frozen == sorted([r for r in ROWS if r[0] == "2026Q2"], key=lambda r: (r[1], r[2]))
    heads = con.execute("SELECT DISTINCT published_at, published_by_run FROM marts.indicator_vintages").fetchall()
    assert heads == [(dt.datetime(2026, 7, 1, 3), "run-1")]
    assert restatements(con, vintage) == {}


def test_the_same_run_publishing_again_gets_the_same_vintage(con):
    first = publish_vintage(con, "2026Q2", "run-1")
    assert publish_vintage(con, "2026Q2", "run-1") == first
    assert con.execute("SELECT count(DISTINCT vintage_id), count(*) FROM marts.indicator_vintages").fetchone() == (1, 3)


def test_another_run_or_changed_figures_make_a_new_vintage(con):
    first = publish_vintage(con, "2026Q2", "run-1")
    on_demand = publish_vintage(con, "2026Q2", "run-2")
    assert on_demand > first
    con.execute("UPDATE marts.quarterly_indicators SET value = 33 WHERE quarter = '2026Q2' AND indicator = "
                "'enforcement_cases'")
    after_correction = publish_vintage(con, "2026Q2", "run-2")
    assert after_correction > on_demand
    assert latest_vintage(con, "2026Q2") == after_correction
    assert latest_vintage(con, "2026Q3") is None
    frozen = con.execute("SELECT vintage_id, value FROM marts.indicator_vintages WHERE indicator = 'enforcement_cases' "
                         "ORDER BY vintage_id").fetchall()
    assert frozen == [(first, 31.0), (on_demand, 31.0), (after_correction, 33.0)], "a vintage is never rewritten"


def test_restatements_show_changed_new_and_removed_rows(con):
    vintage = publish_vintage(con, "2026Q2", "run-1")
    con.execute("UPDATE marts.quarterly_indicators SET value = 95.0, numerator = 95.0 "
                "WHERE quarter = '2026Q2' AND scope = 'district' AND indicator = 'sampling_pass_rate'")
    con.execute("DELETE FROM marts.quarterly_indicators WHERE scope = '金砂街道'")
    con.execute("INSERT INTO marts.quarterly_indicators VALUES "
                "('2026Q2', 'anticounterfeit_cases', 'district', 4, NULL, NULL, NULL, NULL, 'count', 'closed')")
    con.execute("UPDATE marts.quarterly_indicators SET value = 26 WHERE quarter = '2026Q1'")  # another quarter
    assert restatements(con, vintage) == {
        ("sampling_pass_rate", "district"): ("changed", 94.0, 95.0, 1.0),
        ("sampling_pass_rate", "金砂街道"): ("removed", 90.0, None, None),
        ("anticounterfeit_cases", "district"): ("new", None, 4.0, None),
    }


def test_float_noise_is_not_a_restatement_but_a_figure_appearing_is(con):
    vintage = publish_vintage(con, "2026Q2", "run-1")
    con.execute("UPDATE marts.quarterly_indicators SET value = value * (1 + 1e-14) WHERE quarter = '2026Q2'")
    assert restatements(con, vintage) == {}
    con.execute("UPDATE marts.quarterly_indicators SET numerator = 0 WHERE indicator = 'enforcement_cases'")
    changed = restatements(con, vintage)
    assert list(changed) == [("enforcement_cases", "district")]
    assert changed["enforcement_cases", "district"][:2] == ("changed", 31.0)
    con.execute("UPDATE marts.quarterly_indicators SET target_met = NULL WHERE scope = '金砂街道'")
    assert restatements(con, vintage)[("sampling_pass_rate", "金砂街道")][0] == "changed"


def test_only_the_latest_vintage_is_marked_latest(con):
    first = publish_vintage(con, "2026Q2", "run-1")
    con.execute("UPDATE marts.quarterly_indicators SET value = 30 WHERE indicator = 'enforcement_cases' "
                "AND quarter = '2026Q2'")
    second = publish_vintage(con, "2026Q2", "run-2")
    con.execute("UPDATE marts.quarterly_indicators SET value = 29 WHERE indicator = 'enforcement_cases' "
                "AND quarter = '2026Q2'")
    latest = con.execute("SELECT vintage_id, is_latest_vintage, reported_value FROM marts.indicator_restatements "
                         "ORDER BY vintage_id").fetchall()
    assert latest == [(first, False, 31.0), (second, True, 30.0)]


def test_nothing_to_publish_and_malformed_requests_fail(con):
    with pytest.raises(ValueError, match="no rows for 2026Q3"):
        publish_vintage(con, "2026Q3", "run-1")
    with pytest.raises(ValueError, match="2026Q2"):
        publish_vintage(con, "2026-Q2", "run-1")
    with pytest.raises(ValueError, match="run_id"):
        publish_vintage(con, "2026Q2", "")
    assert con.execute("SELECT count(*) FROM marts.indicator_vintages").fetchone()[0] == 0


@pytest.mark.parametrize(("today", "expected"), [
    (dt.date(2026, 7, 1), "2026Q2"),
    (dt.date(2026, 9, 30), "2026Q2"),
    (dt.date(2026, 1, 1), "2025Q4"),
    (dt.date(2026, 4, 1), "2026Q1"),
    (dt.datetime(2026, 10, 1, 3, tzinfo=ZoneInfo("Asia/Shanghai")), "2026Q3"),
    # Airflow's logical date of the 03:00 Shanghai quarter-close run, in UTC: still 30 June there.
    (dt.datetime(2026, 6, 30, 19, tzinfo=dt.UTC), "2026Q2"),
])
def test_quarter_to_publish_at_close_is_the_previous_one(today, expected):
    assert quarters_to_publish_at_close(today) == [expected]


def test_a_vintage_published_by_the_writer_reaches_the_published_warehouse(quality_env):
    from quality_pipeline.warehouse.writer import read_only, write_session

    with write_session(quality_env) as con:
        con.executemany(INSERT_ROWS, ROWS)
        first = publish_vintage(con, "2026Q2", "scheduled__2026-07-01")
    with write_session(quality_env) as con:  # the task retried in a new session
        assert publish_vintage(con, "2026Q2", "scheduled__2026-07-01") == first
    con = read_only(quality_env)
    try:
        assert con.execute("SELECT DISTINCT vintage_id, quarter FROM marts.indicator_vintages").fetchall() == [
            (first, "2026Q2")]
    finally:
        con.close()


def test_publish_task_freezes_requested_and_closed_quarters(quality_env):
    from quality_pipeline.orchestration.tasks import publish_vintages
    from quality_pipeline.warehouse.writer import write_session

    with write_session(quality_env) as con:
        con.executemany(INSERT_ROWS, ROWS)
    closing = dt.datetime(2026, 6, 30, 19, tzinfo=dt.UTC)
    first = publish_vintages(["2026Q1"], run_id="scheduled__2026-07-01", closed_at=closing)
    assert first == {"vintages": {"2026Q1": 1, "2026Q2": 2}}
    assert publish_vintages(["2026Q1"], run_id="scheduled__2026-07-01", closed_at=closing) == first
    assert publish_vintages([], run_id="quiet", closed_at=dt.date(2026, 10, 1)) == {"vintages": {}}
    with pytest.raises(ValueError, match="no rows for 2026Q3"):
        publish_vintages(["2026Q3"], run_id="manual")


def test_a_publication_freezes_the_year_to_date_too_and_its_restatements_show(con):
    con.execute("INSERT INTO marts.annual_indicators VALUES "
                "(2026, 'sampling_pass_rate', 'district', 93.5, 187, 200, 93, true, true, '%', 'provisional', '2026Q2'),"
                "(2025, 'sampling_pass_rate', 'district', 91.0, 91, 100, 93, false, false, '%', 'closed', '2025Q4')")
    vintage = publish_vintage(con, "2026Q2", "run-1", published_at=dt.datetime(2026, 7, 1, 3))
    frozen = con.execute("SELECT vintage_id, year, indicator, value, on_track, through_quarter, published_by_run "
                         "FROM marts.annual_indicator_vintages").fetchall()
    assert frozen == [(vintage, 2026, "sampling_pass_rate", 93.5, True, "2026Q2", "run-1")]  # only its year
    assert publish_vintage(con, "2026Q2", "run-1") == vintage  # unchanged: the same vintage

    con.execute("UPDATE marts.annual_indicators SET value = 92.5, numerator = 222, denominator = 240, "
                "target_met = false, through_quarter = '2026Q3' WHERE year = 2026")
    rows = con.execute("SELECT vintage_id, year, indicator, change, reported_value, current_value, reported_through, "
                       "current_through FROM marts.annual_indicator_restatements").fetchall()
    assert rows == [(vintage, 2026, "sampling_pass_rate", "changed", 93.5, 92.5, "2026Q2", "2026Q3")]
    assert publish_vintage(con, "2026Q2", "run-1") != vintage  # the year was restated: a new vintage
