"""Chinese labels and units of the indicators, with their English codes as the secondary label."""

from __future__ import annotations

from quality_pipeline.indicators.compute import indicator_config

_CONFIG = indicator_config()
INDICATORS = list(_CONFIG)  # the order of indicators.md


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
