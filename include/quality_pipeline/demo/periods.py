"""Quarters and years as the demo data uses them: objects over `quality_pipeline.calendar`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from quality_pipeline import calendar
from quality_pipeline.calendar import add_months, month_end

__all__ = ["Quarter", "Year", "add_months", "month_end", "window"]

QUARTER_REPORT_DAYS = 5  # a quarter's file is sent this many days after the quarter ends
MONTH_REPORT_DAYS = 3


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    q: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        try:  # 2026Q3, also written 2026-Q3, 2026 Q3 or 2026q3
            return cls(*calendar.parse_quarter(re.sub(r"\s*-?(?=Q)", "", text.strip().upper(), count=1)))
        except ValueError:
            raise ValueError(f"not a quarter: {text!r} (expected e.g. 2026Q3)") from None

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, calendar.quarter_number(day.month))

    def __str__(self) -> str:
        return calendar.quarter_code(self.year, self.q)

    @property
    def start(self) -> date:
        return calendar.quarter_start(str(self))

    @property
    def end(self) -> date:
        return calendar.quarter_end(str(self))

    @property
    def months(self) -> list[tuple[int, int]]:
        return calendar.quarter_months(self.year, self.q)

    @property
    def cn(self) -> str:
        return calendar.quarter_name_zh(self.q)

    def shift(self, n: int) -> Quarter:
        return Quarter(*calendar.parse_quarter(calendar.shift_quarter(str(self), n)))


@dataclass(frozen=True, order=True)
class Year:
    """A calendar year, shaped like Quarter (of, end, str) so the indicator truth can group by either."""

    year: int

    @classmethod
    def of(cls, day: date) -> Year:
        return cls(day.year)

    def __str__(self) -> str:
        return str(self.year)

    @property
    def end(self) -> date:
        return date(self.year, 12, 31)


def window(end_quarter: str, quarters: int) -> list[Quarter]:
    """The `quarters` consecutive quarters ending with `end_quarter`, oldest first."""
    end = Quarter.parse(end_quarter)
    return [end.shift(i - quarters + 1) for i in range(quarters)]

