-- Purpose: a feed's files seen before that a release or a reprocess names, by path, file_id or a sha256
--   prefix of at least 8 characters; held files only when the status asked for is 'held'.
-- Grain: one row per matching file.
-- Sources: audit.files. Parameters: feed, status (twice; NULL for any), spec (four times).
SELECT file_id, path, sha256, delivery_seq, status
FROM audit.files
WHERE feed = ?
  AND status IN ('held', 'loaded', 'rejected') AND (? IS NULL OR status = ?)
  AND (path = ? OR CAST(file_id AS VARCHAR) = ? OR (length(?) >= 8 AND starts_with(sha256, ?)))
