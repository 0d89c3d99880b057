"""The quality-competitiveness index: a weighted mean of part scores, all read from `quality_index.yaml`."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml


def load_index_config(path: Path) -> dict:
    config = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    for name, part in config["parts"].items():
        if part["direction"] not in ("higher", "lower"):
            raise ValueError(f"index part {name}: direction must be higher or lower")
        if part["weight"] <= 0:
            raise ValueError(f"index part {name}: weight must be positive")
    return config


def part_score(x: float, part: dict, n_streets: int, scope: str, scale: float = 1.0) -> float:
    """The part's score; `scale` multiplies the floor, target and ceiling of a part that accumulates
    (a year to date is judged against as many quarters' worth as have elapsed)."""
    scale = scale if part.get("accumulates") else 1.0
    if part["direction"] == "lower":
        ceiling = float(part["ceiling"]) * scale
        share = (ceiling - x) / ceiling
    else:
        floor, target = float(part["floor"]) * scale, float(part["target"]) * scale
        if scope != "district" and part.get("target_street") == "divide_by_streets":
            target = target / n_streets
        share = (x - floor) / (target - floor)
    return 60.0 + 40.0 * min(max(share, 0.0), 1.0)


def band(score: float, config: dict) -> str:
    for item in sorted(config["bands"], key=lambda b: -b["min"]):
        if score >= item["min"]:
            return item["band"]
    return config["bands"][-1]["band"]


def index_rows(values: pd.DataFrame, config: dict, n_streets: int, period: str = "quarter",
               scales: dict[str, float] | None = None) -> pd.DataFrame:
    """One index row per period × scope that has at least one part (values: period, indicator, scope, value).

    `period` names the period column (quarter or year); `scales` gives, per period, the factor for the
    parts that accumulate (default 1: a quarter).
    """
    parts = config["parts"]
    usable = values[values["indicator"].isin(parts) & values["value"].notna()]
    rows = []
    for (when, scope), group in usable.groupby([period, "scope"], sort=True):
        scale = (scales or {}).get(when, 1.0)
        total = weights = 0.0
        for _, r in group.iterrows():
            part = parts[r["indicator"]]
            total += part["weight"] * part_score(float(r["value"]), part, n_streets, scope, scale)
            weights += part["weight"]
        rows.append({period: when, "indicator": "quality_competitiveness_index", "scope": scope,
                     "value": round(total / weights, 4), "numerator": None, "denominator": None})
    return pd.DataFrame(rows, columns=[period, "indicator", "scope", "value", "numerator", "denominator"])
