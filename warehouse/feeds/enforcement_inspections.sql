-- Purpose: raw.enforcement_inspections and core.enforcement_inspections (执法检查记录, enforcement inspections) with their comments.
-- Grain: raw: one row per one inspection action per delivery; core: one row per key (inspection_no).
-- Sources: generated from feeds/enforcement_inspections.yaml and warehouse/templates/core_table.sql by `make generate`;
--   do not edit. The writer runs it after the migrations whenever it changed.

CREATE TABLE IF NOT EXISTS raw.enforcement_inspections (
    inspection_no VARCHAR,
    inspection_date DATE,
    campaign VARCHAR,
    street VARCHAR,
    officers INTEGER,
    entities INTEGER,
    issues_found INTEGER,
    cases_opened INTEGER,
    _extra JSON,
    _file_id BIGINT NOT NULL,
    _run_id VARCHAR NOT NULL,
    _delivery_seq BIGINT NOT NULL,
    _sheet VARCHAR,
    _row_number INTEGER NOT NULL,
    _loaded_at TIMESTAMP NOT NULL,
    _withdrawn BOOLEAN
);
-- A column declared after the table was made is added at its end.
ALTER TABLE raw.enforcement_inspections ADD COLUMN IF NOT EXISTS inspection_no   VARCHAR;
ALTER TABLE raw.enforcement_inspections ADD COLUMN IF NOT EXISTS inspection_date DATE;
ALTER TABLE raw.enforcement_inspections ADD COLUMN IF NOT EXISTS campaign        VARCHAR;
ALTER TABLE raw.enforcement_inspections ADD COLUMN IF NOT EXISTS street          VARCHAR;
ALTER TABLE raw.enforcement_inspections ADD COLUMN IF NOT EXISTS officers        INTEGER;
ALTER TABLE raw.enforcement_inspections ADD COLUMN IF NOT EXISTS entities        INTEGER;
ALTER TABLE raw.enforcement_inspections ADD COLUMN IF NOT EXISTS issues_found    INTEGER;
ALTER TABLE raw.enforcement_inspections ADD COLUMN IF NOT EXISTS cases_opened    INTEGER;

-- The current versions, built from raw when the table does not exist (a new feed); kept in step since.
CREATE TABLE IF NOT EXISTS core.enforcement_inspections AS
SELECT * EXCLUDE (_version_rank, _withdrawn)
FROM (
    SELECT *, row_number() OVER (PARTITION BY inspection_no ORDER BY _delivery_seq DESC, _withdrawn DESC, _row_number DESC) AS _version_rank
    FROM raw.enforcement_inspections r
    WHERE _file_id NOT IN (SELECT file_id FROM audit.files WHERE status = 'withdrawn')
      AND true
)
WHERE _version_rank = 1 AND _withdrawn IS NOT TRUE;
ALTER TABLE core.enforcement_inspections ADD COLUMN IF NOT EXISTS inspection_no   VARCHAR;
ALTER TABLE core.enforcement_inspections ADD COLUMN IF NOT EXISTS inspection_date DATE;
ALTER TABLE core.enforcement_inspections ADD COLUMN IF NOT EXISTS campaign        VARCHAR;
ALTER TABLE core.enforcement_inspections ADD COLUMN IF NOT EXISTS street          VARCHAR;
ALTER TABLE core.enforcement_inspections ADD COLUMN IF NOT EXISTS officers        INTEGER;
ALTER TABLE core.enforcement_inspections ADD COLUMN IF NOT EXISTS entities        INTEGER;
ALTER TABLE core.enforcement_inspections ADD COLUMN IF NOT EXISTS issues_found    INTEGER;
ALTER TABLE core.enforcement_inspections ADD COLUMN IF NOT EXISTS cases_opened    INTEGER;

COMMENT ON TABLE raw.enforcement_inspections IS '执法检查记录：历次交付的全部版本，违反规则的行进入隔离表（标记规则除外）/ Every version of every row ever loaded: one row per one inspection action per delivery, with the file and run that delivered it. A row breaking a rule of its columns is rejected to audit.quarantine, unless the rule says flagged (audit.row_flags). Columns, aliases, units and rules: docs/extracts.md';
COMMENT ON TABLE core.enforcement_inspections IS '执法检查记录：每个主键的当前版本 / The current version of each key (inspection_no): the newest delivery of a file not withdrawn wins; a key withdrawn by a period-snapshot delivery is left out (docs/extracts.md). Kept in step with raw.* in the transaction that publishes, releases or withdraws a delivery';
COMMENT ON COLUMN raw.enforcement_inspections.inspection_no IS '检查编号 / Inspection record number; the key of the feed. 规则：主键；必填 / Rules: key; required.';
COMMENT ON COLUMN raw.enforcement_inspections.inspection_date IS '检查日期 / Inspection date; event date of the inspection indicators. 规则：必填；须为日期 / Rules: required; must parse as date.';
COMMENT ON COLUMN raw.enforcement_inspections.campaign IS '检查类型 / Type of inspection or campaign.';
COMMENT ON COLUMN raw.enforcement_inspections.street IS '所属街道 / Street inspected; gives the street breakdown. 规则：非本区街道则标记，仅计入全区 / Rules: flagged if not a street of the region (district only).';
COMMENT ON COLUMN raw.enforcement_inspections.officers IS '出动执法人次 / Enforcement person-times deployed. 规则：必填；须为整数；范围 ≥ 1, ≤ 500 / Rules: required; must parse as whole number; range ≥ 1, ≤ 500.';
COMMENT ON COLUMN raw.enforcement_inspections.entities IS '检查户次 / Entities inspected. 规则：须为整数；范围 ≥ 0 / Rules: must parse as whole number; range ≥ 0.';
COMMENT ON COLUMN raw.enforcement_inspections.issues_found IS '发现问题数 / Issues found. 规则：须为整数；范围 ≥ 0 / Rules: must parse as whole number; range ≥ 0.';
COMMENT ON COLUMN raw.enforcement_inspections.cases_opened IS '立案数 / Cases opened from the inspection. 规则：须为整数；范围 ≥ 0 / Rules: must parse as whole number; range ≥ 0.';
COMMENT ON COLUMN raw.enforcement_inspections._extra IS '文件中未声明的列（表头→值，JSON）/ Columns of the delivered file not declared for the feed, as JSON (header → value)';
COMMENT ON COLUMN raw.enforcement_inspections._file_id IS '来源文件 / File that delivered this version of the row (→ audit.files.file_id)';
COMMENT ON COLUMN raw.enforcement_inspections._run_id IS '加载的运行编号 / Airflow run_id that loaded the row';
COMMENT ON COLUMN raw.enforcement_inspections._delivery_seq IS '交付序号 / Order of the delivery (audit.files.delivery_seq); the highest wins in core.*';
COMMENT ON COLUMN raw.enforcement_inspections._sheet IS '工作表名 / Worksheet the row came from (null for CSV)';
COMMENT ON COLUMN raw.enforcement_inspections._row_number IS '文件中的行号 / Row number in the sheet or file, as a spreadsheet shows it';
COMMENT ON COLUMN raw.enforcement_inspections._loaded_at IS '加载时间 / When the row was written (local time of the writer)';
COMMENT ON COLUMN raw.enforcement_inspections._withdrawn IS '撤回标记 / true on a tombstone: a period-snapshot delivery (_file_id) restated the key''s period without it, so the key is withdrawn from core.* from this delivery on; only the key and the event date are filled';
COMMENT ON COLUMN core.enforcement_inspections.inspection_no IS '检查编号 / Inspection record number; the key of the feed. 规则：主键；必填 / Rules: key; required.';
COMMENT ON COLUMN core.enforcement_inspections.inspection_date IS '检查日期 / Inspection date; event date of the inspection indicators. 规则：必填；须为日期 / Rules: required; must parse as date.';
COMMENT ON COLUMN core.enforcement_inspections.campaign IS '检查类型 / Type of inspection or campaign.';
COMMENT ON COLUMN core.enforcement_inspections.street IS '所属街道 / Street inspected; gives the street breakdown. 规则：非本区街道则标记，仅计入全区 / Rules: flagged if not a street of the region (district only).';
COMMENT ON COLUMN core.enforcement_inspections.officers IS '出动执法人次 / Enforcement person-times deployed. 规则：必填；须为整数；范围 ≥ 1, ≤ 500 / Rules: required; must parse as whole number; range ≥ 1, ≤ 500.';
COMMENT ON COLUMN core.enforcement_inspections.entities IS '检查户次 / Entities inspected. 规则：须为整数；范围 ≥ 0 / Rules: must parse as whole number; range ≥ 0.';
COMMENT ON COLUMN core.enforcement_inspections.issues_found IS '发现问题数 / Issues found. 规则：须为整数；范围 ≥ 0 / Rules: must parse as whole number; range ≥ 0.';
COMMENT ON COLUMN core.enforcement_inspections.cases_opened IS '立案数 / Cases opened from the inspection. 规则：须为整数；范围 ≥ 0 / Rules: must parse as whole number; range ≥ 0.';
COMMENT ON COLUMN core.enforcement_inspections._extra IS '文件中未声明的列（表头→值，JSON）/ Columns of the delivered file not declared for the feed, as JSON (header → value)';
COMMENT ON COLUMN core.enforcement_inspections._file_id IS '来源文件 / File that delivered this version of the row (→ audit.files.file_id)';
COMMENT ON COLUMN core.enforcement_inspections._run_id IS '加载的运行编号 / Airflow run_id that loaded the row';
COMMENT ON COLUMN core.enforcement_inspections._delivery_seq IS '交付序号 / Order of the delivery (audit.files.delivery_seq); the highest wins in core.*';
COMMENT ON COLUMN core.enforcement_inspections._sheet IS '工作表名 / Worksheet the row came from (null for CSV)';
COMMENT ON COLUMN core.enforcement_inspections._row_number IS '文件中的行号 / Row number in the sheet or file, as a spreadsheet shows it';
COMMENT ON COLUMN core.enforcement_inspections._loaded_at IS '加载时间 / When the row was written (local time of the writer)';
