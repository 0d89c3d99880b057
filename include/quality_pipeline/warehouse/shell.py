"""`make sql`: the DuckDB CLI on the published warehouse, read-only.

The CLI starts on an in-memory database and, before reading anything from its user, attaches the published
warehouse READ_ONLY as `quality` and makes it the default (`USE quality`), so `SELECT * FROM core.product_sampling`
works as written and every write to the warehouse fails with DuckDB's own "read-only" error; whatever an analyst
creates for themselves lands in the in-memory database (`memory.main`) and is gone on exit. Piped input works
too: `echo "SELECT count(*) FROM audit.files" | make sql`.

The warehouse is a DuckLake catalog (`warehouse/lake.py`): the CLI loads the `ducklake` extension from its
wheel (no download) and attaches the catalog READ_ONLY, with the folder of its Parquet files beside it. A
warehouse of the storage before (one DuckDB file, not yet converted by the writer) is attached as it is.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from quality_pipeline.settings import load_settings
from quality_pipeline.warehouse import lake

ALIAS = "quality"


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def attach_statements(warehouse: Path) -> list[str]:
    """The statements that open the published warehouse read-only as the CLI's default database."""
    if warehouse.exists() and not lake.is_catalog(warehouse):
        return [f"ATTACH {_literal(str(warehouse.resolve()))} AS {ALIAS} (READ_ONLY)", f"USE {ALIAS}"]
    return [f"LOAD {_literal(str(lake.extension_path()))}",
            lake.attach_sql(warehouse, ALIAS, warehouse, read_only=True), f"USE {ALIAS}"]


def cli_path() -> Path:
    """The `duckdb` executable of the `duckdb-cli` wheel, beside this interpreter (else on PATH)."""
    beside = Path(sys.executable).parent / "duckdb"
    if beside.exists():
        return beside
    found = shutil.which("duckdb")
    if not found:
        raise SystemExit("the DuckDB CLI is not installed: `make install` (it comes with the duckdb-cli wheel)")
    return Path(found)


def command(warehouse: Path, extra: list[str]) -> list[str]:
    """The CLI's argument list: `-cmd` runs each attach statement before reading stdin or the terminal."""
    args = [str(cli_path())]
    for statement in attach_statements(warehouse):
        args += ["-cmd", statement + ";"]
    return args + extra


def main(argv: list[str] | None = None) -> int:
    extra = list(sys.argv[1:] if argv is None else argv)
    warehouse = load_settings().warehouse
    if not warehouse.exists():
        print(f"no published warehouse at {warehouse}: `make run` (or `make demo`) publishes it "
              "(QUALITY_WAREHOUSE points elsewhere?)", file=sys.stderr)
        return 1
    args = command(warehouse, extra)
    os.execv(args[0], args)  # the CLI takes over the terminal; nothing of Python stays in between
    return 0  # pragma: no cover - execv does not return


if __name__ == "__main__":
    sys.exit(main())
