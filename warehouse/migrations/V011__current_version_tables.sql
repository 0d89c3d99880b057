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

-- The tables' comments, as warehouse/feeds/<feed>.sql (generated from feeds/*.yaml) has them at V011.
COMMENT ON TABLE core.product_sampling IS '产品质量监督抽查结果：每个主键的当前版本 / The current version of each key (sample_no): the newest delivery of a file not withdrawn wins; a key withdrawn by a period-snapshot delivery is left out (docs/extracts.md). Kept in step with raw.* in the transaction that publishes, releases or withdraws a delivery';
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
COMMENT ON TABLE core.enforcement_cases IS '行政处罚案件台账：每个主键的当前版本 / The current version of each key (case_no): the newest delivery of a file not withdrawn wins; a key withdrawn by a period-snapshot delivery is left out (docs/extracts.md). Kept in step with raw.* in the transaction that publishes, releases or withdraws a delivery';
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
COMMENT ON TABLE core.enforcement_inspections IS '执法检查记录：每个主键的当前版本 / The current version of each key (inspection_no): the newest delivery of a file not withdrawn wins; a key withdrawn by a period-snapshot delivery is left out (docs/extracts.md). Kept in step with raw.* in the transaction that publishes, releases or withdraws a delivery';
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
COMMENT ON TABLE core.remediation_projects IS '黑臭水体整治项目月报：每个主键的当前版本 / The current version of each key (project_no, report_month): the newest delivery of a file not withdrawn wins; a key withdrawn by a period-snapshot delivery is left out (docs/extracts.md). Kept in step with raw.* in the transaction that publishes, releases or withdraws a delivery';
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
COMMENT ON TABLE core.water_quality IS '水质监测：每个主键的当前版本 / The current version of each key (point_id, sample_date): the newest delivery of a file not withdrawn wins; a key withdrawn by a period-snapshot delivery is left out (docs/extracts.md). Kept in step with raw.* in the transaction that publishes, releases or withdraws a delivery';
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
