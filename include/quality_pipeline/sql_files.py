"""Named SQL files: each module's queries live in `sql/<name>.sql` beside it, each opening with a
Purpose / Grain / Sources header, and are read here by name (values always go in as bound parameters)."""

from __future__ import annotations

from pathlib import Path


def sql_file(module_file: str, name: str) -> str:
    """The text of `sql/<name>.sql` in the folder of `module_file` (pass `__file__`)."""
    return (Path(module_file).resolve().parent / "sql" / f"{name}.sql").read_text(encoding="utf-8")
