"""Validate pandas frames with Great Expectations, or push the checks down into DuckDB? Measured.

    python bench/gx_paths.py [--rows 1000000] [--csv FILE]

On a typed product-sampling frame of 1,000,000 rows (the generated CSV, read and typed as the pipeline does,
with defects planted at known rows) it times:

A. the production path: `validation.gate.Gate` on the whole row suite (pandas);
B. GX on pandas, the suite's built-in expectations only;
C. GX on DuckDB (SQL datasource, `duckdb-engine`), the same built-in expectations. GX's SQL datasource returns
   empty results on DuckDB (it fetches the cursor after the connection went back to the pool; the GX issues
   are named in bench/results.md); adding DuckDB to GX's persisted-connection dialects (a private name) fixes
   that here;
D. the same checks as plain SQL in DuckDB, without GX (the floor).

and checks the paths agree: the same unexpected rows (by `__row`) for every expectation. Needs `duckdb-engine`
(`uv pip install duckdb-engine`); without it C is reported as unavailable. Figures go to bench/results.md.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import machine, sampling_csvs, table, write_section  # noqa: E402

from quality_pipeline.parsing.frame import ROW_COLUMN as ROW  # noqa: E402

BUILTIN = {"expect_column_values_to_not_be_null", "expect_column_values_to_be_in_set",
           "expect_column_values_to_be_between", "expect_column_values_to_be_unique"}


def typed_frame_with_defects(csv_path: Path):
    """The frame the pipeline validates, with defects planted at known rows (about 0.1% each)."""
    import numpy as np
    import pandas as pd

    from quality_pipeline.feeds import load_feed
    from quality_pipeline.loading.ingest import row_parameters
    from quality_pipeline.parsing.coerce import typed_frame
    from quality_pipeline.parsing.reader import read_extract
    from quality_pipeline.region import load_region
    from quality_pipeline.settings import DEFAULT_REGION_FILE

    region = load_region(DEFAULT_REGION_FILE)
    frame = typed_frame(read_extract(csv_path, load_feed("product_sampling")), region)
    n = len(frame)
    idx = np.arange(n)
    frame.loc[idx % 997 == 1, "product_name"] = None
    frame.loc[idx % 1009 == 2, "conclusion"] = "基本合格"
    frame.loc[idx % 1013 == 3, "plan_level"] = "乡抽"
    frame.loc[idx % 1019 == 4, "sampling_date"] = pd.Timestamp("2099-01-01")
    frame.loc[idx % 1021 == 5, "street"] = "外区街道"
    dup = idx[idx % 1031 == 6]
    frame.loc[dup, "sample_no"] = frame.loc[dup - 1, "sample_no"].to_numpy()
    frame.loc[idx % 1033 == 7, "sampling_date"] = pd.NaT  # text present, no date: "parsed" fails
    return frame, row_parameters(region, date.today())


def _suite_items(builtin_only: bool) -> list[dict]:
    from quality_pipeline.validation.suites import load_suite_dict

    items = load_suite_dict("product_sampling.rows")["expectations"]
    return [i for i in items if not builtin_only or i["type"] in BUILTIN]


def _gx_suite(context, name: str, items: list[dict], *, sql: bool):
    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    suite = gx.ExpectationSuite(name=name)
    for item in items:
        kwargs = dict(item["kwargs"])
        if sql and kwargs.get("condition_parser") == "pandas":
            # the same condition as a GX Condition object: GX's string syntax for SQL only takes Latin-1 values
            from great_expectations.expectations.row_conditions import Column

            column, value = kwargs["row_condition"].split(" == ")
            kwargs["row_condition"] = Column(column.strip("`")) == json.loads(value)
            del kwargs["condition_parser"]
        suite.add_expectation_configuration(ExpectationConfiguration(type=item["type"], kwargs=kwargs, meta=item["meta"]))
    return context.suites.add(suite)


def _key(item_or_config) -> str:
    kwargs = item_or_config["kwargs"] if isinstance(item_or_config, dict) else item_or_config.kwargs
    column = kwargs.get("column") or kwargs.get("column_A")
    typ = item_or_config["type"] if isinstance(item_or_config, dict) else item_or_config.type
    return f"{typ}({column}{', conditional' if kwargs.get('row_condition') else ''})"


def _rows_of(result, frame) -> tuple[int | None, set | None, str | None]:
    res = result.result or {}
    info = result.exception_info or {}
    errors = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]
    for error in errors:
        if error.get("raised_exception"):
            return None, None, error.get("exception_message")
    found = res.get("unexpected_index_list") or []
    if found and isinstance(found[0], dict):
        rows = {int(r[ROW]) for r in found}
    else:
        rows = {int(r) for r in frame[ROW].to_numpy()[list(found)]} if found else set()
    return res.get("unexpected_count"), rows, None


def path_a_gate(frame, params) -> dict:
    from quality_pipeline.validation.gate import Gate

    t = time.perf_counter()
    gate = Gate()
    setup = time.perf_counter() - t
    t = time.perf_counter()
    outcomes = gate.validate("product_sampling.rows", frame, params)
    seconds = time.perf_counter() - t
    rows = {}
    for o in outcomes:
        key = _key({"type": o.expectation, "kwargs": o.kwargs})
        rows[key] = (o.unexpected_count, {int(r) for r in frame[ROW].to_numpy()[o.unexpected_index]}, o.error)
    return {"setup": setup, "seconds": seconds, "rows": rows}


def path_b_pandas(frame, params, items) -> dict:
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    asset = context.data_sources.add_pandas("p").add_dataframe_asset("frame")
    batch_definition = asset.add_batch_definition_whole_dataframe("whole")
    suite = _gx_suite(context, "pandas_builtin", items, sql=False)
    t = time.perf_counter()
    result = batch_definition.get_batch(batch_parameters={"dataframe": frame}).validate(
        suite, result_format={"result_format": "COMPLETE"}, expectation_parameters=params)
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "rows": {_key(r.expectation_config): _rows_of(r, frame) for r in result.results}}


def _persist_duckdb_connections() -> None:
    """GX keeps one connection open only for the dialects it lists; DuckDB needs that too (private API)."""
    from great_expectations.execution_engine import sqlalchemy_execution_engine as engine

    class DuckDBDialect(str):
        value = "duckdb"

    if "duckdb" not in engine._PERSISTED_CONNECTION_DIALECTS:
        engine._PERSISTED_CONNECTION_DIALECTS = (*engine._PERSISTED_CONNECTION_DIALECTS, DuckDBDialect("duckdb"))


def _load(frame, db: Path) -> float:
    import duckdb

    t = time.perf_counter()
    con = duckdb.connect(str(db))
    con.register("frame", frame)
    # text columns stay text even when empty (DuckDB would type an all-null object column as INTEGER)
    select = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' if frame[c].dtype == object else f'"{c}"' for c in frame.columns)
    con.execute(f"CREATE OR REPLACE TABLE rows AS SELECT {select} FROM frame")  # noqa: S608 - the frame's own columns
    con.close()
    return time.perf_counter() - t


def path_c_gx_duckdb(frame, params, items, db: Path, *, persist: bool) -> dict:
    import great_expectations as gx

    if persist:
        _persist_duckdb_connections()
    load = _load(frame, db)
    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_sql(f"duckdb_{int(persist)}", connection_string=f"duckdb:///{db}")
    batch_definition = source.add_table_asset("rows", table_name="rows").add_batch_definition_whole_table("all")
    suite = _gx_suite(context, f"sql_builtin_{int(persist)}", items, sql=True)
    # GX cannot render a pandas Timestamp as a SQL literal: give it a plain datetime
    params = {k: v.to_pydatetime() if hasattr(v, "to_pydatetime") else v for k, v in params.items()}
    t = time.perf_counter()
    result = batch_definition.get_batch().validate(
        suite,  # on SQL, GX returns at most partial_unexpected_count rows (default 20) even with COMPLETE
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [ROW],
                       "partial_unexpected_count": len(frame)},
        expectation_parameters=params)
    seconds = time.perf_counter() - t
    return {"load": load, "seconds": seconds,
            "rows": {_key(r.expectation_config): _rows_of(r, frame) for r in result.results}}


def _sql_for(item: dict, params: dict) -> tuple[str, list]:
    kwargs = item["kwargs"]
    column = f'"{kwargs["column"]}"'

    def value(v):
        return params[v["$PARAMETER"]] if isinstance(v, dict) else v

    if item["type"] == "expect_column_values_to_not_be_null":
        where, args = f"{column} IS NULL", []
        if kwargs.get("row_condition"):
            other, literal = kwargs["row_condition"].split(" == ")
            where, args = f'{where} AND "{other.strip("`")}" = ?', [json.loads(literal)]
        return where, args
    if item["type"] == "expect_column_values_to_be_in_set":
        return f"{column} IS NOT NULL AND NOT list_contains(?, {column})", [list(value(kwargs["value_set"]))]
    if item["type"] == "expect_column_values_to_be_between":
        parts, args = [], []
        if kwargs.get("min_value") is not None:
            parts.append(f"{column} {'<=' if kwargs.get('strict_min') else '<'} ?")
            args.append(value(kwargs["min_value"]))
        if kwargs.get("max_value") is not None:
            parts.append(f"{column} > ?")
            args.append(value(kwargs["max_value"]))
        return f"{column} IS NOT NULL AND ({' OR '.join(parts)})", args
    if item["type"] == "expect_column_values_to_be_unique":
        return f"{column} IN (SELECT {column} FROM rows GROUP BY {column} HAVING count(*) > 1)", []  # noqa: S608
    raise ValueError(item["type"])


def path_d_sql(items, params, db: Path) -> dict:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    rows, t = {}, time.perf_counter()
    for item in items:
        where, args = _sql_for(item, params)
        found = [r for (r,) in con.execute(f"SELECT {ROW} FROM rows WHERE {where}", args).fetchall()]  # noqa: S608
        rows[_key(item)] = (len(found), set(found), None)
    seconds = time.perf_counter() - t
    con.close()
    return {"seconds": seconds, "rows": rows}


def _agree(reference: dict, other: dict) -> tuple[int, list[str]]:
    same, differ = 0, []
    for key, (count, rows, error) in reference.items():
        got = other.get(key)
        if got is None:
            continue
        if got[2] or error or got[0] != count or got[1] != rows:
            differ.append(f"{key}: {count} vs {got[0]}{' (' + str(got[2])[:80] + ')' if got[2] else ''}")
        else:
            same += 1
    return same, differ


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--csv", type=Path)
    args = parser.parse_args()
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    with tempfile.TemporaryDirectory(prefix="quality-gx-") as tmp:
        csv_path = args.csv or sampling_csvs(Path(tmp), [args.rows], part_rows=args.rows)[args.rows]
        frame, params = typed_frame_with_defects(csv_path)
        items = _suite_items(builtin_only=True)
        a = path_a_gate(frame, params)
        b = path_b_pandas(frame, params, items)
        try:
            engine_version = importlib.metadata.version("duckdb-engine")
        except importlib.metadata.PackageNotFoundError:
            engine_version = None
        c0 = c = None
        if engine_version:  # each path its own database file: GX keeps its connection open
            c0 = path_c_gx_duckdb(frame, params, items, Path(tmp) / "shipped.duckdb", persist=False)
            c = path_c_gx_duckdb(frame, params, items, Path(tmp) / "persisted.duckdb", persist=True)
        load_d = _load(frame, Path(tmp) / "plain.duckdb")
        d = {**path_d_sql(items, params, Path(tmp) / "plain.duckdb"), "load": load_d}
        _report(len(frame), items, a, b, c0, c, d, engine_version)


def _report(n, items, a, b, c0, c, d, engine_version) -> None:
    import great_expectations as gx

    info = machine()
    subset = {_key(i) for i in items}
    a_subset = {k: v for k, v in a["rows"].items() if k in subset}
    same_ab, diff_ab = _agree(b["rows"], a_subset)
    rows = [
        ["A. Gate (pandas), whole row suite", len(a["rows"]), f"{a['seconds']:.1f} s", "—",
         f"{same_ab}/{len(items)} built-ins agree with B" + (f"; differ: {diff_ab}" if diff_ab else "")],
        ["B. GX pandas, built-ins", len(items), f"{b['seconds']:.1f} s", "—", "reference"],
    ]
    if c0:
        ok0 = sum(1 for v in c0["rows"].values() if v[2] is None and v[0] is not None)
        rows.append(["C0. GX SQL on DuckDB, as shipped", len(items), f"{c0['seconds']:.1f} s", f"{c0['load']:.1f} s",
                     f"{ok0}/{len(items)} evaluated (the empty-result bug)"])
    if c:
        same_bc, diff_bc = _agree(b["rows"], c["rows"])
        rows.append(["C. GX SQL on DuckDB, persisted connection", len(items), f"{c['seconds']:.1f} s",
                     f"{c['load']:.1f} s", f"{same_bc}/{len(items)} agree with B" + (f"; differ: {diff_bc}" if diff_bc else "")])
    same_bd, diff_bd = _agree(b["rows"], d["rows"])
    rows.append(["D. plain SQL in DuckDB (no GX)", len(items), f"{d['seconds']:.1f} s", f"{d['load']:.1f} s",
                 f"{same_bd}/{len(items)} agree with B" + (f"; differ: {diff_bd}" if diff_bd else "")])
    text = f"""
## Great Expectations: pandas frames or pushdown into DuckDB ({info['date']})

{n:,} typed product-sampling rows (generated, defects planted at known rows), great_expectations
{gx.__version__}, duckdb-engine {engine_version or 'not installed'}; {info['nproc']} CPUs ({info['cpu']}),
load {info['load_1min_at_start']:.1f}. "Load" is the time to copy the frame into a DuckDB table first.

{table(["path", "expectations", "validate", "load", "correctness"], rows)}
"""
    write_section("gx_paths", text)
    print(text)


if __name__ == "__main__":
    main()
