-- Purpose: a staged part's rows that were not rejected, as raw.<feed> holds them, straight from its Parquet
--   file: what loading.rows inserts into raw.<feed>, and what loading.current puts in core.<feed> for a newest
--   delivery that carries each key once (its raw rows, read again from the file instead of from the
--   transaction's own uncommitted rows, which DuckDB scans on one thread).
-- Grain: one row per unique, not rejected data row of the part.
-- Sources: the part's Parquet file (loading.stage: the typed columns, __extra, __sheet, __row and the frame's
--   index in __index). A template: columns are identifiers from the feed declaration, parquet the staged
--   file's path as a quoted literal (a bound file name plans worse), filled in by loading.rows; the
--   parameters are file_id, run_id, delivery_seq, loaded_at and, when the part has rejected rows, the list of
--   their indexes ({rejected} is then loading.rows.REJECTED_LEFT_OUT, a NOT IN on __index; else it is empty:
--   an empty NOT IN still costs a join).
SELECT {columns}, CAST(__extra AS JSON) AS _extra, ? AS _file_id, ? AS _run_id, ? AS _delivery_seq,
       __sheet AS _sheet, __row AS _row_number, CAST(? AS TIMESTAMP) AS _loaded_at, false AS _withdrawn
FROM read_parquet({parquet})
{rejected}
