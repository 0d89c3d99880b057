-- V002: one history table per feed (every version of every key, with the file and run that delivered it)
-- and one view per feed with the current version of each key (the newest delivery wins).

CREATE TABLE raw.product_sampling (
    sample_no VARCHAR,
    report_no VARCHAR,
    plan_level VARCHAR,
    sampling_stage VARCHAR,
    product_category VARCHAR,
    industry_code VARCHAR,
    product_name VARCHAR,
    trademark VARCHAR,
    spec_model VARCHAR,
    batch VARCHAR,
    inspected_unit VARCHAR,
    inspected_unit_uscc VARCHAR,
    manufacturer VARCHAR,
    street VARCHAR,
    sampling_date DATE,
    agency VARCHAR,
    conclusion VARCHAR,
    failed_items VARCHAR,
    followup_status VARCHAR,
    _extra JSON,
    _file_id BIGINT NOT NULL,
    _run_id VARCHAR NOT NULL,
    _delivery_seq BIGINT NOT NULL,
    _sheet VARCHAR,
    _row_number INTEGER NOT NULL,
    _loaded_at TIMESTAMP NOT NULL
);
COMMENT ON TABLE raw.product_sampling IS '产品质量监督抽查结果: every version of every row ever loaded, one row per one sampled batch per delivery';

CREATE VIEW core.product_sampling AS
SELECT * EXCLUDE (_version_rank)
FROM (
    SELECT *, row_number() OVER (PARTITION BY sample_no ORDER BY _delivery_seq DESC, _row_number DESC) AS _version_rank
    FROM raw.product_sampling
)
WHERE _version_rank = 1;
COMMENT ON VIEW core.product_sampling IS '产品质量监督抽查结果: the current version of each key (sample_no); the newest delivery wins';

CREATE TABLE raw.enforcement_cases (
    case_no VARCHAR,
    decision_no VARCHAR,
    case_source VARCHAR,
    filing_date DATE,
    decision_date DATE,
    closing_date DATE,
    violation_type VARCHAR,
    party_name VARCHAR,
    party_uscc VARCHAR,
    street VARCHAR,
    goods_value DECIMAL(18,2),
    sales_amount DECIMAL(18,2),
    fine DECIMAL(18,2),
    confiscation DECIMAL(18,2),
    transferred BOOLEAN,
    status VARCHAR,
    _extra JSON,
    _file_id BIGINT NOT NULL,
    _run_id VARCHAR NOT NULL,
    _delivery_seq BIGINT NOT NULL,
    _sheet VARCHAR,
    _row_number INTEGER NOT NULL,
    _loaded_at TIMESTAMP NOT NULL
);
COMMENT ON TABLE raw.enforcement_cases IS '行政处罚案件台账: every version of every row ever loaded, one row per one case per delivery';

CREATE VIEW core.enforcement_cases AS
SELECT * EXCLUDE (_version_rank)
FROM (
    SELECT *, row_number() OVER (PARTITION BY case_no ORDER BY _delivery_seq DESC, _row_number DESC) AS _version_rank
    FROM raw.enforcement_cases
)
WHERE _version_rank = 1;
COMMENT ON VIEW core.enforcement_cases IS '行政处罚案件台账: the current version of each key (case_no); the newest delivery wins';

CREATE TABLE raw.enforcement_inspections (
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
    _loaded_at TIMESTAMP NOT NULL
);
COMMENT ON TABLE raw.enforcement_inspections IS '执法检查记录: every version of every row ever loaded, one row per one inspection action per delivery';

CREATE VIEW core.enforcement_inspections AS
SELECT * EXCLUDE (_version_rank)
FROM (
    SELECT *, row_number() OVER (PARTITION BY inspection_no ORDER BY _delivery_seq DESC, _row_number DESC) AS _version_rank
    FROM raw.enforcement_inspections
)
WHERE _version_rank = 1;
COMMENT ON VIEW core.enforcement_inspections IS '执法检查记录: the current version of each key (inspection_no); the newest delivery wins';

CREATE TABLE raw.remediation_projects (
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
    _loaded_at TIMESTAMP NOT NULL
);
COMMENT ON TABLE raw.remediation_projects IS '黑臭水体整治项目月报: every version of every row ever loaded, one row per one project in one report month per delivery';

CREATE VIEW core.remediation_projects AS
SELECT * EXCLUDE (_version_rank)
FROM (
    SELECT *, row_number() OVER (PARTITION BY project_no, report_month ORDER BY _delivery_seq DESC, _row_number DESC) AS _version_rank
    FROM raw.remediation_projects
)
WHERE _version_rank = 1;
COMMENT ON VIEW core.remediation_projects IS '黑臭水体整治项目月报: the current version of each key (project_no, report_month); the newest delivery wins';

CREATE TABLE raw.water_quality (
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
    _loaded_at TIMESTAMP NOT NULL
);
COMMENT ON TABLE raw.water_quality IS '水质监测: every version of every row ever loaded, one row per one sample at one point on one day per delivery';

CREATE VIEW core.water_quality AS
SELECT * EXCLUDE (_version_rank)
FROM (
    SELECT *, row_number() OVER (PARTITION BY point_id, sample_date ORDER BY _delivery_seq DESC, _row_number DESC) AS _version_rank
    FROM raw.water_quality
)
WHERE _version_rank = 1;
COMMENT ON VIEW core.water_quality IS '水质监测: the current version of each key (point_id, sample_date); the newest delivery wins';
