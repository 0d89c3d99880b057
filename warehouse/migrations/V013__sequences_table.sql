-- V013: the numbers the warehouse hands out (file ids, the delivery order, vintage ids, seed loads) kept in a
-- table, stepped by the writer in the transaction that uses them (warehouse/sequences.py), instead of
-- sequences: the DuckLake catalog the warehouse is stored in has none. Each starts after the larger of the
-- sequence's last value (a DuckDB-file warehouse) and the largest number already used, so no number is handed
-- out twice. Runs as written on a DuckDB file and on a DuckLake catalog.

CREATE TABLE meta.sequences (
    name VARCHAR NOT NULL,
    value BIGINT NOT NULL
);
COMMENT ON TABLE meta.sequences IS '编号计数器 / The last number handed out of each sequence of the warehouse (one row per name), stepped by the writer in the transaction that uses it';
COMMENT ON COLUMN meta.sequences.name IS '计数器 / Which numbers: audit.file_id, audit.delivery_seq, marts.vintage_id, ref.seed_load_id';
COMMENT ON COLUMN meta.sequences.value IS '最后编号 / The last number handed out (0: none yet)';

INSERT INTO meta.sequences
SELECT name, greatest(used, coalesce((SELECT max(last_value) FROM duckdb_sequences() s
                                      WHERE s.database_name = current_database()
                                        AND s.schema_name || '.' || s.sequence_name = sequence), 0))
FROM (
    SELECT 'audit.file_id' AS name, 'audit.file_id_seq' AS sequence, coalesce((SELECT max(file_id) FROM audit.files), 0) AS used
    UNION ALL SELECT 'audit.delivery_seq', 'audit.delivery_seq', coalesce((SELECT max(delivery_seq) FROM audit.files), 0)
    UNION ALL SELECT 'marts.vintage_id', 'marts.vintage_id_seq', coalesce((SELECT max(vintage_id) FROM marts.indicator_vintages), 0)
    UNION ALL SELECT 'ref.seed_load_id', 'ref.seed_load_seq', coalesce((SELECT max(load_id) FROM ref.seed_versions), 0)
);

DROP SEQUENCE IF EXISTS audit.file_id_seq;
DROP SEQUENCE IF EXISTS audit.delivery_seq;
DROP SEQUENCE IF EXISTS marts.vintage_id_seq;
DROP SEQUENCE IF EXISTS ref.seed_load_seq;

COMMENT ON COLUMN audit.files.file_id IS '文件编号 / File number (meta.sequences, audit.file_id); raw.*._file_id and the audit tables point here';
COMMENT ON COLUMN audit.files.delivery_seq IS '交付序号 / Order of a loaded or held delivery (meta.sequences, audit.delivery_seq); null for rejected and duplicate files';
COMMENT ON COLUMN marts.indicator_vintages.vintage_id IS '发布版本号 / Vintage number, increasing with every publication (meta.sequences, marts.vintage_id); one vintage covers one quarter';
COMMENT ON COLUMN ref.seed_versions.load_id IS '加载序号 / Number of the load (meta.sequences, ref.seed_load_id); the three seeds of one load share it';
