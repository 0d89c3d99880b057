-- V010: which version of each feed's generated SQL (warehouse/feeds/<feed>.sql: raw table, core view, comments)
-- this warehouse has, so the writer runs a feed's file after the migrations only when it changed.

CREATE TABLE meta.feed_schema (
    feed VARCHAR PRIMARY KEY,
    checksum VARCHAR NOT NULL,
    applied_at TIMESTAMP NOT NULL
);
COMMENT ON TABLE meta.feed_schema IS '数据源表结构版本 / The generated SQL of each feed (warehouse/feeds/<feed>.sql) as last applied to this warehouse, one row per feed';
COMMENT ON COLUMN meta.feed_schema.feed IS '数据源 / Feed (include/quality_pipeline/feeds/<feed>.yaml)';
COMMENT ON COLUMN meta.feed_schema.checksum IS '文件 SHA-256 / SHA-256 of the feed''s SQL file as applied; a different file is applied again';
COMMENT ON COLUMN meta.feed_schema.applied_at IS '执行时间 / When the file was last applied';
