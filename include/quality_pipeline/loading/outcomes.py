"""Turn Great Expectations results into per-row decisions: which rows are rejected or flagged, and why."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from quality_pipeline.feeds import Feed
from quality_pipeline.parsing.frame import PARSED_TYPES, ROW_COLUMN, SHEET_COLUMN, raw_name
from quality_pipeline.validation.gate import Outcome


class ValidationError(RuntimeError):
    """An expectation could not be evaluated at all: a bug or a broken suite, never a data problem."""


@dataclass
class Issue:
    column: str | None
    rule: str
    reason: str


@dataclass
class RowDecisions:
    rejected: dict[int, list[Issue]] = field(default_factory=lambda: defaultdict(list))
    flagged: dict[int, list[Issue]] = field(default_factory=lambda: defaultdict(list))


# Rules whose reason names values of the run or the file ({window_start}, {period}, ...).
TEMPLATED_RULES = ("window", "period_drop")


def _reason(meta: dict, parameters: dict | None = None) -> str:
    """The bilingual reason; a rule bound to run parameters (the date window) or to what the file was
    compared with (the period it shrinks) names their values."""
    text = f"{meta['reason_zh']} / {meta['reason_en']}"
    if meta.get("rule") in TEMPLATED_RULES and parameters:
        text = text.format(**{k: _day(v) for k, v in parameters.items()})
    return text


def _day(value: object) -> object:
    return value.strftime("%Y-%m-%d") if hasattr(value, "strftime") else value


def decide_rows(outcomes: list[Outcome], parameters: dict | None = None) -> RowDecisions:
    """Each failing row rule's rows, rejected or flagged with its reason, in the order the rules and their
    rows come; a row rejected is not also flagged. Rows are added a rule at a time (their labels as Python
    ints in one step), so a rule failing on a million rows costs about a second."""
    decisions = RowDecisions()
    for o in outcomes:
        if o.error:
            raise ValidationError(f"{o.expectation}({o.kwargs}) failed to run: {o.error}")
        if o.success or o.severity not in ("reject", "flag"):
            continue
        target = decisions.rejected if o.severity == "reject" else decisions.flagged
        issue = Issue(o.meta.get("column"), o.meta.get("rule", o.expectation), _reason(o.meta, parameters))
        labels = _labels(o.unexpected_index)
        if not target:  # the first failing rule of its kind: a new list per row, without a lookup per row
            target.update(zip(labels, ([issue] for _ in labels), strict=True))
            if len(target) == len(labels):
                continue
            target.clear()  # a row named twice: it gets the issue twice, as appending gives it
        for idx in labels:
            target[idx].append(issue)
    if decisions.rejected and decisions.flagged:
        for idx in decisions.flagged.keys() & decisions.rejected.keys():
            del decisions.flagged[idx]
    return decisions


def _labels(unexpected_index: list) -> list[int]:
    """The frame's index labels of a rule's unexpected rows, as Python ints."""
    try:
        return np.asarray(unexpected_index, dtype=np.int64).tolist()
    except (TypeError, ValueError):  # not plain integers: each converted, and refused, as int() does
        return [int(idx) for idx in unexpected_index]


def _missing(value: object) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and value != value)


def _key_part(value: object) -> str:
    return value.strftime("%Y-%m-%d") if hasattr(value, "strftime") else str(value)


def _key_texts(columns: list[pd.Series]) -> list[str | None]:
    """Each row's key as text, a column at a time: its values joined by |, dates as 2026-07-01, None when a
    value is missing. A typed date column (a key such as water quality's sample_date) is written as its dates,
    as a row's Timestamp is (numpy's own datetime64 would print as 2026-07-01T00:00:00.000000000)."""
    parts = [_key_column(column) for column in columns]
    if len(parts) == 1:
        return parts[0]
    return [None if None in row else "|".join(row) for row in zip(*parts, strict=True)]


def _key_column(column: pd.Series) -> list[str | None]:
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        return [None if v is None or v != v else v for v in column.dt.strftime("%Y-%m-%d").to_numpy(dtype=object)]
    return [None if _missing(v) else (v if type(v) is str else _key_part(v)) for v in column.to_numpy(dtype=object)]


def _written(values: np.ndarray) -> list[str | None]:
    """Each value as written in a flag or the quarantine: its text, or None when it is missing."""
    return [None if _missing(v) else (v if type(v) is str else str(v)) for v in values]


def issue_records(frame: pd.DataFrame, feed: Feed, issues: dict[int, list[Issue]]) -> pd.DataFrame | None:
    """One row per (row, issue): where it is, its key, the rule and the value as written.

    Built column by column (the distinct issues numbered, each column's values taken once), so a million
    flags cost about a second rather than minutes.
    """
    flat = [issue for found in issues.values() for issue in found]
    if not flat:
        return None
    labels = np.repeat(np.fromiter(issues, dtype=np.int64, count=len(issues)),
                       [len(found) for found in issues.values()])
    rows = frame.loc[labels]
    numbers: dict[int, int] = {}  # id(Issue) -> its number: the rows a rule found share its Issue
    distinct: list[Issue] = []

    def number(issue: Issue) -> int:
        n = numbers.get(id(issue))
        if n is None:
            n = numbers[id(issue)] = len(distinct)
            distinct.append(issue)
        return n

    codes = np.fromiter(map(number, flat), dtype=np.int64, count=len(flat))
    value = np.full(len(flat), None, dtype=object)
    for column in {i.column for i in distinct if i.column is not None}:
        name = raw_name(column) if feed.column(column).type in PARSED_TYPES else column
        if name not in rows:
            continue
        at = np.flatnonzero(np.isin(codes, [n for n, i in enumerate(distinct) if i.column == column]))
        value[at] = _written(rows[name].to_numpy()[at])

    def per_issue(attribute: str) -> np.ndarray:
        values = np.empty(len(distinct), dtype=object)
        values[:] = [getattr(i, attribute) for i in distinct]
        return values[codes]

    return pd.DataFrame({
        "sheet": pd.Series(rows[SHEET_COLUMN].to_numpy(), dtype=object),
        "row_number": rows[ROW_COLUMN].astype("int64").to_numpy(),
        "key": pd.Series(_key_texts([rows[k] for k in feed.key]), dtype=object),
        "column": pd.Series(per_issue("column"), dtype=object),
        "rule": per_issue("rule"),
        "reason": per_issue("reason"),
        "value": pd.Series(value, dtype=object),
    })


def merge_outcomes(parts: list[list[Outcome]]) -> list[Outcome]:
    """One outcome per expectation for a file validated in parts: it passed if it passed on every part,
    its unexpected rows are counted over all parts (their indexes are per part, so they are not kept)."""
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return []
    merged = []
    for same in zip(*parts, strict=True):
        first = same[0]
        observed = [o.observed_value for o in same]
        merged.append(Outcome(
            expectation=first.expectation, kwargs=first.kwargs, meta=first.meta,
            success=all(o.success for o in same),
            unexpected_count=sum(o.unexpected_count for o in same),
            observed_value=observed[0] if all(v == observed[0] for v in observed) else None,
            error=next((o.error for o in same if o.error), None),
        ))
    return merged


@dataclass
class BatchDecision:
    status: str  # loaded / held / rejected
    reason: str | None = None
    reason_code: str | None = None


def decide_batch(outcomes: list[Outcome], *, releasing: bool, parameters: dict | None = None) -> BatchDecision:
    """The file's status from its batch suite: rejected, held (unless being released) or loaded; `parameters`
    fill the reasons that name what the file was compared with."""
    for o in outcomes:
        if o.error:
            raise ValidationError(f"{o.expectation}({o.kwargs}) failed to run: {o.error}")
    failed = [o for o in outcomes if not o.success]
    rejected = [o for o in failed if o.severity == "reject"]
    if rejected:
        return BatchDecision("rejected", "; ".join(_reason(o.meta, parameters) for o in rejected),
                             rejected[0].meta["rule"])
    held = [o for o in failed if o.severity == "hold"]
    if held and not releasing:
        return BatchDecision("held", "; ".join(_reason(o.meta, parameters) for o in held), held[0].meta["rule"])
    return BatchDecision("loaded")
