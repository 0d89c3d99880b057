"""Defective rows derived from the rules a feed declares: rejected, flagged, and exact duplicates."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta

from quality_pipeline.demo import vocab
from quality_pipeline.demo.model import FLAGGED, REJECTED, FilePlan, Issue, Raw, Row
from quality_pipeline.demo.uscc import make_uscc, spoil_check_char
from quality_pipeline.feeds import Column, Feed
from quality_pipeline.region import Region
from quality_pipeline.validation import never_falls

TYPED = {"date", "month", "money", "integer", "number", "percent"}
UNPARSEABLE = {
    "date": ["{y}-02-30", "{y}年13月5日", "待定"],
    "month": ["{y}-13", "待定"],
    "money": ["待核定", "见附件"],
    "integer": ["若干", "待统计"],
    "number": ["见备注", "未测"],
    "percent": ["过半", "待定"],
}
OUTSIDE = {
    "plan_level": "县抽", "sampling_stage": "仓储", "conclusion": "待定", "followup_status": "已结束",
    "case_source": "媒体曝光", "violation_type": "偷税漏税", "baseline_grade": "中度",
}
STATUS_OUTSIDE = {"enforcement_cases": "已归档", "remediation_projects": "已验收"}


class Deck:
    """Draws items in shuffled rounds, so every item turns up once per round."""

    def __init__(self, items: list, rng: random.Random):
        self.items, self.rng, self.pending = list(items), rng, []

    def draw(self):
        if not self.pending:
            self.pending = list(self.items)
            self.rng.shuffle(self.pending)
        return self.pending.pop()


class Injector:
    """Applies one defect at a time to clean rows of a feed's files, processed in delivery order."""

    def __init__(self, feed: Feed, region: Region, rng: random.Random):
        self.feed, self.region, self.rng = feed, region, rng
        self.previous: dict[str, Row] = {}  # last loaded row per project, for never_falls
        cols = [c for c in feed.columns if c.name not in feed.key]
        rejected: list[tuple[str, Column | None]] = [("required", c) for c in cols if c.required]
        rejected += [("type", c) for c in cols if c.type in TYPED]
        rejected += [("allowed", c) for c in cols if c.allowed and c.type != "text_list"]
        ratio_bases = {c.at_most_times["column"] for c in cols if c.at_most_times}  # would break two rules
        rejected += [("range", c) for c in cols
                     if (c.min is not None or c.max is not None) and c.name not in ratio_bases]
        rejected += [("not_future", c) for c in cols if c.not_future]
        rejected += [("at_most_times", c) for c in cols if c.at_most_times]
        rejected.append(("conflict", None))
        flagged = [("uscc_check", c) for c in cols if c.type == "uscc"]
        flagged += [("required_when", c) for c in cols if c.required_when]
        flagged += [("not_before", c) for c in cols if c.not_before]
        flagged += [("unknown_street", c) for c in cols if c.type == "street"]
        flagged += [(never_falls.RULE, c) for c in cols if c.never_falls]
        self.decks = {REJECTED: Deck(_group(rejected), rng), FLAGGED: Deck(_group(flagged), rng)}
        self.severity = rng.choice([REJECTED, FLAGGED])
        self.budget = 0  # rejected rows still allowed in the current file

    def inject(self, plan: FilePlan, rate: float) -> None:
        rows = plan.rows
        self.budget = int(MAX_REJECTED_SHARE * len(rows))
        for _ in range(int(rate * len(rows) + self.rng.random())):
            self._one_defect(rows)
        for _ in range(int(rate / 3 * len(rows) + self.rng.random())):
            candidates = [i for i, r in enumerate(rows) if r.issue is None and r.copy_of is None]
            if candidates:
                i = self.rng.choice(candidates)
                rows.insert(min(len(rows), i + self.rng.randint(1, 4)), Row(rows[i].values, copy_of=rows[i]))
        if self.feed.name == "remediation_projects":
            for row in rows:
                if row.loaded:
                    self.previous[row.values["project_no"]] = row

    def _one_defect(self, rows: list[Row]) -> None:
        severity = self.severity
        if self.decks[FLAGGED].items:
            self.severity = FLAGGED if severity == REJECTED else REJECTED
        if self.budget < 1 and self.decks[FLAGGED].items:
            severity = FLAGGED
        deck = self.decks[severity] if self.decks[severity].items else self.decks[REJECTED]
        order = [r for r in rows if r.clean]
        self.rng.shuffle(order)
        for _ in range(len(deck.items)):
            rule, columns = deck.draw()
            if deck is self.decks[REJECTED] and self.budget < (2 if rule == "conflict" else 1):
                continue
            column = self.rng.choice(columns) if columns else None
            for row in order[:40]:
                i = rows.index(row)
                if self.feed.name == "water_quality":  # spoil a spare sample; the assessment stays as planned
                    i = self._spare(rows, i)
                if self._apply(rule, column, rows, i):
                    if rule not in FLAGGED_RULES:
                        self.budget -= 2 if rule == "conflict" else 1
                    return
                if self.feed.name == "water_quality":
                    del rows[i]

    def _spare(self, rows: list[Row], i: int) -> int:
        """Insert after row i a copy of it on a date its point has no other sample; return its index."""
        point = rows[i].values["point_id"]
        taken = {r.values.get("sample_date") for r in rows if r.values.get("point_id") == point}
        day = rows[i].values["sample_date"]
        while day in taken:
            day += timedelta(days=1)
        rows.insert(i + 1, Row({**rows[i].values, "sample_date": day}))
        return i + 1

    def _apply(self, rule: str, col: Column | None, rows: list[Row], i: int) -> bool:
        row = rows[i]
        if rule == "conflict":
            return self._conflict(rows, i)
        change: Callable[[Row, Column], object] = getattr(self, f"_{rule}")
        before = row.values
        value = change(row, col)
        if value is _SKIP:
            row.values = before
            return False
        row.before = before
        row.values = {**row.values, col.name: value}
        severity = FLAGGED if rule in FLAGGED_RULES else REJECTED
        row.issue = Issue(severity, col.name, rule)
        return True

    def _conflict(self, rows: list[Row], i: int) -> bool:
        row = rows[i]
        numeric = [c for c in self.feed.columns
                   if c.name not in self.feed.key and c.type in TYPED - {"date", "month"}
                   and isinstance(row.values.get(c.name), int | float)]
        texts = [c for c in self.feed.columns if c.type == "text" and not c.required and not c.allowed
                 and not c.required_when and c.name not in self.feed.key and row.values.get(c.name)]
        if not numeric and not texts:
            return False
        col = self.rng.choice(numeric or texts)
        value = row.values[col.name]
        if col.type == "money":
            changed = value + 1000
        elif col.type == "percent":
            changed = value + 1 if value < 100 else value - 1
        elif col.type == "integer":
            changed = value + 1
        elif col.type == "number":
            changed = round(value + 0.5, 2)
        else:
            changed = f"{value}-2"
        issue = Issue(REJECTED, self.feed.key[0], "conflict")
        row.issue, row.before = issue, row.values
        twin = Row({**row.values, col.name: changed}, issue=issue)
        rows.insert(min(len(rows), i + self.rng.randint(1, 5)), twin)
        return True

    # Each returns the new value of the column, or _SKIP when the row does not fit the defect.
    def _required(self, row: Row, col: Column):
        return None

    def _type(self, row: Row, col: Column):
        year = _some_date(row).year
        return Raw(self.rng.choice(UNPARSEABLE[col.type]).format(y=year))

    def _allowed(self, row: Row, col: Column):
        if col.name == "status":
            return STATUS_OUTSIDE.get(self.feed.name, "待定")
        return OUTSIDE.get(col.name, "待定")

    def _range(self, row: Row, col: Column):
        if col.type == "industry_code":
            return self.rng.choice(["08", "45", "63"])  # real divisions, outside manufacturing
        if col.max is not None and (col.min is None or self.rng.random() < 0.5):
            high = col.max * 1.5 + 20
            return int(high) if col.type in ("integer", "percent") else round(high, 1)
        if col.strict_min:
            return 0
        low = col.min - (5000 if col.type == "money" else 1 if col.type == "integer" else 10)
        return int(low) if col.type in ("integer", "money") else low

    def _not_future(self, row: Row, col: Column):
        day = row.values[col.name]
        return date(day.year + 40, day.month, min(day.day, 28))

    def _at_most_times(self, row: Row, col: Column):
        rule = col.at_most_times
        base = row.values[rule["column"]]
        return round(base * (rule["factor"] + 0.1) / 100) * 100

    def _uscc_check(self, row: Row, col: Column):
        code = row.values.get(col.name) or make_uscc(self.rng, self.region.code)
        return spoil_check_char(code)

    def _required_when(self, row: Row, col: Column):
        cond = col.required_when
        row.values = {**row.values, cond["column"]: cond["equals"]}
        return None

    def _not_before(self, row: Row, col: Column):
        other = row.values.get(col.not_before)
        if not isinstance(other, date):
            return _SKIP
        return other - timedelta(days=self.rng.randint(3, 40))

    def _unknown_street(self, row: Row, col: Column):
        foreign = [s for s in vocab.FOREIGN_STREETS if self.region.canonical_street(s) is None]
        return self.rng.choice(foreign)

    def _never_falls(self, row: Row, col: Column):
        prev = self.previous.get(row.values.get("project_no"))
        if prev is None or prev.issue is not None or prev.copy_of is not None:
            return _SKIP
        before = prev.values.get(col.name)
        if not isinstance(before, int | float) or before <= 10:
            return _SKIP
        prev.protected = True
        if col.type == "percent":
            return max(0, before - self.rng.randint(3, 10))
        return round(before * 0.8 / 100) * 100


_SKIP = object()
MAX_REJECTED_SHARE = 0.15  # beyond this a file reads as broken rather than as data with defects
FLAGGED_RULES = {"uscc_check", "required_when", "not_before", "unknown_street", never_falls.RULE}


def _group(pairs: list[tuple[str, Column | None]]) -> list[tuple[str, list[Column]]]:
    grouped: dict[str, list[Column]] = {}
    for rule, col in pairs:
        grouped.setdefault(rule, [])
        if col is not None:
            grouped[rule].append(col)
    return list(grouped.items())


def _some_date(row: Row) -> date:
    for value in row.values.values():
        if isinstance(value, date):
            return value
    return date(2026, 1, 1)
