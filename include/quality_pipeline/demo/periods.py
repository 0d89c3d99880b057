"""Calendar quarters and months as the demo data uses them."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

CN_NUMERALS = "一二三四"
QUARTER_REPORT_DAYS = 5  # a quarter's file is sent this many days after the quarter ends
MONTH_REPORT_DAYS = 3


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    q: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        match = re.fullmatch(r"(\d{4})\s*-?Q([1-4])", text.strip().upper())
        if not match:
            raise ValueError(f"not a quarter: {text!r} (expected e.g. 2026Q3)")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    def __str__(self) -> str:
        return f"{self.year}Q{self.q}"

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.q - 2, 1)

    @property
    def end(self) -> date:
        return month_end(self.year, 3 * self.q)

    @property
    def months(self) -> list[tuple[int, int]]:
        return [(self.year, 3 * self.q - 2 + i) for i in range(3)]

    @property
    def cn(self) -> str:
        return f"第{CN_NUMERALS[self.q - 1]}季度"

    def shift(self, n: int) -> Quarter:
        index = self.year * 4 + self.q - 1 + n
        return Quarter(index // 4, index % 4 + 1)


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


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def add_months(year: int, month: int, n: int) -> tuple[int, int]:
    index = year * 12 + month - 1 + n
    return index // 12, index % 12 + 1
