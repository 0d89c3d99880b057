-- Purpose: core.{feed}, the current version of each key of a feed: the newest delivery of a file not withdrawn
--   wins (within one delivery the last row that carries the key), and a key whose newest version is a tombstone
--   (`_withdrawn`: a period-snapshot delivery restated its period without it) is left out. The one definition of
--   every core table: `make generate` renders it into warehouse/feeds/<feed>.sql, which builds the table from
--   raw.{feed} when it does not exist ({scope}: true), and loading.current runs it for the keys a publish, a
--   release or a withdrawal touched ({scope}: the keys of touched_keys), in that transaction. {feed} and {key}
--   (the feed's key columns) come from the feed's declaration.
-- Grain: one row per key of the feed.
-- Sources: raw.{feed}, audit.files (withdrawn deliveries), touched_keys (a temporary table of loading.current).
SELECT * EXCLUDE (_version_rank, _withdrawn)
FROM (
    SELECT *, row_number() OVER (PARTITION BY {key} ORDER BY _delivery_seq DESC, _withdrawn DESC, _row_number DESC) AS _version_rank
    FROM raw.{feed} r
    WHERE _file_id NOT IN (SELECT file_id FROM audit.files WHERE status = 'withdrawn')
      AND {scope}
)
WHERE _version_rank = 1 AND _withdrawn IS NOT TRUE
