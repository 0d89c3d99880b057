-- V011: core.<feed> becomes a table kept in step with raw.<feed>, instead of a view that ranked every version of
-- every key on each read. Each view's rows (the current version of each key, as the view defined it) are copied
-- into a table that takes its name; from here on loading.current updates the keys that a publish, a release or a
-- withdrawal touches, in that transaction, from the one template warehouse/templates/core_table.sql (which
-- also builds the table of a feed declared later, in warehouse/feeds/<feed>.sql). marts.dirty_quarters records
-- the quarters those changes touched, until quarterly_indicators has recomputed them.

CREATE TABLE core.product_sampling_v011 AS SELECT * FROM core.product_sampling;
DROP VIEW core.product_sampling;
ALTER TABLE core.product_sampling_v011 RENAME TO product_sampling;

CREATE TABLE core.enforcement_cases_v011 AS SELECT * FROM core.enforcement_cases;
DROP VIEW core.enforcement_cases;
ALTER TABLE core.enforcement_cases_v011 RENAME TO enforcement_cases;

CREATE TABLE core.enforcement_inspections_v011 AS SELECT * FROM core.enforcement_inspections;
DROP VIEW core.enforcement_inspections;
ALTER TABLE core.enforcement_inspections_v011 RENAME TO enforcement_inspections;

CREATE TABLE core.remediation_projects_v011 AS SELECT * FROM core.remediation_projects;
DROP VIEW core.remediation_projects;
ALTER TABLE core.remediation_projects_v011 RENAME TO remediation_projects;

CREATE TABLE core.water_quality_v011 AS SELECT * FROM core.water_quality;
DROP VIEW core.water_quality;
ALTER TABLE core.water_quality_v011 RENAME TO water_quality;

CREATE TABLE marts.dirty_quarters (
    quarter VARCHAR NOT NULL,
    feed VARCHAR NOT NULL,
    file_id BIGINT,
    recorded_at TIMESTAMP NOT NULL
);
COMMENT ON TABLE marts.dirty_quarters IS '待重算的季度 / Quarters whose current versions (core.*) changed since quarterly_indicators last recomputed them: the quarters of the rows a delivery, release or withdrawal brought in, and of the versions they superseded or brought back (a key moved from 2026Q2 to 2026Q3 touches both). quarterly_indicators recomputes them and their years, and removes them in the same transaction';
COMMENT ON COLUMN marts.dirty_quarters.quarter IS '季度 / Quarter touched, e.g. 2026Q3';
COMMENT ON COLUMN marts.dirty_quarters.feed IS '数据源 / Feed whose current versions changed in the quarter';
COMMENT ON COLUMN marts.dirty_quarters.file_id IS '文件 / The file published, released or withdrawn (→ audit.files.file_id); null when a whole core table was rebuilt';
COMMENT ON COLUMN marts.dirty_quarters.recorded_at IS '记录时间 / When the change was recorded (local time of the writer)';
