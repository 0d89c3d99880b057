"""Render each feed's warehouse objects from its declaration: `warehouse/feeds/<feed>.sql`.

One file per feed creates `raw.<feed>` (every version of every row, with the file and run that delivered
it), builds the table `core.<feed>` (the current version of each key, from
`warehouse/templates/core_table.sql`) from it when it does not exist, adds the columns its declaration gained
since to both, and comments the tables and every column in Chinese and English. Every statement is
idempotent; the writer runs a file after the migrations whenever its checksum changed
(`quality_pipeline.warehouse.feed_schema`). `loading.current` keeps core.<feed> in step with raw.<feed>
afterwards, from the same template.

`python -m quality_pipeline.feeds.schema` rewrites the files; `--check` exits 1 when one is stale.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from quality_pipeline.feeds import TYPE_EN, TYPE_ZH, Column, Feed, all_feeds
from quality_pipeline.settings import WAREHOUSE_SQL_DIR, feed_sql_dir

CORE_TEMPLATE = WAREHOUSE_SQL_DIR / "templates" / "core_table.sql"
SQL_TYPES = {
    "date": "DATE", "month": "DATE", "money": "DECIMAL(18,2)", "integer": "INTEGER", "number": "DOUBLE",
    "percent": "DOUBLE", "bool": "BOOLEAN",
}  # every other type (text, text_list, street, uscc, industry_code) is kept as VARCHAR
# What the loader adds to every row, after the declared columns: (name, type, comment).
LOAD_COLUMNS = (
    ("_extra", "JSON", "文件中未声明的列（表头→值，JSON）/ Columns of the delivered file not declared for the feed, "
                       "as JSON (header → value)"),
    ("_file_id", "BIGINT NOT NULL", "来源文件 / File that delivered this version of the row (→ audit.files.file_id)"),
    ("_run_id", "VARCHAR NOT NULL", "加载的运行编号 / Airflow run_id that loaded the row"),
    ("_delivery_seq", "BIGINT NOT NULL",
     "交付序号 / Order of the delivery (audit.files.delivery_seq); the highest wins in core.*"),
    ("_sheet", "VARCHAR", "工作表名 / Worksheet the row came from (null for CSV)"),
    ("_row_number", "INTEGER NOT NULL", "文件中的行号 / Row number in the sheet or file, as a spreadsheet shows it"),
    ("_loaded_at", "TIMESTAMP NOT NULL", "加载时间 / When the row was written (local time of the writer)"),
    ("_withdrawn", "BOOLEAN", "撤回标记 / true on a tombstone: a period-snapshot delivery (_file_id) restated the "
                              "key's period without it, so the key is withdrawn from core.* from this delivery on; "
                              "only the key and the event date are filled"),
)
RAW_ONLY = {"_withdrawn"}  # core.* leaves it out: a tombstoned key is not in core at all


def sql_type(col: Column) -> str:
    return SQL_TYPES.get(col.type, "VARCHAR")


def _range(col: Column) -> str:
    low = "" if col.min is None else f"{'>' if col.strict_min else '≥'} {col.min:g}"
    high = "" if col.max is None else f"≤ {col.max:g}"
    return ", ".join(p for p in (low, high) if p)


def rules(feed: Feed, col: Column) -> list[tuple[str, str]]:
    """The column's rules as (Chinese, English) phrases, in the order its COMMENT lists them."""
    out = []
    if col.name in feed.key:
        out.append(("主键", "key"))
    if col.required:
        out.append(("必填", "required"))
    if col.type in TYPE_ZH:
        out.append((f"须为{TYPE_ZH[col.type]}", f"must parse as {TYPE_EN[col.type]}"))
    if col.allowed:
        out.append(("取值 " + "、".join(col.allowed), "one of the listed values"))
    if col.mapping:
        out.append(("同义写法 " + ", ".join(f"{k}→{v}" for k, v in col.mapping.items()), "synonyms mapped"))
    if col.min is not None or col.max is not None:
        out.append((f"范围 {_range(col)}", f"range {_range(col)}"))
    if col.not_future:
        out.append(("不得晚于处理日", "not in the future"))
    if col.not_before:
        out.append((f"早于「{feed.column(col.not_before).header}」则标记", f"flagged if before {col.not_before}"))
    if col.at_most_times:
        other, factor = col.at_most_times["column"], col.at_most_times["factor"]
        out.append((f"不超过「{feed.column(other).header}」的{factor:g}倍", f"at most {factor:g} × {other}"))
    if col.never_falls:
        out.append(("比上一报告期减少则标记", "flagged if it falls since the previous report month"))
    if col.required_when:
        other, value = col.required_when["column"], col.required_when["equals"]
        out.append((f"{feed.column(other).header}为「{value}」时应填写，否则标记",
                    f"flagged if missing when {other} = {value}"))
    if col.type == "uscc":
        out.append(("校验位错误则标记", "flagged if the check character is wrong"))
    if col.type == "street":
        out.append(("非本区街道则标记，仅计入全区", "flagged if not a street of the region (district only)"))
    return out


def column_comment(feed: Feed, col: Column) -> str:
    text = f"{col.description_zh} / {col.en}"
    phrases = rules(feed, col)
    if phrases:
        text += f" 规则：{'；'.join(zh for zh, _ in phrases)} / Rules: {'; '.join(en for _, en in phrases)}."
    return text


def table_comment(feed: Feed) -> str:
    return (f"{feed.title_zh}：历次交付的全部版本，违反规则的行进入隔离表（标记规则除外）/ Every version of every row "
            f"ever loaded: one row per {feed.grain} per delivery, with the file and run that delivered it. A row "
            "breaking a rule of its columns is rejected to audit.quarantine, unless the rule says flagged "
            "(audit.row_flags). Columns, aliases, units and rules: docs/extracts.md")


def core_comment(feed: Feed) -> str:
    return (f"{feed.title_zh}：每个主键的当前版本 / The current version of each key ({', '.join(feed.key)}): "
            "the newest delivery of a file not withdrawn wins; a key withdrawn by a period-snapshot delivery is "
            "left out (docs/extracts.md). Kept in step with raw.* in the transaction that publishes, releases or "
            "withdraws a delivery")


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def current_versions(feed: Feed, scope: str = "true") -> str:
    """The SELECT of the current version of each key of `feed` within `scope` (an SQL condition on raw.<feed>
    aliased `r`): the template `warehouse/templates/core_table.sql`, filled in."""
    body = [ln for ln in CORE_TEMPLATE.read_text(encoding="utf-8").splitlines() if not ln.startswith("--")]
    return ("\n".join(body).replace("{feed}", feed.name).replace("{key}", ", ".join(feed.key))
            .replace("{scope}", scope))


def render(feed: Feed) -> str:
    """The SQL of one feed's raw table, core table and comments."""
    width = max(len(c.name) for c in feed.columns)
    lines = [
        f"-- Purpose: raw.{feed.name} and core.{feed.name} ({feed.title_zh}, {feed.title_en}) with their comments.",
        f"-- Grain: raw: one row per {feed.grain} per delivery; core: one row per key ({', '.join(feed.key)}).",
        f"-- Sources: generated from feeds/{feed.name}.yaml and warehouse/templates/core_table.sql by `make generate`;",
        "--   do not edit. The writer runs it after the migrations whenever it changed.",
        "",
        f"CREATE TABLE IF NOT EXISTS raw.{feed.name} (",
        *[f"    {c.name} {sql_type(c)}," for c in feed.columns],
        *[f"    {name} {type_}," for name, type_, _ in LOAD_COLUMNS[:-1]],
        f"    {LOAD_COLUMNS[-1][0]} {LOAD_COLUMNS[-1][1]}",
        ");",
        "-- A column declared after the table was made is added at its end.",
        *[f"ALTER TABLE raw.{feed.name} ADD COLUMN IF NOT EXISTS {c.name:<{width}} {sql_type(c)};"
          for c in feed.columns],
        "",
        "-- The current versions, built from raw when the table does not exist (a new feed); kept in step since.",
        f"CREATE TABLE IF NOT EXISTS core.{feed.name} AS",
        current_versions(feed) + ";",
        *[f"ALTER TABLE core.{feed.name} ADD COLUMN IF NOT EXISTS {c.name:<{width}} {sql_type(c)};"
          for c in feed.columns],
        "",
        f"COMMENT ON TABLE raw.{feed.name} IS {_quote(table_comment(feed))};",
        f"COMMENT ON TABLE core.{feed.name} IS {_quote(core_comment(feed))};",
    ]
    comments = [(c.name, column_comment(feed, c)) for c in feed.columns]
    comments += [(name, text) for name, _, text in LOAD_COLUMNS]
    for schema in ("raw", "core"):
        lines += [f"COMMENT ON COLUMN {schema}.{feed.name}.{name} IS {_quote(text)};" for name, text in comments
                  if schema == "raw" or name not in RAW_ONLY]
    return "\n".join(lines) + "\n"


def sql_path(name: str, directory: Path | None = None) -> Path:
    return (directory or feed_sql_dir()) / f"{name}.sql"


def stale(directory: Path | None = None) -> list[Path]:
    """The feed SQL files that are missing or differ from what the declarations render."""
    out = []
    for feed in all_feeds():
        path = sql_path(feed.name, directory)
        if not path.exists() or path.read_text(encoding="utf-8") != render(feed):
            out.append(path)
    return out


def write_all(directory: Path | None = None) -> list[Path]:
    written = []
    for feed in all_feeds():
        path = sql_path(feed.name, directory)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(feed), encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    from quality_pipeline.terminal import printable

    parser = argparse.ArgumentParser(prog="python -m quality_pipeline.feeds.schema", description=__doc__)
    parser.add_argument("--dir", type=Path, default=None, help="output folder (default: $QUALITY_FEED_SQL_DIR)")
    parser.add_argument("--check", action="store_true", help="exit 1 if a file differs from the declarations")
    args = parser.parse_args(argv)
    if args.check:
        behind = stale(args.dir)
        for path in behind:
            print(printable(f"{path} is stale: run `make generate`"), file=sys.stderr)
        return 1 if behind else 0
    for path in write_all(args.dir):
        print(printable(str(path)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
