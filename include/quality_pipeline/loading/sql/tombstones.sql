-- Purpose: a tombstone in raw.<feed> for each key of the restated periods in core that the file lists
--   nowhere: the key is withdrawn from core.* from this delivery on.
-- Grain: one row per withdrawn key.
-- Sources: core.<feed>, listed_keys (a temporary view of loading.rows: the key columns of the file's staged parts
--   and of any frames of keys, the rows without a key left out). A template: the placeholders table, columns, core, period
--   date and match are identifiers from the feed declaration, filled in by loading.rows; the parameters are
--   file_id, run_id, delivery_seq, loaded_at, file_id, the list of periods, and the first day of the earliest
--   and the day after the latest of them (the same rows, bounded by constants so that core's data files and
--   row groups of other dates are skipped rather than the period of every row of core computed).
INSERT INTO {table} BY NAME
SELECT {columns}, ? AS _file_id, ? AS _run_id, ? AS _delivery_seq,
       0 AS _row_number, ? AS _loaded_at, true AS _withdrawn
FROM {core} c
WHERE c._file_id <> ? AND list_contains(?, {period}) AND {date} >= ? AND {date} < ?
  AND NOT EXISTS (SELECT 1 FROM listed_keys l WHERE {match})
