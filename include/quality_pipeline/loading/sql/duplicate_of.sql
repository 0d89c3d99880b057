-- Purpose: the first file of a feed with the same bytes whose status makes a duplicate (loaded, held or
--   withdrawn: a rejected file's bytes are read again under a new name).
-- Grain: at most one row (file_id, status).
-- Sources: audit.files. Parameters: feed, sha256, the list of statuses.
SELECT file_id, status
FROM audit.files
WHERE feed = ? AND sha256 = ? AND list_contains(?, status)
ORDER BY file_id
LIMIT 1
