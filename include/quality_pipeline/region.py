"""The region a deployment serves: its code, name, street list and time zone, read from a YAML file."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from quality_pipeline.calendar import DEFAULT_TIMEZONE, timezone_name

DEFAULT_GRACE_DAYS = 20


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    streets: tuple[str, ...]  # full names, with suffix: 金砂街道
    street_suffix: str = "街道"
    # days after a quarter ends during which offices still deliver its records; the quarter is provisional
    grace_days: int = DEFAULT_GRACE_DAYS
    dates_from: date = date(2000, 1, 1)  # no date of any feed is plausible before this day
    plan_years: int = 10  # how far ahead a planned date (a planned finish) may lie
    timezone: str = DEFAULT_TIMEZONE  # IANA name (`calendar` reads it for every local day)

    def date_window(self, today: date) -> dict[str, date]:
        """The plausibility window of the run's day: every date on or after `dates_from` and not after today;
        a planned date up to `plan_years` ahead. Bound into the row suites as parameters."""
        try:
            ahead = today.replace(year=today.year + self.plan_years)
        except ValueError:  # 29 February into a common year
            ahead = today.replace(year=today.year + self.plan_years, day=28)
        return {"window_start": self.dates_from, "today": today, "plan_end": ahead}

    def canonical_street(self, value: str | None) -> str | None:
        """Map a street as written (with or without the suffix, stray spaces) to its full name, or None if unknown."""
        if value is None:
            return None
        text = "".join(unicodedata.normalize("NFKC", str(value)).split())
        if not text:
            return None
        short = text.removesuffix(self.street_suffix)
        for street in self.streets:
            if street.removesuffix(self.street_suffix) == short:
                return street
        return None


def load_region(path: Path) -> Region:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    suffix = data.get("street_suffix", "街道")
    streets = tuple(s if s.endswith(suffix) else s + suffix for s in data["streets"])
    if len(set(streets)) != len(streets):
        raise ValueError(f"{path}: duplicate street names")
    grace = data.get("delivery_grace_days", DEFAULT_GRACE_DAYS)
    if not isinstance(grace, int) or isinstance(grace, bool) or not 0 <= grace <= 366:
        raise ValueError(f"{path}: delivery_grace_days must be a whole number of days from 0 to 366, not {grace!r}")
    window = data.get("plausible_dates", {})
    return Region(code=str(data["code"]), name=data["name"], streets=streets, street_suffix=suffix,
                  grace_days=grace, dates_from=window.get("from", date(2000, 1, 1)),
                  plan_years=int(window.get("plan_years", 10)), timezone=timezone_name(Path(path)))
