"""Cell cleaning and value parsing: the spellings of dates, months, amounts, counts and flags in real exports.

Each parser takes one cleaned, non-null cell (a string, or a number or date from an xlsx reader) and
returns the typed value or raises ValueError; `parse_series` applies one to a column, once per distinct value.
"""

from __future__ import annotations

import math
import numbers
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial

import numpy as np
import pandas as pd

NULL_SPELLINGS = frozenset(
    {"", "/", "—", "－", "-", "--", "——", "–", "―", "无", "暂无", "空",
     "null", "NULL", "None", "nan", "NaN", "N/A", "n/a", "#N/A"}
)

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
NUMBER = _NUMBER = r"[+-]?(?:(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_TIME = r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?: ?(?:Z|[+-][0-9]{2}:?[0-9]{2}))?)?"
_DATES = (
    re.compile(rf"(?P<y>[0-9]{{4}})(?P<sep>[-/.])(?P<m>[0-9]{{1,2}})(?P=sep)(?P<d>[0-9]{{1,2}}){_TIME}"),
    re.compile(rf"(?P<y>[0-9]{{4}}) ?年 ?(?P<m>[0-9]{{1,2}}) ?月 ?(?P<d>[0-9]{{1,2}}) ?[日号]?{_TIME}"),
    re.compile(rf"(?P<y>[0-9]{{4}})(?P<m>[0-9]{{2}})(?P<d>[0-9]{{2}}){_TIME}"),
)
_MONTHS = (
    re.compile(r"(?P<y>[0-9]{4})[-/.](?P<m>[0-9]{1,2})"),
    re.compile(r"(?P<y>[0-9]{4}) ?年 ?(?P<m>[0-9]{1,2}) ?月份?"),
    re.compile(r"(?P<y>[0-9]{4})(?P<m>[0-9]{2})"),
)
# `2026.1` is how Excel's General format writes the number 2026.10: October or January, nobody can tell.
_AMBIGUOUS_MONTH = re.compile(r"[0-9]{4}\.1")
_SERIAL = re.compile(r"[0-9]{5}(?:\.[0-9]+)?")
_MONEY = re.compile(
    rf"(?:[¥￥]|RMB|CNY|人民币)? ?(?P<n>{_NUMBER}) ?(?P<unit>元|千元|万元|万|亿元|亿)?(?: ?(?:RMB|CNY))?", re.IGNORECASE
)
_COUNT_UNITS = "人次|户次|家次|批次|人|户|次|家|个|件|起|项|宗|条|处|名|批|所|座"
_INTEGER = re.compile(rf"(?P<n>{_NUMBER}) ?(?:{_COUNT_UNITS})?")
_MEASURE = re.compile(rf"(?P<n>{_NUMBER}) ?(?:(?:[^\W\d_]|[%‰°])\S*)?")
_PERCENT = re.compile(rf"(?P<n>{_NUMBER}) ?%?")
_INDUSTRY = re.compile(r"(?P<section>[A-Ta-t])? ?(?P<code>[0-9]{2,4})(?:\.0+)?(?:[ :\-]?[\u4e00-\u9fff(].*)?")
_LIST_SEPARATORS = re.compile(r"[、，,；;／/+＋\s]+")

_MONEY_UNITS = {None: None, "元": 1.0, "千元": 1e3, "万元": 1e4, "万": 1e4, "亿元": 1e8, "亿": 1e8}
_TRUE = frozenset({"是", "y", "yes", "true", "1", "1.0", "√", "✓", "✔", "☑", "已移送"})
_FALSE = frozenset({"否", "n", "no", "false", "0", "0.0", "×", "✗", "✘", "未移送"})
# GB/T 4754-2017 sections and the divisions each one covers.
_SECTIONS = {
    "A": (1, 5), "B": (6, 12), "C": (13, 43), "D": (44, 46), "E": (47, 50), "F": (51, 52), "G": (53, 60),
    "H": (61, 62), "I": (63, 65), "J": (66, 69), "K": (70, 70), "L": (71, 72), "M": (73, 75), "N": (76, 79),
    "O": (80, 82), "P": (83, 83), "Q": (84, 85), "R": (86, 90), "S": (91, 97), "T": (98, 98),
}
_EXCEL_EPOCH = date(1899, 12, 30)  # serial 61 onwards; serials 1..59 count from 1899-12-31
_MAX_SERIAL = 2_958_465  # 9999-12-31
_INT64_MAX = 2**63 - 1
_SERIES_DAYS = (date(1678, 1, 1), date(2261, 12, 31))  # what datetime64[ns] can hold


def clean_text(value: object) -> object:
    """Normalise a cell: NFKC, invisible characters dropped, spaces collapsed; nulls and NaN become None."""
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value.translate(_INVISIBLE))
        text = " ".join(text.split())
        return None if text in NULL_SPELLINGS else text
    if value is None or value is pd.NA or value != value:  # NaN, NaT
        return None
    return value


def scaled(number: float, multiplier: float) -> float:
    """number × multiplier, computed in decimal: 76420.9 m is 7642090 cm, not 7642090.000000001."""
    if multiplier == 1.0:
        return number + 0.0
    return float(Decimal(repr(number)) * Decimal(repr(multiplier))) + 0.0


def number_of(value: object) -> float | None:
    """The value as a finite float when it is a real number (not a bool), else None."""
    return _number(value)


def to_float(text: str) -> float:
    """A number written as text (thousands separators allowed); raises for inf and NaN."""
    return _to_float(text)


def _number(value: object) -> float | None:
    """The value as a finite float when it is a real number (not a bool), else None."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        return None
    number = float(value)
    if not math.isfinite(number):
        raise ValueError("number is not finite")
    return number


def _match(pattern: re.Pattern[str], value: object, what: str) -> re.Match[str]:
    match = pattern.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"not a {what}: {value!r}")
    return match


def _to_float(text: str) -> float:
    number = float(text.replace(",", ""))
    if not math.isfinite(number):
        raise ValueError("number is not finite")
    return number + 0.0  # -0.0 -> 0.0


def _from_serial(serial: float) -> date:
    """The date of an Excel 1900-system serial number (its fraction, the time of day, is dropped)."""
    if not 1 <= serial < _MAX_SERIAL + 1:
        raise ValueError(f"Excel serial out of range: {serial}")
    days = int(serial)
    if days == 60:
        raise ValueError("Excel serial 60 is the non-existent 1900-02-29")
    return _EXCEL_EPOCH + timedelta(days=days + (1 if days < 60 else 0))


def _ymd(match: re.Match[str], day: bool = True) -> date:
    return date(int(match["y"]), int(match["m"]), int(match["d"]) if day else 1)


def parse_date(value: object) -> date:
    """A date from a date cell, an Excel serial, `2026-03-05`, `2026/3/5`, `2026年3月5日`, `20260305` etc."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    number = _number(value)
    if number is not None:
        if number.is_integer() and 10_000_000 <= number <= 99_999_999:
            return parse_date(str(int(number)))
        return _from_serial(number)
    if not isinstance(value, str):
        raise ValueError(f"not a date: {value!r}")
    if _SERIAL.fullmatch(value):
        return _from_serial(float(value))
    for pattern in _DATES:
        if match := pattern.fullmatch(value):
            return _ymd(match)
    raise ValueError(f"not a date: {value!r}")


def _month_from_number(number: float) -> date:
    if number.is_integer() and 100_000 <= number <= 999_999:
        return parse_month(str(int(number)))
    if 1000 <= number < 10_000:
        raise ValueError(f"ambiguous month, looks like a year: {number}")
    return parse_date(number).replace(day=1)


def parse_month(value: object) -> date:
    """The first day of a month written `2026-10`, `2026/10`, `2026.10`, `2026年10月`, `202610` or as a date."""
    if isinstance(value, date):
        return parse_date(value).replace(day=1)
    number = _number(value)
    if number is not None:
        return _month_from_number(number)
    if isinstance(value, str) and _AMBIGUOUS_MONTH.fullmatch(value):
        raise ValueError(f"ambiguous month, Excel writes 2026.10 as 2026.1: {value!r}")
    for pattern in _MONTHS:
        if isinstance(value, str) and (match := pattern.fullmatch(value)):
            return _ymd(match, day=False)
    return parse_date(value).replace(day=1)


def parse_money(value: object, multiplier: float = 1.0) -> float:
    """An amount in yuan; a `万元`/`亿元` written in the cell wins over the header's multiplier."""
    number = _number(value)
    if number is None:
        match = _match(_MONEY, value, "money amount")
        number = _to_float(match["n"])
        multiplier = _MONEY_UNITS[match["unit"]] or multiplier
    if multiplier == 1.0:
        return round(number, 2) + 0.0
    # In decimal: 678130.17 万 × 10⁴ in binary floating point is 6781301700.000001, not the amount written.
    scaled = Decimal(repr(number)) * Decimal(repr(multiplier))
    return float(round(scaled, 2)) + 0.0


def parse_integer(value: object) -> int:
    """A count such as `12`, `12.0`, `1,234` or `12人次`; a fraction raises."""
    number = _number(value)
    if number is None:
        number = _to_float(_match(_INTEGER, value, "whole number")["n"])
    if not number.is_integer():
        raise ValueError(f"not a whole number: {value!r}")
    if abs(number) > _INT64_MAX:
        raise ValueError(f"whole number too large: {value!r}")
    return int(number)


def parse_number(value: object) -> float:
    """A measurement such as `2.1`, `35cm`, `2.1mg/L`, `-150mV` or `35 厘米`; the unit is dropped."""
    number = _number(value)
    if number is None:
        number = _to_float(_match(_MEASURE, value, "number")["n"])
    return number + 0.0


def parse_percent(value: object) -> float:
    """A percentage as written: `85%`, `85` and `85.5 %` give 85.0 and 85.5 (0.85 stays 0.85)."""
    number = _number(value)
    if number is None:
        number = _to_float(_match(_PERCENT, value, "percentage")["n"])
    return number + 0.0


def parse_bool(value: object) -> bool:
    """A yes/no flag: 是/否, Y/N, yes/no, true/false, 1/0, √/×, 已移送/未移送."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    number = _number(value)
    text = str(value).strip().lower() if number is None else str(number)
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"not a yes/no value: {value!r}")


def parse_industry_code(value: object) -> str:
    """The GB/T 4754 division (2 digits) of a code written `13`, `C13`, `1311`, `C1311` or `C13 农副食品加工业`."""
    number = _number(value)
    if number is not None:
        if not number.is_integer():
            raise ValueError(f"not an industry code: {value!r}")
        value = str(int(number))
    match = _match(_INDUSTRY, value, "industry code")
    division = match["code"][:2]
    section = (match["section"] or "").upper()
    if section:
        low, high = _SECTIONS[section]
        if not low <= int(division) <= high:
            raise ValueError(f"industry division {division} is not in section {section}")
    return division


def text_list_items(text: object) -> list[str]:
    """The items of a list cell, split on 、，,；;／/+ and spaces, in order and without repeats."""
    if text is None:
        return []
    return list(dict.fromkeys(item for item in _LIST_SEPARATORS.split(str(text)) if item))


def _segment(token: str, allowed: tuple[str, ...]) -> list[str] | None:
    """Split a token written without separators into allowed items, or None if it is not a run of them."""
    if not token:
        return []
    for item in sorted(allowed, key=len, reverse=True):
        if token.startswith(item):
            rest = _segment(token[len(item) :], allowed)
            if rest is not None:
                return [item, *rest]
    return None


def parse_text_list(value: object, allowed: tuple[str, ...] = ()) -> str:
    """A list cell re-joined with 、, allowed items run together (`控源截污内源治理`) split; no membership check."""
    items: list[str] = []
    for item in text_list_items(value):
        items.extend((item not in allowed and _segment(item, allowed)) or [item])
    return "、".join(dict.fromkeys(items))


def map_value(value: object, mapping: dict[str, str]) -> object:
    """The mapped spelling of a value (`P` → 合格), ASCII keys matched case-insensitively; others pass."""
    if not isinstance(value, str):
        return value
    if value in mapping:
        return mapping[value]
    if value.isascii():
        folded = value.casefold()
        for key, target in mapping.items():
            if key.isascii() and key.casefold() == folded:
                return target
    return value


def _series_day(parse: Callable[[object], date], value: object) -> date:
    day = parse(value)
    if not _SERIES_DAYS[0] <= day <= _SERIES_DAYS[1]:
        raise ValueError(f"date outside {_SERIES_DAYS[0]}..{_SERIES_DAYS[1]}: {day}")
    return day


_SERIES_KINDS: dict[str, tuple[Callable[..., object], object]] = {
    "date": (partial(_series_day, parse_date), "datetime64[ns]"),
    "month": (partial(_series_day, parse_month), "datetime64[ns]"),
    "money": (parse_money, "float64"),
    "integer": (parse_integer, "Int64"),
    "number": (parse_number, "float64"),
    "percent": (parse_percent, "float64"),
    "bool": (parse_bool, "boolean"),
    "industry_code": (parse_industry_code, object),
}


def _scaled(parse: Callable[[object], float], multiplier: float, whole: bool, value: object) -> float | int:
    """A quantity written in a larger or smaller unit than the stored one (`透明度(m)` into centimetres)."""
    number = scaled(parse(value), multiplier)
    if whole:
        if not number.is_integer():
            raise ValueError(f"not a whole number once scaled: {value!r}")
        return int(number)
    return number


def _parse_cell(parse: Callable[[object], object], value: object) -> tuple[object, bool]:
    """(parsed value or None, whether a non-null value failed to parse)."""
    text = clean_text(value)
    if text is None:
        return None, False
    try:
        return parse(text), False
    except ValueError:
        return None, True


def _is_plain_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def tag_bool(value: object) -> object:
    return ("bool", value) if isinstance(value, bool) else value


def factorize(series: pd.Series) -> tuple[np.ndarray, list[object]]:
    """Codes and distinct values of a column; bools are kept apart from the equal numbers 1 and 0."""
    codes, uniques = pd.factorize(series)
    values = uniques.tolist()
    if any(isinstance(v, bool) for v in values) and any(_is_plain_number(v) for v in values):
        codes, uniques = pd.factorize(series.map(tag_bool))
        values = [v[1] if isinstance(v, tuple) else v for v in uniques.tolist()]
    return codes, values


def _series_parser(kind: str, default: Callable[..., object], multiplier: float) -> Callable[[object], object]:
    if kind == "money":
        return partial(default, multiplier=multiplier)
    if kind in ("number", "percent", "integer") and multiplier != 1.0:
        return partial(_scaled, default, multiplier, kind == "integer")
    return default


def parse_series(series: pd.Series, kind: str, *, multiplier: float = 1.0,
                 parse: Callable[[object], object] | None = None) -> tuple[pd.Series, pd.Series]:
    """Parse a column once per distinct value: (typed values, null where absent or bad; mask of bad ones).
    `parse` replaces the kind's parser (a quantity parsed against its column's units)."""
    if kind not in _SERIES_KINDS:
        raise ValueError(f"unknown value kind: {kind!r}")
    default, dtype = _SERIES_KINDS[kind]
    if parse is None:
        parse = _series_parser(kind, default, multiplier)
    codes, uniques = factorize(series)
    cells = [_parse_cell(parse, value) for value in uniques]
    # A trailing null slot: take() with code -1 (a missing cell) picks it.
    table = pd.array([parsed for parsed, _ in cells] + [None], dtype=dtype)
    failed = np.array([bad for _, bad in cells] + [False], dtype=bool)
    values = pd.Series(table.take(codes), index=series.index, name=series.name, dtype=dtype, copy=False)
    return values, pd.Series(failed[codes], index=series.index, name=series.name, copy=False)  # new arrays
