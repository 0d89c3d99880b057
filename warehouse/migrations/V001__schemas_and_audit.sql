-- V001: schemas and the audit tables that account for every file and every row.
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS core;
CREATE SCHEMA IF NOT EXISTS audit;
CREATE SCHEMA IF NOT EXISTS marts;

CREATE SEQUENCE audit.file_id_seq START 1;
CREATE SEQUENCE audit.delivery_seq START 1;

CREATE TABLE audit.files (
    file_id BIGINT PRIMARY KEY,
    feed VARCHAR NOT NULL,
    path VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    size_bytes BIGINT,
    modified_at TIMESTAMP,
    status VARCHAR NOT NULL,
    reason VARCHAR,
    reason_code VARCHAR,
    rows_read BIGINT NOT NULL DEFAULT 0,
    rows_loaded BIGINT NOT NULL DEFAULT 0,
    rows_held BIGINT NOT NULL DEFAULT 0,
    rows_rejected BIGINT NOT NULL DEFAULT 0,
    duplicates_dropped BIGINT NOT NULL DEFAULT 0,
    rows_flagged BIGINT NOT NULL DEFAULT 0,
    rows_skipped BIGINT NOT NULL DEFAULT 0,
    encoding VARCHAR,
    details JSON,
    delivery_seq BIGINT,
    duplicate_of BIGINT,
    run_id VARCHAR NOT NULL,
    released_run_id VARCHAR,
    processed_at TIMESTAMP NOT NULL,
    CHECK (status IN ('loaded', 'duplicate', 'rejected', 'held'))
);
COMMENT ON TABLE audit.files IS 'One row per file seen in the landing folder: what became of it and how its rows were accounted for';

CREATE TABLE audit.quarantine (
    file_id BIGINT NOT NULL,
    feed VARCHAR NOT NULL,
    path VARCHAR NOT NULL,
    sheet VARCHAR,
    row_number INTEGER NOT NULL,
    key VARCHAR,
    "column" VARCHAR,
    rule VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    value VARCHAR,
    raw_row JSON,
    run_id VARCHAR NOT NULL
);
COMMENT ON TABLE audit.quarantine IS 'Rejected rows: one row per rejected row and broken rule, with the row as delivered';

CREATE TABLE audit.row_flags (
    file_id BIGINT NOT NULL,
    feed VARCHAR NOT NULL,
    path VARCHAR NOT NULL,
    sheet VARCHAR,
    row_number INTEGER NOT NULL,
    key VARCHAR,
    "column" VARCHAR,
    rule VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    value VARCHAR,
    run_id VARCHAR NOT NULL
);
COMMENT ON TABLE audit.row_flags IS 'Issues recorded against rows that loaded and count (wrong check character, unknown street, ...)';

CREATE TABLE audit.validations (
    run_id VARCHAR NOT NULL,
    feed VARCHAR NOT NULL,
    file_id BIGINT NOT NULL,
    path VARCHAR NOT NULL,
    suite VARCHAR NOT NULL,
    expectation VARCHAR NOT NULL,
    "column" VARCHAR,
    rule VARCHAR,
    severity VARCHAR,
    success BOOLEAN NOT NULL,
    observed_value VARCHAR,
    unexpected_count BIGINT,
    validated_at TIMESTAMP NOT NULL
);
COMMENT ON TABLE audit.validations IS 'Every Great Expectations result of every validation run, one row per expectation per file';
