-- Purpose: core.{feed}, the current version of each key of a feed: the newest delivery wins, and within one
--   delivery the last row that carries the key. The one definition of every core view: `make generate`
--   renders it into warehouse/feeds/<feed>.sql, filling in {feed} and {key} (the feed's key columns).
-- Grain: one row per key of the feed.
-- Sources: raw.{feed}.
CREATE OR REPLACE VIEW core.{feed} AS
SELECT * EXCLUDE (_version_rank)
FROM (
    SELECT *, row_number() OVER (PARTITION BY {key} ORDER BY _delivery_seq DESC, _row_number DESC) AS _version_rank
    FROM raw.{feed}
)
WHERE _version_rank = 1;
