-- Purpose: raw.enforcement_cases and core.enforcement_cases (行政处罚案件台账, enforcement cases) with their comments.
-- Grain: raw: one row per one case per delivery; core: one row per key (case_no).
-- Sources: generated from feeds/enforcement_cases.yaml and warehouse/templates/core_table.sql by `make generate`;
--   do not edit. The writer runs it after the migrations whenever it changed.

CREATE TABLE IF NOT EXISTS raw.enforcement_cases (
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
    _loaded_at TIMESTAMP NOT NULL,
    _withdrawn BOOLEAN
);
-- A column declared after the table was made is added at its end.
ALTER TABLE raw.enforcement_cases ADD COLUMN IF NOT EXISTS case_no        VARCHAR;
ALTER TABLE raw.enforcement_cases ADD COLUMN IF NOT EXISTS decision_no    VARCHAR;
ALTER TABLE raw.enforcement_cases ADD COLUMN IF NOT EXISTS case_source    VARCHAR;
ALTER TABLE raw.enforcement_cases ADD COLUMN IF NOT EXISTS filing_date    DATE;
ALTER TABLE raw.enforcement_cases ADD COLUMN IF NOT EXISTS decision_date  DATE;
ALTER TABLE raw.enforcement_cases ADD COLUMN IF NOT EXISTS closing_date   DATE;
ALTER TABLE raw.enforcement_cases ADD COLUMN IF NOT EXISTS violation_type VARCHAR;
ALTER TABLE raw.enforcement_cases ADD COLUMN IF NOT EXISTS party_name     VARCHAR;
ALTER TABLE raw.enforcement_cases ADD COLUMN IF NOT EXISTS party_uscc     VARCHAR;
ALTER TABLE raw.enforcement_cases ADD COLUMN IF NOT EXISTS street         VARCHAR;
ALTER TABLE raw.enforcement_cases ADD COLUMN IF NOT EXISTS goods_value    DECIMAL(18,2);
ALTER TABLE raw.enforcement_cases ADD COLUMN IF NOT EXISTS sales_amount   DECIMAL(18,2);
ALTER TABLE raw.enforcement_cases ADD COLUMN IF NOT EXISTS fine           DECIMAL(18,2);
ALTER TABLE raw.enforcement_cases ADD COLUMN IF NOT EXISTS confiscation   DECIMAL(18,2);
ALTER TABLE raw.enforcement_cases ADD COLUMN IF NOT EXISTS transferred    BOOLEAN;
ALTER TABLE raw.enforcement_cases ADD COLUMN IF NOT EXISTS status         VARCHAR;

-- The current versions, built from raw when the table does not exist (a new feed); kept in step since.
CREATE TABLE IF NOT EXISTS core.enforcement_cases AS
SELECT * EXCLUDE (_version_rank, _withdrawn)
FROM (
    SELECT *, row_number() OVER (PARTITION BY case_no ORDER BY _delivery_seq DESC, _withdrawn DESC, _row_number DESC) AS _version_rank
    FROM raw.enforcement_cases r
    WHERE _file_id NOT IN (SELECT file_id FROM audit.files WHERE status = 'withdrawn')
      AND true
)
WHERE _version_rank = 1 AND _withdrawn IS NOT TRUE;
ALTER TABLE core.enforcement_cases ADD COLUMN IF NOT EXISTS case_no        VARCHAR;
ALTER TABLE core.enforcement_cases ADD COLUMN IF NOT EXISTS decision_no    VARCHAR;
ALTER TABLE core.enforcement_cases ADD COLUMN IF NOT EXISTS case_source    VARCHAR;
ALTER TABLE core.enforcement_cases ADD COLUMN IF NOT EXISTS filing_date    DATE;
ALTER TABLE core.enforcement_cases ADD COLUMN IF NOT EXISTS decision_date  DATE;
ALTER TABLE core.enforcement_cases ADD COLUMN IF NOT EXISTS closing_date   DATE;
ALTER TABLE core.enforcement_cases ADD COLUMN IF NOT EXISTS violation_type VARCHAR;
ALTER TABLE core.enforcement_cases ADD COLUMN IF NOT EXISTS party_name     VARCHAR;
ALTER TABLE core.enforcement_cases ADD COLUMN IF NOT EXISTS party_uscc     VARCHAR;
ALTER TABLE core.enforcement_cases ADD COLUMN IF NOT EXISTS street         VARCHAR;
ALTER TABLE core.enforcement_cases ADD COLUMN IF NOT EXISTS goods_value    DECIMAL(18,2);
ALTER TABLE core.enforcement_cases ADD COLUMN IF NOT EXISTS sales_amount   DECIMAL(18,2);
ALTER TABLE core.enforcement_cases ADD COLUMN IF NOT EXISTS fine           DECIMAL(18,2);
ALTER TABLE core.enforcement_cases ADD COLUMN IF NOT EXISTS confiscation   DECIMAL(18,2);
ALTER TABLE core.enforcement_cases ADD COLUMN IF NOT EXISTS transferred    BOOLEAN;
ALTER TABLE core.enforcement_cases ADD COLUMN IF NOT EXISTS status         VARCHAR;

COMMENT ON TABLE raw.enforcement_cases IS '行政处罚案件台账：历次交付的全部版本，违反规则的行进入隔离表（标记规则除外）/ Every version of every row ever loaded: one row per one case per delivery, with the file and run that delivered it. A row breaking a rule of its columns is rejected to audit.quarantine, unless the rule says flagged (audit.row_flags). Columns, aliases, units and rules: docs/extracts.md';
COMMENT ON TABLE core.enforcement_cases IS '行政处罚案件台账：每个主键的当前版本 / The current version of each key (case_no): the newest delivery of a file not withdrawn wins; a key withdrawn by a period-snapshot delivery is left out (docs/extracts.md). Kept in step with raw.* in the transaction that publishes, releases or withdraws a delivery';
COMMENT ON COLUMN raw.enforcement_cases.case_no IS '案件编号 / Case number; the key of the feed. 规则：主键；必填 / Rules: key; required.';
COMMENT ON COLUMN raw.enforcement_cases.decision_no IS '处罚决定书文号 / Number of the administrative penalty decision.';
COMMENT ON COLUMN raw.enforcement_cases.case_source IS '案件来源 / Where the case came from. 规则：取值 监督检查、投诉举报、抽检不合格、上级交办、部门移送、其他 / Rules: one of the listed values.';
COMMENT ON COLUMN raw.enforcement_cases.filing_date IS '立案日期 / Date the case was filed; event date of the case indicators. 规则：必填；须为日期 / Rules: required; must parse as date.';
COMMENT ON COLUMN raw.enforcement_cases.decision_date IS '处罚决定日期 / Date of the penalty decision. 规则：须为日期；早于「立案日期」则标记 / Rules: must parse as date; flagged if before filing_date.';
COMMENT ON COLUMN raw.enforcement_cases.closing_date IS '结案日期 / Date the case was closed. 规则：须为日期；早于「立案日期」则标记 / Rules: must parse as date; flagged if before filing_date.';
COMMENT ON COLUMN raw.enforcement_cases.violation_type IS '违法行为类型 / Type of violation; 生产销售伪劣产品 and 假冒注册商标 are anti-counterfeiting cases. 规则：必填；取值 生产销售伪劣产品、假冒注册商标、无证生产经营、标签标识违法、计量违法、特种设备违法、其他 / Rules: required; one of the listed values.';
COMMENT ON COLUMN raw.enforcement_cases.party_name IS '当事人名称 / Party (offender). 规则：必填 / Rules: required.';
COMMENT ON COLUMN raw.enforcement_cases.party_uscc IS '统一社会信用代码 / Unified social credit code of the party. 规则：校验位错误则标记 / Rules: flagged if the check character is wrong.';
COMMENT ON COLUMN raw.enforcement_cases.street IS '所属街道 / Street of the party; gives the street breakdown. 规则：非本区街道则标记，仅计入全区 / Rules: flagged if not a street of the region (district only).';
COMMENT ON COLUMN raw.enforcement_cases.goods_value IS '货值金额 / Value of the goods involved, yuan (prosecution threshold 150,000). 规则：须为金额；范围 ≥ 0 / Rules: must parse as yuan; range ≥ 0.';
COMMENT ON COLUMN raw.enforcement_cases.sales_amount IS '销售金额 / Illegal sales amount, yuan (prosecution threshold 50,000). 规则：须为金额；范围 ≥ 0 / Rules: must parse as yuan; range ≥ 0.';
COMMENT ON COLUMN raw.enforcement_cases.fine IS '罚款金额 / Fine, yuan. 规则：须为金额；范围 ≥ 0 / Rules: must parse as yuan; range ≥ 0.';
COMMENT ON COLUMN raw.enforcement_cases.confiscation IS '没收金额 / Confiscated illegal gains, yuan. 规则：须为金额；范围 ≥ 0 / Rules: must parse as yuan; range ≥ 0.';
COMMENT ON COLUMN raw.enforcement_cases.transferred IS '是否移送司法机关 / Transferred to the judicial authorities. 规则：须为是/否 / Rules: must parse as yes/no.';
COMMENT ON COLUMN raw.enforcement_cases.status IS '案件状态 / Case status; a case with status 撤销 (revoked) is not counted. 规则：取值 立案、调查、审理、已决定、结案、撤销、已移送 / Rules: one of the listed values.';
COMMENT ON COLUMN raw.enforcement_cases._extra IS '文件中未声明的列（表头→值，JSON）/ Columns of the delivered file not declared for the feed, as JSON (header → value)';
COMMENT ON COLUMN raw.enforcement_cases._file_id IS '来源文件 / File that delivered this version of the row (→ audit.files.file_id)';
COMMENT ON COLUMN raw.enforcement_cases._run_id IS '加载的运行编号 / Airflow run_id that loaded the row';
COMMENT ON COLUMN raw.enforcement_cases._delivery_seq IS '交付序号 / Order of the delivery (audit.files.delivery_seq); the highest wins in core.*';
COMMENT ON COLUMN raw.enforcement_cases._sheet IS '工作表名 / Worksheet the row came from (null for CSV)';
COMMENT ON COLUMN raw.enforcement_cases._row_number IS '文件中的行号 / Row number in the sheet or file, as a spreadsheet shows it';
COMMENT ON COLUMN raw.enforcement_cases._loaded_at IS '加载时间 / When the row was written (local time of the writer)';
COMMENT ON COLUMN raw.enforcement_cases._withdrawn IS '撤回标记 / true on a tombstone: a period-snapshot delivery (_file_id) restated the key''s period without it, so the key is withdrawn from core.* from this delivery on; only the key and the event date are filled';
COMMENT ON COLUMN core.enforcement_cases.case_no IS '案件编号 / Case number; the key of the feed. 规则：主键；必填 / Rules: key; required.';
COMMENT ON COLUMN core.enforcement_cases.decision_no IS '处罚决定书文号 / Number of the administrative penalty decision.';
COMMENT ON COLUMN core.enforcement_cases.case_source IS '案件来源 / Where the case came from. 规则：取值 监督检查、投诉举报、抽检不合格、上级交办、部门移送、其他 / Rules: one of the listed values.';
COMMENT ON COLUMN core.enforcement_cases.filing_date IS '立案日期 / Date the case was filed; event date of the case indicators. 规则：必填；须为日期 / Rules: required; must parse as date.';
COMMENT ON COLUMN core.enforcement_cases.decision_date IS '处罚决定日期 / Date of the penalty decision. 规则：须为日期；早于「立案日期」则标记 / Rules: must parse as date; flagged if before filing_date.';
COMMENT ON COLUMN core.enforcement_cases.closing_date IS '结案日期 / Date the case was closed. 规则：须为日期；早于「立案日期」则标记 / Rules: must parse as date; flagged if before filing_date.';
COMMENT ON COLUMN core.enforcement_cases.violation_type IS '违法行为类型 / Type of violation; 生产销售伪劣产品 and 假冒注册商标 are anti-counterfeiting cases. 规则：必填；取值 生产销售伪劣产品、假冒注册商标、无证生产经营、标签标识违法、计量违法、特种设备违法、其他 / Rules: required; one of the listed values.';
COMMENT ON COLUMN core.enforcement_cases.party_name IS '当事人名称 / Party (offender). 规则：必填 / Rules: required.';
COMMENT ON COLUMN core.enforcement_cases.party_uscc IS '统一社会信用代码 / Unified social credit code of the party. 规则：校验位错误则标记 / Rules: flagged if the check character is wrong.';
COMMENT ON COLUMN core.enforcement_cases.street IS '所属街道 / Street of the party; gives the street breakdown. 规则：非本区街道则标记，仅计入全区 / Rules: flagged if not a street of the region (district only).';
COMMENT ON COLUMN core.enforcement_cases.goods_value IS '货值金额 / Value of the goods involved, yuan (prosecution threshold 150,000). 规则：须为金额；范围 ≥ 0 / Rules: must parse as yuan; range ≥ 0.';
COMMENT ON COLUMN core.enforcement_cases.sales_amount IS '销售金额 / Illegal sales amount, yuan (prosecution threshold 50,000). 规则：须为金额；范围 ≥ 0 / Rules: must parse as yuan; range ≥ 0.';
COMMENT ON COLUMN core.enforcement_cases.fine IS '罚款金额 / Fine, yuan. 规则：须为金额；范围 ≥ 0 / Rules: must parse as yuan; range ≥ 0.';
COMMENT ON COLUMN core.enforcement_cases.confiscation IS '没收金额 / Confiscated illegal gains, yuan. 规则：须为金额；范围 ≥ 0 / Rules: must parse as yuan; range ≥ 0.';
COMMENT ON COLUMN core.enforcement_cases.transferred IS '是否移送司法机关 / Transferred to the judicial authorities. 规则：须为是/否 / Rules: must parse as yes/no.';
COMMENT ON COLUMN core.enforcement_cases.status IS '案件状态 / Case status; a case with status 撤销 (revoked) is not counted. 规则：取值 立案、调查、审理、已决定、结案、撤销、已移送 / Rules: one of the listed values.';
COMMENT ON COLUMN core.enforcement_cases._extra IS '文件中未声明的列（表头→值，JSON）/ Columns of the delivered file not declared for the feed, as JSON (header → value)';
COMMENT ON COLUMN core.enforcement_cases._file_id IS '来源文件 / File that delivered this version of the row (→ audit.files.file_id)';
COMMENT ON COLUMN core.enforcement_cases._run_id IS '加载的运行编号 / Airflow run_id that loaded the row';
COMMENT ON COLUMN core.enforcement_cases._delivery_seq IS '交付序号 / Order of the delivery (audit.files.delivery_seq); the highest wins in core.*';
COMMENT ON COLUMN core.enforcement_cases._sheet IS '工作表名 / Worksheet the row came from (null for CSV)';
COMMENT ON COLUMN core.enforcement_cases._row_number IS '文件中的行号 / Row number in the sheet or file, as a spreadsheet shows it';
COMMENT ON COLUMN core.enforcement_cases._loaded_at IS '加载时间 / When the row was written (local time of the writer)';
