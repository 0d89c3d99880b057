-- Purpose: how many loaded files the demo generator made (it writes a mark above the header, which the
--          reader records as details.generated_by), so a report built on them is marked sample data.
-- Grain: one row (the count, and one such file's path).
-- Sources: audit.files
SELECT count(*) AS files, min(path) AS example
FROM audit.files
WHERE status = 'loaded'
  AND json_extract_string(details, '$.generated_by') = $generated_by
HAVING count(*) > 0;
