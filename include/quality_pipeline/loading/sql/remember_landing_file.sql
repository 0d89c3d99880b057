-- Purpose: record what a landing file is on disk (modification time in ns, inode) on the audit rows of the same
--   path, bytes and size, so the next run need not hash it again; rows already saying so are left untouched
--   (no write, so a night with nothing new changes nothing).
-- Grain: the feed's audit rows of one path and sha256.
-- Sources: audit.files; the file's stat() as bound parameters.
UPDATE audit.files
SET mtime_ns = ?, inode = ?
WHERE feed = ? AND path = ? AND sha256 = ? AND size_bytes = ?
  AND (mtime_ns IS DISTINCT FROM ? OR inode IS DISTINCT FROM ?)
