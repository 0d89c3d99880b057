"""The quarterly report from a real warehouse: demo extracts → ingest → indicators → HTML + XLSX.

The page is rendered in headless Chromium: every chart must hold one SVG mark per value it plots and the
console must stay silent. A sabotaged copy of the page proves the check can fail. The screenshot is kept
under test-artifacts/.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import zipfile
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pytest

from quality_pipeline.report import build_report, build_reports
from quality_pipeline.report.__main__ import main as report_cli
from quality_pipeline.report.charts import expected_marks
from tests.support.demo import copy_demo, use_folder

HOSTILE_NAMES = [
    '=HYPERLINK("http://x","y")',
    "<img src=x onerror=alert(1)>",
    "</script><script>alert(2)</script>",
    "@SUM(1+1)",
]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000"]
# Chromium logs every console message (log, warning, error, uncaught exception, CSP violation) the same way:
# `[pid:tid:time:INFO:CONSOLE:12] "message", source: file:///… (12)` — older builds print `CONSOLE(12)`.
CONSOLE_LINE = re.compile(r":CONSOLE[:(]")
TODAY = date(2026, 12, 1)  # the day the reports judge quarter status and the year's pace from


@pytest.fixture(scope="module")
def warehouse(demo, tmp_path_factory):
    """A copy of the session's demo warehouse (3 quarters up to 2026Q3) with hostile project names added."""
    from quality_pipeline.feeds import load_feed
    from quality_pipeline.loading import current
    from quality_pipeline.warehouse.writer import write_session

    root = copy_demo(demo, tmp_path_factory.mktemp("report") / "demo")
    with pytest.MonkeyPatch.context() as mp:
        settings = use_folder(mp, root)
        with write_session(settings) as con:
            projects = [r[0] for r in con.execute(
                "SELECT DISTINCT project_no FROM core.remediation_projects ORDER BY project_no").fetchall()]
            assert len(projects) >= len(HOSTILE_NAMES)
            for project, name in zip(projects, HOSTILE_NAMES, strict=False):
                con.execute(
                    "INSERT INTO raw.remediation_projects BY NAME "
                    "SELECT * REPLACE (? AS water_body, _delivery_seq + 1000000 AS _delivery_seq) "
                    "FROM core.remediation_projects WHERE project_no = ? "
                    "QUALIFY row_number() OVER (ORDER BY report_month DESC) = 1", [name, project])
            current.rebuild(con, load_feed("remediation_projects"))  # rows written around a publish
        yield settings


@pytest.fixture(scope="module")
def reports(warehouse):
    return {p.quarter: p for p in build_reports(None, warehouse, today=TODAY)}


@pytest.fixture(scope="module")
def latest(reports):
    return reports[max(reports)]


def _district_rows(settings, quarter: str) -> dict[str, tuple]:
    from quality_pipeline.warehouse.writer import read_only

    con = read_only(settings)
    try:
        rows = con.execute("SELECT indicator, value, target, target_met FROM marts.quarterly_indicators "
                           "WHERE quarter = ? AND scope = 'district'", [quarter]).fetchall()
    finally:
        con.close()
    return {r[0]: r[1:] for r in rows}


def _charts(html: str) -> list[dict]:
    match = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.S)
    assert match, "no embedded chart data"
    return json.loads(match.group(1))["charts"]


# --- files and contents ---------------------------------------------------------------------------


def test_every_quarter_gets_a_page_and_a_workbook_under_the_reports_dir(warehouse, reports):
    assert len(reports) == 3
    for quarter, paths in reports.items():
        assert paths.html == warehouse.reports_dir / quarter / "report.html"
        assert paths.xlsx == warehouse.reports_dir / quarter / "report.xlsx"
        assert paths.html.stat().st_size > 10_000 and paths.xlsx.stat().st_size > 5_000


def test_the_default_quarter_is_the_latest_and_the_page_says_what_it_is(warehouse, latest):
    assert build_report(None, warehouse, today=TODAY) == latest
    html = latest.html.read_text(encoding="utf-8")
    # the warehouse holds the demo generator's files, so the title says they are sample data
    assert "<h1>金平区 2026年第三季度 质量强区指标报告（示例数据）</h1>" in html
    district = _district_rows(warehouse, latest.quarter)
    table = html.split('<section id="table-district">')[1].split("</section>")[0]
    for indicator, (_value, _target, met) in district.items():
        row = re.search(rf'<tr><td>[^<]+<span class="code">{indicator}</span></td>.*?</tr>', table)
        assert row, indicator
        if met is not None:
            assert ("达标 ✓" in row.group(0)) == bool(met) and ("未达标" in row.group(0)) == (not met)
    assert html.count('class="kpi ') == 8


def test_every_value_is_escaped_and_nothing_is_fetched(latest):
    html = latest.html.read_text(encoding="utf-8")
    assert "<img src=x" not in html and "<script>alert" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert html.count("</script>") == 2  # the data block and the drawing script, nothing smuggled in
    assert not re.search(r"""<[a-z][^>]*\s(?:src|href)\s*=\s*(?!["']?#)""", html), "a reference to fetch"
    assert '<meta http-equiv="Content-Security-Policy" content="default-src &#x27;none&#x27;;' in html


def test_reports_are_byte_for_byte_reproducible(warehouse, latest):
    before = latest.html.read_bytes(), latest.xlsx.read_bytes()
    again = build_report(latest.quarter, warehouse, today=TODAY)
    assert (again.html.read_bytes(), again.xlsx.read_bytes()) == before


def test_the_workbook_never_holds_a_formula_and_keeps_hostile_names_as_text(latest):
    wb = openpyxl.load_workbook(latest.xlsx)
    assert wb.sheetnames[:4] == ["说明", "全区指标", "年度累计", "抽检合格率"]
    assert "整治项目进度" in wb.sheetnames and "街道分项" in wb.sheetnames
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    water_bodies = {c.value: c for c in wb["整治项目进度"]["B"][2:]}
    for name in HOSTILE_NAMES:
        assert water_bodies[name].data_type == "s", name
    assert water_bodies['=HYPERLINK("http://x","y")'].quotePrefix
    assert [c.value for c in wb["全区指标"][1]][:3] == ["指标", "指标代码", "数值"]
    with zipfile.ZipFile(latest.xlsx) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert not re.search(rb"<f[ >]", archive.read(name)), name


def test_the_year_section_accumulates_to_the_annual_figures(warehouse, latest):
    from quality_pipeline.warehouse.writer import read_only

    con = read_only(warehouse)
    try:
        year = {r[0]: r[1:] for r in con.execute(
            "SELECT indicator, value, target, through_quarter FROM marts.annual_indicators "
            "WHERE year = 2026 AND scope = 'district'").fetchall()}
    finally:
        con.close()
    charts = {c["id"]: c for c in _charts(latest.html.read_text(encoding="utf-8"))}
    person_times, pass_rate = charts["year_person_times"], charts["year_pass_rate"]
    assert person_times["categories"] == ["至 2026 Q1", "至 2026 Q2", "至 2026 Q3"]
    assert person_times["values"][-1] == year["enforcement_inspection_person_times"][0]
    assert person_times["values"] == sorted(person_times["values"])  # a running total
    assert person_times["target"]["value"] == 4000
    # the pace line: 4,000 pro-rated to the end of each quarter (90, 181 and 273 of 365 days)
    assert person_times["pace"] == pytest.approx([4000 * d / 365 for d in (90, 181, 273)])
    assert pass_rate["values"][-1] == pytest.approx(year["sampling_pass_rate"][0], abs=1e-3)
    assert pass_rate["target"]["value"] == 93
    wb = openpyxl.load_workbook(latest.xlsx)
    rows = {r[1]: r for r in wb["年度累计"].iter_rows(min_row=3, values_only=True) if r[1]}
    assert rows["enforcement_inspection_person_times"][2] == year["enforcement_inspection_person_times"][0]
    assert rows["enforcement_inspection_person_times"][7] == pytest.approx(4000 * 273 / 365)


def test_cli_prints_the_paths(warehouse, latest, capsys, monkeypatch):
    monkeypatch.setenv("QUALITY_WAREHOUSE", str(warehouse.warehouse))
    monkeypatch.setenv("QUALITY_REPORTS_DIR", str(warehouse.reports_dir))
    assert report_cli(["--quarter", latest.quarter]) == 0
    printed = capsys.readouterr().out.split()
    assert printed == [latest.quarter, str(latest.html), latest.quarter, str(latest.xlsx)]
    assert report_cli(["--quarter", "2031Q1"]) == 1
    assert "no indicators for 2031Q1" in capsys.readouterr().err
    with pytest.raises(ValueError, match="quarter code"):
        build_report("2026Q5", warehouse)


# --- in the browser -------------------------------------------------------------------------------


class _ChartMarks(HTMLParser):
    """Counts, inside each element with data-chart, the <svg> elements and the elements of class `mark`."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
            "wbr"}

    def __init__(self):
        super().__init__()
        self.charts: dict[str, dict[str, int]] = {}
        self.drawn_attr: str | None = None
        self._open: list[tuple[str, int]] = []  # (chart id, depth at which it opened)
        self._depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.drawn_attr = attrs.get("data-charts-drawn")
        if "data-chart" in attrs:
            self._open.append((attrs["data-chart"], self._depth))
            self.charts[attrs["data-chart"]] = {"svg": 0, "marks": 0}
        if self._open:
            counts = self.charts[self._open[-1][0]]
            counts["svg"] += tag == "svg"
            counts["marks"] += "mark" in (attrs.get("class") or "").split()
        if tag not in self.VOID:
            self._depth += 1

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self._depth -= 1

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        self._depth -= 1
        if self._open and self._open[-1][1] == self._depth:
            self._open.pop()


def _chromium(page: Path, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"chromium-profile-{len(list(tmp_path.glob('chromium-profile-*')))}"
    return subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()],
                          capture_output=True, text=True, timeout=120)


def browser_problems(page: Path, tmp_path: Path) -> list[str]:
    """Render the page; list every chart not fully drawn and every console message (there should be none)."""
    done = _chromium(page, tmp_path, "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    marks = _ChartMarks()
    marks.feed(done.stdout)
    problems = [f"console: {line.strip()}" for line in done.stderr.splitlines() if CONSOLE_LINE.search(line)]
    charts = _charts(page.read_text(encoding="utf-8"))
    for chart in charts:
        drawn = marks.charts.get(chart["id"])
        want = max(expected_marks(chart), 1)
        if drawn is None:
            problems.append(f"chart {chart['id']}: no container in the DOM")
        elif drawn["svg"] < 1 or drawn["marks"] < want:
            problems.append(f"chart {chart['id']}: {drawn['svg']} svg, {drawn['marks']} marks, want ≥ {want}")
    if marks.drawn_attr != str(len(charts)):
        problems.append(f"data-charts-drawn={marks.drawn_attr!r}, want {len(charts)}")
    return problems


@pytest.fixture(autouse=False)
def _chromium_present():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is not installed: run `make browser` (make test does)")


needs_chromium = pytest.mark.usefixtures("_chromium_present")


@needs_chromium
def test_every_chart_is_drawn_and_the_console_is_silent(latest, artifacts, tmp_path):
    assert browser_problems(latest.html, tmp_path) == []
    shot = artifacts / f"report-{latest.quarter}.png"
    shot.unlink(missing_ok=True)
    done = _chromium(latest.html, tmp_path, f"--screenshot={shot}", "--window-size=1280,3000")
    assert done.returncode == 0 and shot.stat().st_size > 50_000, done.stderr[-2000:]


@needs_chromium
def test_the_browser_check_catches_an_empty_chart_a_script_error_and_a_fetch(latest, tmp_path):
    html = latest.html.read_text(encoding="utf-8")
    charts = _charts(html)
    emptied = [dict(c, values=[None] * len(c["values"])) if c["id"] == "index" else c for c in charts]
    data = json.dumps({"charts": emptied}, ensure_ascii=False).replace("<", "\\u003c")
    html = re.sub(r'(<script type="application/json" id="report-data">).*?(</script>)',
                  lambda m: m.group(1) + data + m.group(2), html, count=1, flags=re.S)
    html = html.replace("</body>", '<script>window.notAFunction();</script><img src="https://example.invalid/x.png">'
                                   "</body>")
    broken = tmp_path / "broken.html"
    broken.write_text(html, encoding="utf-8")
    problems = browser_problems(broken, tmp_path)
    assert any(p.startswith("chart index: ") for p in problems), problems
    assert any("notAFunction" in p for p in problems), problems
    assert any("Content Security Policy" in p for p in problems), problems
    assert not any(p.startswith("chart pass_rate") for p in problems), problems
