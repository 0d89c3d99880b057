-- Flags per key: which loaded rows carry issues (unknown street, wrong check character, ...), worst first.
-- Grain: one row per feed × key. Sources: audit.row_flags, audit.files.
SELECT
    fl.feed,
    fl.key,
    count(*) AS flags,
    list(DISTINCT fl.rule ORDER BY fl.rule) AS rules,
    count(DISTINCT fl.file_id) AS files,
    max(f.processed_at) AS last_flagged_at
FROM audit.row_flags fl
JOIN audit.files f USING (file_id)
GROUP BY fl.feed, fl.key
ORDER BY flags DESC, fl.feed, fl.key;
