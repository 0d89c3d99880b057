-- V012: what a landing file was on disk when its bytes were hashed (modification time in nanoseconds and
-- inode, beside size_bytes), so a run does not hash again a file it has already seen with the same path,
-- size, modification time and inode; a file that differs in any of them is hashed again.

ALTER TABLE audit.files ADD COLUMN mtime_ns BIGINT;
ALTER TABLE audit.files ADD COLUMN inode BIGINT;
COMMENT ON COLUMN audit.files.mtime_ns IS '文件修改时间（纳秒）/ Modification time of the landing file in nanoseconds since the epoch, as it was when these bytes were hashed (null: not recorded yet)';
COMMENT ON COLUMN audit.files.inode IS '文件 inode / Inode of the landing file when these bytes were hashed; the same path, size, mtime_ns and inode are not hashed again';
