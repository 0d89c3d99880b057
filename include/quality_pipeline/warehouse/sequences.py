"""The numbers the warehouse hands out, from `meta.sequences` (V013): DuckLake has no sequences.

A number is stepped in the caller's transaction: the writer's lock makes one writer at a time, so no two
callers step the same row at once; a rolled-back transaction gives its number back, which is harmless, since
no number leaves the transaction that took it.
"""

from __future__ import annotations

import duckdb

FILE_ID = "audit.file_id"
DELIVERY_SEQ = "audit.delivery_seq"
VINTAGE_ID = "marts.vintage_id"
SEED_LOAD_ID = "ref.seed_load_id"


def next_value(con: duckdb.DuckDBPyConnection, name: str) -> int:
    """Step the sequence `name` and return its new value (1 for the first)."""
    con.execute("UPDATE meta.sequences SET value = value + 1 WHERE name = ?", [name])
    found = con.execute("SELECT value FROM meta.sequences WHERE name = ?", [name]).fetchall()
    if len(found) != 1:
        raise RuntimeError(f"meta.sequences has {len(found)} rows named {name!r}, not one")
    return found[0][0]
