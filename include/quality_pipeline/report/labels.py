"""Chinese labels and units of the indicators, with their English codes as the secondary label."""

from __future__ import annotations

from quality_pipeline.cli import INDICATOR_ZH

INDICATORS = list(INDICATOR_ZH)  # the order of indicators.md

UNIT_ZH = {
    "sampling_batches": "批次",
    "sampling_pass_rate": "%",
    "sampling_refusals": "批次",
    "sampling_followup_open": "批次",
    "enforcement_inspection_person_times": "人次",
    "enforcement_entities_inspected": "户次",
    "enforcement_cases": "件",
    "anticounterfeit_cases": "件",
    "enforcement_penalties_yuan": "元",
    "enforcement_transferred_cases": "件",
    "enforcement_missed_transfers": "件",
    "remediation_investment_rate": "%",
    "remediation_projects_completed": "个",
    "water_bodies_not_black_rate": "%",
    "quality_competitiveness_index": "分",
}


def zh(indicator: str) -> str:
    return INDICATOR_ZH.get(indicator, indicator)


def unit_zh(indicator: str, unit: str | None = None) -> str:
    return UNIT_ZH.get(indicator, unit or "")


def band_of(score: float | None, index_config: dict) -> dict | None:
    """The band entry ({min, band, band_zh}) a score falls in, or None without a score."""
    if score is None:
        return None
    for item in sorted(index_config["bands"], key=lambda b: -b["min"]):
        if score >= item["min"]:
            return item
    return None
