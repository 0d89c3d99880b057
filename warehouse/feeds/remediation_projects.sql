-- Purpose: raw.remediation_projects and core.remediation_projects (黑臭水体整治项目月报, remediation projects) with their comments.
-- Grain: raw: one row per one project in one report month per delivery; core: one row per key (project_no, report_month).
-- Sources: generated from feeds/remediation_projects.yaml and warehouse/templates/core_table.sql by `make generate`;
--   do not edit. The writer runs it after the migrations whenever it changed.

CREATE TABLE IF NOT EXISTS raw.remediation_projects (
    project_no VARCHAR,
    report_month DATE,
    water_body VARCHAR,
    street VARCHAR,
    river_chief VARCHAR,
    baseline_grade VARCHAR,
    measures VARCHAR,
    planned_investment DECIMAL(18,2),
    completed_investment DECIMAL(18,2),
    start_date DATE,
    planned_finish DATE,
    actual_finish DATE,
    progress_pct DOUBLE,
    status VARCHAR,
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
ALTER TABLE raw.remediation_projects ADD COLUMN IF NOT EXISTS project_no           VARCHAR;
ALTER TABLE raw.remediation_projects ADD COLUMN IF NOT EXISTS report_month         DATE;
ALTER TABLE raw.remediation_projects ADD COLUMN IF NOT EXISTS water_body           VARCHAR;
ALTER TABLE raw.remediation_projects ADD COLUMN IF NOT EXISTS street               VARCHAR;
ALTER TABLE raw.remediation_projects ADD COLUMN IF NOT EXISTS river_chief          VARCHAR;
ALTER TABLE raw.remediation_projects ADD COLUMN IF NOT EXISTS baseline_grade       VARCHAR;
ALTER TABLE raw.remediation_projects ADD COLUMN IF NOT EXISTS measures             VARCHAR;
ALTER TABLE raw.remediation_projects ADD COLUMN IF NOT EXISTS planned_investment   DECIMAL(18,2);
ALTER TABLE raw.remediation_projects ADD COLUMN IF NOT EXISTS completed_investment DECIMAL(18,2);
ALTER TABLE raw.remediation_projects ADD COLUMN IF NOT EXISTS start_date           DATE;
ALTER TABLE raw.remediation_projects ADD COLUMN IF NOT EXISTS planned_finish       DATE;
ALTER TABLE raw.remediation_projects ADD COLUMN IF NOT EXISTS actual_finish        DATE;
ALTER TABLE raw.remediation_projects ADD COLUMN IF NOT EXISTS progress_pct         DOUBLE;
ALTER TABLE raw.remediation_projects ADD COLUMN IF NOT EXISTS status               VARCHAR;

-- The current versions, built from raw when the table does not exist (a new feed); kept in step since.
CREATE TABLE IF NOT EXISTS core.remediation_projects AS
SELECT * EXCLUDE (_version_rank, _withdrawn)
FROM (
    SELECT *, row_number() OVER (PARTITION BY project_no, report_month ORDER BY _delivery_seq DESC, _withdrawn DESC, _row_number DESC) AS _version_rank
    FROM raw.remediation_projects r
    WHERE _file_id NOT IN (SELECT file_id FROM audit.files WHERE status = 'withdrawn')
      AND true
)
WHERE _version_rank = 1 AND _withdrawn IS NOT TRUE;
ALTER TABLE core.remediation_projects ADD COLUMN IF NOT EXISTS project_no           VARCHAR;
ALTER TABLE core.remediation_projects ADD COLUMN IF NOT EXISTS report_month         DATE;
ALTER TABLE core.remediation_projects ADD COLUMN IF NOT EXISTS water_body           VARCHAR;
ALTER TABLE core.remediation_projects ADD COLUMN IF NOT EXISTS street               VARCHAR;
ALTER TABLE core.remediation_projects ADD COLUMN IF NOT EXISTS river_chief          VARCHAR;
ALTER TABLE core.remediation_projects ADD COLUMN IF NOT EXISTS baseline_grade       VARCHAR;
ALTER TABLE core.remediation_projects ADD COLUMN IF NOT EXISTS measures             VARCHAR;
ALTER TABLE core.remediation_projects ADD COLUMN IF NOT EXISTS planned_investment   DECIMAL(18,2);
ALTER TABLE core.remediation_projects ADD COLUMN IF NOT EXISTS completed_investment DECIMAL(18,2);
ALTER TABLE core.remediation_projects ADD COLUMN IF NOT EXISTS start_date           DATE;
ALTER TABLE core.remediation_projects ADD COLUMN IF NOT EXISTS planned_finish       DATE;
ALTER TABLE core.remediation_projects ADD COLUMN IF NOT EXISTS actual_finish        DATE;
ALTER TABLE core.remediation_projects ADD COLUMN IF NOT EXISTS progress_pct         DOUBLE;
ALTER TABLE core.remediation_projects ADD COLUMN IF NOT EXISTS status               VARCHAR;

COMMENT ON TABLE raw.remediation_projects IS '黑臭水体整治项目月报：历次交付的全部版本，违反规则的行进入隔离表（标记规则除外）/ Every version of every row ever loaded: one row per one project in one report month per delivery, with the file and run that delivered it. A row breaking a rule of its columns is rejected to audit.quarantine, unless the rule says flagged (audit.row_flags). Columns, aliases, units and rules: docs/extracts.md';
COMMENT ON TABLE core.remediation_projects IS '黑臭水体整治项目月报：每个主键的当前版本 / The current version of each key (project_no, report_month): the newest delivery of a file not withdrawn wins; a key withdrawn by a period-snapshot delivery is left out (docs/extracts.md). Kept in step with raw.* in the transaction that publishes, releases or withdraws a delivery';
COMMENT ON COLUMN raw.remediation_projects.project_no IS '项目编号 / Project code; the key of the feed with report_month. 规则：主键；必填 / Rules: key; required.';
COMMENT ON COLUMN raw.remediation_projects.report_month IS '报告期 / Report month, stored as its first day; the key with project_no. 规则：主键；必填；须为年月 / Rules: key; required; must parse as month.';
COMMENT ON COLUMN raw.remediation_projects.water_body IS '水体名称 / Black-and-odorous water body remediated. 规则：必填 / Rules: required.';
COMMENT ON COLUMN raw.remediation_projects.street IS '所在街道 / Street of the project. 规则：非本区街道则标记，仅计入全区 / Rules: flagged if not a street of the region (district only).';
COMMENT ON COLUMN raw.remediation_projects.river_chief IS '河长 / Responsible river chief.';
COMMENT ON COLUMN raw.remediation_projects.baseline_grade IS '整治前等级 / Grade before remediation: light or heavy. 规则：取值 轻度、重度 / Rules: one of the listed values.';
COMMENT ON COLUMN raw.remediation_projects.measures IS '整治措施 / Remediation measures, a list. 规则：取值 控源截污、内源治理、生态修复、活水保质 / Rules: one of the listed values.';
COMMENT ON COLUMN raw.remediation_projects.planned_investment IS '计划总投资 / Planned total investment, yuan. 规则：必填；须为金额；范围 > 0 / Rules: required; must parse as yuan; range > 0.';
COMMENT ON COLUMN raw.remediation_projects.completed_investment IS '累计完成投资 / Cumulative completed investment, yuan. 规则：必填；须为金额；范围 ≥ 0；不超过「计划总投资」的1.2倍；比上一报告期减少则标记 / Rules: required; must parse as yuan; range ≥ 0; at most 1.2 × planned_investment; flagged if it falls since the previous report month.';
COMMENT ON COLUMN raw.remediation_projects.start_date IS '开工日期 / Start date. 规则：须为日期 / Rules: must parse as date.';
COMMENT ON COLUMN raw.remediation_projects.planned_finish IS '计划完工日期 / Planned completion date. 规则：须为日期 / Rules: must parse as date.';
COMMENT ON COLUMN raw.remediation_projects.actual_finish IS '实际完工日期 / Actual completion date; a project is completed from this day. 规则：须为日期；早于「开工日期」则标记 / Rules: must parse as date; flagged if before start_date.';
COMMENT ON COLUMN raw.remediation_projects.progress_pct IS '形象进度 / Physical progress, percent. 规则：须为百分比；范围 ≥ 0, ≤ 100；比上一报告期减少则标记 / Rules: must parse as percent; range ≥ 0, ≤ 100; flagged if it falls since the previous report month.';
COMMENT ON COLUMN raw.remediation_projects.status IS '治理状态 / Remediation status. 规则：取值 方案制定、治理中、完成治理、初见成效、长制久清、返黑返臭 / Rules: one of the listed values.';
COMMENT ON COLUMN raw.remediation_projects._extra IS '文件中未声明的列（表头→值，JSON）/ Columns of the delivered file not declared for the feed, as JSON (header → value)';
COMMENT ON COLUMN raw.remediation_projects._file_id IS '来源文件 / File that delivered this version of the row (→ audit.files.file_id)';
COMMENT ON COLUMN raw.remediation_projects._run_id IS '加载的运行编号 / Airflow run_id that loaded the row';
COMMENT ON COLUMN raw.remediation_projects._delivery_seq IS '交付序号 / Order of the delivery (audit.files.delivery_seq); the highest wins in core.*';
COMMENT ON COLUMN raw.remediation_projects._sheet IS '工作表名 / Worksheet the row came from (null for CSV)';
COMMENT ON COLUMN raw.remediation_projects._row_number IS '文件中的行号 / Row number in the sheet or file, as a spreadsheet shows it';
COMMENT ON COLUMN raw.remediation_projects._loaded_at IS '加载时间 / When the row was written (local time of the writer)';
COMMENT ON COLUMN raw.remediation_projects._withdrawn IS '撤回标记 / true on a tombstone: a period-snapshot delivery (_file_id) restated the key''s period without it, so the key is withdrawn from core.* from this delivery on; only the key and the event date are filled';
COMMENT ON COLUMN core.remediation_projects.project_no IS '项目编号 / Project code; the key of the feed with report_month. 规则：主键；必填 / Rules: key; required.';
COMMENT ON COLUMN core.remediation_projects.report_month IS '报告期 / Report month, stored as its first day; the key with project_no. 规则：主键；必填；须为年月 / Rules: key; required; must parse as month.';
COMMENT ON COLUMN core.remediation_projects.water_body IS '水体名称 / Black-and-odorous water body remediated. 规则：必填 / Rules: required.';
COMMENT ON COLUMN core.remediation_projects.street IS '所在街道 / Street of the project. 规则：非本区街道则标记，仅计入全区 / Rules: flagged if not a street of the region (district only).';
COMMENT ON COLUMN core.remediation_projects.river_chief IS '河长 / Responsible river chief.';
COMMENT ON COLUMN core.remediation_projects.baseline_grade IS '整治前等级 / Grade before remediation: light or heavy. 规则：取值 轻度、重度 / Rules: one of the listed values.';
COMMENT ON COLUMN core.remediation_projects.measures IS '整治措施 / Remediation measures, a list. 规则：取值 控源截污、内源治理、生态修复、活水保质 / Rules: one of the listed values.';
COMMENT ON COLUMN core.remediation_projects.planned_investment IS '计划总投资 / Planned total investment, yuan. 规则：必填；须为金额；范围 > 0 / Rules: required; must parse as yuan; range > 0.';
COMMENT ON COLUMN core.remediation_projects.completed_investment IS '累计完成投资 / Cumulative completed investment, yuan. 规则：必填；须为金额；范围 ≥ 0；不超过「计划总投资」的1.2倍；比上一报告期减少则标记 / Rules: required; must parse as yuan; range ≥ 0; at most 1.2 × planned_investment; flagged if it falls since the previous report month.';
COMMENT ON COLUMN core.remediation_projects.start_date IS '开工日期 / Start date. 规则：须为日期 / Rules: must parse as date.';
COMMENT ON COLUMN core.remediation_projects.planned_finish IS '计划完工日期 / Planned completion date. 规则：须为日期 / Rules: must parse as date.';
COMMENT ON COLUMN core.remediation_projects.actual_finish IS '实际完工日期 / Actual completion date; a project is completed from this day. 规则：须为日期；早于「开工日期」则标记 / Rules: must parse as date; flagged if before start_date.';
COMMENT ON COLUMN core.remediation_projects.progress_pct IS '形象进度 / Physical progress, percent. 规则：须为百分比；范围 ≥ 0, ≤ 100；比上一报告期减少则标记 / Rules: must parse as percent; range ≥ 0, ≤ 100; flagged if it falls since the previous report month.';
COMMENT ON COLUMN core.remediation_projects.status IS '治理状态 / Remediation status. 规则：取值 方案制定、治理中、完成治理、初见成效、长制久清、返黑返臭 / Rules: one of the listed values.';
COMMENT ON COLUMN core.remediation_projects._extra IS '文件中未声明的列（表头→值，JSON）/ Columns of the delivered file not declared for the feed, as JSON (header → value)';
COMMENT ON COLUMN core.remediation_projects._file_id IS '来源文件 / File that delivered this version of the row (→ audit.files.file_id)';
COMMENT ON COLUMN core.remediation_projects._run_id IS '加载的运行编号 / Airflow run_id that loaded the row';
COMMENT ON COLUMN core.remediation_projects._delivery_seq IS '交付序号 / Order of the delivery (audit.files.delivery_seq); the highest wins in core.*';
COMMENT ON COLUMN core.remediation_projects._sheet IS '工作表名 / Worksheet the row came from (null for CSV)';
COMMENT ON COLUMN core.remediation_projects._row_number IS '文件中的行号 / Row number in the sheet or file, as a spreadsheet shows it';
COMMENT ON COLUMN core.remediation_projects._loaded_at IS '加载时间 / When the row was written (local time of the writer)';
