"""Compare the warehouse with the demo generator's ground truth."""

from __future__ import annotations

import math

from quality_pipeline.warehouse.writer import open_published

LOWER_IS_BETTER = {"sampling_followup_open", "enforcement_missed_transfers"}


def indicators(settings) -> dict[tuple, tuple]:
    con = open_published(settings.warehouse)
    try:
        rows = con.execute("SELECT quarter, indicator, scope, value, numerator, denominator, target, target_met "
                           "FROM marts.quarterly_indicators").fetchall()
    finally:
        con.close()
    return {r[:3]: r[3:] for r in rows}


def files(settings) -> dict[str, tuple]:
    con = open_published(settings.warehouse)
    try:
        return {r[0]: r[1:] for r in con.execute(
            "SELECT path, status, reason, rows_read, rows_loaded, rows_rejected, duplicates_dropped "
            "FROM audit.files").fetchall()}
    finally:
        con.close()


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def close(a, b) -> bool:
    if _missing(a) or _missing(b):
        return _missing(a) and _missing(b)
    return abs(float(a) - float(b)) <= 0.1


def assert_files_match(settings, truth) -> None:
    ours = files(settings)
    assert set(ours) == {f.path for f in truth.files}, set(ours) ^ {f.path for f in truth.files}
    for f in truth.files:
        status, reason, read, loaded, rejected, dups = ours[f.path]
        assert status == f.status, (f.path, status, reason)
        if f.status == "rejected" and f.reason_keyword:
            assert f.reason_keyword in reason, (f.path, reason)
        if f.status == "loaded":
            assert (read, loaded, rejected, dups) == (f.rows_read, f.rows_loaded, f.rows_rejected,
                                                      f.duplicates_dropped), f.path
            assert read == loaded + rejected + dups


def _each_matched(ours: dict, rows: list, period: str, what: str):
    """(key, truth row, warehouse row) for every truth row, each of which must have its warehouse row."""
    for t in rows:
        key = (t[period], t["indicator"], t["scope"])
        assert key in ours, f"missing {what} row {key}"
        yield key, t, ours[key]


def assert_indicators_match(settings, truth) -> int:
    """Every truth row has a matching warehouse row (value to 0.1) and a right target_met; returns the count."""
    checked = 0
    for key, t, row in _each_matched(indicators(settings), truth.indicators, "quarter", "indicator"):
        value, _numerator, denominator, target, met = row
        assert close(value, t["value"]), (key, value, t["value"])
        if t["denominator"] is not None:
            assert close(denominator, t["denominator"]), (key, denominator, t["denominator"])
        if target is not None and not _missing(t["value"]):
            expected = t["value"] <= target if key[1] in LOWER_IS_BETTER else t["value"] >= target - 1e-9
            assert met == expected, (key, met, t["value"], target)
        checked += 1
    return checked


def _issues(settings, table: str) -> dict[str, set]:
    con = open_published(settings.warehouse)
    try:
        rows = con.execute(f'SELECT path, sheet, row_number, "column", rule FROM audit.{table}').fetchall()  # noqa: S608
    finally:
        con.close()
    out: dict[str, set] = {}
    for path, sheet, row, column, rule in rows:
        out.setdefault(path, set()).add((sheet, row, column, rule))
    return out


def assert_row_issues_match(settings, truth) -> int:
    """Rejected and flagged rows are exactly the generator's, each with (at least) the rule it broke."""
    checked = 0
    for table, attr in (("quarantine", "rejected"), ("row_flags", "flagged")):
        ours = _issues(settings, table)
        for f in truth.files:
            if f.status != "loaded":
                continue
            expected = getattr(f, attr)
            got = ours.get(f.path, set())
            assert {(i.sheet, i.row_number) for i in expected} == {(s, r) for s, r, _, _ in got}, (table, f.path)
            for issue in expected:
                assert any((s, r, rule) == (issue.sheet, issue.row_number, issue.rule) for s, r, _, rule in got), (
                    table, f.path, issue)
                checked += 1
    return checked


def annual(settings) -> dict[tuple, dict]:
    con = open_published(settings.warehouse)
    try:
        cursor = con.execute("SELECT * FROM marts.annual_indicators")
        names = [d[0] for d in cursor.description]
        return {(str(r[0]), r[1], r[2]): dict(zip(names, r, strict=True)) for r in cursor.fetchall()}
    finally:
        con.close()


def assert_annual_match(settings, truth) -> int:
    """Every annual truth row has a matching warehouse row (value, numerator, denominator to 0.1)."""
    checked = 0
    for key, t, row in _each_matched(annual(settings), truth.annual, "year", "annual"):
        assert close(row["value"], t["value"]), (key, row["value"], t["value"])
        if t["denominator"] is not None:
            assert close(row["numerator"], t["numerator"]), (key, row["numerator"], t["numerator"])
            assert close(row["denominator"], t["denominator"]), (key, row["denominator"], t["denominator"])
        checked += 1
    return checked
