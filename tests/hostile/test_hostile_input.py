"""Hostile input: every file ends in a clear rejection or a correct load, never in a crash of the run.

Most cases are delivered together in one landing folder and ingested in one run (`hostile_run`):
each case's test then checks its own file's outcome, its row accounting
(read = loaded + rejected + duplicates dropped + held) and what reached the warehouse, and the
run itself proves that one bad file never stops the others. Cases that need bounded time and
memory are also read alone in a child process that reports its own peak RSS.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from quality_pipeline.feeds import feed_names, load_feed
from quality_pipeline.loading.discovery import Candidate, FileChanged, take_snapshot
from quality_pipeline.loading.ingest import ingest_feed
from quality_pipeline.parsing.errors import ExtractRejected
from quality_pipeline.parsing.reader import read_extract
from quality_pipeline.warehouse.writer import open_published
from tests.hostile import builders as xl
from tests.support.demo import use_folder
from tests.support.extracts import SAMPLING_HEADER, as_increments, sampling_row, write_sampling_csv

FEED = "product_sampling"
SAMPLING = load_feed(FEED)
HEADER_LINE = ",".join(SAMPLING_HEADER)
SQL = "'; DROP TABLE raw.product_sampling; --"


def _rows(start: int, n: int = 10, **kw) -> list[list[str]]:
    return [sampling_row(start + i, **kw) for i in range(n)]


def _lines(rows: list[list[str]]) -> list[str]:
    return [",".join(r) for r in rows]


def _write(path: Path, lines: list[str], encoding: str = "utf-8") -> None:
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))


# --- how each hostile file is built -------------------------------------------------------------


def broken_quoting(path: Path) -> None:
    lines = _lines(_rows(100))
    lines.insert(5, 'S00999,"插座,电工,企业,金砂,2026-07-03,合格,')  # the quote is never closed
    _write(path, [HEADER_LINE, *lines])


def stray_quotes(path: Path) -> None:
    rows = _rows(200)
    rows[0][1] = 'a"b'  # a quote inside an unquoted field is a character
    rows[1][1] = '"插座"头'  # text after a closing quote is kept
    rows[2][3] = '"企业, 有限公司"'  # a quoted comma
    rows[3][3] = '"第一行\n第二行"'  # a quoted line break
    _write(path, [HEADER_LINE, *_lines(rows)])


def ragged_rows(path: Path) -> None:
    lines = _lines(_rows(300))
    lines[2] += ",多出来的值,又一个"
    lines[4] = ",".join(sampling_row(304)[:7])  # the last (optional) column missing
    _write(path, [HEADER_LINE, *lines])


def ten_thousand_columns(path: Path) -> None:
    header = SAMPLING_HEADER + [f"附加列{i}" for i in range(10_000 - len(SAMPLING_HEADER))]
    lines = [",".join(header)]
    for r in _rows(400):
        lines.append(",".join(r + [f"v{i}" if i % 1000 == 0 else "" for i in range(10_000 - len(r))]))
    _write(path, lines)


def too_many_columns(path: Path) -> None:
    lines = [HEADER_LINE + "," * 17_000, *[line + "," * 17_000 for line in _lines(_rows(450))]]
    _write(path, lines)


def one_200mb_line(path: Path) -> None:
    with open(path, "wb") as fh:
        fh.write((HEADER_LINE + "\n").encode())
        fh.write(b"S00500," + b"x" * (200 << 20) + b"\n")


def long_cell(path: Path) -> None:
    rows = _rows(550)
    rows[3][1] = "长" * 40_000  # over Excel's 32,767 characters, under the line limit
    _write(path, [HEADER_LINE, *_lines(rows)])


def mixed_encodings(path: Path) -> None:
    gbk = ("\n".join([HEADER_LINE, *_lines(_rows(600, 5))]) + "\n").encode("gb18030")
    utf8 = ("\n".join(_lines(_rows(605, 5, product="电源插座"))) + "\n").encode("utf-8")
    path.write_bytes(gbk + utf8)


def bom_mid_file(path: Path) -> None:
    first = ("\n".join([HEADER_LINE, *_lines(_rows(700, 5))]) + "\n").encode("utf-8-sig")
    second = ("\n".join([HEADER_LINE, *_lines(_rows(705, 5))]) + "\n").encode("utf-8-sig")
    path.write_bytes(first + second)  # two exports pasted together: the second BOM is mid-file


def utf16(path: Path) -> None:
    _write(path, [HEADER_LINE, *_lines(_rows(750))], encoding="utf-16")


def nul_bytes(path: Path) -> None:
    rows = _rows(800)
    rows[0][1] = "插\x00座"
    rows[1][3] = "企业\x00\x00"
    _write(path, [HEADER_LINE, *_lines(rows)])


def all_nul(path: Path) -> None:
    path.write_bytes(b"\x00" * 100_000)


def emoji_and_controls(path: Path) -> None:
    rows = _rows(900)
    rows[0][1] = "插座🔌"
    rows[1][3] = "企业\x07\x1b[31m红\x7f"
    rows[2][1] = "👨‍👩‍👧 家用"
    rows[3][3] = "\u202e反向\u202c企业"
    _write(path, [HEADER_LINE, *_lines(rows)])


def sql_values(path: Path) -> None:
    rows = _rows(1000)
    rows[0][1] = SQL
    rows[1][3] = "Robert'); DROP TABLE audit.files;--"
    rows[2][1] = "=cmd|' /C calc'!A0"
    rows[3][3] = "@SUM(1+1)*cmd|' /C calc'!A0"
    _write(path, [HEADER_LINE, *_lines(rows)])


def repeated_headers(path: Path) -> None:
    rows = _lines(_rows(1100))
    _write(path, [HEADER_LINE, *rows[:4], HEADER_LINE, *rows[4:7], " " + HEADER_LINE.replace(",", " ,"), *rows[7:]])


def same_column_twice(path: Path) -> None:
    header = SAMPLING_HEADER + ["抽样单编号", "备注", "备注"]
    lines = [",".join(header)] + [",".join(r + [f"X{r[0]}", "甲", "乙"]) for r in _rows(1200)]
    _write(path, lines)


def nan_inf_text(path: Path) -> None:
    rows = _rows(1300)
    rows[0][1] = "NaN"  # a null spelling: product_name missing, the row is rejected
    rows[1][1] = "Inf"
    rows[2][1] = "-0"
    rows[3][5] = "Infinity"  # not a date: rejected
    _write(path, [HEADER_LINE, *_lines(rows)])


def xlsx_formulas(path: Path) -> None:
    header = SAMPLING_HEADER + ["备注", "错误值"]
    rows = [xl.row(1, header)]
    for i, r in enumerate(_rows(1400), start=2):
        cells = [xl.cell(f"{xl.column_letter(j)}{i}", v) for j, v in enumerate(r[:6])]
        cells.append(xl.cell(f"G{i}", "合格", formula='IF(1,"合格","不合格")'))  # cached value
        cells.append(xl.cell(f"I{i}", 3, formula="1+1"))  # a stale cache: 3 is what loads, nothing is evaluated
        cells.append(xl.cell(f"J{i}", "#DIV/0!", formula="1/0", kind="e"))
        if i == 2:
            cells[1] = xl.cell("B2", None, formula='CONCAT("插","座")')  # a formula with no cached value
        if i == 3:
            cells[3] = xl.cell("D3", '=HYPERLINK("http://example.invalid","点我")')  # text that looks like one
        rows.append(f'<row r="{i}">{"".join(cells)}</row>')
    xl.write_xlsx(path, [("数据", xl.worksheet("".join(rows)))])


def xlsx_bomb_declared(path: Path) -> None:
    """The directory says sheet1.xml inflates to 1 GiB (it would, from 3 MB)."""
    parts = xl.workbook_parts([("数据", xl.sampling_sheet(_rows(1500)))])
    stream, size = xl.repeated_deflate(b"<worksheet><sheetData>", b'<row r="3"><c r="A3"><v>1</v></c></row>',
                                       (1 << 30) // 40, b"</sheetData></worksheet>")
    xl.write_parts(path, parts, override={"xl/worksheets/sheet1.xml": (stream, 0, size)})


def xlsx_bomb_lying(path: Path) -> None:
    """The directory says 1 MB; the data inflates to 1 GiB."""
    parts = xl.workbook_parts([("数据", xl.sampling_sheet(_rows(1550)))])
    stream, _size = xl.repeated_deflate(b"<worksheet><sheetData>", b'<row r="3"><c r="A3"><v>1</v></c></row>',
                                        (1 << 30) // 40, b"</sheetData></worksheet>")
    xl.write_parts(path, parts, override={"xl/worksheets/sheet1.xml": (stream, 0, 1 << 20)})


def xlsx_bomb_ratio(path: Path) -> None:
    """Under the size limit, but 200 MB from under 1 MB: no real sheet compresses like that."""
    parts = xl.workbook_parts([("数据", xl.sampling_sheet(_rows(1600)))])
    stream, size = xl.repeated_deflate(b"<worksheet><sheetData>", b" " * 64, (200 << 20) // 64,
                                       b"</sheetData></worksheet>")
    xl.write_parts(path, parts, override={"xl/worksheets/sheet1.xml": (stream, 0, size)})


def xlsx_many_parts(path: Path) -> None:
    parts = xl.workbook_parts([("数据", xl.sampling_sheet(_rows(1650)))])
    entries = [(n, xl.deflate(d), zlib.crc32(d), len(d)) for n, d in parts.items()]
    entries += [(f"customXml/item{i}.xml", xl.deflate(b"<a/>"), zlib.crc32(b"<a/>"), 4) for i in range(10_001)]
    xl.write_zip(path, entries)


def xlsx_truncated(path: Path) -> None:
    xl.write_xlsx(path, [("数据", xl.sampling_sheet(_rows(1700)))])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def xlsx_not_a_workbook(path: Path) -> None:
    xl.write_zip(path, [("word/document.xml", xl.deflate(b"<w:document/>"), zlib.crc32(b"<w:document/>"), 13)])


def xlsx_external_links(path: Path, fifo: Path) -> None:
    rows = [xl.row(1, SAMPLING_HEADER)]
    for i, r in enumerate(_rows(1800), start=2):
        cells = [xl.cell(f"{xl.column_letter(j)}{i}", v) for j, v in enumerate(r[:6])]
        cells.append(xl.cell(f"G{i}", "合格", formula="[1]Sheet1!A1"))  # from another workbook: cached value only
        rows.append(f'<row r="{i}">{"".join(cells)}</row>')
    # The linked "workbook" is a FIFO: anything that tried to open it would block until the test times out.
    links = [fifo.as_uri(), "https://example.invalid/secret.xlsx", "\\\\fileserver\\share\\ledger.xlsx"]
    xl.write_xlsx(path, [("数据", xl.worksheet("".join(rows)))], external_links=links)


def xlsx_huge_merges(path: Path) -> None:
    data = _rows(1900)
    for r in data[1:]:
        r[2] = None  # 产品类别 written once, merged down over the data rows
    merges = ["A1:H1", "C3:C12", "H2:H1048576", "A13:Z1048576", "J3:Z1048576"]
    xl.write_xlsx(path, [("数据", xl.sampling_sheet([[c or None for c in r] for r in data], merges=merges))])


def xlsx_date1904(path: Path) -> None:
    serial = (date(2026, 7, 3) - date(1904, 1, 1)).days
    rows = [xl.row(1, SAMPLING_HEADER)]
    for i, r in enumerate(_rows(2000), start=2):
        r[5] = (serial, "2026-07-03", serial)[i % 3]  # a date cell, text, a bare serial number
        style = {5: xl.DATE_STYLE} if i % 3 == 0 else None
        rows.append(xl.row(i, [v or None for v in r], styles=style))
    xl.write_xlsx(path, [("数据", xl.worksheet("".join(rows)))], date1904=True)


def xlsx_million_empty_rows(path: Path) -> None:
    rows = [xl.row(1, SAMPLING_HEADER)] + [xl.row(i, r) for i, r in enumerate(_rows(2100), start=2)]
    rows += [f'<row r="{i}"><c r="A{i}" s="1"/><c r="H{i}" s="1"/></row>' for i in range(12, 1_048_577)]
    xl.write_xlsx(path, [("数据", xl.worksheet("".join(rows)))])


def good(path: Path) -> None:
    write_sampling_csv(path, _rows(5000))


@dataclass(frozen=True)
class Case:
    name: str  # file name in the landing folder
    build: Callable[..., None]  # writes the file at the path it is given
    status: str  # loaded / rejected
    code: str | None = None  # audit.files.reason_code of a rejection
    words: str | None = None  # in the reason a clerk reads
    loaded: int | None = None  # rows that reach raw.product_sampling


CASES = [
    Case("broken_quoting.csv", broken_quoting, "rejected", "malformed_csv", "引号"),
    Case("stray_quotes.csv", stray_quotes, "loaded", loaded=10),
    Case("ragged_rows.csv", ragged_rows, "loaded", loaded=10),
    Case("ten_thousand_columns.csv", ten_thousand_columns, "loaded", loaded=10),
    Case("too_many_columns.csv", too_many_columns, "rejected", "too_many_columns", "16384"),
    Case("one_200mb_line.csv", one_200mb_line, "rejected", "line_too_long", "MB"),
    Case("long_cell.csv", long_cell, "rejected", "cell_too_long", "32767"),
    Case("mixed_encodings.csv", mixed_encodings, "rejected", "mixed_encoding", "第 7 行为 UTF-8"),
    Case("bom_mid_file.csv", bom_mid_file, "loaded", loaded=10),
    Case("utf16.csv", utf16, "loaded", loaded=10),
    Case("nul_bytes.csv", nul_bytes, "loaded", loaded=10),
    Case("all_nul.csv", all_nul, "rejected", "no_header", "表头"),
    Case("emoji_and_controls.csv", emoji_and_controls, "loaded", loaded=10),
    Case("sql_values.csv", sql_values, "loaded", loaded=10),
    Case("repeated_headers.csv", repeated_headers, "loaded", loaded=10),
    Case("same_column_twice.csv", same_column_twice, "loaded", loaded=10),
    Case("nan_inf_text.csv", nan_inf_text, "loaded", loaded=8),
    Case("formulas.xlsx", xlsx_formulas, "loaded", loaded=9),
    Case("bomb_declared.xlsx", xlsx_bomb_declared, "rejected", "zip_bomb", "压缩炸弹"),
    Case("bomb_lying.xlsx", xlsx_bomb_lying, "rejected", "unreadable_xlsx", "declared"),
    Case("bomb_ratio.xlsx", xlsx_bomb_ratio, "rejected", "zip_bomb", "压缩比"),
    Case("many_parts.xlsx", xlsx_many_parts, "rejected", "zip_bomb", "部件"),
    Case("truncated.xlsx", xlsx_truncated, "rejected", "not_xlsx", "损坏"),
    Case("not_a_workbook.xlsx", xlsx_not_a_workbook, "rejected", "unreadable_xlsx", "工作簿"),
    Case("external_links.xlsx", xlsx_external_links, "loaded", loaded=10),
    Case("huge_merges.xlsx", xlsx_huge_merges, "loaded", loaded=10),
    Case("date1904.xlsx", xlsx_date1904, "loaded", loaded=10),
    Case("million_empty_rows.xlsx", xlsx_million_empty_rows, "loaded", loaded=10),
    Case(SQL + ".csv", good, "loaded", loaded=10),
]
CASE_IDS = [c.name for c in CASES]


@dataclass
class Run:
    settings: object
    results: dict[str, object]
    files: dict[str, dict]
    seconds: float

    def query(self, sql: str, params=None) -> list[tuple]:
        con = open_published(self.settings.warehouse)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()

    def values(self, case: str, column: str) -> list:
        return [v for (v,) in self.query(
            f'SELECT r."{column}" FROM raw.{FEED} r JOIN audit.files f ON f.file_id = r._file_id '  # noqa: S608
            "WHERE f.path = ? ORDER BY r._row_number", [f"{FEED}/{case}"])]


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory, gate) -> Run:
    """Every case in one landing folder, one ingest run (a good file first and last)."""
    tmp = tmp_path_factory.mktemp("hostile")
    with pytest.MonkeyPatch.context() as mp:
        settings = use_folder(mp, tmp)
        as_increments(mp)
        folder = settings.landing_dir / FEED
        folder.mkdir(parents=True)
        fifo = tmp / "linked-workbook.fifo"
        os.mkfifo(fifo)
        write_sampling_csv(folder / "first_good.csv", _rows(6000), mtime=1_000)
        for n, case in enumerate(CASES):
            path = folder / case.name
            if case.build is xlsx_external_links:
                case.build(path, fifo)
            else:
                case.build(path)
            os.utime(path, (2_000 + n, 2_000 + n))
        write_sampling_csv(folder / "last_good.csv", _rows(7000), mtime=9_000)
        started = time.perf_counter()
        results = ingest_feed(FEED, run_id="hostile", settings=settings, gate=gate)
        seconds = time.perf_counter() - started
        run = Run(settings, {r.path.removeprefix(f"{FEED}/"): r for r in results}, {}, seconds)
        cols = ["path", "status", "reason", "reason_code", "rows_read", "rows_loaded", "rows_held", "rows_rejected",
                "duplicates_dropped", "sha256", "size_bytes"]
        for row in run.query(f"SELECT {', '.join(cols)} FROM audit.files"):  # noqa: S608
            run.files[row[0].removeprefix(f"{FEED}/")] = dict(zip(cols, row, strict=True))
        return run


def test_the_run_survives_every_hostile_file(hostile_run):
    """No file crashes the run: the good files before and after all load, every case has its audit row."""
    assert hostile_run.files["first_good.csv"]["status"] == "loaded"
    assert hostile_run.files["last_good.csv"]["status"] == "loaded"
    assert set(CASE_IDS) <= set(hostile_run.files)
    assert hostile_run.seconds < 120, hostile_run.seconds
    for name, f in hostile_run.files.items():  # nothing lost, for every file
        assert f["rows_read"] == f["rows_loaded"] + f["rows_rejected"] + f["duplicates_dropped"] + f["rows_held"], name
        if f["status"] == "rejected" and f["rows_read"] == 0:
            assert " / " in f["reason"], name  # a reason in Chinese and English


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_hostile_file_outcome(hostile_run, case):
    f = hostile_run.files[case.name]
    assert f["status"] == case.status, f["reason"]
    if case.code:
        assert f["reason_code"] == case.code, f["reason"]
        assert case.words in f["reason"], f["reason"]
    if case.loaded is not None:
        assert f["rows_loaded"] == case.loaded, f
        assert len(hostile_run.values(case.name, "sample_no")) == case.loaded
    path = hostile_run.settings.landing_dir / FEED / case.name
    assert f["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


# --- what reached the warehouse, case by case ---------------------------------------------------


def test_stray_quotes_and_quoted_breaks_are_text(hostile_run):
    assert hostile_run.values("stray_quotes.csv", "product_name")[:2] == ['a"b', "插座头"]
    assert hostile_run.values("stray_quotes.csv", "inspected_unit")[2:4] == ["企业, 有限公司", "第一行 第二行"]


def test_ragged_rows_keep_their_extra_values(hostile_run):
    extra = hostile_run.values("ragged_rows.csv", "_extra")
    assert json.loads(extra[2]) == {"列9": "多出来的值", "列10": "又一个"}
    assert hostile_run.values("ragged_rows.csv", "failed_items")[4] is None


def test_ten_thousand_columns_fold_into_extra(hostile_run):
    extra = json.loads(hostile_run.values("ten_thousand_columns.csv", "_extra")[0])
    assert len(extra) == 10 and extra["附加列0"] == "v0" and extra["附加列9000"] == "v9000"


def test_bom_mid_file_is_a_repeated_header(hostile_run):
    assert hostile_run.values("bom_mid_file.csv", "sample_no") == [f"S{700 + i:05d}" for i in range(10)]
    assert hostile_run.query("SELECT details->>'$.skipped.repeated_header' FROM audit.files WHERE path LIKE "
                             "'%bom_mid_file.csv'") == [("1",)]


def test_nul_and_control_characters_are_dropped_emoji_kept(hostile_run):
    assert hostile_run.values("nul_bytes.csv", "product_name")[0] == "插座"
    assert hostile_run.values("nul_bytes.csv", "inspected_unit")[1] == "企业"
    names = hostile_run.values("emoji_and_controls.csv", "product_name")
    units = hostile_run.values("emoji_and_controls.csv", "inspected_unit")
    assert names[0] == "插座🔌" and names[2] == "👨\u200d👩\u200d👧 家用".replace("\u200d", "")
    assert units[1] == "企业[31m红"  # BEL, ESC and DEL gone; the text stays
    assert units[3] == "反向企业"  # bidi overrides would make the name display as something else


def test_sql_looking_values_load_as_text_and_the_tables_survive(hostile_run):
    assert hostile_run.values("sql_values.csv", "product_name")[0] == SQL
    assert hostile_run.values("sql_values.csv", "inspected_unit")[1] == "Robert'); DROP TABLE audit.files;--"
    assert hostile_run.values("sql_values.csv", "product_name")[2] == "=cmd|' /C calc'!A0"
    assert hostile_run.query(f"SELECT count(*) FROM raw.{FEED}")[0][0] > 100  # noqa: S608
    assert hostile_run.files[SQL + ".csv"]["status"] == "loaded"  # a file named like SQL is just a name


def test_formula_looking_text_is_never_exported_as_a_formula():
    """What loads as `=…` stays text when the report writes it out again."""
    from openpyxl import Workbook

    from quality_pipeline.report.workbook import put

    cell = Workbook().active["A1"]
    put(cell, "=cmd|' /C calc'!A0")
    assert cell.data_type == "s" and cell.quotePrefix


def test_repeated_headers_are_skipped_and_counted(hostile_run):
    assert hostile_run.values("repeated_headers.csv", "sample_no") == [f"S{1100 + i:05d}" for i in range(10)]
    skipped = hostile_run.query("SELECT details FROM audit.files WHERE path LIKE '%repeated_headers.csv'")[0][0]
    assert json.loads(skipped)["skipped"] == {"repeated_header": 2}


def test_same_column_twice_first_wins_the_rest_kept(hostile_run):
    assert hostile_run.values("same_column_twice.csv", "sample_no")[0] == "S01200"
    extra = json.loads(hostile_run.values("same_column_twice.csv", "_extra")[0])
    assert extra == {"sample_no#9": "XS01200", "备注": "甲", "备注#11": "乙"}


def test_nan_inf_and_minus_zero_strings(hostile_run):
    quarantined = hostile_run.query(
        "SELECT row_number, \"column\", rule FROM audit.quarantine WHERE path LIKE '%nan_inf_text.csv' ORDER BY 1")
    assert quarantined == [(2, "product_name", "required"), (5, "sampling_date", "type")]
    assert hostile_run.values("nan_inf_text.csv", "product_name")[:2] == ["Inf", "-0"]  # text stays text


def test_formulas_are_cached_values_never_evaluated(hostile_run):
    assert hostile_run.values("formulas.xlsx", "conclusion") == ["合格"] * 9
    extras = [json.loads(e) for e in hostile_run.values("formulas.xlsx", "_extra")]
    assert {e["备注"] for e in extras} == {3}  # 1+1 cached as 3: what Excel saved, not what the formula says
    assert all("错误值" not in e for e in extras)  # #DIV/0! is no value
    assert hostile_run.values("formulas.xlsx", "inspected_unit")[0] == '=HYPERLINK("http://example.invalid","点我")'
    rejected = hostile_run.query("SELECT row_number, \"column\" FROM audit.quarantine WHERE path LIKE '%formulas.xlsx'")
    assert rejected == [(2, "product_name")]  # the uncached formula is an empty cell: required value missing


def test_external_links_are_never_followed(hostile_run):
    assert hostile_run.values("external_links.xlsx", "conclusion") == ["合格"] * 10


def test_huge_merges_fill_data_but_never_the_header(hostile_run):
    assert hostile_run.values("huge_merges.xlsx", "product_category") == ["电工"] * 10
    assert hostile_run.values("huge_merges.xlsx", "failed_items") == [None] * 10


def test_1904_date_system(hostile_run):
    assert hostile_run.values("date1904.xlsx", "sampling_date") == [date(2026, 7, 3)] * 10


# --- bounded time and memory: one file read alone in a child process -----------------------------

_PROBE = """
import json, sys, time
from pathlib import Path
from quality_pipeline.feeds import load_feed
from quality_pipeline.parsing.errors import ExtractRejected
from quality_pipeline.parsing.reader import read_extract

def peak_mb():  # VmHWM: unlike ru_maxrss, not inherited from the (big) pytest process that forked us
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024

feed = load_feed(sys.argv[2])
base = peak_mb()
t = time.perf_counter()
try:
    raw = read_extract(Path(sys.argv[1]), feed)
    out = {"status": "read", "rows": raw.rows_read}
except ExtractRejected as exc:
    out = {"status": "rejected", "code": exc.code}
out.update(seconds=time.perf_counter() - t, base_mb=base, peak_mb=peak_mb())
print(json.dumps(out))
"""


def _probe(path: Path, feed: str = FEED) -> dict:
    done = subprocess.run([sys.executable, "-c", _PROBE, str(path), feed], capture_output=True, text=True,
                          timeout=60, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("build", "status", "seconds", "extra_mb"),
    [
        (one_200mb_line, "rejected", 5, 100),
        (xlsx_bomb_declared, "rejected", 2, 50),
        (xlsx_bomb_lying, "rejected", 2, 50),
        (xlsx_bomb_ratio, "rejected", 2, 50),
        (ten_thousand_columns, "read", 15, 400),
        (xlsx_million_empty_rows, "read", 15, 400),
        (xlsx_huge_merges, "read", 3, 100),
    ],
    ids=lambda v: v.__name__ if callable(v) else None,
)
def test_bounded_time_and_memory(tmp_path, build, status, seconds, extra_mb):
    suffix = ".xlsx" if build.__name__.startswith("xlsx") else ".csv"
    path = tmp_path / f"case{suffix}"
    build(path)
    out = _probe(path)
    assert out["status"] == status, out
    assert out["seconds"] < seconds, out
    assert out["peak_mb"] - out["base_mb"] < extra_mb, out


# --- reader-level cases ------------------------------------------------------------------------


def test_unclosed_quote_in_the_title_rows_fails_fast(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text('"金平区抽检结果,,,\n' + HEADER_LINE + "\n" + "\n".join(_lines(_rows(1, 20_000))) + "\n")
    with pytest.raises(ExtractRejected) as err:
        read_extract(path, SAMPLING)
    assert err.value.code in ("malformed_csv", "no_header")


def test_a_utf8_file_with_one_gbk_line_names_both_lines(tmp_path):
    path = tmp_path / "m.csv"
    body = ("\n".join([HEADER_LINE, *_lines(_rows(1, 5))]) + "\n").encode()
    path.write_bytes(body + ",".join(sampling_row(9, product="电源插座")).encode("gb18030") + b"\n")
    with pytest.raises(ExtractRejected) as err:
        read_extract(path, SAMPLING)
    assert err.value.code == "mixed_encoding"
    assert "第 7 行不是 UTF-8" in err.value.zh


def test_a_gbk_file_is_not_mistaken_for_mixed(tmp_path):
    path = tmp_path / "g.csv"
    _write(path, [HEADER_LINE, *_lines(_rows(1, 2_000, product="电源插座转换器"))], encoding="gb18030")
    assert read_extract(path, SAMPLING).encoding == "gb18030"


# --- a file that grows while it is read -------------------------------------------------------------


class _Appender(threading.Thread):
    """Appends whole sampling rows to a file, one write() per batch of rows, until stopped."""

    def __init__(self, path: Path, start: int):
        super().__init__(daemon=True)
        self.path, self.n, self.stop = path, start, threading.Event()

    def run(self) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        try:
            while not self.stop.is_set():
                rows = "".join(",".join(sampling_row(self.n + i)) + "\n" for i in range(50))
                os.write(fd, rows.encode())
                self.n += 50
                time.sleep(0.001)
        finally:
            os.close(fd)


def test_a_snapshot_is_the_bytes_it_hashed_even_while_the_file_grows(tmp_path):
    path = write_sampling_csv(tmp_path / "growing.csv", _rows(0, 300_000))
    writer = _Appender(path, 300_000)
    writer.start()
    outcomes = []
    try:
        for _ in range(20):
            info = path.stat()
            cand = Candidate(path, "growing.csv", info.st_size, info.st_mtime)
            try:
                with take_snapshot(cand, tmp_path / "snapshots") as snap:
                    data = snap.path.read_bytes()
                    assert hashlib.sha256(data).hexdigest() == snap.sha256 and len(data) == snap.size
                    outcomes.append(("copied", data))
            except FileChanged:
                outcomes.append(("changed", None))
    finally:
        writer.stop.set()
        writer.join()
    final = path.read_bytes()
    for kind, data in outcomes:
        if kind == "copied":
            assert final.startswith(data) and data.endswith(b"\n")  # a consistent prefix, whole rows
    assert any(kind == "changed" for kind, _ in outcomes)  # the growth was seen
    assert not list((tmp_path / "snapshots").iterdir())  # nothing left behind


def test_a_snapshot_never_follows_a_symlink_swapped_in(tmp_path):
    target = tmp_path / "outside.csv"
    write_sampling_csv(target, _rows(0))
    link = tmp_path / "landing.csv"
    link.symlink_to(target)
    with pytest.raises(OSError):
        take_snapshot(Candidate(link, "landing.csv", 0, 0), tmp_path)


@pytest.mark.timeout(120)
def test_a_file_growing_during_ingest_is_read_consistently(quality_env, gate):
    """The sha256 recorded is that of the bytes parsed: either the file is left for the next run, or its
    audit row matches a prefix of the final file exactly; the next run loads the whole file."""
    s = quality_env
    folder = s.landing_dir / FEED
    write_sampling_csv(folder / "other.csv", _rows(90_000), mtime=1_000)
    path = write_sampling_csv(folder / "growing.csv", _rows(0, 30_000), mtime=2_000)
    writer = _Appender(path, 30_000)
    writer.start()
    try:
        first = {r.path: r for r in ingest_feed(FEED, run_id="r1", settings=s, gate=gate)}
    finally:
        writer.stop.set()
        writer.join()
    assert first[f"{FEED}/other.csv"].status == "loaded"
    final = path.read_bytes()
    con = open_published(s.warehouse)
    rows = con.execute("SELECT sha256, size_bytes, rows_read FROM audit.files WHERE path = ?",
                       [f"{FEED}/growing.csv"]).fetchall()
    con.close()
    for sha, size, rows_read in rows:
        assert hashlib.sha256(final[:size]).hexdigest() == sha
        assert rows_read == final[:size].count(b"\n") - 1
    second = {r.path: r for r in ingest_feed(FEED, run_id="r2", settings=s, gate=gate)}
    done = second[f"{FEED}/growing.csv"]
    assert done.status == "loaded" and done.rows_read == final.count(b"\n") - 1


def test_a_file_removed_after_discovery_does_not_stop_the_run(quality_env, gate, monkeypatch):
    from quality_pipeline.loading import ingest

    s = quality_env
    write_sampling_csv(s.landing_dir / FEED / "a_gone.csv", _rows(0), mtime=1_000)
    write_sampling_csv(s.landing_dir / FEED / "b_stays.csv", _rows(100), mtime=2_000)
    real = ingest.discover

    def discover_then_remove(*args):
        found = real(*args)
        (s.landing_dir / FEED / "a_gone.csv").unlink()
        return found

    monkeypatch.setattr(ingest, "discover", discover_then_remove)
    results = {r.path: r.status for r in ingest_feed(FEED, run_id="r1", settings=s, gate=gate)}
    assert results == {f"{FEED}/b_stays.csv": "loaded"}


# --- values in other feeds ---------------------------------------------------------------------------


def test_nan_inf_minus_zero_in_money_columns(quality_env, gate):
    header = "案件编号,立案日期,违法行为类型,当事人名称,罚款金额,货值金额"
    good_rows = [f"C{i:03d},2026-07-01,其他,甲公司{i},100,200" for i in range(10)]
    hostile = ["C100,2026-07-01,其他,乙公司,-0,NaN", "C101,2026-07-01,其他,丙公司,Inf,1", "C102,2026-07-01,其他,丁公司,1e309,1"]
    path = quality_env.landing_dir / "enforcement" / "cases" / "cases.csv"
    path.parent.mkdir(parents=True)
    _write(path, [header, *good_rows, *hostile])
    (result,) = ingest_feed("enforcement_cases", run_id="r1", settings=quality_env, gate=gate)
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_rejected) == ("loaded", 13, 11, 2)
    con = open_published(quality_env.warehouse)
    try:
        assert con.execute("SELECT fine, goods_value FROM raw.enforcement_cases WHERE case_no = 'C100'").fetchall() == [
            (0, None)]  # -0 is zero (never a negative zero), NaN is a null spelling
        assert sorted(con.execute("SELECT key, rule FROM audit.quarantine").fetchall()) == [
            ("C101", "type"), ("C102", "type")]  # Inf and a number that overflows to inf are not amounts
    finally:
        con.close()


# --- path safety ---------------------------------------------------------------------------------------------

NAMES = [
    "with spaces .csv",
    "2026年第三季度抽检结果汇总.csv",
    "a..b.csv",
    "-rf.csv",
    "--help.csv",
    "line\nbreak.csv",
    ("长" * 82) + ".csv",  # 250 bytes of UTF-8
    "foo..bar/inside.csv",
]


def test_odd_file_names_are_just_names(quality_env, gate):
    folder = quality_env.landing_dir / FEED
    for n, name in enumerate(NAMES):
        write_sampling_csv(folder / name, _rows(1000 * (n + 1)), mtime=1_000 + n)
    assert len(NAMES[6].encode()) == 250
    results = {r.path: r for r in ingest_feed(FEED, run_id="r1", settings=quality_env, gate=gate)}
    assert {p: r.status for p, r in results.items()} == {f"{FEED}/{n}": "loaded" for n in NAMES}
    assert all(r.rows_loaded == 10 for r in results.values())


def test_hidden_folders_like_dotdot_foo_are_left_alone(quality_env, gate):
    folder = quality_env.landing_dir / FEED
    write_sampling_csv(folder / "..foo" / "x.csv", _rows(0))
    write_sampling_csv(folder / ".." / "escaped.csv", _rows(100))  # the feed folder's parent: never read
    write_sampling_csv(folder / "ok.csv", _rows(200))
    results = {r.path: r.status for r in ingest_feed(FEED, run_id="r1", settings=quality_env, gate=gate)}
    assert results == {f"{FEED}/ok.csv": "loaded"}
    first = feed_names()[0]  # a file at the landing root is outside the feed folders: the first feed records it
    assert {r.path: r.status for r in ingest_feed(first, run_id="r1", settings=quality_env, gate=gate)} == {
        "escaped.csv": "ignored"}


@pytest.mark.timeout(60)
def test_symlinks_and_pipes_are_refused_never_followed(quality_env, gate, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = write_sampling_csv(outside / "secret.csv", _rows(0))
    fifo = outside / "pipe.csv"
    os.mkfifo(fifo)  # following a link to it, or opening it, would block: the test would time out
    folder = quality_env.landing_dir / FEED
    folder.mkdir(parents=True)
    (folder / "link.csv").symlink_to(secret)
    (folder / "link_to_pipe.csv").symlink_to(fifo)
    (folder / "linked_dir").symlink_to(outside, target_is_directory=True)
    os.mkfifo(folder / "pipe.csv")
    write_sampling_csv(folder / "ok.csv", _rows(100))
    results = {r.path: r for r in ingest_feed(FEED, run_id="r1", settings=quality_env, gate=gate)}
    assert {p: r.status for p, r in results.items()} == {
        f"{FEED}/link.csv": "rejected", f"{FEED}/link_to_pipe.csv": "rejected", f"{FEED}/linked_dir": "rejected",
        f"{FEED}/pipe.csv": "rejected", f"{FEED}/ok.csv": "loaded"}
    assert "符号链接" in results[f"{FEED}/link.csv"].reason and "symbolic" in results[f"{FEED}/link.csv"].reason
    assert "regular file" in results[f"{FEED}/pipe.csv"].reason
    again = ingest_feed(FEED, run_id="r2", settings=quality_env, gate=gate)
    assert again == []  # a refusal is reported once, not every night


def test_a_name_that_is_not_utf8_loads_with_an_escaped_name(quality_env, gate):
    folder = quality_env.landing_dir / FEED
    folder.mkdir(parents=True)
    raw_name = "抽检结果".encode("gb18030") + b".csv"  # unzipped from a GBK archive
    data = ("\n".join([HEADER_LINE, *_lines(_rows(0))]) + "\n").encode()
    with open(os.path.join(os.fsencode(folder), raw_name), "wb") as fh:
        fh.write(data)
    (result,) = ingest_feed(FEED, run_id="r1", settings=quality_env, gate=gate)
    assert result.status == "loaded" and result.rows_loaded == 10
    assert result.path == f"{FEED}/" + raw_name.decode("utf-8", "backslashreplace")

