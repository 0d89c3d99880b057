-- V007: audit.files.status gains `ignored`: a file or folder in the landing folder that no feed reads
-- (outside every feed folder, a symlinked feed folder, a sub-folder no feed owns) is recorded, never skipped
-- silently. DuckDB cannot alter a CHECK constraint, so the table is rebuilt with its rows and comments.
CREATE TABLE audit.files_v007 (
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
    CHECK (status IN ('loaded', 'duplicate', 'rejected', 'held', 'ignored'))
);
INSERT INTO audit.files_v007 SELECT * FROM audit.files;
DROP TABLE audit.files;
ALTER TABLE audit.files_v007 RENAME TO files;
COMMENT ON TABLE audit.files IS '收到的文件 / One row per file seen in the landing folder: what became of it (loaded, duplicate, rejected, held, ignored) and how its rows were accounted for (rows_read = rows_loaded + rows_held + rows_rejected + duplicates_dropped); the rules are in docs/extracts.md';
COMMENT ON COLUMN audit.files.file_id IS '文件编号 / File number (audit.file_id_seq); raw.*._file_id and the audit tables point here';
COMMENT ON COLUMN audit.files.feed IS '数据源 / Feed the file belongs to (include/quality_pipeline/feeds/<feed>.yaml)';
COMMENT ON COLUMN audit.files.path IS '文件路径 / Path relative to the landing folder';
COMMENT ON COLUMN audit.files.sha256 IS '文件内容 SHA-256 / SHA-256 of the bytes; the same path and bytes are never processed twice (refused files: refused:<path>, ignored ones: ignored:<path>)';
COMMENT ON COLUMN audit.files.size_bytes IS '文件大小（字节）/ Size in bytes';
COMMENT ON COLUMN audit.files.modified_at IS '文件修改时间 / Modification time of the file; files are processed in this order, then by name';
COMMENT ON COLUMN audit.files.status IS '处理结果：loaded 已加载、duplicate 重复、rejected 拒收、held 暂缓、ignored 未读取 / Outcome: loaded, duplicate (identical bytes of a loaded or held file), rejected (unreadable; identical bytes are read again), held (a batch check failed; release it with the DAG param release), ignored (outside every feed folder, a symlinked feed folder or a folder no feed owns; move the file into its feed folder). See docs/extracts.md';
COMMENT ON COLUMN audit.files.reason IS '原因（中文 / English）/ Why the file was rejected, held or is a duplicate, in Chinese and English';
COMMENT ON COLUMN audit.files.reason_code IS '原因代码 / Machine-readable code of the reason (e.g. symlink, identical, no_header, rejected_share, row_drop)';
COMMENT ON COLUMN audit.files.rows_read IS '读取的数据行数 / Data rows read = rows_loaded + rows_held + rows_rejected + duplicates_dropped';
COMMENT ON COLUMN audit.files.rows_loaded IS '加载的行数 / Rows written to raw.<feed>';
COMMENT ON COLUMN audit.files.rows_held IS '暂缓的行数 / Valid rows of a held file, waiting for release';
COMMENT ON COLUMN audit.files.rows_rejected IS '拒收的行数 / Rows rejected (see audit.quarantine), or every valid row of a rejected batch';
COMMENT ON COLUMN audit.files.duplicates_dropped IS '完全重复而剔除的行数 / Exact duplicate rows within the file, dropped';
COMMENT ON COLUMN audit.files.rows_flagged IS '被标记的行数 / Loaded rows with at least one flag (see audit.row_flags)';
COMMENT ON COLUMN audit.files.rows_skipped IS '跳过的非数据行 / Non-data rows skipped (totals, notes, repeated headers); not counted in rows_read';
COMMENT ON COLUMN audit.files.encoding IS '文本编码 / Detected text encoding of a CSV file';
COMMENT ON COLUMN audit.files.details IS '文件信息（JSON）/ JSON: sheets read, sheets skipped and why (skipped_sheets: copies or references such as 上季度, 参考, 备份), header columns found, kinds of rows skipped, units found per column. See docs/extracts.md';
COMMENT ON COLUMN audit.files.delivery_seq IS '交付序号 / Order of a loaded or held delivery (audit.delivery_seq); null for rejected and duplicate files';
COMMENT ON COLUMN audit.files.duplicate_of IS '重复的原文件 / file_id of the file with identical bytes, for duplicates';
COMMENT ON COLUMN audit.files.run_id IS '处理的运行编号 / Airflow run_id that processed the file';
COMMENT ON COLUMN audit.files.released_run_id IS '放行的运行编号 / Airflow run_id that released a held file, if any';
COMMENT ON COLUMN audit.files.processed_at IS '处理时间 / When the file was processed (local time of the writer)';

-- Each feed table points to the input contract, where its columns, units and rules are written down.
COMMENT ON TABLE raw.product_sampling IS '产品质量监督抽查结果：历次交付的全部版本，违反规则的行进入隔离表（标记规则除外）/ Every version of every row ever loaded: one row per one sampled batch per delivery, with the file and run that delivered it. A row breaking a rule of its columns is rejected to audit.quarantine, unless the rule says flagged (audit.row_flags). Columns, aliases, units and rules: docs/extracts.md';
COMMENT ON TABLE raw.enforcement_cases IS '行政处罚案件台账：历次交付的全部版本，违反规则的行进入隔离表（标记规则除外）/ Every version of every row ever loaded: one row per one case per delivery, with the file and run that delivered it. A row breaking a rule of its columns is rejected to audit.quarantine, unless the rule says flagged (audit.row_flags). Columns, aliases, units and rules: docs/extracts.md';
COMMENT ON TABLE raw.enforcement_inspections IS '执法检查记录：历次交付的全部版本，违反规则的行进入隔离表（标记规则除外）/ Every version of every row ever loaded: one row per one inspection action per delivery, with the file and run that delivered it. A row breaking a rule of its columns is rejected to audit.quarantine, unless the rule says flagged (audit.row_flags). Columns, aliases, units and rules: docs/extracts.md';
COMMENT ON TABLE raw.remediation_projects IS '黑臭水体整治项目月报：历次交付的全部版本，违反规则的行进入隔离表（标记规则除外）/ Every version of every row ever loaded: one row per one project in one report month per delivery, with the file and run that delivered it. A row breaking a rule of its columns is rejected to audit.quarantine, unless the rule says flagged (audit.row_flags). Columns, aliases, units and rules: docs/extracts.md';
COMMENT ON TABLE raw.water_quality IS '水质监测：历次交付的全部版本，违反规则的行进入隔离表（标记规则除外）/ Every version of every row ever loaded: one row per one sample at one point on one day per delivery, with the file and run that delivered it. A row breaking a rule of its columns is rejected to audit.quarantine, unless the rule says flagged (audit.row_flags). Columns, aliases, units and rules: docs/extracts.md';
