"""Read the sheets of an .xlsx workbook as grids of cell values (calamine), vertical merges filled down."""

from __future__ import annotations

from pathlib import Path

from quality_pipeline.parsing.errors import ExtractRejected

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _check_container(path: Path) -> None:
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(_OLE_MAGIC):
        raise ExtractRejected(
            "encrypted_or_xls",
            "工作簿已设密码保护或为旧版 .xls 格式，请取消密码后另存为 .xlsx",
            "the workbook is password-protected or in the old .xls format; remove the password and save as .xlsx",
        )
    if not head.startswith(_ZIP_MAGIC):
        raise ExtractRejected(
            "not_xlsx", "文件不是有效的 .xlsx 工作簿（文件已损坏或扩展名有误）",
            "not a valid .xlsx workbook (the file is damaged or misnamed)",
        )


def _fill_vertical_merges(grid: list[list], merged: list) -> None:
    for (r0, c0), (r1, c1) in merged or []:
        if r1 <= r0 or r0 >= len(grid):
            continue
        for c in range(c0, c1 + 1):
            value = grid[r0][c] if c < len(grid[r0]) else ""
            for r in range(r0, min(r1, len(grid) - 1) + 1):
                if c < len(grid[r]) and grid[r][c] in ("", None):
                    grid[r][c] = value


def read_xlsx_sheets(path: Path) -> list[tuple[str, list[list]]]:
    """Every visible worksheet as (name, rows); row i of the grid is Excel row i + 1."""
    import python_calamine

    _check_container(path)
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own types for every kind of damage
        raise ExtractRejected(
            "unreadable_xlsx", f"无法打开工作簿：{exc}", f"cannot open the workbook: {exc}",
        ) from exc
    sheets = []
    try:
        for meta in workbook.sheets_metadata:
            if str(meta.visible).endswith("Visible") is False or "WorkSheet" not in str(meta.typ):
                continue
            sheet = workbook.get_sheet_by_name(meta.name)
            grid = sheet.to_python(skip_empty_area=False)
            _fill_vertical_merges(grid, sheet.merged_cell_ranges)
            sheets.append((meta.name, grid))
    except ExtractRejected:
        raise
    except Exception as exc:
        raise ExtractRejected(
            "unreadable_xlsx", f"无法读取工作表：{exc}", f"cannot read a worksheet: {exc}",
        ) from exc
    finally:
        workbook.close()
    return sheets
