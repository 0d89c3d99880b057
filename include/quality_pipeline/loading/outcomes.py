"""Turn Great Expectations results into per-row decisions: which rows are rejected or flagged, and why."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

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
    decisions = RowDecisions()
    for o in outcomes:
        if o.error:
            raise ValidationError(f"{o.expectation}({o.kwargs}) failed to run: {o.error}")
        if o.success or o.severity not in ("reject", "flag"):
            continue
        target = decisions.rejected if o.severity == "reject" else decisions.flagged
        issue = Issue(o.meta.get("column"), o.meta.get("rule", o.expectation), _reason(o.meta, parameters))
        for idx in o.unexpected_index:
            target[int(idx)].append(issue)
    for idx in list(decisions.flagged):
        if idx in decisions.rejected:
            del decisions.flagged[idx]
    return decisions


def _missing(value: object) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and value != value)


def _key_text(values: list[object]) -> str | None:
    if any(_missing(v) for v in values):
        return None
    return "|".join(v.strftime("%Y-%m-%d") if hasattr(v, "strftime") else str(v) for v in values)


def issue_records(frame: pd.DataFrame, feed: Feed, issues: dict[int, list[Issue]]) -> pd.DataFrame | None:
    """One row per (row, issue): where it is, its key, the rule and the value as written.

    Built column by column, so a million flags cost a second rather than minutes.
    """
    pairs = [(idx, issue) for idx, found in issues.items() for issue in found]
    if not pairs:
        return None
    rows = frame.loc[[idx for idx, _ in pairs]]
    keys = zip(*(rows[k].to_numpy() for k in feed.key), strict=True)
    written: dict[str, object] = {}
    for _, issue in pairs:
        if issue.column is not None and issue.column not in written:
            name = raw_name(issue.column) if feed.column(issue.column).type in PARSED_TYPES else issue.column
            written[issue.column] = rows[name].to_numpy() if name in rows else None

    def as_written(i: int, column: str | None) -> str | None:
        values = written.get(column)
        value = None if values is None else values[i]
        return None if _missing(value) else str(value)

    return pd.DataFrame({
        "sheet": pd.Series(rows[SHEET_COLUMN].to_numpy(), dtype=object),
        "row_number": rows[ROW_COLUMN].astype("int64").to_numpy(),
        "key": pd.Series([_key_text(list(k)) for k in keys], dtype=object),
        "column": pd.Series([issue.column for _, issue in pairs], dtype=object),
        "rule": [issue.rule for _, issue in pairs],
        "reason": [issue.reason for _, issue in pairs],
        "value": pd.Series([as_written(i, issue.column) for i, (_, issue) in enumerate(pairs)], dtype=object),
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
