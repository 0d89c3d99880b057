"""The invariant of every typed column: the stored value equals the intended one, or the value is refused.

Each property writes an intended value in the spellings real exports use, plus spellings that carry a unit
or a marker the column does not know, and checks that nothing parses to a different value.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quality_pipeline.feeds import unit_families
from quality_pipeline.parsing.units import parse_quantity
from quality_pipeline.parsing.uscc import normalise_uscc, uscc_check_char
from quality_pipeline.parsing.values import (
    clean_text,
    parse_bool,
    parse_date,
    parse_integer,
    parse_money,
    parse_month,
    parse_number,
    parse_percent,
)
from quality_pipeline.region import load_region
from quality_pipeline.settings import DEFAULT_REGION_FILE

PROPERTY = settings()  # examples per property: the Hypothesis profile (tests/conftest.py)
FULL_WIDTH = str.maketrans("0123456789.,-", "０１２３４５６７８９．，－")
FOREIGN_UNITS = ["美元", "USD", "角", "分", "kg", "吨", "港币", "%", "m²", "个月", "万美元", "元/吨"]


def _refused_or_equal(parse, spelling, intended) -> bool:
    try:
        got = parse(clean_text(spelling) if isinstance(spelling, str) else spelling)
    except ValueError:
        return True
    return got == intended


def _grouped(n: Decimal) -> str:
    return f"{n:,}"


@PROPERTY
@given(cents=st.integers(min_value=0, max_value=10**12), header=st.sampled_from(sorted(unit_families()["yuan"].scales)),
       form=st.sampled_from(["plain", "grouped", "full_width", "yuan", "symbol", "foreign"]),
       foreign=st.sampled_from(FOREIGN_UNITS))
def test_money_is_the_intended_yuan_or_refused(cents, header, form, foreign):
    scale = Decimal(str(unit_families()["yuan"].scales[header]))
    written = Decimal(cents) / 100  # as written in a column whose header says `header`
    intended = float(round(written * scale, 2))
    spelling = {
        "plain": str(written), "grouped": _grouped(written), "full_width": str(written).translate(FULL_WIDTH),
        "yuan": f"{written}元", "symbol": f"¥{written}", "foreign": f"{written}{foreign}",
    }[form]
    if form == "yuan":
        intended = float(written)  # a unit in the cell wins over the header's
    assert _refused_or_equal(lambda v: parse_money(v, float(scale)), spelling, intended), spelling
    if form == "foreign":
        with pytest.raises(ValueError):
            parse_money(spelling, float(scale))


@PROPERTY
@given(n=st.integers(min_value=0, max_value=10**9), unit=st.sampled_from(["", "人次", "户", "个", "件", *FOREIGN_UNITS]),
       grouped=st.booleans())
def test_integer_is_the_intended_count_or_refused(n, unit, grouped):
    spelling = (f"{n:,}" if grouped else str(n)) + unit
    assert _refused_or_equal(parse_integer, spelling, n), spelling
    if unit in FOREIGN_UNITS:
        with pytest.raises(ValueError):
            parse_integer(clean_text(spelling))


_CM = unit_families()["centimetre"]


@PROPERTY
@given(tenths=st.integers(min_value=-10**6, max_value=10**6),
       unit=st.sampled_from([*sorted(_CM.scales), "", "kg", "mg/L", "°C", "英尺", "in", "ft", "km"]),
       header=st.sampled_from(sorted(_CM.scales)))
def test_quantity_is_the_intended_measure_or_refused(tenths, unit, header):
    written = Decimal(tenths) / 10
    scale = Decimal(str(_CM.scales[unit if unit in _CM.scales else header]))
    intended = float(written * scale)
    spelling = f"{written}{unit}"
    result_ok = _refused_or_equal(lambda v: parse_quantity(v, _CM, _CM.scales[header]), spelling, intended)
    assert result_ok, spelling
    if unit and unit not in _CM.scales:
        with pytest.raises(ValueError):
            parse_quantity(spelling, _CM, _CM.scales[header])


@PROPERTY
@given(tenths=st.integers(min_value=0, max_value=1000), form=st.sampled_from(["%", " %", "", "％"]))
def test_percent_is_the_intended_percentage_or_refused(tenths, form):
    written = Decimal(tenths) / 10
    assert _refused_or_equal(parse_percent, f"{written}{form}", float(written))
    assert _refused_or_equal(parse_number, f"{written}{form}", float(written))


def _date_spellings(d: date) -> list[object]:
    return [f"{d:%Y-%m-%d}", f"{d.year}/{d.month}/{d.day}", f"{d.year}.{d.month}.{d.day}",
            f"{d.year}年{d.month}月{d.day}日", f"{d:%Y%m%d}", int(f"{d:%Y%m%d}"), f"{d:%Y-%m-%d} 08:30",
            (d - date(1899, 12, 30)).days]


@PROPERTY
@given(d=st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)),
       noise=st.sampled_from(["", "前", "左右", "?", "(暂定)", "至今"]))
def test_date_is_the_intended_day_or_refused(d, noise):
    for spelling in _date_spellings(d):
        written = f"{spelling}{noise}" if noise and isinstance(spelling, str) else spelling
        assert _refused_or_equal(parse_date, written, d), written


@PROPERTY
@given(d=st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)))
def test_month_is_the_intended_month_or_refused(d):
    first = d.replace(day=1)
    spellings = [f"{d:%Y-%m}", f"{d.year}年{d.month}月", f"{d:%Y%m}", f"{d.year}.{d.month}", f"{d:%Y.%m}",
                 d.year + d.month / 100, f"{d.year}.{d.month}".rstrip("0")]  # the last two as Excel exports them
    for spelling in spellings:
        assert _refused_or_equal(parse_month, spelling, first), spelling


_TRUE = ["是", "Y", "yes", "TRUE", "1", "√", "已移送"]
_FALSE = ["否", "N", "no", "false", "0", "×", "未移送"]


@PROPERTY
@given(value=st.booleans(), pad=st.sampled_from(["", " ", "\u3000"]), junk=st.sampled_from(["", "?", "是否", "待定"]))
def test_bool_is_the_intended_flag_or_refused(value, pad, junk):
    for spelling in _TRUE if value else _FALSE:
        assert _refused_or_equal(parse_bool, f"{pad}{spelling}{junk}{pad}", value)


_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@PROPERTY
@given(body=st.text(alphabet=_ALPHABET, min_size=17, max_size=17), lower=st.booleans(),
       spaces=st.lists(st.integers(min_value=0, max_value=17), max_size=4), full_width=st.booleans())
def test_uscc_is_the_intended_code(body, lower, spaces, full_width):
    code = body + uscc_check_char(body)
    written = code.lower() if lower else code
    for i in sorted(spaces, reverse=True):
        written = written[:i] + " " + written[i:]
    if full_width:
        written = "".join(chr(ord(c) + 0xFEE0) if c != " " else "\u3000" for c in written)
    assert normalise_uscc(written) == code


REGION = load_region(DEFAULT_REGION_FILE)


@PROPERTY
@given(street=st.sampled_from(REGION.streets), suffix=st.booleans(), pad=st.sampled_from(["", " ", "\u3000"]),
       other=st.sampled_from(["龙湖", "外砂", "金平", "金砂街", "街道"]))
def test_street_is_the_intended_street_or_none(street, suffix, pad, other):
    written = street if suffix else street.removesuffix("街道")
    assert REGION.canonical_street(f"{pad}{written}{pad}") == street
    assert REGION.canonical_street(other) in (None, REGION.canonical_street(other + "街道"))
    assert REGION.canonical_street(other) is None
