"""Chinese labels and units of the indicators, with their English codes as the secondary label."""

from __future__ import annotations

from quality_pipeline.indicators.compute import ACCUMULATING_UNITS, indicator_config

_CONFIG = indicator_config()
INDICATORS = list(_CONFIG)  # the order of indicators.md
PROVISIONAL_ZH = "季度未结束"
COUNT_UNITS = ACCUMULATING_UNITS  # figures that grow through a period: partial while it runs


def status_text(provisional: bool, elapsed: float) -> str:
    """How a quarter's status reads on the report's header and cover, and in the CLI."""
    if not provisional:
        return "季度已结束 closed"
    return (f"{PROVISIONAL_ZH} provisional · 季度已过 {elapsed:.0%} of the quarter elapsed · "
            "计数类指标为部分数据 counts are partial")


def zh(indicator: str) -> str:
    return _CONFIG.get(indicator, {}).get("label_zh", indicator)


def unit_zh(indicator: str, unit: str | None = None) -> str:
    return _CONFIG.get(indicator, {}).get("unit_zh", unit or "")


def band_of(score: float | None, index_config: dict) -> dict | None:
    """The band entry ({min, band, band_zh}) a score falls in, or None without a score."""
    if score is None:
        return None
    for item in sorted(index_config["bands"], key=lambda b: -b["min"]):
        if score >= item["min"]:
            return item
    return None
