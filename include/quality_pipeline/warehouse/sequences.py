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
    return next_values(con, name)[0]


def next_values(con: duckdb.DuckDBPyConnection, *names: str) -> list[int]:
    """Step each of the sequences `names` (distinct) once and return their new values, in that order: two
    statements whatever their number (on a DuckLake catalog each costs 5-20 ms)."""
    if len(set(names)) != len(names):
        raise ValueError(f"a sequence named twice: {names}")
    con.execute("UPDATE meta.sequences SET value = value + 1 WHERE list_contains(?, name)", [list(names)])
    found = dict(con.execute("SELECT name, value FROM meta.sequences WHERE list_contains(?, name)",
                             [list(names)]).fetchall())
    missing = [name for name in names if name not in found]
    if missing:
        raise RuntimeError(f"meta.sequences has no row named {missing}")
    return [found[name] for name in names]
