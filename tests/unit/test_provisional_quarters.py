"""A quarter still open never becomes the default, and when asked for is marked provisional everywhere.

A small warehouse file (real migrations, rows in raw.*, indicators refreshed as the DAG does) holds a full
2026Q3, and one inspection and one batch dated in the open 2026Q4; "today" is 1 December 2026, given, never the clock.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import openpyxl
import pytest

from quality_pipeline.cli import show_indicators
from quality_pipeline.indicators.compute import refresh
from quality_pipeline.report import build_report
from quality_pipeline.report.__main__ import main as report_cli
from quality_pipeline.settings import DEFAULT_INDEX_FILE
from quality_pipeline.warehouse.migrations import migrate
from quality_pipeline.warehouse.writer import open_published
from tests.unit.test_indicator_sql import REGION, batch, inspection, load

DEC_1 = dt.date(2026, 12, 1)


def _warehouse(settings, rows_by_feed: dict[str, list[dict]], today=DEC_1) -> None:
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.warehouse)) as con:
        migrate(con)
        for feed, rows in rows_by_feed.items():
            load(con, feed, rows)
        refresh(con, REGION, DEFAULT_INDEX_FILE, today=today)


@pytest.fixture
def mid_quarter(quality_env):
    _warehouse(quality_env, {
        "product_sampling": [*(batch(f"S{i}", "2026-08-01", "合格" if i else "不合格", "金砂街道") for i in range(10)),
                             batch("S10", "2026-10-10", "合格")],
        "enforcement_inspections": [inspection("I1", "2026-07-05", 900, "金砂街道"),
                                    inspection("I2", "2026-11-02", 7, "东方街道")],
    })
    return quality_env


def test_the_stored_status_of_each_quarter(mid_quarter):
    with open_published(mid_quarter.warehouse) as con:
        rows = con.execute("SELECT DISTINCT quarter, period_status FROM marts.quarterly_indicators "
                           "ORDER BY quarter").fetchall()
    assert rows == [("2026Q3", "closed"), ("2026Q4", "provisional")]


def test_one_row_in_the_open_quarter_does_not_switch_the_cli(mid_quarter, capsys):
    assert show_indicators(None, "district", today=DEC_1) == 0
    out = capsys.readouterr().out
    assert out.lstrip().startswith("2026Q3 · district")
    assert "季度已结束 closed" in out and "季度未结束" not in out and "2026Q4" not in out.split("year to date")[0]
    assert "900.00" in out and "90.00" in out  # Q3's person-times and pass rate (9 of 10)
    assert "2026 年度累计 year to date" in out and "through 2026Q4" in out


def test_a_provisional_quarter_asked_for_is_marked_in_the_cli(mid_quarter, capsys):
    assert show_indicators("2026Q4", "district", today=DEC_1) == 0
    out = capsys.readouterr().out
    assert "2026Q4 · 季度未结束 PROVISIONAL · district" in out
    assert "季度已过 67% of the quarter elapsed" in out  # 62 of 92 days
    assert "数据截至 data as of" in out
    person_times = next(line for line in out.splitlines() if line.startswith("enforcement_inspection_person_times"))
    assert "7.00" in person_times and "(partial: 67% of the quarter)" in person_times


def test_the_default_report_is_the_latest_closed_quarter(mid_quarter):
    paths = build_report(settings=mid_quarter, today=DEC_1)
    assert paths.quarter == "2026Q3"
    html = paths.html.read_text(encoding="utf-8")
    assert 'data-period-status="closed"' in html and "<title>金平区 2026年第三季度 质量强区指标报告</title>" in html
    assert 'class="banner provisional"' not in html and 'class="partial"' not in html
    assert '<span class="status closed">季度已结束 closed</span>' in html
    year = html.split('<section id="year">')[1].split("</section>")[0]
    assert "the year runs through 2026Q4, past this report's quarter" in year  # one Q4 inspection so far


def test_a_provisional_report_is_marked_in_header_cards_and_workbook(mid_quarter):
    paths = build_report("2026Q4", settings=mid_quarter, today=DEC_1)
    html = paths.html.read_text(encoding="utf-8")
    assert "<title>金平区 2026年第四季度 质量强区指标报告（季度未结束）</title>" in html
    assert 'data-period-status="provisional"' in html
    assert '<div class="banner provisional"' in html and "季度已过 67%" in html
    assert html.count('class="kpi ') == html.count('provisional" data-indicator=')  # every card
    person_times = html.split('data-indicator="enforcement_inspection_person_times"')[1].split('class="kpi ')[0]
    assert 'class="partial"' in person_times and "67% of the quarter" in person_times
    rate = html.split('data-indicator="sampling_pass_rate"')[1].split('class="kpi ')[0]
    assert 'class="partial"' not in rate  # a rate is not partial, only provisional
    book = openpyxl.load_workbook(paths.xlsx)
    cover = {row[0]: row[1] for row in book["说明"].iter_rows(min_row=3, values_only=True) if row[0]}
    assert cover["季度状态 Status"].startswith("季度未结束 provisional · 季度已过 67%")
    assert "（季度未结束）" in book["说明"]["A1"].value
    assert book.sheetnames[:3] == ["说明", "全区指标（季度未结束）", "年度累计"]
    district = book["全区指标（季度未结束）"]
    assert district.cell(row=district.max_row, column=1).value.startswith("季度未结束 provisional")


def test_without_a_closed_quarter_the_default_says_so(quality_env, capsys):
    _warehouse(quality_env, {"enforcement_inspections": [inspection("I1", "2026-11-02", 7)]})
    assert show_indicators(None, "district", today=DEC_1) == 1
    err = capsys.readouterr().err
    assert "没有已结束的季度" in err and "no closed quarter yet" in err and "2026Q4" in err
    with pytest.raises(LookupError, match="no closed quarter yet"):
        build_report(settings=quality_env, today=DEC_1)
    assert report_cli(["--quarter", "2026Q4"]) == 0


def test_a_quarter_closes_when_its_grace_period_ends(quality_env, capsys):
    _warehouse(quality_env, {"enforcement_inspections": [inspection("I1", "2026-09-02", 7),
                                                         inspection("I2", "2026-06-02", 5)]},
               today=dt.date(2026, 10, 20))
    assert build_report(settings=quality_env, today=dt.date(2026, 10, 20)).quarter == "2026Q2"
    assert build_report(settings=quality_env, today=dt.date(2026, 10, 21)).quarter == "2026Q3"
