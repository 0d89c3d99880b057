"""Feed declarations: each feed's columns, aliases, rules and descriptions, declared once in `<feed>.yaml`.

They drive header matching, value parsing, the Great Expectations suites, the raw tables, core tables and
their comments (`feeds/schema.py`), the ingest DAGs' membership, assets, tags and docs, and the data
dictionary alike. The folder is this package's `feeds/`, or `$QUALITY_FEEDS_DIR`; `units.yaml` always
comes from the package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

from quality_pipeline.settings import setting_path

FEEDS_DIR = Path(__file__).resolve().parent
# How a delivered file relates to what came before (docs/extracts.md): an `increment` adds or restates the keys
# it lists; a `period_snapshot` restates, whole, each period (of `period` grain, by the event date) it has rows
# of, so keys of such a period that it no longer lists are withdrawn.
INCREMENT, PERIOD_SNAPSHOT = "increment", "period_snapshot"
SNAPSHOT_PERIODS = ("month", "quarter")
COLUMN_TYPES = {
    "text", "text_list", "industry_code", "uscc", "street",
    "date", "month", "money", "integer", "number", "percent", "bool",
}
# How a parsed type is named in reasons and comments ("must parse as ..."); text types are not parsed.
TYPE_ZH = {
    "date": "日期", "month": "年月", "money": "金额", "integer": "整数", "number": "数值",
    "percent": "百分比", "bool": "是/否", "industry_code": "国民经济行业代码",
}
TYPE_EN = {
    "date": "date", "month": "month", "money": "yuan", "integer": "whole number", "number": "number",
    "percent": "percent", "bool": "yes/no", "industry_code": "industry code",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    header: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    allowed: tuple[str, ...] = ()
    mapping: dict[str, str] = field(default_factory=dict)
    min: float | None = None
    max: float | None = None
    strict_min: bool = False
    not_future: bool = False
    planned: bool = False  # a planned date: plausible up to the region's plan_years ahead, not only up to today
    not_before: str | None = None
    required_when: dict | None = None
    at_most_times: dict | None = None
    never_falls: bool = False
    units: str | None = None  # a family of `units.yaml`: the units its header may carry and their scales
    en: str = ""  # what the column holds, in English (its COMMENT and the data dictionary)
    zh: str | None = None  # what it holds, in Chinese; the header when not given

    @property
    def description_zh(self) -> str:
        return self.zh or self.header

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.header, *self.aliases)


@dataclass(frozen=True)
class Feed:
    name: str
    title_zh: str
    title_en: str
    folder: str  # its landing folder, relative to $QUALITY_LANDING_DIR
    dag: str  # the ingest DAG that loads it: dags/ingest_<dag>.py
    grain: str
    key: tuple[str, ...]
    event_date: str
    columns: tuple[Column, ...]
    tags: tuple[str, ...] = ()  # extra tags of its DAG (besides ingest, nightly and the DAG's name)
    delivery: str = INCREMENT
    period: str | None = None  # the grain a period snapshot restates (month or quarter of event_date)
    # A row states its key's situation as of event_date, standing for every later period until the next report
    # (monthly reports of cumulative figures): a change touches its quarter and every quarter after it.
    carries_forward: bool = False

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[Column]:
        return [c for c in self.columns if c.required]


@dataclass(frozen=True)
class UnitFamily:
    """The units one kind of quantity may be written in, each with the factor to the stored unit."""

    name: str
    default: str
    scales: dict[str, float]


@cache
def unit_families() -> dict[str, UnitFamily]:
    raw = _yaml((FEEDS_DIR / "units.yaml").read_text(encoding="utf-8"))
    families = {}
    for name, spec in raw.items():
        scales = {str(unit): float(scale) for unit, scale in spec["scales"].items()}
        if str(spec["default"]) not in scales:
            raise ValueError(f"unit family {name}: default {spec['default']!r} is not one of its units")
        families[name] = UnitFamily(name=name, default=str(spec["default"]), scales=scales)
    return families


def _column(raw: dict) -> Column:
    unknown = set(raw) - set(Column.__dataclass_fields__)
    if unknown:
        raise ValueError(f"column {raw.get('name')}: unknown keys {sorted(unknown)}")
    if raw.get("units") is not None and raw["units"] not in unit_families():
        raise ValueError(f"column {raw['name']}: unknown unit family {raw['units']!r}")
    if raw["type"] not in COLUMN_TYPES:
        raise ValueError(f"column {raw['name']}: unknown type {raw['type']!r}")
    data = dict(raw)
    data["aliases"] = tuple(str(a) for a in data.get("aliases", ()))
    data["allowed"] = tuple(str(a) for a in data.get("allowed", ()))
    data["mapping"] = {str(k): str(v) for k, v in data.get("mapping", {}).items()}
    return Column(**data)


def _yaml(text: str) -> object:
    """YAML as `yaml.safe_load` reads it, by libyaml's parser where PyYAML has it (the five declarations took
    0.08 s of each task's start in pure Python)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader


def feeds_dir() -> Path:
    """Where the feed declarations are read from: `$QUALITY_FEEDS_DIR`, else this package's folder."""
    return setting_path("QUALITY_FEEDS_DIR", str(FEEDS_DIR))


def load_feed(name: str) -> Feed:
    path = feeds_dir() / f"{name}.yaml"
    return _load(path, path.stat().st_mtime_ns)  # read again when the file changed


@cache
def _load(path: Path, _mtime_ns: int) -> Feed:
    raw = _yaml(path.read_text(encoding="utf-8"))
    unknown = set(raw) - (set(Feed.__dataclass_fields__) - {"name"} | {"feed"})
    if unknown:
        raise ValueError(f"{path.name}: unknown keys {sorted(unknown)}")
    columns = tuple(_column(c) for c in raw["columns"])
    feed = Feed(
        name=raw["feed"], title_zh=raw["title_zh"], title_en=raw["title_en"], folder=raw["folder"],
        dag=raw["dag"], grain=raw["grain"], key=tuple(raw["key"]), event_date=raw["event_date"],
        columns=columns, tags=tuple(str(t) for t in raw.get("tags", ())),
        delivery=raw.get("delivery", INCREMENT), period=raw.get("period"),
        carries_forward=_flag(raw, "carries_forward"),
    )
    if feed.name != path.stem:
        raise ValueError(f"{path.name} declares feed {feed.name!r}: name the file after the feed")
    _check_delivery(feed)
    names = feed.column_names
    if len(set(names)) != len(names):
        raise ValueError(f"{feed.name}: duplicate column names")
    missing = set(feed.key) - set(names)
    if missing:
        raise ValueError(f"{feed.name}: key columns {sorted(missing)} not declared")
    undescribed = [c.name for c in feed.columns if not c.en]
    if undescribed:
        raise ValueError(f"{feed.name}: columns without an English description (en:): {undescribed}")
    return feed


def _flag(raw: dict, name: str) -> bool:
    value = raw.get(name, False)
    if not isinstance(value, bool):
        raise ValueError(f"{raw.get('feed')}: {name} must be true or false, not {value!r}")
    return value


def feed_names() -> list[str]:
    """Every declared feed, by name: the `<feed>.yaml` files of the feeds folder."""
    return sorted(p.stem for p in feeds_dir().glob("*.yaml") if p.stem != "units")


def _check_delivery(feed: Feed) -> None:
    if feed.delivery not in (INCREMENT, PERIOD_SNAPSHOT):
        raise ValueError(f"{feed.name}: delivery must be {INCREMENT} or {PERIOD_SNAPSHOT}, not {feed.delivery!r}")
    if feed.delivery == PERIOD_SNAPSHOT and feed.period not in SNAPSHOT_PERIODS:
        raise ValueError(f"{feed.name}: a period snapshot needs period: one of {list(SNAPSHOT_PERIODS)}")
    if feed.delivery == INCREMENT and feed.period is not None:
        raise ValueError(f"{feed.name}: period applies to period snapshots only")
    if feed.column(feed.event_date).type not in ("date", "month"):
        raise ValueError(f"{feed.name}: event_date {feed.event_date} is not a date or month column")



def all_feeds() -> list[Feed]:
    return [load_feed(n) for n in feed_names()]


def dag_feeds() -> dict[str, tuple[str, ...]]:
    """Which feeds each ingest DAG loads, from the feeds' `dag:`."""
    out: dict[str, tuple[str, ...]] = {}
    for feed in all_feeds():
        out[feed.dag] = (*out.get(feed.dag, ()), feed.name)
    return dict(sorted(out.items()))
