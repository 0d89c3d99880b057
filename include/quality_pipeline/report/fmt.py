"""How a value of each column kind is shown: text for the HTML page, a number format for the workbook."""

from __future__ import annotations

from datetime import date, datetime

DASH = "—"
MET_TEXT = {True: "达标", False: "未达标", None: DASH}


def _kind_for_unit(unit: str | None) -> str:
    return {"%": "dec2", "score": "dec2"}.get(unit or "", "int")


def resolve(kind: str, unit: str | None = None) -> str:
    return _kind_for_unit(unit) if kind == "by_unit" else kind


def text(value, kind: str = "text", unit: str | None = None) -> str:
    """The value as a person reads it (never HTML: the caller escapes it)."""
    kind = resolve(kind, unit)
    if kind == "met":
        return MET_TEXT.get(value, DASH)
    if value is None:
        return DASH
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    if kind == "int":
        return f"{value:,.0f}"
    if kind == "dec1" or kind == "pct":
        return f"{value:,.1f}"
    if kind == "dec2":
        return f"{value:,.2f}"
    if kind == "num":
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return str(value)


def excel_format(kind: str, unit: str | None = None, value=None) -> str | None:
    kind = resolve(kind, unit)
    if kind == "num":
        kind = "int" if isinstance(value, int | float) and float(value).is_integer() else "dec2"
    return {"int": "#,##0", "dec1": "#,##0.0", "pct": "0.0", "dec2": "#,##0.00"}.get(kind)


def signed(value: float | None, unit: str | None) -> str:
    """A change, with its sign: +1.2 / −3."""
    if value is None:
        return DASH
    shown = text(abs(value), "by_unit", unit)
    return ("+" if value > 0 else "−" if value < 0 else "±") + shown
