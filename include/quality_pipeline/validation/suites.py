"""Build each feed's Great Expectations suites from its declaration, and read them back from `expectations/`.

The JSON files in `expectations/` are what runs and what reviewers read; a test
checks they are what the feed declarations produce (`make expectations` rewrites them).
Each expectation's `meta` says what a failure means: `reject` or `flag` a row,
`hold` or `reject` a delivery, or only `warn`, with the reason in Chinese and English.
"""

from __future__ import annotations

import json
from pathlib import Path

from quality_pipeline.feeds import PERIOD_SNAPSHOT, TYPE_ZH, Column, Feed, all_feeds
from quality_pipeline.parsing.frame import PARSED_TYPES, raw_name
from quality_pipeline.settings import expectations_dir
from quality_pipeline.validation import never_falls

MAX_REJECTED_SHARE = 0.2
# Row rules that compare a row with what the warehouse already holds (the previous report month of a key):
# they run when a file is published, on the writer; every other row rule runs before, without the warehouse.
HISTORY_RULES = frozenset({never_falls.RULE})


def needs_history(expectation: dict) -> bool:
    return expectation["meta"].get("rule") in HISTORY_RULES


# A period-snapshot file restating a period with fewer than this share of the keys the period had is held:
# it would withdraw the rest (a stray row dated in an old quarter, a partial export, the wrong file).
MIN_KEYS_VS_PERIOD = 0.5


def _exp(type_: str, kwargs: dict, severity: str, rule: str, column: str | None, zh: str, en: str) -> dict:
    meta = {"severity": severity, "rule": rule, "column": column, "reason_zh": zh, "reason_en": en}
    return {"type": type_, "kwargs": kwargs, "meta": meta}


def _range_text(col: Column) -> str:
    low = "" if col.min is None else f"{'>' if col.strict_min else '≥'} {col.min:g}"
    high = "" if col.max is None else f"≤ {col.max:g}"
    return ", ".join(p for p in (low, high) if p)


def _column_rules(feed: Feed, col: Column) -> list[dict]:
    h, n = col.header, col.name
    out = []
    if col.required:
        target = raw_name(n) if col.type in PARSED_TYPES else n
        out.append(_exp("expect_column_values_to_not_be_null", {"column": target}, "reject", "required", n,
                        f"必填项「{h}」为空", f"required value {n} is missing"))
    if col.type in PARSED_TYPES:
        out.append(_exp("expect_column_pair_values_to_be_parsed", {"column_A": raw_name(n), "column_B": n},
                        "reject", "type", n, f"「{h}」无法识别为{TYPE_ZH[col.type]}",
                        f"{n} is not a valid {col.type.replace('_', ' ')}"))
    if col.type == "industry_code":
        codes = [f"{i:02d}" for i in range(int(col.min), int(col.max) + 1)]
        out.append(_exp("expect_column_values_to_be_in_set", {"column": n, "value_set": codes}, "reject",
                        "range", n, f"「{h}」不是{col.min:g}–{col.max:g}之间的制造业门类代码",
                        f"{n} is not a division between {col.min:g} and {col.max:g}"))
    elif col.min is not None or col.max is not None:
        kwargs = {"column": n, "min_value": col.min, "max_value": col.max, "strict_min": col.strict_min}
        out.append(_exp("expect_column_values_to_be_between", kwargs, "reject", "range", n,
                        f"「{h}」超出允许范围（{_range_text(col)}）", f"{n} is outside {_range_text(col)}"))
    if col.allowed and col.type == "text_list":
        out.append(_exp("expect_column_values_items_to_be_in_set", {"column": n, "value_set": list(col.allowed)},
                        "reject", "allowed", n, f"「{h}」含有不在允许值（{'、'.join(col.allowed)}）中的项",
                        f"{n} has an item not in {list(col.allowed)}"))
    elif col.allowed:
        out.append(_exp("expect_column_values_to_be_in_set", {"column": n, "value_set": list(col.allowed)},
                        "reject", "allowed", n, f"「{h}」不在允许值（{'、'.join(col.allowed)}）中",
                        f"{n} is not one of {list(col.allowed)}"))
    if col.type in ("date", "month"):
        out.append(_window_rule(col))
    if col.not_future:
        out.append(_exp("expect_column_values_to_be_between", {"column": n, "max_value": {"$PARAMETER": "today"}},
                        "reject", "not_future", n, f"「{h}」晚于今天", f"{n} is in the future"))
    if col.at_most_times:
        other = feed.column(col.at_most_times["column"])
        factor = col.at_most_times["factor"]
        out.append(_exp("expect_column_pair_values_a_to_be_at_most_b_times",
                        {"column_A": n, "column_B": other.name, "factor": factor}, "reject", "at_most_times", n,
                        f"「{h}」超过「{other.header}」的{factor:g}倍", f"{n} exceeds {factor:g} × {other.name}"))
    out.extend(_column_flags(feed, col))
    return out


def _window_rule(col: Column) -> dict:
    """Dates outside the region's plausibility window (1900-01-01, 2099, a serial typed as text) reject the row:
    each would otherwise open a quarter of its own in the marts."""
    h, n = col.header, col.name
    end = "plan_end" if col.planned else "today"
    kwargs = {"column": n, "min_value": {"$PARAMETER": "window_start"}, "max_value": {"$PARAMETER": end}}
    return _exp("expect_column_values_to_be_in_date_window", kwargs, "reject", "window", n,
                f"「{h}」不在合理日期范围内（{{window_start}} 至 {{{end}}}）",
                f"{n} is outside the plausible window {{window_start}} to {{{end}}}")


def _column_flags(feed: Feed, col: Column) -> list[dict]:
    h, n = col.header, col.name
    out = []
    if col.type == "uscc":
        out.append(_exp("expect_column_values_to_be_valid_uscc", {"column": n}, "flag", "uscc_check", n,
                        f"「{h}」校验位错误", f"{n} has a wrong check character"))
    if col.type == "street":
        out.append(_exp("expect_column_values_to_be_in_set", {"column": n, "value_set": {"$PARAMETER": "streets"}},
                        "flag", "unknown_street", n, f"「{h}」不是本区街道，仅计入全区",
                        f"{n} is not a street of the region; counted for the district only"))
    if col.required_when:
        other = feed.column(col.required_when["column"])
        value = col.required_when["equals"]
        out.append(_exp("expect_column_values_to_not_be_null",
                        {"column": n, "row_condition": f'`{other.name}` == "{value}"', "condition_parser": "pandas"},
                        "flag", "required_when", n, f"{other.header}为「{value}」时应填写「{h}」",
                        f"{n} is missing although {other.name} is {value}"))
    if col.not_before:
        other = feed.column(col.not_before)
        out.append(_exp("expect_column_pair_values_to_be_in_order", {"column_A": other.name, "column_B": n},
                        "flag", "not_before", n, f"「{h}」早于「{other.header}」",
                        f"{n} is before {other.name}"))
    if col.never_falls:
        out.append(_exp("expect_column_pair_values_to_not_fall", never_falls.expectation_kwargs(n),
                        "flag", never_falls.RULE, n, *never_falls.reason(h, n)))
    return out


def row_suite(feed: Feed) -> dict:
    expectations = [e for col in feed.columns for e in _column_rules(feed, col)]
    key = list(feed.key)
    headers = "、".join(feed.column(k).header for k in key)
    if len(key) == 1:
        kind, kwargs = "expect_column_values_to_be_unique", {"column": key[0]}
    else:
        kind, kwargs = "expect_compound_columns_to_be_unique", {"column_list": key}
    expectations.append(_exp(kind, kwargs, "reject", "conflict", key[0],
                             f"同一文件内「{headers}」相同的行内容不一致", f"rows with the same key {key} disagree"))
    return {"name": f"{feed.name}.rows", "expectations": expectations,
            "meta": {"feed": feed.name, "level": "row", "generated_from": f"feeds/{feed.name}.yaml"}}


def _period_rules(feed: Feed) -> list[dict]:
    """Like with like: a period snapshot against the keys of the periods it restates. An increment is never
    held for being small (a monthly top-up of a few rows is ordinary)."""
    if feed.delivery != PERIOD_SNAPSHOT:
        return []
    grain_zh = {"quarter": "季度", "month": "月份"}[feed.period]
    return [_exp("expect_column_values_to_be_between", {"column": "keys_vs_period", "min_value": MIN_KEYS_VS_PERIOD},
                 "hold", "period_drop", None,
                 f"该文件重报{grain_zh} {{period}}，只列出 {{file_keys}} 个编号，而该期原有 {{period_keys}} 个"
                 f"（少于{MIN_KEYS_VS_PERIOD:.0%}），其余将被撤回；整批暂缓发布",
                 f"the file restates {feed.period} {{period}} with {{file_keys}} keys where it had {{period_keys}} "
                 f"(under {MIN_KEYS_VS_PERIOD:.0%}); the rest would be withdrawn; held")]


def batch_suite(feed: Feed) -> dict:
    exps = [
        _exp("expect_column_values_to_be_between", {"column": "rows_read", "min_value": 1}, "reject", "no_rows",
             None, "文件只有表头，没有数据行", "the file has a header but no data rows"),
        _exp("expect_column_values_to_be_between", {"column": "rejected_share", "max_value": MAX_REJECTED_SHARE},
             "hold", "rejected_share", None, f"被拒绝的行超过{MAX_REJECTED_SHARE:.0%}，整批暂缓发布",
             f"more than {MAX_REJECTED_SHARE:.0%} of rows rejected; delivery held"),
        *_period_rules(feed),
        _exp("expect_column_values_to_be_between", {"column": "sheet_conflicts", "max_value": 0}, "hold",
             "sheet_conflict", None, "两个工作表中同一编号的内容不一致，整批暂缓发布（请删除过期的工作表）",
             "two sheets disagree on a key; delivery held (remove the outdated sheet)"),
        _exp("expect_column_values_to_be_between", {"column": "columns_dropped", "max_value": 0}, "warn",
             "schema_drift", None, "与上次交付相比缺少了列", "columns present in the previous delivery are missing"),
    ]
    return {"name": f"{feed.name}.batch", "expectations": exps,
            "meta": {"feed": feed.name, "level": "batch", "delivery": feed.delivery, "period": feed.period}}


def suite_path(name: str, directory: Path | None = None) -> Path:
    return (directory or expectations_dir()) / f"{name}.json"


def render(suite: dict) -> str:
    return json.dumps(suite, ensure_ascii=False, indent=2) + "\n"


def write_all(directory: Path | None = None) -> list[Path]:
    directory = directory or expectations_dir()
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for feed in all_feeds():
        for suite in (row_suite(feed), batch_suite(feed)):
            path = suite_path(suite["name"], directory)
            path.write_text(render(suite), encoding="utf-8")
            written.append(path)
    return written


def load_suite_dict(name: str, directory: Path | None = None) -> dict:
    return json.loads(suite_path(name, directory).read_text(encoding="utf-8"))


if __name__ == "__main__":
    for p in write_all():
        print(p)
