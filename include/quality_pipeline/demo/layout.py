"""Arranges a file's rows into sheets the way offices lay them out: titles, header, body, totals, notes."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from decimal import Decimal

from quality_pipeline.demo import vocab
from quality_pipeline.demo.mess import BOOL_STYLES, Style, choose_units, header_text, number_text, render
from quality_pipeline.demo.model import FilePlan, Row
from quality_pipeline.feeds import Column, Feed
from quality_pipeline.parsing.headers import GENERATED_MARK
from quality_pipeline.region import Region

DATA_SHEETS = {"product_sampling": "抽检结果", "enforcement_cases": "案件台账",
               "enforcement_inspections": "检查记录", "remediation_projects": "项目月报",
               "water_quality": "监测数据"}
TITLE_SUFFIX = {"product_sampling": "汇总表", "enforcement_cases": "", "enforcement_inspections": "表",
                "remediation_projects": "表", "water_quality": "数据表"}
OFFICES = {"remediation_projects": "河长制办公室", "water_quality": "环境监测站"}
INSTRUCTIONS_SHEET = "填表说明"
REMARKS = ["", "", "", "复检", "已送达", "见附件"]


@dataclass
class Sheet:
    name: str
    rows: list[list] = field(default_factory=list)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # row, col, last row, last col


@dataclass
class Layout:
    sheets: list[Sheet]
    data_sheet: str
    header_row: int
    data_rows: list[tuple[int, Row]]  # (row number as a person sees it, row)
    merged_cells: list[dict] = field(default_factory=list)


def title(plan: FilePlan, feed: Feed, region: Region) -> str:
    return f"{region.name}{plan.period}{feed.title_zh}{TITLE_SUFFIX.get(feed.name, '表')}"


def build(plan: FilePlan, feed: Feed, region: Region, *, messy: bool, merged_body: bool = False,
          columns: list[Column] | None = None) -> Layout:
    """Lay out `plan` as sheets of cells; `columns` overrides the declared ones (a file missing a column)."""
    rng = random.Random(f"layout:{plan.path}:{plan.round}")
    style = Style(messy=messy, fmt=plan.fmt, rng=rng, gbk_safe=plan.encoding == "gb18030")
    columns = list(columns or feed.columns)
    if messy and plan.index % 2 == 1:
        columns[-3:] = reversed(columns[-3:])
    choose_units(columns, feed.name, style)
    if messy:
        style.bool_style = BOOL_STYLES[plan.index % len(BOOL_STYLES)]
    serial = messy and plan.index % 3 != 2
    remarks = messy and plan.index % 4 == 1
    width = len(columns) + serial + remarks
    sheet = Sheet(DATA_SHEETS.get(feed.name, "Sheet1"))
    rows = sheet.rows

    def full_width_row(text: str) -> None:
        rows.append([text] + [None] * (width - 1))
        if plan.fmt == "xlsx":
            sheet.merges.append((len(rows), 1, len(rows), width))

    full_width_row(GENERATED_MARK)  # so the warehouse knows these files are sample data
    variant = plan.index % 4 if messy else 3
    if variant != 3:
        full_width_row(title(plan, feed, region))
    if variant == 0:
        office = OFFICES.get(feed.name, "市场监督管理局")
        full_width_row(f"填报单位：{region.name}{office}    统计期：{plan.period}")
    if variant in (0, 2):
        rows.append([None] * width)
    header = [header_text(c, style) for c in columns]
    rows.append((["序号"] if serial else []) + header + (["备注"] if remarks else []))
    header_row = len(rows)

    body = list(plan.rows)
    merge_on = next((c.name for c in columns if c.type == "street"), "water_body")
    if merged_body and plan.fmt == "xlsx" and merge_on == "street":
        body.sort(key=lambda r: str(r.values.get("street") or ""))
    blank_at = len(body) // 2 if messy and plan.index % 5 == 3 and len(body) > 4 else -1
    rendered: dict[int, list] = {}
    data_rows: list[tuple[int, Row]] = []
    number = 0
    for i, row in enumerate(body):
        if i == blank_at:
            rows.append([None] * width)
        if row.copy_of is not None:
            cells = list(rendered[id(row.copy_of)])
        else:
            number += 1
            cells = [render(c, row.values.get(c.name), style) for c in columns]
            cells = ([number] if serial else []) + cells + ([rng.choice(REMARKS) or None] if remarks else [])
            rendered[id(row)] = cells
        rows.append(cells)
        data_rows.append((len(rows), row))

    if messy and plan.index % 2 == 0:
        rows.append(_totals(columns, body, style, serial, remarks))
    if messy and plan.index % 3 != 1:
        rows.append([None] * width)
        full_width_row(f"注：1.本表数据统计期为{plan.period}；2.金额单位以表头为准；3.空白栏表示无相关数据。")
        names = [random.Random(f"{plan.path}:{k}").choice(vocab.SURNAMES) + vocab.GIVEN[k] for k in range(2)]
        full_width_row(f"填表人：{names[0]}\u3000\u3000审核人：{names[1]}\u3000\u3000联系电话：0754-8827{plan.index:04d}")

    layout = Layout([sheet], sheet.name, header_row, data_rows)
    if merged_body and plan.fmt == "xlsx" and merge_on in (c.name for c in columns):
        layout.merged_cells = _merge_runs(sheet, columns, data_rows, serial, merge_on)
    if plan.fmt == "xlsx" and messy:
        notes = Sheet(INSTRUCTIONS_SHEET, [[line] for line in vocab.INSTRUCTIONS])
        if plan.index % 3 == 0:
            layout.sheets.insert(0, notes)
        elif plan.index % 3 == 2:
            layout.sheets.append(notes)
    return layout


def _totals(columns: list[Column], body: list[Row], style: Style, serial: bool, remarks: bool) -> list:
    cells: list = []
    for col in columns:
        values = [r.values.get(col.name) for r in body]
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        if col.type in ("money", "integer") and numbers:
            total = Decimal(sum(numbers))
            if style.units.get(col.name) == "万元":
                total /= 10000
            cells.append(float(total) if style.fmt == "xlsx" else number_text(total))
        else:
            cells.append(None)
    label = style.pick("totals", ["合计", "总计"])
    if not any(c is not None for c in cells):
        cells[1] = f"共{len(body)}条"
    return [label] + cells[int(not serial):] + ([None] if remarks else [])


def _merge_runs(sheet: Sheet, columns: list[Column], data_rows: list[tuple[int, Row]], serial: bool,
               name: str) -> list[dict]:
    """Merge vertical runs of equal values of one column; the top cell's value applies to the whole run."""
    index = next(i for i, c in enumerate(columns) if c.name == name) + serial
    copied = {id(r.copy_of) for _, r in data_rows if r.copy_of is not None}
    mergeable = [(n, r) for n, r in data_rows
                 if r.issue is None and r.copy_of is None and id(r) not in copied
                 and isinstance(r.values.get(name), str)]
    merged, run = [], []
    for n, r in mergeable + [(None, None)]:
        if run and (n != run[-1][0] + 1 or r.values[name] != run[0][1].values[name] or len(run) == 4):
            if len(run) >= 2:
                first, last = run[0][0], run[-1][0]
                for m in range(first + 1, last + 1):
                    sheet.rows[m - 1][index] = None
                sheet.merges.append((first, index + 1, last, index + 1))
                merged.append({"sheet": sheet.name, "column": name, "first_row": first, "last_row": last,
                               "value": sheet.rows[first - 1][index]})
            run = []
        if n is not None:
            run.append((n, r))
    return merged
