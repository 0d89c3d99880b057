"""The region a deployment serves: its code, name and street list, read from a YAML file."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    streets: tuple[str, ...]  # full names, with suffix: 金砂街道
    street_suffix: str = "街道"

    def canonical_street(self, value: str | None) -> str | None:
        """Map a street as written (with or without the suffix, stray spaces) to its full name, or None if unknown."""
        if value is None:
            return None
        text = "".join(unicodedata.normalize("NFKC", str(value)).split())
        if not text:
            return None
        short = text.removesuffix(self.street_suffix)
        for street in self.streets:
            if street.removesuffix(self.street_suffix) == short:
                return street
        return None


def load_region(path: Path) -> Region:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    suffix = data.get("street_suffix", "街道")
    streets = tuple(s if s.endswith(suffix) else s + suffix for s in data["streets"])
    if len(set(streets)) != len(streets):
        raise ValueError(f"{path}: duplicate street names")
    return Region(code=str(data["code"]), name=data["name"], streets=streets, street_suffix=suffix)
