-- Purpose: raw.water_quality and core.water_quality (水质监测, water quality) with their comments.
-- Grain: raw: one row per one sample at one point on one day per delivery; core: one row per key (point_id, sample_date).
-- Sources: generated from feeds/water_quality.yaml and warehouse/templates/core_table.sql by `make generate`;
--   do not edit. The writer runs it after the migrations whenever it changed.

CREATE TABLE IF NOT EXISTS raw.water_quality (
    water_body VARCHAR,
    point_id VARCHAR,
    sample_date DATE,
    transparency_cm DOUBLE,
    do_mg_l DOUBLE,
    orp_mv DOUBLE,
    nh3n_mg_l DOUBLE,
    depth_cm DOUBLE,
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
ALTER TABLE raw.water_quality ADD COLUMN IF NOT EXISTS water_body      VARCHAR;
ALTER TABLE raw.water_quality ADD COLUMN IF NOT EXISTS point_id        VARCHAR;
ALTER TABLE raw.water_quality ADD COLUMN IF NOT EXISTS sample_date     DATE;
ALTER TABLE raw.water_quality ADD COLUMN IF NOT EXISTS transparency_cm DOUBLE;
ALTER TABLE raw.water_quality ADD COLUMN IF NOT EXISTS do_mg_l         DOUBLE;
ALTER TABLE raw.water_quality ADD COLUMN IF NOT EXISTS orp_mv          DOUBLE;
ALTER TABLE raw.water_quality ADD COLUMN IF NOT EXISTS nh3n_mg_l       DOUBLE;
ALTER TABLE raw.water_quality ADD COLUMN IF NOT EXISTS depth_cm        DOUBLE;

-- The current versions, built from raw when the table does not exist (a new feed); kept in step since.
CREATE TABLE IF NOT EXISTS core.water_quality AS
SELECT * EXCLUDE (_version_rank, _withdrawn)
FROM (
    SELECT *, row_number() OVER (PARTITION BY point_id, sample_date ORDER BY _delivery_seq DESC, _withdrawn DESC, _row_number DESC) AS _version_rank
    FROM raw.water_quality r
    WHERE _file_id NOT IN (SELECT file_id FROM audit.files WHERE status = 'withdrawn')
      AND true
)
WHERE _version_rank = 1 AND _withdrawn IS NOT TRUE;
ALTER TABLE core.water_quality ADD COLUMN IF NOT EXISTS water_body      VARCHAR;
ALTER TABLE core.water_quality ADD COLUMN IF NOT EXISTS point_id        VARCHAR;
ALTER TABLE core.water_quality ADD COLUMN IF NOT EXISTS sample_date     DATE;
ALTER TABLE core.water_quality ADD COLUMN IF NOT EXISTS transparency_cm DOUBLE;
ALTER TABLE core.water_quality ADD COLUMN IF NOT EXISTS do_mg_l         DOUBLE;
ALTER TABLE core.water_quality ADD COLUMN IF NOT EXISTS orp_mv          DOUBLE;
ALTER TABLE core.water_quality ADD COLUMN IF NOT EXISTS nh3n_mg_l       DOUBLE;
ALTER TABLE core.water_quality ADD COLUMN IF NOT EXISTS depth_cm        DOUBLE;

COMMENT ON TABLE raw.water_quality IS '水质监测：历次交付的全部版本，违反规则的行进入隔离表（标记规则除外）/ Every version of every row ever loaded: one row per one sample at one point on one day per delivery, with the file and run that delivered it. A row breaking a rule of its columns is rejected to audit.quarantine, unless the rule says flagged (audit.row_flags). Columns, aliases, units and rules: docs/extracts.md';
COMMENT ON TABLE core.water_quality IS '水质监测：每个主键的当前版本 / The current version of each key (point_id, sample_date): the newest delivery of a file not withdrawn wins; a key withdrawn by a period-snapshot delivery is left out (docs/extracts.md). Kept in step with raw.* in the transaction that publishes, releases or withdraws a delivery';
COMMENT ON COLUMN raw.water_quality.water_body IS '水体名称 / Water body sampled. 规则：必填 / Rules: required.';
COMMENT ON COLUMN raw.water_quality.point_id IS '监测点位 / Monitoring point; the key of the feed with sample_date. 规则：主键；必填 / Rules: key; required.';
COMMENT ON COLUMN raw.water_quality.sample_date IS '采样日期 / Sampling date; event date of the water-body assessment. 规则：主键；必填；须为日期 / Rules: key; required; must parse as date.';
COMMENT ON COLUMN raw.water_quality.transparency_cm IS '透明度(cm) / Transparency, cm (light 10–25, heavy < 10; below 25 cm depth only under 40% of depth counts). 规则：须为数值；范围 ≥ 0, ≤ 500 / Rules: must parse as number; range ≥ 0, ≤ 500.';
COMMENT ON COLUMN raw.water_quality.do_mg_l IS '溶解氧(mg/L) / Dissolved oxygen, mg/L (light 0.2–2.0, heavy < 0.2). 规则：须为数值；范围 ≥ 0, ≤ 20 / Rules: must parse as number; range ≥ 0, ≤ 20.';
COMMENT ON COLUMN raw.water_quality.orp_mv IS '氧化还原电位(mV) / Oxidation–reduction potential, mV (light −200–50, heavy < −200). 规则：须为数值；范围 ≥ -600, ≤ 600 / Rules: must parse as number; range ≥ -600, ≤ 600.';
COMMENT ON COLUMN raw.water_quality.nh3n_mg_l IS '氨氮(mg/L) / Ammonia nitrogen, mg/L (light 8.0–15, heavy > 15). 规则：须为数值；范围 ≥ 0, ≤ 100 / Rules: must parse as number; range ≥ 0, ≤ 100.';
COMMENT ON COLUMN raw.water_quality.depth_cm IS '水深(cm) / Water depth, cm. 规则：须为数值；范围 > 0 / Rules: must parse as number; range > 0.';
COMMENT ON COLUMN raw.water_quality._extra IS '文件中未声明的列（表头→值，JSON）/ Columns of the delivered file not declared for the feed, as JSON (header → value)';
COMMENT ON COLUMN raw.water_quality._file_id IS '来源文件 / File that delivered this version of the row (→ audit.files.file_id)';
COMMENT ON COLUMN raw.water_quality._run_id IS '加载的运行编号 / Airflow run_id that loaded the row';
COMMENT ON COLUMN raw.water_quality._delivery_seq IS '交付序号 / Order of the delivery (audit.files.delivery_seq); the highest wins in core.*';
COMMENT ON COLUMN raw.water_quality._sheet IS '工作表名 / Worksheet the row came from (null for CSV)';
COMMENT ON COLUMN raw.water_quality._row_number IS '文件中的行号 / Row number in the sheet or file, as a spreadsheet shows it';
COMMENT ON COLUMN raw.water_quality._loaded_at IS '加载时间 / When the row was written (local time of the writer)';
COMMENT ON COLUMN raw.water_quality._withdrawn IS '撤回标记 / true on a tombstone: a period-snapshot delivery (_file_id) restated the key''s period without it, so the key is withdrawn from core.* from this delivery on; only the key and the event date are filled';
COMMENT ON COLUMN core.water_quality.water_body IS '水体名称 / Water body sampled. 规则：必填 / Rules: required.';
COMMENT ON COLUMN core.water_quality.point_id IS '监测点位 / Monitoring point; the key of the feed with sample_date. 规则：主键；必填 / Rules: key; required.';
COMMENT ON COLUMN core.water_quality.sample_date IS '采样日期 / Sampling date; event date of the water-body assessment. 规则：主键；必填；须为日期 / Rules: key; required; must parse as date.';
COMMENT ON COLUMN core.water_quality.transparency_cm IS '透明度(cm) / Transparency, cm (light 10–25, heavy < 10; below 25 cm depth only under 40% of depth counts). 规则：须为数值；范围 ≥ 0, ≤ 500 / Rules: must parse as number; range ≥ 0, ≤ 500.';
COMMENT ON COLUMN core.water_quality.do_mg_l IS '溶解氧(mg/L) / Dissolved oxygen, mg/L (light 0.2–2.0, heavy < 0.2). 规则：须为数值；范围 ≥ 0, ≤ 20 / Rules: must parse as number; range ≥ 0, ≤ 20.';
COMMENT ON COLUMN core.water_quality.orp_mv IS '氧化还原电位(mV) / Oxidation–reduction potential, mV (light −200–50, heavy < −200). 规则：须为数值；范围 ≥ -600, ≤ 600 / Rules: must parse as number; range ≥ -600, ≤ 600.';
COMMENT ON COLUMN core.water_quality.nh3n_mg_l IS '氨氮(mg/L) / Ammonia nitrogen, mg/L (light 8.0–15, heavy > 15). 规则：须为数值；范围 ≥ 0, ≤ 100 / Rules: must parse as number; range ≥ 0, ≤ 100.';
COMMENT ON COLUMN core.water_quality.depth_cm IS '水深(cm) / Water depth, cm. 规则：须为数值；范围 > 0 / Rules: must parse as number; range > 0.';
COMMENT ON COLUMN core.water_quality._extra IS '文件中未声明的列（表头→值，JSON）/ Columns of the delivered file not declared for the feed, as JSON (header → value)';
COMMENT ON COLUMN core.water_quality._file_id IS '来源文件 / File that delivered this version of the row (→ audit.files.file_id)';
COMMENT ON COLUMN core.water_quality._run_id IS '加载的运行编号 / Airflow run_id that loaded the row';
COMMENT ON COLUMN core.water_quality._delivery_seq IS '交付序号 / Order of the delivery (audit.files.delivery_seq); the highest wins in core.*';
COMMENT ON COLUMN core.water_quality._sheet IS '工作表名 / Worksheet the row came from (null for CSV)';
COMMENT ON COLUMN core.water_quality._row_number IS '文件中的行号 / Row number in the sheet or file, as a spreadsheet shows it';
COMMENT ON COLUMN core.water_quality._loaded_at IS '加载时间 / When the row was written (local time of the writer)';
