-- Purpose: record one file's audit row: what it is (path, bytes), what became of it (status, reason, row
--   counts) and in which run.
-- Grain: one row per file (file_id).
-- Sources: none; every value is a bound parameter, in this column order.
INSERT INTO audit.files (file_id, feed, path, sha256, size_bytes, modified_at, status, reason, reason_code,
    rows_read, rows_loaded, rows_held, rows_rejected, duplicates_dropped, rows_flagged, rows_skipped,
    encoding, details, delivery_seq, duplicate_of, run_id, released_run_id, processed_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
