"""Hand-built hostile files: xlsx parts written as raw XML (so every attribute is under control), zip
archives whose directory can lie, and deflate streams that inflate to gigabytes from a few megabytes."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from xml.sax.saxutils import escape

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
SAMPLING_HEADER = ["抽样单编号", "产品名称", "产品类别", "受检单位", "所在街道", "抽样日期", "检验结论", "不合格项目"]
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_STYLES = (
    f'{_XML}<styleSheet xmlns="{MAIN_NS}"><fonts count="1"><font/></fonts><fills count="1"><fill/></fills>'
    '<borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>'
)
DATE_STYLE = 1  # cellXfs index with the built-in date format 14


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def cell(ref: str, value: object = None, *, formula: str | None = None, style: int | None = None,
         kind: str | None = None) -> str:
    """One `<c>`: text as an inline string, numbers as numbers, a formula with an optional cached value."""
    attrs = f' r="{ref}"' + (f' s="{style}"' if style is not None else "")
    inner = f"<f>{escape(formula)}</f>" if formula is not None else ""
    if value is None:
        return f"<c{attrs}>{inner}</c>"
    if kind is None:
        kind = "n" if isinstance(value, int | float) and not isinstance(value, bool) else (
            "str" if formula is not None else "inlineStr")
    if kind == "inlineStr":
        return f'<c{attrs} t="inlineStr">{inner}<is><t xml:space="preserve">{escape(str(value))}</t></is></c>'
    if kind == "n":
        return f"<c{attrs}>{inner}<v>{value}</v></c>"
    return f'<c{attrs} t="{kind}">{inner}<v>{escape(str(value))}</v></c>'


def row(number: int, values: list, *, styles: dict[int, int] | None = None) -> str:
    """A `<row>` of values from column A; None cells are left out."""
    styles = styles or {}
    cells = "".join(
        cell(f"{column_letter(i)}{number}", v, style=styles.get(i))
        for i, v in enumerate(values) if v is not None or i in styles
    )
    return f'<row r="{number}">{cells}</row>'


def worksheet(rows_xml: str, *, merges: list[str] = (), tail: str = "") -> str:
    merge_xml = ""
    if merges:
        merge_xml = f'<mergeCells count="{len(merges)}">' + "".join(f'<mergeCell ref="{m}"/>' for m in merges) + "</mergeCells>"
    return f'{_XML}<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheetData>{rows_xml}</sheetData>{merge_xml}{tail}</worksheet>'


def workbook_parts(sheets: list[tuple[str, str]], *, date1904: bool = False,
                   external_links: list[str] = ()) -> dict[str, bytes]:
    """The parts of a minimal valid workbook: (sheet name, worksheet XML) in order, optional external links
    (each a target such as `file:///etc/passwd` or `https://example.invalid/x.xlsx`)."""
    overrides = ['<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
                 'officedocument.spreadsheetml.sheet.main+xml"/>',
                 '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
                 'officedocument.spreadsheetml.styles+xml"/>']
    rels, entries, parts = [], [], {}
    for n, (name, xml) in enumerate(sheets, start=1):
        overrides.append(f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.'
                         'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
        rels.append(f'<Relationship Id="rId{n}" Type="{REL_NS}/worksheet" Target="worksheets/sheet{n}.xml"/>')
        entries.append(f'<sheet name="{escape(name)}" sheetId="{n}" r:id="rId{n}"/>')
        parts[f"xl/worksheets/sheet{n}.xml"] = xml.encode()
    rels.append(f'<Relationship Id="rIdStyles" Type="{REL_NS}/styles" Target="styles.xml"/>')
    links = ""
    for n, target in enumerate(external_links, start=1):
        overrides.append(f'<Override PartName="/xl/externalLinks/externalLink{n}.xml" ContentType="application/'
                         'vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"/>')
        rels.append(f'<Relationship Id="rIdExt{n}" Type="{REL_NS}/externalLink" '
                    f'Target="externalLinks/externalLink{n}.xml"/>')
        parts[f"xl/externalLinks/externalLink{n}.xml"] = (
            f'{_XML}<externalLink xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><externalBook r:id="rId1">'
            '<sheetNames><sheetName val="Sheet1"/></sheetNames><sheetDataSet><sheetData sheetId="0">'
            '<row r="1"><cell r="A1" t="str"><v>合格</v></cell></row></sheetData></sheetDataSet>'
            '</externalBook></externalLink>').encode()
        parts[f"xl/externalLinks/_rels/externalLink{n}.xml.rels"] = (
            f'{_XML}<Relationships xmlns="{PKG_REL_NS}"><Relationship Id="rId1" Type="{REL_NS}/externalLinkPath" '
            f'Target="{escape(target)}" TargetMode="External"/></Relationships>').encode()
        links += f'<externalReference r:id="rIdExt{n}"/>'
    parts["[Content_Types].xml"] = (
        f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>' + "".join(overrides) + "</Types>").encode()
    parts["_rels/.rels"] = (
        f'{_XML}<Relationships xmlns="{PKG_REL_NS}"><Relationship Id="rId1" Type="{REL_NS}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>').encode()
    pr = '<workbookPr date1904="1"/>' if date1904 else "<workbookPr/>"
    ext = f"<externalReferences>{links}</externalReferences>" if links else ""
    parts["xl/workbook.xml"] = (
        f'{_XML}<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">{pr}<sheets>{"".join(entries)}</sheets>{ext}'
        "</workbook>").encode()
    parts["xl/_rels/workbook.xml.rels"] = (
        f'{_XML}<Relationships xmlns="{PKG_REL_NS}">' + "".join(rels) + "</Relationships>").encode()
    parts["xl/styles.xml"] = _STYLES.encode()
    return parts


# --- zip archives written by hand, so the directory can say anything -----------------------------


def deflate(data: bytes) -> bytes:
    co = zlib.compressobj(6, zlib.DEFLATED, -15)
    return co.compress(data) + co.flush()


def repeated_deflate(prefix: bytes, unit: bytes, times: int, suffix: bytes) -> tuple[bytes, int]:
    """A raw deflate stream of prefix + unit * times + suffix, built from one compressed copy of a 1 MiB
    block of `unit`s (full flushes make compressed blocks concatenable): gigabytes in a few megabytes."""
    per_block = max(1, (1 << 20) // len(unit))
    blocks, rest = divmod(times, per_block)

    def segment(data: bytes) -> bytes:
        co = zlib.compressobj(9, zlib.DEFLATED, -15)
        return co.compress(data) + co.flush(zlib.Z_FULL_FLUSH)

    block = segment(unit * per_block)
    stream = segment(prefix) + block * blocks + segment(unit * rest) + segment(suffix) + b"\x03\x00"
    return stream, len(prefix) + len(unit) * times + len(suffix)


def write_zip(path: Path, entries: list[tuple[str, bytes, int, int]]) -> Path:
    """Entries are (name, raw deflate data, crc32, declared uncompressed size); nothing is checked."""
    local, central, offset = bytearray(), bytearray(), 0
    for name, data, crc, size in entries:
        encoded = name.encode()
        header = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0x800, 8, 0, 0x21, crc, len(data), size,
                             len(encoded), 0) + encoded
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0x800, 8, 0, 0x21, crc, len(data), size,
                               len(encoded), 0, 0, 0, 0, 0, offset) + encoded
        local += header + data
        offset += len(header) + len(data)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), offset, 0)
    path.write_bytes(bytes(local) + bytes(central) + end)
    return path


def write_parts(path: Path, parts: dict[str, bytes], *, override: dict[str, tuple[bytes, int, int]] | None = None) -> Path:
    """Write workbook parts as a zip; `override` gives some parts as (deflate data, crc, declared size)."""
    override = override or {}
    entries = []
    for name, data in parts.items():
        if name in override:
            entries.append((name, *override[name]))
        else:
            entries.append((name, deflate(data), zlib.crc32(data), len(data)))
    return write_zip(path, entries)


def write_xlsx(path: Path, sheets: list[tuple[str, str]], **kwargs) -> Path:
    return write_parts(path, workbook_parts(sheets, **kwargs))


def sampling_sheet(data_rows: list[list], *, title: str | None = "金平区产品质量监督抽查结果", merges: list[str] = (),
                   first_row: int = 1, tail: str = "", styles: dict[int, int] | None = None) -> str:
    rows_xml, n = [], first_row
    if title:
        rows_xml.append(row(n, [title]))
        n += 1
    rows_xml.append(row(n, SAMPLING_HEADER))
    for values in data_rows:
        n += 1
        rows_xml.append(row(n, values, styles=styles))
    return worksheet("".join(rows_xml), merges=merges, tail=tail)
