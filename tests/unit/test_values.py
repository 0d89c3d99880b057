"""Cell cleaning and value parsers against the spellings listed in the extract contract."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quality_pipeline.parsing import values
from quality_pipeline.parsing.values import (
    NULL_SPELLINGS,
    clean_text,
    map_value,
    parse_bool,
    parse_date,
    parse_industry_code,
    parse_integer,
    parse_money,
    parse_month,
    parse_number,
    parse_percent,
    parse_series,
    parse_text_list,
    text_list_items,
)

PROPERTY = settings()  # examples per property: the Hypothesis profile (tests/conftest.py)
MEASURES = ("控源截污", "内源治理", "生态修复", "活水保质")
EXCEL_EPOCH = date(1899, 12, 30)


def fullwidth(text: str) -> str:
    """ASCII printable characters as their full-width forms, the way some desktop exports write them."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else "\u3000" if c == " " else c for c in text)


# clean_text


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("\u3000金砂街道\xa0", "金砂街道"),
        ("１２３", "123"),
        ("罚款金额（万元）", "罚款金额(万元)"),
        ("ＡＢＣ　ｄｅｆ", "ABC def"),
        ("a \n\t b", "a b"),
        ("  a\u3000\u3000b  ", "a b"),
        ("\ufeff\u200b合格\u200b", "合格"),
        ("不\u200b合格", "不合格"),
        ("x", "x"),
    ],
)
def test_clean_text_normalises_strings(cell, expected):
    assert clean_text(cell) == expected


@pytest.mark.parametrize("spelling", sorted(NULL_SPELLINGS))
def test_clean_text_null_spellings(spelling):
    assert clean_text(spelling) is None
    assert clean_text(f"\u3000{spelling}\xa0 ") is None


@pytest.mark.parametrize("cell", ["", "   ", "\u3000", "\xa0", "\u200b", "／", "－", "——", "ｎｕｌｌ", "＃Ｎ／Ａ"])
def test_clean_text_blank_and_full_width_nulls(cell):
    assert clean_text(cell) is None


@pytest.mark.parametrize("cell", [12, 1.5, 0, True, datetime(2026, 3, 5, 8, 30), date(2026, 3, 5)])
def test_clean_text_keeps_non_strings(cell):
    assert clean_text(cell) == cell
    assert type(clean_text(cell)) is type(cell)


@pytest.mark.parametrize("cell", [None, float("nan"), pd.NaT, pd.NA])
def test_clean_text_missing(cell):
    assert clean_text(cell) is None


def test_clean_text_keeps_meaningful_text():
    assert clean_text("无证生产经营") == "无证生产经营"
    assert clean_text("0") == "0"
    assert clean_text("-5") == "-5"


@PROPERTY
@given(st.text())
def test_clean_text_is_idempotent(text):
    once = clean_text(text)
    assert once is None or clean_text(once) == once


# parse_date


@pytest.mark.parametrize(
    "cell",
    [
        "2026-03-05", "2026-3-5", "2026/3/5", "2026/03/05", "2026.3.5", "2026.03.05",
        "2026年3月5日", "2026年03月05日", "2026年3月5号", "2026 年 3 月 5 日", "20260305",
        "2026-03-05 00:00:00", "2026-03-05 08:30", "2026-03-05T08:30", "2026-03-05T08:30:15.123",
        "2026/3/5 0:00", "2026年3月5日 08:30:00", "20260305 00:00:00", "2026-03-05T08:30:00+08:00",
        "46086", "46086.5", 46086, 46086.0, 46086.99, 20260305,
        datetime(2026, 3, 5, 23, 59), date(2026, 3, 5), pd.Timestamp("2026-03-05 12:00"),
    ],
)
def test_parse_date_formats(cell):
    assert parse_date(cell) == date(2026, 3, 5)


@pytest.mark.parametrize(
    ("serial", "expected"),
    [(1, date(1900, 1, 1)), (59, date(1900, 2, 28)), (61, date(1900, 3, 1)), (45658, date(2025, 1, 1)),
     (2958465, date(9999, 12, 31)), ("45658", date(2025, 1, 1))],
)
def test_parse_date_excel_serial(serial, expected):
    assert parse_date(serial) == expected


@pytest.mark.parametrize(
    "cell",
    [
        0, 60, -1, 2958466, 1e12, float("inf"), True, False,
        "2026-02-30", "2026-13-01", "2026-00-10", "20260230", "2026年2月30日", "2026/3-5", "26-3-5",
        "2026-03", "1234", "123456", "abc", "2026-03-05 abc", "2026-03-05x", "２０２６－０３－０５ｘ",
    ],
)
def test_parse_date_rejects(cell):
    with pytest.raises(ValueError):
        parse_date(cell)


def date_spellings(d: date) -> list[object]:
    serial = (d - EXCEL_EPOCH).days
    spellings: list[object] = [
        d.isoformat(), f"{d.year}-{d.month}-{d.day}", f"{d.year}/{d.month}/{d.day}", f"{d:%Y/%m/%d}",
        f"{d.year}.{d.month}.{d.day}", f"{d:%Y.%m.%d}", f"{d.year}年{d.month}月{d.day}日", f"{d:%Y年%m月%d日}",
        f"{d.year}年{d.month}月{d.day}号", f"{d:%Y%m%d}", f"{d.isoformat()} 00:00:00", f"{d.isoformat()}T08:30",
        f"{d:%Y/%m/%d} 23:59:59", serial, float(serial) + 0.25, int(d.strftime("%Y%m%d")),
        datetime(d.year, d.month, d.day, 9), d,
    ]
    if 10_000 <= serial <= 99_999:
        spellings.append(str(serial))
    return spellings


@PROPERTY
@given(st.dates(min_value=date(1900, 3, 1), max_value=date(2200, 12, 31)))
def test_every_date_spelling_parses_back(d):
    for spelling in date_spellings(d):
        assert parse_date(spelling) == d, spelling
        if isinstance(spelling, str):
            assert parse_date(clean_text(fullwidth(spelling))) == d, spelling


# parse_month


@pytest.mark.parametrize(
    "cell",
    [
        "2026-10", "2026/10", "2026.10", "2026年10月", "2026年10月份", "2026 年 10 月", "202610", "2026-10-01",
        "2026-10-31", "2026年10月15日", "2026-10-01 00:00:00", "46296", 202610, 202610.0, 46296,
        datetime(2026, 10, 20, 8), date(2026, 10, 31),
    ],
)
def test_parse_month_formats(cell):
    assert parse_month(cell) == date(2026, 10, 1)


@pytest.mark.parametrize(
    "cell", ["2026-13", "2026年0月", "202613", "2026", 2026, 2026.1, 202613, "10月", "abc", True]
)
def test_parse_month_rejects(cell):
    with pytest.raises(ValueError):
        parse_month(cell)


def test_parse_month_single_digit():
    assert parse_month("2026-1") == date(2026, 1, 1)
    assert parse_month("2026.01") == date(2026, 1, 1)
    assert parse_month("2026.2") == date(2026, 2, 1)


@pytest.mark.parametrize("cell", ["2026.1", 2026.1, 2026.10])
def test_month_written_2026_1_is_ambiguous_in_text_as_in_a_number(cell):
    """Excel's General format exports 2026.10 as `2026.1`: the CSV path refuses it as the xlsx path does."""
    with pytest.raises(ValueError, match="ambiguous"):
        parse_month(cell)


# Months start in 1928: smaller Excel serials (4 digits) are refused as ambiguous with a bare year,
# and 6-digit numbers are read as YYYYMM, so serials after 2173 are not months.
@PROPERTY
@given(st.dates(min_value=date(1928, 1, 1), max_value=date(2172, 12, 31)))
def test_every_month_spelling_parses_back(d):
    first = d.replace(day=1)
    spellings = [
        f"{d:%Y-%m}", f"{d.year}-{d.month}", f"{d:%Y/%m}", f"{d:%Y.%m}", f"{d.year}年{d.month}月",
        f"{d:%Y年%m月}", f"{d:%Y%m}", int(f"{d:%Y%m}"), *date_spellings(d),
    ]
    for spelling in spellings:
        assert parse_month(spelling) == first, spelling
        if isinstance(spelling, str):
            assert parse_month(clean_text(fullwidth(spelling))) == first, spelling


# parse_money


@pytest.mark.parametrize(
    ("cell", "multiplier", "expected"),
    [
        ("1234.5", 1.0, 1234.5),
        ("1,234.5", 1.0, 1234.5),
        ("1,234,567.891", 1.0, 1234567.89),
        ("¥1,234.5", 1.0, 1234.5),
        ("￥ 1,234.50", 1.0, 1234.5),
        ("RMB 200", 1.0, 200.0),
        ("rmb200", 1.0, 200.0),
        ("200 RMB", 1.0, 200.0),
        ("500元", 1.0, 500.0),
        ("500 元", 10_000.0, 500.0),
        ("35万元", 1.0, 350_000.0),
        ("35万", 1.0, 350_000.0),
        ("35万元", 10_000.0, 350_000.0),
        ("1.2亿元", 1.0, 120_000_000.0),
        ("3.5", 10_000.0, 35_000.0),
        ("0.123456", 10_000.0, 1234.56),
        ("-12", 1.0, -12.0),
        ("-0", 1.0, 0.0),
        ("1.5E+05", 1.0, 150_000.0),
        (".5", 1.0, 0.5),
        (1234.567, 1.0, 1234.57),
        (35, 10_000.0, 350_000.0),
        (-3, 1.0, -3.0),
    ],
)
def test_parse_money(cell, multiplier, expected):
    assert parse_money(cell, multiplier) == expected


def test_parse_money_full_width():
    assert parse_money(clean_text("１２３万元")) == 1_230_000.0
    assert parse_money(clean_text("￥１，２３４．５")) == 1234.5


@pytest.mark.parametrize(
    "cell",
    ["abc", "nan", "inf", "-inf", "1,23", "12,34.5", "1.2.3", "35美元", "元", "$5", "5 6", True, float("nan")],
)
def test_parse_money_rejects(cell):
    with pytest.raises(ValueError):
        parse_money(cell)


def grouped(number: float, decimals: int) -> str:
    return f"{number:,.{decimals}f}"


@PROPERTY
@given(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.sampled_from(["", "¥", "￥", "RMB "]),
    st.sampled_from(["", "元", " 元"]),
    st.booleans(),
)
def test_money_round_trips_in_yuan(cents, prefix, suffix, separators):
    text = f"{prefix}{grouped(cents / 100, 2) if separators else f'{cents / 100:.2f}'}{suffix}"
    assert parse_money(clean_text(text)) == cents / 100
    assert parse_money(clean_text(text), 10_000.0) == (cents / 100 if suffix else round(cents * 100, 2))


@PROPERTY
@given(st.integers(min_value=0, max_value=10**10), st.sampled_from(["万元", "万", " 万元"]))
def test_money_round_trips_in_wan(hundredths, unit):
    text = f"{grouped(hundredths / 100, 2)}{unit}"
    assert parse_money(clean_text(text)) == hundredths * 100
    assert parse_money(clean_text(fullwidth(text))) == hundredths * 100


# parse_integer


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("12", 12), ("12.0", 12), ("1,234", 1234), ("12人次", 12), ("12 人次", 12), ("12人", 12), ("12户", 12),
        ("12次", 12), ("12家", 12), ("12个", 12), ("12件", 12), ("12户次", 12), ("1,234户次", 1234), ("0", 0),
        ("-0", 0), ("+7", 7), (12, 12), (12.0, 12), (-3, -3),
    ],
)
def test_parse_integer(cell, expected):
    result = parse_integer(cell)
    assert result == expected
    assert type(result) is int


@pytest.mark.parametrize(
    "cell", ["12.5", 12.5, "12cm", "12万", "abc", "nan", "inf", "1e30", "12-15", "", True, float("inf")]
)
def test_parse_integer_rejects(cell):
    with pytest.raises(ValueError):
        parse_integer(cell)


@PROPERTY
@given(
    st.integers(min_value=0, max_value=10**9),
    st.sampled_from(["", "人次", "人", "户", "次", "家", "个", "件", "户次", " 人次"]),
    st.booleans(),
    st.booleans(),
)
def test_integers_with_units_round_trip(n, unit, separators, decimal_zero):
    text = (f"{n:,}" if separators else str(n)) + (".0" if decimal_zero else "") + unit
    assert parse_integer(clean_text(text)) == n
    assert parse_integer(clean_text(fullwidth(text))) == n


# parse_number and parse_percent


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("35", 35.0), ("35cm", 35.0), ("35 厘米", 35.0), ("2.1mg/L", 2.1), ("2.1 mg/L", 2.1),
        ("-150mV", -150.0),
        ("85%", 85.0), ("1,234.5", 1234.5), ("7.5°C", 7.5), ("-0", 0.0), ("-0.0", 0.0), (".5", 0.5),
        (3, 3.0), (2.5, 2.5), (-0.0, 0.0),
    ],
)
def test_parse_number(cell, expected):
    result = parse_number(cell)
    assert result == expected
    assert math.copysign(1, result) == math.copysign(1, expected)


def test_parse_number_full_width_unit():
    assert parse_number(clean_text("３５ｃｍ")) == 35.0
    assert parse_number(clean_text("２．１ｍｇ／Ｌ")) == 2.1


@pytest.mark.parametrize(
    "cell",
    ["nan", "NaN", "inf", "-inf", "Infinity", "cm", "12-15", "1.2.3", "<0.5", "未检出", "1e999", True, math.nan],
)
def test_parse_number_rejects(cell):
    with pytest.raises(ValueError):
        parse_number(cell)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("85%", 85.0), ("85", 85.0), ("85.5 %", 85.5), ("0.85", 0.85), ("100%", 100.0), (85, 85.0),
     (0.85, 0.85)],
)
def test_parse_percent(cell, expected):
    assert parse_percent(cell) == expected


@pytest.mark.parametrize("cell", ["85%%", "%", "八十五", "85‰", "abc", True])
def test_parse_percent_rejects(cell):
    with pytest.raises(ValueError):
        parse_percent(cell)


@PROPERTY
@given(st.integers(min_value=0, max_value=1000), st.sampled_from(["%", " %", ""]))
def test_percent_round_trips(tenths, sign):
    text = f"{tenths / 10}{sign}"
    assert parse_percent(clean_text(fullwidth(text))) == tenths / 10


# parse_bool

TRUE_SPELLINGS = ["是", "Y", "y", "yes", "YES", "Yes", "true", "TRUE", "1", "1.0", "√", "✓", "✔", "已移送"]
FALSE_SPELLINGS = ["否", "N", "n", "no", "NO", "false", "False", "0", "0.0", "×", "✗", "✘", "未移送"]


@pytest.mark.parametrize("cell", [*TRUE_SPELLINGS, 1, 1.0, True])
def test_parse_bool_true(cell):
    assert parse_bool(cell) is True


@pytest.mark.parametrize("cell", [*FALSE_SPELLINGS, 0, 0.0, False])
def test_parse_bool_false(cell):
    assert parse_bool(cell) is False


@pytest.mark.parametrize("cell", ["maybe", "2", 2, 0.5, "是否", "x", "有"])
def test_parse_bool_rejects(cell):
    with pytest.raises(ValueError):
        parse_bool(cell)


@PROPERTY
@given(st.sampled_from(TRUE_SPELLINGS + FALSE_SPELLINGS), st.sampled_from(["", " ", "\u3000", "\xa0"]))
def test_bool_spellings_survive_padding_and_full_width(spelling, pad):
    expected = spelling in TRUE_SPELLINGS
    assert parse_bool(clean_text(f"{pad}{spelling}{pad}")) is expected
    assert parse_bool(clean_text(fullwidth(spelling))) is expected


# parse_industry_code


@pytest.mark.parametrize(
    "cell",
    ["13", "C13", "c13", "1311", "C1311", "131", "C 1311", "13.0", 13, 13.0, 1311, "C13 农副食品加工业", "1311稻谷加工"],
)
def test_parse_industry_code(cell):
    assert parse_industry_code(cell) == "13"


def test_parse_industry_code_keeps_leading_zero_and_other_divisions():
    assert parse_industry_code("0511") == "05"
    assert parse_industry_code("A05") == "05"
    assert parse_industry_code("F5212") == "52"
    assert parse_industry_code(43) == "43"


@pytest.mark.parametrize(
    "cell", ["1", "C1", "12345", "U13", "X13", "A13", "C51", "13a", "C-", "abc", 13.5, 5, True]
)
def test_parse_industry_code_rejects(cell):
    with pytest.raises(ValueError):
        parse_industry_code(cell)


# text lists and mappings


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("控源截污、内源治理", "控源截污、内源治理"),
        ("控源截污，内源治理;生态修复", "控源截污、内源治理、生态修复"),
        ("控源截污, 内源治理 / 生态修复；活水保质", "控源截污、内源治理、生态修复、活水保质"),
        ("控源截污 控源截污 内源治理", "控源截污、内源治理"),
        ("、控源截污、、", "控源截污"),
        ("控源截污内源治理", "控源截污、内源治理"),
        ("控源截污+内源治理", "控源截污、内源治理"),
        ("其他措施", "其他措施"),
        ("控源截污其他", "控源截污其他"),
        ("、", ""),
    ],
)
def test_parse_text_list(cell, expected):
    assert parse_text_list(clean_text(cell), MEASURES) == expected


def test_parse_text_list_without_allowed_keeps_run_together_items():
    assert parse_text_list("控源截污内源治理") == "控源截污内源治理"


def test_text_list_items():
    assert text_list_items("控源截污、内源治理、控源截污") == ["控源截污", "内源治理"]
    assert text_list_items("") == []
    assert text_list_items(None) == []


@PROPERTY
@given(
    st.lists(st.sampled_from(MEASURES), min_size=1, max_size=6),
    st.sampled_from(["、", "，", ",", ";", " ", "/"]),
)
def test_text_list_round_trips(items, separator):
    joined = parse_text_list(clean_text(separator.join(items)), MEASURES)
    assert text_list_items(joined) == list(dict.fromkeys(items))
    assert parse_text_list(joined, MEASURES) == joined


CONCLUSIONS = {"P": "合格", "符合": "合格", "F": "不合格", "不符合": "不合格"}


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("P", "合格"), ("p", "合格"), ("f", "不合格"), ("符合", "合格"), ("不符合", "不合格"), ("合格", "合格"), ("拒检", "拒检"),
     ("pass", "pass"), (1, 1), (None, None)],
)
def test_map_value(cell, expected):
    assert map_value(cell, CONCLUSIONS) == expected


# robustness

PARSERS = [parse_date, parse_month, parse_money, parse_integer, parse_number, parse_percent, parse_bool,
           parse_industry_code]


@PROPERTY
@given(st.one_of(st.text(), st.text(alphabet="0123456789-/.,年月日号万元% :T"), st.integers(), st.floats()))
def test_parsers_raise_only_value_error(cell):
    cleaned = clean_text(cell)
    if cleaned is None:
        return
    for parse in PARSERS:
        try:
            parse(cleaned)
        except ValueError:
            pass


# parse_series


def test_parse_series_dates():
    cells = pd.Series(["2026-03-05", None, "bad", "46086", 46086, "—", math.nan, "2026年3月6日"], dtype=object)
    parsed, failed = parse_series(cells, "date")
    assert parsed.dtype == "datetime64[ns]"
    assert parsed.iloc[0] == pd.Timestamp("2026-03-05")
    assert parsed.isna().tolist() == [False, True, True, False, False, True, True, False]
    assert parsed.iloc[7] == pd.Timestamp("2026-03-06")
    assert failed.tolist() == [False, False, True, False, False, False, False, False]
    assert (parsed.dropna() == parsed.dropna().dt.normalize()).all()


def test_parse_series_dates_are_comparable():
    parsed, _ = parse_series(pd.Series(["2026-03-05 08:30", "2026/3/6"]), "date")
    assert (parsed < pd.Timestamp("2026-03-06")).tolist() == [True, False]


def test_parse_series_dates_outside_datetime64_range_fail():
    parsed, failed = parse_series(pd.Series(["9999-12-31", 2958465, "1600-01-01"], dtype=object), "date")
    assert parsed.isna().all()
    assert failed.all()


def test_parse_series_months():
    parsed, failed = parse_series(pd.Series(["2026-10", "2026年11月", 202612, None]), "month")
    assert parsed.dtype == "datetime64[ns]"
    assert parsed.tolist()[:3] == [pd.Timestamp(f"2026-{m}-01") for m in (10, 11, 12)]
    assert not failed.any()


def test_parse_series_datetime_column():
    cells = pd.Series(pd.to_datetime(["2026-03-05 08:30", None]))
    parsed, failed = parse_series(cells, "month")
    assert parsed.iloc[0] == pd.Timestamp("2026-03-01")
    assert pd.isna(parsed.iloc[1])
    assert not failed.any()


@pytest.mark.parametrize(
    ("kind", "cells", "dtype", "expected"),
    [
        ("money", ["1,234.5", "35万元", None, "x"], "float64", [1234.5, 350_000.0, None, None]),
        ("number", ["35cm", "-0", None, "abc"], "float64", [35.0, 0.0, None, None]),
        ("percent", ["85%", 85.5, None, "abc"], "float64", [85.0, 85.5, None, None]),
        ("integer", ["12人次", 3, None, "12.5"], "Int64", [12, 3, None, None]),
        ("bool", ["是", "N", None, "maybe"], "boolean", [True, False, None, None]),
        ("industry_code", ["C1311", 14.0, None, "X"], "object", ["13", "14", None, None]),
    ],
)
def test_parse_series_kinds(kind, cells, dtype, expected):
    parsed, failed = parse_series(pd.Series(cells, dtype=object, index=[10, 11, 12, 13], name="col"), kind)
    assert str(parsed.dtype) == dtype
    assert list(parsed.index) == [10, 11, 12, 13]
    assert parsed.name == "col"
    assert [None if pd.isna(v) else v for v in parsed] == expected
    assert failed.tolist() == [False, False, False, True]
    assert failed.dtype == bool


def test_parse_series_money_multiplier():
    parsed, _ = parse_series(pd.Series(["3.5", "35万元", "100元"]), "money", multiplier=10_000.0)
    assert parsed.tolist() == [35_000.0, 350_000.0, 100.0]


def test_parse_series_keeps_bools_apart_from_numbers():
    for cells in ([True, 1, 0, False], [1, True, False, 0]):
        parsed, failed = parse_series(pd.Series(cells, dtype=object), "integer")
        expected = [None if isinstance(c, bool) else c for c in cells]
        assert [None if pd.isna(v) else v for v in parsed] == expected
        assert failed.tolist() == [isinstance(c, bool) for c in cells]


def test_parse_series_bools_beside_infinite_numbers():
    parsed, failed = parse_series(pd.Series([True, math.inf, 2], dtype=object), "number")
    assert [None if pd.isna(v) else v for v in parsed] == [None, None, 2.0]
    assert failed.tolist() == [True, True, False]


def test_parse_series_empty_and_all_null():
    parsed, failed = parse_series(pd.Series([], dtype=object), "money")
    assert parsed.empty and failed.empty and parsed.dtype == "float64"
    parsed, failed = parse_series(pd.Series([None, "无", "/"], dtype=object), "date")
    assert parsed.isna().all() and not failed.any()


def test_parse_series_unknown_kind():
    with pytest.raises(ValueError):
        parse_series(pd.Series(["x"]), "text")


def test_parse_series_parses_each_distinct_value_once(monkeypatch):
    calls: list[object] = []

    def counting(value):
        calls.append(value)
        return parse_integer(value)

    monkeypatch.setitem(values._SERIES_KINDS, "integer", (counting, "Int64"))
    cells = pd.Series(["12人次", "3", None, "12人次"] * 50_000, dtype=object)
    parsed, failed = parse_series(cells, "integer")
    assert sorted(calls) == ["12人次", "3"]
    assert int(parsed.sum()) == 27 * 50_000
    assert not failed.any()


@PROPERTY
@given(st.lists(st.sampled_from(["12", "3人", "x", None, "", "无", 7, 7.0, 2.5, True, "1,234"]), max_size=30))
def test_parse_series_matches_cell_by_cell(cells):
    parsed, failed = parse_series(pd.Series(cells, dtype=object), "integer")
    for cell, value, bad in zip(cells, parsed, failed, strict=True):
        cleaned = clean_text(cell)
        try:
            expected = None if cleaned is None else parse_integer(cleaned)
        except ValueError:
            expected = None
            assert bad
        else:
            assert not bad
        assert (None if pd.isna(value) else value) == expected


def test_excel_epoch_matches_known_serials():
    assert EXCEL_EPOCH + timedelta(days=46086) == date(2026, 3, 5)
