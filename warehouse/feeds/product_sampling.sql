-- Purpose: raw.product_sampling and core.product_sampling (产品质量监督抽查结果, product sampling) with their comments.
-- Grain: raw: one row per one sampled batch per delivery; core: one row per key (sample_no).
-- Sources: generated from feeds/product_sampling.yaml and warehouse/templates/core_table.sql by `make generate`;
--   do not edit. The writer runs it after the migrations whenever it changed.

CREATE TABLE IF NOT EXISTS raw.product_sampling (
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
    _loaded_at TIMESTAMP NOT NULL,
    _withdrawn BOOLEAN
);
-- A column declared after the table was made is added at its end.
ALTER TABLE raw.product_sampling ADD COLUMN IF NOT EXISTS sample_no           VARCHAR;
ALTER TABLE raw.product_sampling ADD COLUMN IF NOT EXISTS report_no           VARCHAR;
ALTER TABLE raw.product_sampling ADD COLUMN IF NOT EXISTS plan_level          VARCHAR;
ALTER TABLE raw.product_sampling ADD COLUMN IF NOT EXISTS sampling_stage      VARCHAR;
ALTER TABLE raw.product_sampling ADD COLUMN IF NOT EXISTS product_category    VARCHAR;
ALTER TABLE raw.product_sampling ADD COLUMN IF NOT EXISTS industry_code       VARCHAR;
ALTER TABLE raw.product_sampling ADD COLUMN IF NOT EXISTS product_name        VARCHAR;
ALTER TABLE raw.product_sampling ADD COLUMN IF NOT EXISTS trademark           VARCHAR;
ALTER TABLE raw.product_sampling ADD COLUMN IF NOT EXISTS spec_model          VARCHAR;
ALTER TABLE raw.product_sampling ADD COLUMN IF NOT EXISTS batch               VARCHAR;
ALTER TABLE raw.product_sampling ADD COLUMN IF NOT EXISTS inspected_unit      VARCHAR;
ALTER TABLE raw.product_sampling ADD COLUMN IF NOT EXISTS inspected_unit_uscc VARCHAR;
ALTER TABLE raw.product_sampling ADD COLUMN IF NOT EXISTS manufacturer        VARCHAR;
ALTER TABLE raw.product_sampling ADD COLUMN IF NOT EXISTS street              VARCHAR;
ALTER TABLE raw.product_sampling ADD COLUMN IF NOT EXISTS sampling_date       DATE;
ALTER TABLE raw.product_sampling ADD COLUMN IF NOT EXISTS agency              VARCHAR;
ALTER TABLE raw.product_sampling ADD COLUMN IF NOT EXISTS conclusion          VARCHAR;
ALTER TABLE raw.product_sampling ADD COLUMN IF NOT EXISTS failed_items        VARCHAR;
ALTER TABLE raw.product_sampling ADD COLUMN IF NOT EXISTS followup_status     VARCHAR;

-- The current versions, built from raw when the table does not exist (a new feed); kept in step since.
CREATE TABLE IF NOT EXISTS core.product_sampling AS
SELECT * EXCLUDE (_version_rank, _withdrawn)
FROM (
    SELECT *, row_number() OVER (PARTITION BY sample_no ORDER BY _delivery_seq DESC, _withdrawn DESC, _row_number DESC) AS _version_rank
    FROM raw.product_sampling r
    WHERE _file_id NOT IN (SELECT file_id FROM audit.files WHERE status = 'withdrawn')
      AND true
)
WHERE _version_rank = 1 AND _withdrawn IS NOT TRUE;
ALTER TABLE core.product_sampling ADD COLUMN IF NOT EXISTS sample_no           VARCHAR;
ALTER TABLE core.product_sampling ADD COLUMN IF NOT EXISTS report_no           VARCHAR;
ALTER TABLE core.product_sampling ADD COLUMN IF NOT EXISTS plan_level          VARCHAR;
ALTER TABLE core.product_sampling ADD COLUMN IF NOT EXISTS sampling_stage      VARCHAR;
ALTER TABLE core.product_sampling ADD COLUMN IF NOT EXISTS product_category    VARCHAR;
ALTER TABLE core.product_sampling ADD COLUMN IF NOT EXISTS industry_code       VARCHAR;
ALTER TABLE core.product_sampling ADD COLUMN IF NOT EXISTS product_name        VARCHAR;
ALTER TABLE core.product_sampling ADD COLUMN IF NOT EXISTS trademark           VARCHAR;
ALTER TABLE core.product_sampling ADD COLUMN IF NOT EXISTS spec_model          VARCHAR;
ALTER TABLE core.product_sampling ADD COLUMN IF NOT EXISTS batch               VARCHAR;
ALTER TABLE core.product_sampling ADD COLUMN IF NOT EXISTS inspected_unit      VARCHAR;
ALTER TABLE core.product_sampling ADD COLUMN IF NOT EXISTS inspected_unit_uscc VARCHAR;
ALTER TABLE core.product_sampling ADD COLUMN IF NOT EXISTS manufacturer        VARCHAR;
ALTER TABLE core.product_sampling ADD COLUMN IF NOT EXISTS street              VARCHAR;
ALTER TABLE core.product_sampling ADD COLUMN IF NOT EXISTS sampling_date       DATE;
ALTER TABLE core.product_sampling ADD COLUMN IF NOT EXISTS agency              VARCHAR;
ALTER TABLE core.product_sampling ADD COLUMN IF NOT EXISTS conclusion          VARCHAR;
ALTER TABLE core.product_sampling ADD COLUMN IF NOT EXISTS failed_items        VARCHAR;
ALTER TABLE core.product_sampling ADD COLUMN IF NOT EXISTS followup_status     VARCHAR;

COMMENT ON TABLE raw.product_sampling IS '产品质量监督抽查结果：历次交付的全部版本，违反规则的行进入隔离表（标记规则除外）/ Every version of every row ever loaded: one row per one sampled batch per delivery, with the file and run that delivered it. A row breaking a rule of its columns is rejected to audit.quarantine, unless the rule says flagged (audit.row_flags). Columns, aliases, units and rules: docs/extracts.md';
COMMENT ON TABLE core.product_sampling IS '产品质量监督抽查结果：每个主键的当前版本 / The current version of each key (sample_no): the newest delivery of a file not withdrawn wins; a key withdrawn by a period-snapshot delivery is left out (docs/extracts.md). Kept in step with raw.* in the transaction that publishes, releases or withdraws a delivery';
COMMENT ON COLUMN raw.product_sampling.sample_no IS '抽样单编号 / Sampling form number; the key of the feed. 规则：主键；必填 / Rules: key; required.';
COMMENT ON COLUMN raw.product_sampling.report_no IS '检验报告编号 / Test report number.';
COMMENT ON COLUMN raw.product_sampling.plan_level IS '抽查级别 / Level of the sampling plan: national, provincial, municipal or district. 规则：取值 国抽、省抽、市抽、区抽 / Rules: one of the listed values.';
COMMENT ON COLUMN raw.product_sampling.sampling_stage IS '抽样环节 / Where the batch was sampled: production, distribution or e-commerce. 规则：取值 生产、流通、电商 / Rules: one of the listed values.';
COMMENT ON COLUMN raw.product_sampling.product_category IS '产品类别 / Product category. 规则：必填 / Rules: required.';
COMMENT ON COLUMN raw.product_sampling.industry_code IS '行业代码 / Two-digit national-economy industry division (manufacturing). 规则：须为国民经济行业代码；范围 ≥ 13, ≤ 43 / Rules: must parse as industry code; range ≥ 13, ≤ 43.';
COMMENT ON COLUMN raw.product_sampling.product_name IS '产品名称 / Product (sample) name. 规则：必填 / Rules: required.';
COMMENT ON COLUMN raw.product_sampling.trademark IS '商标 / Trademark on the product.';
COMMENT ON COLUMN raw.product_sampling.spec_model IS '规格型号 / Specification or model.';
COMMENT ON COLUMN raw.product_sampling.batch IS '生产日期/批号 / Production date or batch number.';
COMMENT ON COLUMN raw.product_sampling.inspected_unit IS '受检单位 / Unit the sample was taken from. 规则：必填 / Rules: required.';
COMMENT ON COLUMN raw.product_sampling.inspected_unit_uscc IS '受检单位统一社会信用代码 / Unified social credit code of the inspected unit. 规则：校验位错误则标记 / Rules: flagged if the check character is wrong.';
COMMENT ON COLUMN raw.product_sampling.manufacturer IS '生产单位 / Manufacturer named on the product.';
COMMENT ON COLUMN raw.product_sampling.street IS '所在街道 / Street of the inspected unit; gives the street breakdown. 规则：非本区街道则标记，仅计入全区 / Rules: flagged if not a street of the region (district only).';
COMMENT ON COLUMN raw.product_sampling.sampling_date IS '抽样日期 / Sampling date; event date of the sampling indicators. 规则：必填；须为日期；不得晚于处理日 / Rules: required; must parse as date; not in the future.';
COMMENT ON COLUMN raw.product_sampling.agency IS '检验机构 / Testing agency.';
COMMENT ON COLUMN raw.product_sampling.conclusion IS '检验结论 / Test conclusion: 合格 pass, 不合格 fail, 拒检 refused (counted in neither pass nor fail). 规则：必填；取值 合格、不合格、拒检；同义写法 P→合格, 符合→合格, F→不合格, 不符合→不合格 / Rules: required; one of the listed values; synonyms mapped.';
COMMENT ON COLUMN raw.product_sampling.failed_items IS '不合格项目 / Test items that failed. 规则：检验结论为「不合格」时应填写，否则标记 / Rules: flagged if missing when conclusion = 不合格.';
COMMENT ON COLUMN raw.product_sampling.followup_status IS '后处理状态 / Follow-up of a failed batch; open unless 复查合格 or 已立案. 规则：取值 未处理、整改中、复查合格、复查不合格、已立案 / Rules: one of the listed values.';
COMMENT ON COLUMN raw.product_sampling._extra IS '文件中未声明的列（表头→值，JSON）/ Columns of the delivered file not declared for the feed, as JSON (header → value)';
COMMENT ON COLUMN raw.product_sampling._file_id IS '来源文件 / File that delivered this version of the row (→ audit.files.file_id)';
COMMENT ON COLUMN raw.product_sampling._run_id IS '加载的运行编号 / Airflow run_id that loaded the row';
COMMENT ON COLUMN raw.product_sampling._delivery_seq IS '交付序号 / Order of the delivery (audit.files.delivery_seq); the highest wins in core.*';
COMMENT ON COLUMN raw.product_sampling._sheet IS '工作表名 / Worksheet the row came from (null for CSV)';
COMMENT ON COLUMN raw.product_sampling._row_number IS '文件中的行号 / Row number in the sheet or file, as a spreadsheet shows it';
COMMENT ON COLUMN raw.product_sampling._loaded_at IS '加载时间 / When the row was written (local time of the writer)';
COMMENT ON COLUMN raw.product_sampling._withdrawn IS '撤回标记 / true on a tombstone: a period-snapshot delivery (_file_id) restated the key''s period without it, so the key is withdrawn from core.* from this delivery on; only the key and the event date are filled';
COMMENT ON COLUMN core.product_sampling.sample_no IS '抽样单编号 / Sampling form number; the key of the feed. 规则：主键；必填 / Rules: key; required.';
COMMENT ON COLUMN core.product_sampling.report_no IS '检验报告编号 / Test report number.';
COMMENT ON COLUMN core.product_sampling.plan_level IS '抽查级别 / Level of the sampling plan: national, provincial, municipal or district. 规则：取值 国抽、省抽、市抽、区抽 / Rules: one of the listed values.';
COMMENT ON COLUMN core.product_sampling.sampling_stage IS '抽样环节 / Where the batch was sampled: production, distribution or e-commerce. 规则：取值 生产、流通、电商 / Rules: one of the listed values.';
COMMENT ON COLUMN core.product_sampling.product_category IS '产品类别 / Product category. 规则：必填 / Rules: required.';
COMMENT ON COLUMN core.product_sampling.industry_code IS '行业代码 / Two-digit national-economy industry division (manufacturing). 规则：须为国民经济行业代码；范围 ≥ 13, ≤ 43 / Rules: must parse as industry code; range ≥ 13, ≤ 43.';
COMMENT ON COLUMN core.product_sampling.product_name IS '产品名称 / Product (sample) name. 规则：必填 / Rules: required.';
COMMENT ON COLUMN core.product_sampling.trademark IS '商标 / Trademark on the product.';
COMMENT ON COLUMN core.product_sampling.spec_model IS '规格型号 / Specification or model.';
COMMENT ON COLUMN core.product_sampling.batch IS '生产日期/批号 / Production date or batch number.';
COMMENT ON COLUMN core.product_sampling.inspected_unit IS '受检单位 / Unit the sample was taken from. 规则：必填 / Rules: required.';
COMMENT ON COLUMN core.product_sampling.inspected_unit_uscc IS '受检单位统一社会信用代码 / Unified social credit code of the inspected unit. 规则：校验位错误则标记 / Rules: flagged if the check character is wrong.';
COMMENT ON COLUMN core.product_sampling.manufacturer IS '生产单位 / Manufacturer named on the product.';
COMMENT ON COLUMN core.product_sampling.street IS '所在街道 / Street of the inspected unit; gives the street breakdown. 规则：非本区街道则标记，仅计入全区 / Rules: flagged if not a street of the region (district only).';
COMMENT ON COLUMN core.product_sampling.sampling_date IS '抽样日期 / Sampling date; event date of the sampling indicators. 规则：必填；须为日期；不得晚于处理日 / Rules: required; must parse as date; not in the future.';
COMMENT ON COLUMN core.product_sampling.agency IS '检验机构 / Testing agency.';
COMMENT ON COLUMN core.product_sampling.conclusion IS '检验结论 / Test conclusion: 合格 pass, 不合格 fail, 拒检 refused (counted in neither pass nor fail). 规则：必填；取值 合格、不合格、拒检；同义写法 P→合格, 符合→合格, F→不合格, 不符合→不合格 / Rules: required; one of the listed values; synonyms mapped.';
COMMENT ON COLUMN core.product_sampling.failed_items IS '不合格项目 / Test items that failed. 规则：检验结论为「不合格」时应填写，否则标记 / Rules: flagged if missing when conclusion = 不合格.';
COMMENT ON COLUMN core.product_sampling.followup_status IS '后处理状态 / Follow-up of a failed batch; open unless 复查合格 or 已立案. 规则：取值 未处理、整改中、复查合格、复查不合格、已立案 / Rules: one of the listed values.';
COMMENT ON COLUMN core.product_sampling._extra IS '文件中未声明的列（表头→值，JSON）/ Columns of the delivered file not declared for the feed, as JSON (header → value)';
COMMENT ON COLUMN core.product_sampling._file_id IS '来源文件 / File that delivered this version of the row (→ audit.files.file_id)';
COMMENT ON COLUMN core.product_sampling._run_id IS '加载的运行编号 / Airflow run_id that loaded the row';
COMMENT ON COLUMN core.product_sampling._delivery_seq IS '交付序号 / Order of the delivery (audit.files.delivery_seq); the highest wins in core.*';
COMMENT ON COLUMN core.product_sampling._sheet IS '工作表名 / Worksheet the row came from (null for CSV)';
COMMENT ON COLUMN core.product_sampling._row_number IS '文件中的行号 / Row number in the sheet or file, as a spreadsheet shows it';
COMMENT ON COLUMN core.product_sampling._loaded_at IS '加载时间 / When the row was written (local time of the writer)';
