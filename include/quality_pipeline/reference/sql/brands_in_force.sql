-- Purpose: brand titles in force on a day (awarded by then, not yet expired), counted by kind.
-- Grain: one row per kind.
-- Sources: ref.brands. Parameters: $as_of.
SELECT kind, count(*) AS brands
FROM ref.brands
WHERE awarded_date <= $as_of
  AND (expires_date IS NULL OR $as_of < expires_date)
GROUP BY kind
