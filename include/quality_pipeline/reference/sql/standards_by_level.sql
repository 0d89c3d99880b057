-- Purpose: standards led by district enterprises published by a day, counted by level.
-- Grain: one row per level.
-- Sources: ref.standards. Parameters: $as_of.
SELECT level, count(*) AS standards
FROM ref.standards
WHERE published_date <= $as_of
GROUP BY level
