-- Why rows were rejected, file by file: how many rows broke each rule, newest file first.
-- Grain: one row per file × column × rule × reason. Sources: audit.quarantine, audit.files.
SELECT
    f.file_id,
    f.feed,
    f.path,
    f.status,
    q."column",
    q.rule,
    q.reason,
    count(DISTINCT q.row_number) AS rows_rejected,
    min(q.row_number) AS first_row
FROM audit.quarantine q
JOIN audit.files f USING (file_id)
GROUP BY ALL
ORDER BY f.file_id DESC, rows_rejected DESC, q.rule;
