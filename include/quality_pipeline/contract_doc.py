"""Keep the column tables of `docs/extracts.md` generated from the feed declarations.

The prose of the contract is written by hand; the part between the two markers (each feed's
columns, aliases, units and rules) is rendered from `feeds/*.yaml` and `feeds/units.yaml`, so the
document cannot drift from what the pipeline does. `python -m quality_pipeline.contract_doc`
rewrites it; `--check` exits 1 when the committed file is stale.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from quality_pipeline.feeds import PERIOD_SNAPSHOT, Column, Feed, all_feeds, unit_families
from quality_pipeline.settings import PROJECT_ROOT
from quality_pipeline.validation import never_falls

CONTRACT_FILE = PROJECT_ROOT / "docs" / "extracts.md"
BEGIN = "<!-- columns: generated from feeds/*.yaml by `make docs`; do not edit by hand -->"
END = "<!-- end of generated columns -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _units(col: Column) -> str:
    if not col.units:
        return ""
    family = unit_families()[col.units]
    scales = ", ".join(f"{u} ×{s:g}" for u, s in family.scales.items())
    return f"{scales} (default {family.default})"


def _rules(feed: Feed, col: Column) -> str:
    out = []
    if col.name in feed.key:
        out.append("key")
    if col.allowed:
        out.append(("any of " if col.type == "text_list" else "one of ") + " / ".join(col.allowed))
    if col.mapping:
        out.append("; ".join(f"`{k}` means {v}" for k, v in col.mapping.items()))
    if col.min is not None or col.max is not None:
        low = "" if col.min is None else f"{'>' if col.strict_min else '≥'} {col.min:g}"
        high = "" if col.max is None else f"≤ {col.max:g}"
        out.append(", ".join(p for p in (low, high) if p))
    if col.type in ("date", "month"):
        out.append("in the date window" + (" (planned: up to plan_years ahead)" if col.planned else ""))
    if col.not_future:
        out.append("not in the future")
    if col.not_before:
        out.append(f"≥ {col.not_before} (flag)")
    if col.at_most_times:
        out.append(f"≤ {col.at_most_times['factor']:g} × {col.at_most_times['column']}")
    if col.required_when:
        out.append(f"required when {col.required_when['column']} is {col.required_when['equals']} (flag)")
    if col.never_falls:
        out.append(never_falls.DESCRIPTION)
    if col.type == "uscc":
        out.append("check character (flag)")
    if col.type == "street":
        out.append("a street of the region (else flag)")
    return "; ".join(out)


def _delivery(feed: Feed) -> str:
    """The feed's delivery semantics in one sentence (see "Deliveries: increments and period snapshots")."""
    if feed.delivery == PERIOD_SNAPSHOT:
        return (f"Delivery: **period snapshot** by the {feed.period} of {feed.event_date} (a file restates each "
                f"{feed.period} it has rows of, whole).")
    return "Delivery: **increment** (a file adds rows; a row restates its own key only)."


def render_columns() -> str:
    lines = []
    for feed in all_feeds():
        lines += [f"### {feed.name} — {feed.title_zh} (`{feed.folder}/`)", "",
                  f"One row is {feed.grain}; key: {', '.join(feed.key)}. {_delivery(feed)}", "",
                  "| column | type | header | aliases | units | rules |", "|---|---|---|---|---|---|"]
        for col in feed.columns:
            kind = col.type + (", req" if col.required else "")
            lines.append(f"| {col.name} | {kind} | {_cell(col.header)} | {_cell(', '.join(col.aliases))} "
                         f"| {_cell(_units(col))} | {_cell(_rules(feed, col))} |")
        lines.append("")
    return "\n".join(lines)


def rendered(current: str) -> str:
    """`current` with the text between the markers replaced by freshly rendered tables."""
    head, rest = current.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n\n{render_columns()}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m quality_pipeline.contract_doc", description=__doc__)
    parser.add_argument("--file", type=Path, default=CONTRACT_FILE)
    parser.add_argument("--check", action="store_true", help="exit 1 if the tables differ from the declarations")
    args = parser.parse_args(argv)
    current = args.file.read_text(encoding="utf-8")
    text = rendered(current)
    if args.check:
        if current != text:
            print(f"{args.file} is stale: run `make docs`", file=sys.stderr)
            return 1
        return 0
    args.file.write_text(text, encoding="utf-8")
    print(args.file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
