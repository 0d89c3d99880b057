"""How headers and values are written: spellings, units, date styles and stray characters of real exports."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from quality_pipeline.demo.defects import Deck
from quality_pipeline.demo.model import Raw
from quality_pipeline.feeds import Column

NULLS = ["", "/", "—", "-", "无", "暂无"]
BOOL_STYLES = [("是", "否"), ("Y", "N"), ("1", "0"), ("√", "")]
SYNONYMS = {"合格": ["合格", "合格", "P", "符合"], "不合格": ["不合格", "F", "不符合"]}
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
EXCEL_EPOCH = date(1899, 12, 30)
COUNT_UNITS = {"officers": "人次"}


@dataclass(frozen=True)
class Cell:
    """An xlsx cell value with its number format (dates)."""

    value: object
    number_format: str


@dataclass
class Style:
    """Per-file writing choices; value-level choices rotate through decks so each variant turns up."""

    messy: bool
    fmt: str  # "csv" or "xlsx"
    rng: random.Random
    gbk_safe: bool = False
    units: dict[str, str] = field(default_factory=dict)  # money column -> "", "元" or "万元"
    bool_style: tuple[str, str] = ("是", "否")
    decks: dict[str, Deck] = field(default_factory=dict)

    def pick(self, name: str, items: list):
        if name not in self.decks:
            self.decks[name] = Deck(items, self.rng)
        return self.decks[name].draw()


def choose_units(columns: list[Column], feed: str, style: Style) -> None:
    for col in columns:
        if col.type != "money":
            continue
        if not style.messy:
            style.units[col.name] = ""
        elif feed == "remediation_projects":
            style.units[col.name] = style.pick("unit:remediation", ["万元", "万元", "万元", "元"])
        else:
            style.units[col.name] = style.pick("unit", ["", "元", "万元"])


def header_text(col: Column, style: Style) -> str:
    if not style.messy:
        return col.header
    text = style.pick(f"spelling:{col.name}", [col.header, col.header, *col.aliases])
    unit = style.units.get(col.name)
    if unit:
        text += style.pick("bracket", ["(元)", "（元）"]).replace("元", unit)
    elif "(" in text:
        text = text.replace("(", "（").replace(")", "）") if style.rng.random() < 0.5 else text
    variants = ["plain"] * 6 + ["lead", "trail", "inner"] + (["break"] if style.fmt == "xlsx" else [])
    how = style.pick("header", variants)
    if how == "lead":
        return " " + text
    if how == "trail":
        return text + "  "
    if how == "inner" and len(text) >= 3:
        return text[:2] + " " + text[2:]
    if how == "break" and len(text) >= 4:
        cut = min((i for i in (text.find("("), text.find("（")) if i > 0), default=len(text) // 2)
        return text[:cut] + "\n" + text[cut:]
    return text


def render(col: Column, value: object, style: Style) -> object:
    """The cell for one true value: a str, number, Cell or None (empty)."""
    if isinstance(value, Raw):
        return value.text
    if value is None:
        if not style.messy or col.type == "bool":
            return None
        spelled = style.pick("null", NULLS)
        return spelled or None
    if not style.messy:
        return _plain(col, value, style)
    kind = col.type
    if kind == "date":
        return _date(value, style)
    if kind == "month":
        return _month(value, style)
    if kind == "money":
        return _money(col, value, style)
    if kind in ("integer", "number", "percent", "industry_code"):
        return _number(col, value, style)
    if kind == "bool":
        return style.bool_style[0] if value else (style.bool_style[1] or None)
    if kind == "street":
        text = value if style.pick("suffix", [True, False]) else value.removesuffix("街道")
        return pad(text, style)
    if kind == "uscc":
        how = style.pick("uscc", ["plain", "plain", "lower", "spaced"])
        if how == "lower":
            return pad(value.lower(), style)
        return pad(f"{value[:6]} {value[6:12]} {value[12:]}" if how == "spaced" else value, style)
    if kind == "text_list":
        return "、".join(value)
    if col.mapping and value in SYNONYMS:
        return pad(style.pick(f"synonym:{value}", SYNONYMS[value]), style)
    return pad(str(value), style)


def pad(text: str, style: Style) -> str:
    how = style.pick("pad", ["none"] * 12 + ["ideo", "nbsp", "space"])
    if how == "ideo":
        return "\u3000" + text if style.rng.random() < 0.5 else text + "\u3000"
    if how == "nbsp":
        return text + (" " if style.gbk_safe else "\xa0")
    if how == "space":
        return f" {text} "
    return text


def number_text(value: object) -> str:
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
    elif isinstance(value, float):
        text = f"{value:.6f}".rstrip("0").rstrip(".")
    else:
        text = str(value)
    return "0" if text == "-0" else text


def _plain(col: Column, value: object, style: Style) -> object:
    if col.type == "date":
        return Cell(value, "yyyy-mm-dd") if style.fmt == "xlsx" else value.isoformat()
    if col.type == "month":
        return f"{value.year}-{value.month:02d}"
    if col.type == "bool":
        return "是" if value else "否"
    if col.type == "text_list":
        return "、".join(value)
    if col.type in ("money", "integer", "number", "percent"):
        return value if style.fmt == "xlsx" else number_text(value)
    return str(value)


def _date(day: date, style: Style) -> object:
    styles = ["iso", "slash", "dot", "cn", "compact"]
    how = style.pick("date", ["cell", "cell", "serial", *styles] if style.fmt == "xlsx" else ["iso", *styles])
    if how == "cell":
        return Cell(day, style.pick("date_format", ["yyyy-mm-dd", "yyyy/m/d", 'yyyy"年"m"月"d"日"']))
    if how == "serial":
        return (day - EXCEL_EPOCH).days
    text = {
        "iso": day.isoformat(),
        "slash": f"{day.year}/{day.month}/{day.day}",
        "dot": f"{day.year}.{day.month}.{day.day}",
        "cn": f"{day.year}年{day.month}月{day.day}日",
        "compact": day.strftime("%Y%m%d"),
    }[how]
    return pad(text, style)


def _month(first: date, style: Style) -> object:
    how = style.pick("month", ["dash", "cn", "compact"] + (["cell"] if style.fmt == "xlsx" else []))
    if how == "cell":
        return Cell(first, "yyyy-mm")
    return {"dash": f"{first.year}-{first.month:02d}", "cn": f"{first.year}年{first.month}月",
            "compact": f"{first.year}{first.month:02d}"}[how]


def _money(col: Column, yuan: int, style: Style) -> object:
    unit = style.units.get(col.name, "")
    amount = Decimal(yuan) / 10000 if unit == "万元" else Decimal(yuan)
    how = style.pick("money", ["number", "number", "thousands", "suffix", "fullwidth"])
    if how == "thousands" and abs(amount) >= 1000:
        return f"{amount.normalize():,f}"
    if how == "suffix":
        if not unit and yuan % 100 == 0 and abs(yuan) >= 10000 and style.rng.random() < 0.5:
            return number_text(Decimal(yuan) / 10000) + "万元"
        return number_text(amount) + (unit or "元")
    if how == "fullwidth" and amount == amount.to_integral_value():
        return number_text(amount).translate(FULLWIDTH)
    if style.fmt == "xlsx":
        return int(amount) if amount == amount.to_integral_value() else float(amount)
    return pad(number_text(amount), style)


def _number(col: Column, value: object, style: Style) -> object:
    how = style.pick(f"number:{col.type}", ["number", "number", "text", "fullwidth", "suffix"])
    if col.type == "percent" and how in ("suffix", "text"):
        return f"{number_text(value)}%"
    if how == "suffix" and col.name in COUNT_UNITS:
        return f"{number_text(value)}{COUNT_UNITS[col.name]}"
    if how == "fullwidth" and isinstance(value, int) and value >= 0:
        return number_text(value).translate(FULLWIDTH)
    if style.fmt == "xlsx" and how != "text":
        if col.type != "industry_code":
            return value
        if str(int(value)) == value:  # a leading zero only survives as text
            return int(value)
    return pad(number_text(value), style)
