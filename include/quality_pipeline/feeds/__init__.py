"""Feed declarations: each feed's columns, aliases and rules, declared once in `<feed>.yaml` beside this file.

They drive header matching, value parsing, the Great Expectations suites and the
data dictionary alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

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

    @property
    def spellings(self) -> tuple[str, ...]:
        return (self.header, *self.aliases)


@dataclass(frozen=True)
class Feed:
    name: str
    title_zh: str
    folder: str
    grain: str
    key: tuple[str, ...]
    event_date: str
    columns: tuple[Column, ...]
    delivery: str = INCREMENT
    period: str | None = None  # the grain a period snapshot restates (month or quarter of event_date)

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
    raw = yaml.safe_load((FEEDS_DIR / "units.yaml").read_text(encoding="utf-8"))
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


@cache
def load_feed(name: str) -> Feed:
    raw = yaml.safe_load((FEEDS_DIR / f"{name}.yaml").read_text(encoding="utf-8"))
    columns = tuple(_column(c) for c in raw["columns"])
    feed = Feed(
        name=raw["feed"], title_zh=raw["title_zh"], folder=raw["folder"], grain=raw["grain"],
        key=tuple(raw["key"]), event_date=raw["event_date"], columns=columns,
        delivery=raw.get("delivery", INCREMENT), period=raw.get("period"),
    )
    _check_delivery(feed)
    names = feed.column_names
    if len(set(names)) != len(names):
        raise ValueError(f"{name}: duplicate column names")
    missing = set(feed.key) - set(names)
    if missing:
        raise ValueError(f"{name}: key columns {sorted(missing)} not declared")
    return feed


def _check_delivery(feed: Feed) -> None:
    if feed.delivery not in (INCREMENT, PERIOD_SNAPSHOT):
        raise ValueError(f"{feed.name}: delivery must be {INCREMENT} or {PERIOD_SNAPSHOT}, not {feed.delivery!r}")
    if feed.delivery == PERIOD_SNAPSHOT and feed.period not in SNAPSHOT_PERIODS:
        raise ValueError(f"{feed.name}: a period snapshot needs period: one of {list(SNAPSHOT_PERIODS)}")
    if feed.delivery == INCREMENT and feed.period is not None:
        raise ValueError(f"{feed.name}: period applies to period snapshots only")
    if feed.column(feed.event_date).type not in ("date", "month"):
        raise ValueError(f"{feed.name}: event_date {feed.event_date} is not a date or month column")


FEED_NAMES = (
    "product_sampling", "enforcement_cases", "enforcement_inspections",
    "remediation_projects", "water_quality",
)


def all_feeds() -> list[Feed]:
    return [load_feed(n) for n in FEED_NAMES]
