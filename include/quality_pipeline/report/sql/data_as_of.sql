-- Purpose: when the newest file behind the figures was processed (the report's "data as of").
-- Grain: one row.
-- Sources: audit.files.
SELECT max(processed_at) AS data_as_of
FROM audit.files
WHERE status = 'loaded'
