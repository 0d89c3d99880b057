"""The quarterly report: an HTML page with charts and an XLSX workbook per quarter, under QUALITY_REPORTS_DIR.

`build_report(quarter=None)` writes `<reports dir>/<quarter>/report.html` and `report.xlsx` from the
published warehouse (read-only); `build_reports(quarters=None)` does it for several (default: all).
"""

from quality_pipeline.report.build import ReportPaths, build_report, build_reports

__all__ = ["ReportPaths", "build_report", "build_reports"]
