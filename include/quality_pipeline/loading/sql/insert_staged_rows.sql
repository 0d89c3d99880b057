-- Purpose: a staged part's rows that were not rejected into raw.<feed>, straight from its Parquet file.
-- Grain: one row per unique, not rejected data row of the part.
-- Sources: the part's Parquet file (loading.stage: the typed columns, __extra, __sheet, __row, the frame's index
--   in __index and whether the row was rejected in __rejected). A template: table and columns are identifiers
--   from the feed declaration, parquet the staged file's path as a quoted literal (a bound file name plans
--   worse), filled in by loading.rows; the parameters are file_id, run_id, delivery_seq and loaded_at. The
--   filter is a column of the scan, not a join: DuckDB then writes the rows to the database file as it goes.
INSERT INTO {table} BY NAME
SELECT {columns}, CAST(__extra AS JSON) AS _extra, ? AS _file_id, ? AS _run_id, ? AS _delivery_seq,
       __sheet AS _sheet, __row AS _row_number, CAST(? AS TIMESTAMP) AS _loaded_at, false AS _withdrawn
FROM read_parquet({parquet})
WHERE NOT __rejected
