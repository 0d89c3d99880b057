-- V005: reference data kept by hand (warehouse/seeds/*.csv), loaded whole by quality_pipeline.reference.
-- Each ref table is replaced in one transaction with the seed files of one version; ref.seed_versions keeps every load.
CREATE SCHEMA IF NOT EXISTS ref;

CREATE SEQUENCE ref.seed_load_seq START 1;
COMMENT ON SEQUENCE ref.seed_load_seq IS '种子数据加载序号 / Numbers the loads of the seed files (ref.seed_versions.load_id)';

CREATE TABLE ref.standards (
    standard_no VARCHAR PRIMARY KEY,
    level VARCHAR NOT NULL,
    title VARCHAR NOT NULL,
    lead_enterprise VARCHAR NOT NULL,
    role VARCHAR NOT NULL,
    published_date DATE NOT NULL,
    CHECK (level IN ('国家', '行业', '地方', '团体')),
    CHECK (role IN ('主导', '参与'))
);
COMMENT ON TABLE ref.standards IS '辖区企业主导或参与制定的标准 / Standards led or co-drafted by district enterprises, from warehouse/seeds/standards.csv; one row per standard';
COMMENT ON COLUMN ref.standards.standard_no IS '标准编号，如 GB/T 12345-2020 / Standard number; its prefix fixes the level (GB 国家, DB 地方, T/ 团体, other 行业) and its year is the year of publication';
COMMENT ON COLUMN ref.standards.level IS '标准级别：国家、行业、地方、团体 / Level: national, industry, local or group standard';
COMMENT ON COLUMN ref.standards.title IS '标准名称 / Title of the standard';
COMMENT ON COLUMN ref.standards.lead_enterprise IS '辖区起草企业 / The district enterprise that led or co-drafted it';
COMMENT ON COLUMN ref.standards.role IS '起草角色：主导、参与 / Role of the enterprise: led (主导) or took part (参与)';
COMMENT ON COLUMN ref.standards.published_date IS '发布日期 / Date of publication; the standard counts in the stock from this day';

CREATE TABLE ref.brands (
    enterprise VARCHAR NOT NULL,
    brand VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    awarded_date DATE NOT NULL,
    expires_date DATE,
    PRIMARY KEY (enterprise, brand, kind, awarded_date),
    CHECK (kind IN ('驰名商标', '著名商标', '省名牌产品'))
);
COMMENT ON TABLE ref.brands IS '品牌存量 / Brand titles held by district enterprises, from warehouse/seeds/brands.csv; one row per title awarded (a renewed 省名牌 is a new row)';
COMMENT ON COLUMN ref.brands.enterprise IS '企业名称 / Enterprise holding the title';
COMMENT ON COLUMN ref.brands.brand IS '商标或产品名称 / Trademark (商标) or product (名牌产品) named in the title';
COMMENT ON COLUMN ref.brands.kind IS '称号类别：驰名商标、著名商标、省名牌产品 / Kind: well-known trademark (national), famous trademark (provincial, awards abolished in 2018, stock frozen), provincial brand-name product (3 years)';
COMMENT ON COLUMN ref.brands.awarded_date IS '认定日期 / Date the title was awarded; no 著名商标 after 2018-12-31';
COMMENT ON COLUMN ref.brands.expires_date IS '有效期止（不含当日）/ First day the title no longer counts: awarded_date + 3 years for 省名牌产品; null (no expiry) for 驰名商标 and the frozen 著名商标 stock';

CREATE TABLE ref.construction_quality (
    quarter VARCHAR PRIMARY KEY,
    projects_inspected INTEGER NOT NULL,
    acceptance_pass_rate DOUBLE,
    quality_awards INTEGER NOT NULL,
    CHECK (projects_inspected >= 0),
    CHECK (acceptance_pass_rate BETWEEN 0 AND 100),
    CHECK (quality_awards >= 0)
);
COMMENT ON TABLE ref.construction_quality IS '建设工程质量季度报表 / Construction-quality quarterly returns from the construction bureau, from warehouse/seeds/construction_quality.csv; one row per quarter';
COMMENT ON COLUMN ref.construction_quality.quarter IS '季度，如 2026Q2 / Quarter of the return';
COMMENT ON COLUMN ref.construction_quality.projects_inspected IS '监督检查工程项目数 / Construction projects inspected in the quarter';
COMMENT ON COLUMN ref.construction_quality.acceptance_pass_rate IS '竣工验收一次合格率(%) / Share of completion acceptances passed at the first attempt, percent 0–100; null when no project was inspected';
COMMENT ON COLUMN ref.construction_quality.quality_awards IS '获评优质工程奖项数 / Quality-project awards won in the quarter';

CREATE TABLE ref.seed_versions (
    load_id BIGINT NOT NULL,
    seed VARCHAR NOT NULL,
    version VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    row_count BIGINT NOT NULL,
    loaded_at TIMESTAMP NOT NULL,
    loaded_by_run VARCHAR,
    PRIMARY KEY (load_id, seed)
);
COMMENT ON TABLE ref.seed_versions IS '种子数据版本记录 / Every load of the seed files: one row per load × seed file; the newest load_id is what ref.* holds now';
COMMENT ON COLUMN ref.seed_versions.load_id IS '加载序号 / Number of the load (ref.seed_load_seq); the three seeds of one load share it';
COMMENT ON COLUMN ref.seed_versions.seed IS '种子文件名（不含 .csv）/ Seed file: standards, brands or construction_quality';
COMMENT ON COLUMN ref.seed_versions.version IS '种子数据版本（warehouse/seeds/VERSION）/ Version of the seed set, from warehouse/seeds/VERSION';
COMMENT ON COLUMN ref.seed_versions.sha256 IS '文件内容 SHA-256 / SHA-256 of the file as loaded; a changed file under an unchanged VERSION is refused';
COMMENT ON COLUMN ref.seed_versions.row_count IS '加载行数 / Rows loaded from the file';
COMMENT ON COLUMN ref.seed_versions.loaded_at IS '加载时间 / When the load committed (local time of the writer)';
COMMENT ON COLUMN ref.seed_versions.loaded_by_run IS '加载的运行编号 / Airflow run_id (or other caller id) of the load, if given';
