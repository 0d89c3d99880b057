-- Purpose: a staged part's rows that were not rejected, as raw.<feed> holds them, straight from its Parquet
--   file: what loading.rows inserts into raw.<feed>, and what loading.current puts in core.<feed> for a newest
--   delivery that carries each key once (its raw rows, read again from the file instead of from the
--   transaction's own uncommitted rows, which DuckDB scans on one thread).
-- Grain: one row per unique, not rejected data row of the part.
-- Sources: the part's Parquet file (loading.stage: the typed columns, __extra, __sheet, __row, the frame's
--   index in __index and whether the row was rejected in __rejected), or the same table kept in memory. A
--   template: columns are identifiers from the feed declaration, source `read_parquet(<the staged file's path
--   as a quoted literal>)` (a bound file name plans worse) or the quoted name the kept table is registered as,
--   filled in by loading.rows; the parameters are file_id, run_id, delivery_seq and loaded_at. {rejected} is
--   loading.rows.REJECTED_LEFT_OUT (`WHERE NOT __rejected`: a filter on a column of the scan, so DuckDB writes
--   the rows to the database file as it goes), or, for a part staged before that column existed and holding
--   rejected rows, REJECTED_LEFT_OUT_BY_INDEX (a NOT IN on __index, whose list is then one more parameter:
--   that join keeps every inserted row in the transaction's memory until the commit), or empty.
SELECT {columns}, CAST(__extra AS JSON) AS _extra, ? AS _file_id, ? AS _run_id, ? AS _delivery_seq,
       __sheet AS _sheet, __row AS _row_number, CAST(? AS TIMESTAMP) AS _loaded_at, false AS _withdrawn
FROM {source}
{rejected}
