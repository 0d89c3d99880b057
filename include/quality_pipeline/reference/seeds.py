"""Read and check the hand-kept seed files (`warehouse/seeds/*.csv`), all before anything is written.

Plain checks rather than a GX suite: three small files don't need GX's seconds-long import,
and every problem must name the file, line and column so whoever keeps the file can fix it.
"""

from __future__ import annotations

import csv
import hashlib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from quality_pipeline.calendar import is_quarter, quarter_of
from quality_pipeline.settings import WAREHOUSE_SQL_DIR

SEEDS_DIR = WAREHOUSE_SQL_DIR / "seeds"
VERSION_FILE = "VERSION"
LEVELS = ("国家", "行业", "地方", "团体")
ROLES = ("主导", "参与")
KINDS = ("驰名商标", "著名商标", "省名牌产品")
FAMOUS_ABOLISHED = date(2018, 12, 31)
PROVINCIAL_YEARS = 3
_STANDARD_NO = re.compile(
    r"^(?P<prefix>GB(?:/[TZ])?|DB\d{2,6}(?:/T)?|T/[A-Z0-9]{2,}|[A-Z]{2}(?:/[TZ])?) \d+(?:\.\d+)*-(?P<year>\d{4})$"
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_VERSION = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]*$")


class SeedError(ValueError):
    """A seed file failed its checks; nothing was loaded."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = problems[:50] + ([f"... and {len(problems) - 50} more"] if len(problems) > 50 else [])
        super().__init__(f"{len(problems)} problem(s) in the seed files, nothing loaded:\n" + "\n".join(shown))


@dataclass
class Seed:
    """One checked seed file: typed rows in column order, ready to insert."""

    name: str
    columns: tuple[str, ...]
    rows: list[tuple] = field(default_factory=list)
    sha256: str = ""


@dataclass
class _Row:
    """One CSV line being checked; problems go to the shared list, prefixed with file, line and column."""

    file: str
    line: int
    cells: dict[str, str | None]
    problems: list[str]

    def problem(self, column: str | None, zh: str, en: str) -> None:
        where = f"{self.file} line {self.line}" + (f", column {column}" if column else "")
        self.problems.append(f"{where}: {zh} / {en}")

    def text(self, column: str, required: bool = True) -> str | None:
        value = self.cells.get(column)
        if value is None and required:
            self.problem(column, "必填项为空", "required value missing")
        return value

    def one_of(self, column: str, allowed: tuple[str, ...]) -> str | None:
        value = self.text(column)
        if value is not None and value not in allowed:
            self.problem(column, f"「{value}」不在允许值（{'、'.join(allowed)}）中", f"{value!r} is not one of {list(allowed)}")
            return None
        return value

    def day(self, column: str, today: date, required: bool = True) -> date | None:
        value = self.text(column, required)
        if value is None:
            return None
        try:
            if not _DATE.match(value):
                raise ValueError
            parsed = date.fromisoformat(value)
        except ValueError:
            self.problem(column, f"「{value}」不是 YYYY-MM-DD 日期", f"{value!r} is not a date written YYYY-MM-DD")
            return None
        if parsed > today:
            self.problem(column, f"{value} 晚于今天", f"{value} is in the future")
        return parsed

    def count(self, column: str) -> int | None:
        value = self.text(column)
        if value is None:
            return None
        if not value.isdigit():
            self.problem(column, f"「{value}」不是非负整数", f"{value!r} is not a whole number ≥ 0")
            return None
        return int(value)

    def percent(self, column: str, required: bool) -> float | None:
        value = self.text(column, required)
        if value is None:
            return None
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not 0 <= number <= 100:
            self.problem(column, f"「{value}」不是 0–100 之间的百分数", f"{value!r} is not a percentage within 0–100")
            return None
        return number


def plus_years(day: date, years: int) -> date:
    """The same calendar day `years` later; 29 February becomes 28 February (as DuckDB's INTERVAL does)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def level_of(standard_no: str) -> str | None:
    match = _STANDARD_NO.match(standard_no)
    if not match:
        return None
    prefix = match["prefix"]
    if prefix.startswith("GB"):
        return "国家"
    if prefix.startswith("DB"):
        return "地方"
    return "团体" if prefix.startswith("T/") else "行业"


def _standard(row: _Row, today: date) -> tuple:
    no = row.text("standard_no")
    level = row.one_of("level", LEVELS)
    published = row.day("published_date", today)
    if no is not None:
        implied = level_of(no)
        if implied is None:
            row.problem("standard_no", f"「{no}」不是形如 GB/T 12345-2020 的标准编号",
                        f"{no!r} is not a standard number like GB/T 12345-2020")
        else:
            if level is not None and implied != level:
                row.problem("level", f"编号 {no} 对应{implied}标准，而非{level}", f"{no} is a {implied} standard, not {level}")
            if published is not None and int(no[-4:]) != published.year:
                row.problem("published_date", f"发布年份 {published.year} 与编号年份 {no[-4:]} 不符",
                            f"published in {published.year} but the number says {no[-4:]}")
    return (no, level, row.text("title"), row.text("lead_enterprise"), row.one_of("role", ROLES), published)


def _brand(row: _Row, today: date) -> tuple:
    kind = row.one_of("kind", KINDS)
    awarded = row.day("awarded_date", today)
    expires = row.day("expires_date", date.max, required=False)
    if kind == "省名牌产品" and awarded is not None:
        due = plus_years(awarded, PROVINCIAL_YEARS)
        if expires != due:
            row.problem("expires_date", f"省名牌产品有效期3年，应为 {due}", f"a 省名牌产品 title lasts 3 years: expected {due}")
    elif kind in ("驰名商标", "著名商标") and row.cells.get("expires_date") is not None:
        row.problem("expires_date", f"{kind}没有有效期，应为空", f"a {kind} does not expire: leave it empty")
    if kind == "著名商标" and awarded is not None and awarded > FAMOUS_ABOLISHED:
        row.problem("awarded_date", "著名商标认定已于2018年取消，不应有2018年以后的认定",
                    "著名商标 awards were abolished in 2018: none after 2018-12-31")
    return (row.text("enterprise"), row.text("brand"), kind, awarded, expires)


def _construction(row: _Row, today: date) -> tuple:
    quarter = row.text("quarter")
    if quarter is not None and not is_quarter(quarter):
        row.problem("quarter", f"「{quarter}」不是形如 2026Q3 的季度", f"{quarter!r} is not a quarter like 2026Q3")
        quarter = None
    elif quarter is not None and quarter > quarter_of(today):
        row.problem("quarter", f"{quarter} 尚未开始", f"{quarter} has not begun")
    projects = row.count("projects_inspected")
    rate = row.percent("acceptance_pass_rate", required=projects != 0)
    return (quarter, projects, rate, row.count("quality_awards"))


@dataclass(frozen=True)
class SeedSpec:
    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    parse: Callable[[_Row, date], tuple]


SPECS = (
    SeedSpec("standards", ("standard_no", "level", "title", "lead_enterprise", "role", "published_date"),
             ("standard_no",), _standard),
    SeedSpec("brands", ("enterprise", "brand", "kind", "awarded_date", "expires_date"),
             ("enterprise", "brand", "kind", "awarded_date"), _brand),
    SeedSpec("construction_quality", ("quarter", "projects_inspected", "acceptance_pass_rate", "quality_awards"),
             ("quarter",), _construction),
)


def _check_header(file: str, header: list[str], spec: SeedSpec, problems: list[str]) -> bool:
    missing = [c for c in spec.columns if c not in header]
    unknown = [c for c in header if c not in spec.columns]
    duplicated = sorted({c for c in header if header.count(c) > 1})
    for label_zh, label_en, cols in (("缺少列", "missing column(s)", missing), ("未知列", "unknown column(s)", unknown),
                                     ("重复列", "duplicated column(s)", duplicated)):
        if cols:
            problems.append(f"{file} line 1: {label_zh} {'、'.join(cols)} / {label_en} {cols}")
    return not (missing or unknown or duplicated)


def read_seed(path: Path, spec: SeedSpec, today: date, problems: list[str]) -> Seed:
    """Parse and check one file; its problems are appended to `problems`."""
    seed = Seed(spec.name, spec.columns)
    if not path.is_file():
        problems.append(f"{path.name}: 文件不存在 / file missing ({path})")
        return seed
    data = path.read_bytes()
    seed.sha256 = hashlib.sha256(data).hexdigest()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.append(f"{path.name}: 不是 UTF-8 编码 / not UTF-8 ({exc})")
        return seed
    reader = csv.reader(text.splitlines())
    header = [h.strip() for h in next(reader, [])]
    if not _check_header(path.name, header, spec, problems):
        return seed
    keys: dict[tuple, int] = {}
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        row = _Row(path.name, reader.line_num, {}, problems)
        if len(cells) != len(header):
            row.problem(None, f"有 {len(cells)} 个字段，表头有 {len(header)} 个",
                        f"{len(cells)} fields where the header has {len(header)}")
            continue
        row.cells = {h: (c.strip() or None) for h, c in zip(header, cells, strict=True)}
        values = spec.parse(row, today)
        key = tuple(row.cells[k] for k in spec.key)
        if key in keys:
            row.problem(",".join(spec.key), f"与第 {keys[key]} 行重复", f"same key as line {keys[key]}")
        keys.setdefault(key, row.line)
        seed.rows.append(values)
    if not seed.rows and header:
        problems.append(f"{path.name}: 没有数据行 / no data rows")
    return seed


def read_version(seeds_dir: Path, problems: list[str]) -> str:
    path = seeds_dir / VERSION_FILE
    if not path.is_file():
        problems.append(f"{VERSION_FILE}: 文件不存在 / file missing ({path})")
        return ""
    lines = [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
    if len(lines) != 1 or not _VERSION.match(lines[0]):
        problems.append(f"{VERSION_FILE}: 应只有一行版本号，如 2026.11.1 / must hold one version such as 2026.11.1")
        return ""
    return lines[0]


def read_seeds(seeds_dir: Path = SEEDS_DIR, today: date | None = None) -> tuple[str, list[Seed]]:
    """The version and every checked seed; raises SeedError listing every problem in every file."""
    problems: list[str] = []
    today = today or date.today()
    version = read_version(seeds_dir, problems)
    seeds = [read_seed(seeds_dir / f"{spec.name}.csv", spec, today, problems) for spec in SPECS]
    if problems:
        raise SeedError(problems)
    return version, seeds
