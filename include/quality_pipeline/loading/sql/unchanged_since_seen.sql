-- Purpose: whether a landing file was already seen at this path with exactly this size, modification time (ns)
--   and inode, so its bytes are those recorded and need not be hashed again.
-- Grain: one count over the feed's audit rows of that path.
-- Sources: audit.files.
SELECT count(*)
FROM audit.files
WHERE feed = ? AND path = ? AND size_bytes = ? AND mtime_ns = ? AND inode = ?
