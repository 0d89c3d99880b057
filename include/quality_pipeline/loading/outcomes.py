"""Turn Great Expectations results into per-row decisions: which rows are rejected or flagged, and why."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd

from quality_pipeline.feeds import Feed
from quality_pipeline.parsing.coerce import PARSED_TYPES, raw_name
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


def _reason(meta: dict) -> str:
    return f"{meta['reason_zh']} / {meta['reason_en']}"


def decide_rows(outcomes: list[Outcome]) -> RowDecisions:
    decisions = RowDecisions()
    for o in outcomes:
        if o.error:
            raise ValidationError(f"{o.expectation}({o.kwargs}) failed to run: {o.error}")
        if o.success or o.severity not in ("reject", "flag"):
            continue
        target = decisions.rejected if o.severity == "reject" else decisions.flagged
        issue = Issue(o.meta.get("column"), o.meta.get("rule", o.expectation), _reason(o.meta))
        for idx in o.unexpected_index:
            target[int(idx)].append(issue)
    for idx in list(decisions.flagged):
        if idx in decisions.rejected:
            del decisions.flagged[idx]
    return decisions


def value_as_written(frame: pd.DataFrame, feed: Feed, idx: int, column: str | None) -> str | None:
    if column is None:
        return None
    name = raw_name(column) if feed.column(column).type in PARSED_TYPES else column
    value = frame.at[idx, name] if name in frame else None
    return None if value is None or (isinstance(value, float) and value != value) else str(value)


def key_text(frame: pd.DataFrame, feed: Feed, idx: int) -> str | None:
    parts = []
    for k in feed.key:
        value = frame.at[idx, k]
        if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
            return None
        parts.append(value.strftime("%Y-%m-%d") if hasattr(value, "strftime") else str(value))
    return "|".join(parts)


@dataclass
class BatchDecision:
    status: str  # loaded / held / rejected
    reason: str | None = None
    reason_code: str | None = None


def decide_batch(outcomes: list[Outcome], *, releasing: bool) -> BatchDecision:
    for o in outcomes:
        if o.error:
            raise ValidationError(f"{o.expectation}({o.kwargs}) failed to run: {o.error}")
    failed = [o for o in outcomes if not o.success]
    rejected = [o for o in failed if o.severity == "reject"]
    if rejected:
        return BatchDecision("rejected", "; ".join(_reason(o.meta) for o in rejected), rejected[0].meta["rule"])
    held = [o for o in failed if o.severity == "hold"]
    if held and not releasing:
        return BatchDecision("held", "; ".join(_reason(o.meta) for o in held), held[0].meta["rule"])
    return BatchDecision("loaded")
