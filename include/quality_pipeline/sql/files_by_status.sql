-- Purpose: what became of the files of a run (or of every run), as `cli summary` prints it.
-- Grain: one row per file status.
-- Sources: audit.files. Parameters: $run_like (a LIKE pattern of run ids, or NULL for every run).
SELECT status, count(*), sum(rows_read), sum(rows_loaded), sum(rows_rejected), sum(duplicates_dropped),
       sum(rows_held)
FROM audit.files
WHERE $run_like IS NULL OR run_id LIKE $run_like
GROUP BY status
ORDER BY status
