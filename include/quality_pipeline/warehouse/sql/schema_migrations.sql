-- Purpose: the record of applied migrations (created before the first one runs, so it is no migration itself).
-- Grain: one row per applied migration.
-- Sources: none (written by warehouse.migrations as each migration commits).
CREATE TABLE IF NOT EXISTS meta.schema_migrations (
    version INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL,
    checksum VARCHAR NOT NULL,
    applied_at TIMESTAMP NOT NULL
)
