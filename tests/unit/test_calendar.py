"""The calendar: quarter codes and arithmetic, period bounds, the district's day and the region's time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quality_pipeline import calendar
from quality_pipeline.region import load_region
from quality_pipeline.settings import DEFAULT_REGION_FILE

days = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2999, 12, 31))
quarters = st.builds(calendar.quarter_code, st.integers(1900, 2999), st.integers(1, 4))


@given(days)
def test_a_day_lies_within_its_quarter(day):
    quarter = calendar.quarter_of(day)
    assert calendar.quarter_start(quarter) <= day <= calendar.quarter_end(quarter)
    assert calendar.parse_quarter(quarter) == (day.year, (day.month + 2) // 3)
    assert calendar.quarter_name_zh(calendar.parse_quarter(quarter)[1]).startswith("第")


@given(quarters, st.integers(-400, 400), st.integers(-400, 400))
def test_shifting_quarters_adds_up(quarter, a, b):
    assert calendar.shift_quarter(calendar.shift_quarter(quarter, a), b) == calendar.shift_quarter(quarter, a + b)
    assert calendar.shift_quarter(calendar.shift_quarter(quarter, a), -a) == quarter


@given(quarters)
def test_consecutive_quarters_tile_the_calendar(quarter):
    after = calendar.shift_quarter(quarter, 1)
    assert calendar.quarter_start(after) == calendar.quarter_end(quarter) + dt.timedelta(days=1)
    assert calendar.previous_quarter(after) == quarter
    assert calendar.bounds(quarter) == (calendar.quarter_start(quarter), calendar.quarter_end(quarter))
    months = calendar.quarter_months(*calendar.parse_quarter(quarter))
    assert [calendar.quarter_of(dt.date(y, m, 1)) for y, m in months] == [quarter] * 3


@given(days)
def test_the_closed_quarter_ended_before_the_day_and_the_next_one_had_not(day):
    closed = calendar.closed_quarter(day)
    assert calendar.quarter_end(closed) < day <= calendar.quarter_end(calendar.shift_quarter(closed, 1))


@given(st.integers(1900, 2999), st.integers(1, 12), st.integers(-3000, 3000))
def test_adding_months_is_reversible_and_month_end_is_the_last_day(year, month, n):
    y, m = calendar.add_months(year, month, n)
    assert 1 <= m <= 12 and calendar.add_months(y, m, -n) == (year, month)
    last = calendar.month_end(year, month)
    assert (last + dt.timedelta(days=1)).day == 1 and last.month == month


@pytest.mark.parametrize("bad", ["2026-Q3", "2026Q5", "2026q3", "26Q1", "", "2026Q0"])
def test_what_is_not_a_quarter(bad):
    assert not calendar.is_quarter(bad)
    with pytest.raises(ValueError):
        calendar.parse_quarter(bad)


def test_a_year_is_a_period_too():
    assert calendar.bounds("2026") == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))


def test_an_aware_moment_is_read_in_the_regions_time_zone():
    # 03:00 on 1 July in Shanghai is still 30 June in UTC
    moment = dt.datetime(2026, 6, 30, 19, 0, tzinfo=dt.UTC)
    assert calendar.local_day(moment) == dt.date(2026, 7, 1)
    assert calendar.closed_quarter(moment) == "2026Q2"
    assert calendar.closed_quarter(moment.replace(tzinfo=None)) == "2026Q1"  # naive: as it is


def test_the_time_zone_is_the_regions(tmp_path):
    assert load_region(DEFAULT_REGION_FILE).timezone == "Asia/Shanghai"
    region = tmp_path / "region.yaml"
    text = DEFAULT_REGION_FILE.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.startswith("timezone:")]
    region.write_text("\n".join([*lines, "timezone: Europe/Berlin"]) + "\n", encoding="utf-8")
    assert calendar.timezone_name(region) == "Europe/Berlin" == load_region(region).timezone
    assert calendar.timezone(region) == ZoneInfo("Europe/Berlin")
    bare = tmp_path / "bare.yaml"
    bare.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert calendar.timezone_name(bare) == calendar.DEFAULT_TIMEZONE == load_region(bare).timezone
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("\n".join([*lines, "timezone: Mars/Olympus"]) + "\n", encoding="utf-8")
    with pytest.raises(Exception, match="Mars"):
        load_region(wrong)
