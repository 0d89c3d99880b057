-- V008: the status of each period (provisional / closed), the year to date against the annual targets, and
-- vintages and restatements of the annual rows. Definitions: docs/indicators.md.
ALTER TABLE marts.quarterly_indicators ADD COLUMN period_status VARCHAR;
COMMENT ON TABLE marts.quarterly_indicators IS '质量强区季度指标 / The quality-strategy figures: one row per quarter × indicator × scope (district or street); every indicator''s formula, scope, target and status rules are defined in docs/indicators.md';
COMMENT ON COLUMN marts.quarterly_indicators.indicator IS '指标代码，如 sampling_pass_rate / Indicator code, defined in docs/indicators.md, e.g. sampling_pass_rate';
COMMENT ON COLUMN marts.quarterly_indicators.period_status IS '季度状态：provisional（季度未结束或仍在报送宽限期内）、closed（已结束）/ provisional while the quarter is open or within the region''s delivery grace period (delivery_grace_days, default 20 days after the quarter ends), closed after; as of the run that computed it (docs/indicators.md)';

ALTER TABLE marts.indicator_vintages ADD COLUMN period_status VARCHAR;
COMMENT ON COLUMN marts.indicator_vintages.period_status IS '发布时的季度状态 / provisional or closed when the vintage was published (null for vintages published before statuses existed)';

CREATE TABLE marts.annual_indicators (
    year INTEGER NOT NULL,
    indicator VARCHAR NOT NULL,
    scope VARCHAR NOT NULL,
    value DOUBLE,
    numerator DOUBLE,
    denominator DOUBLE,
    target DOUBLE,
    target_met BOOLEAN,
    on_track BOOLEAN,
    unit VARCHAR NOT NULL,
    period_status VARCHAR NOT NULL,
    through_quarter VARCHAR NOT NULL,
    PRIMARY KEY (year, indicator, scope)
);
COMMENT ON TABLE marts.annual_indicators IS '质量强区年度指标（年初至今）/ The quality-strategy figures of each year to date, through the latest quarter with data: one row per year × indicator × scope, computed from the year''s rows (rates over the year''s events); definitions in docs/indicators.md';
COMMENT ON COLUMN marts.annual_indicators.year IS '年度 / Calendar year of the event date in Asia/Shanghai';
COMMENT ON COLUMN marts.annual_indicators.indicator IS '指标代码 / Indicator code, as in marts.quarterly_indicators (docs/indicators.md)';
COMMENT ON COLUMN marts.annual_indicators.scope IS '范围：district（全区）或街道名 / district, or a street name where the indicator has a street breakdown';
COMMENT ON COLUMN marts.annual_indicators.value IS '年初至今的指标值（比率按全年事件计算，整治项目取最新月报）/ The year-to-date figure: rates over the year''s events, remediation at each project''s latest month, the index from the year''s parts';
COMMENT ON COLUMN marts.annual_indicators.numerator IS '分子（比率类）/ Numerator, for rates; null otherwise';
COMMENT ON COLUMN marts.annual_indicators.denominator IS '分母（比率类）/ Denominator, for rates; null otherwise';
COMMENT ON COLUMN marts.annual_indicators.target IS '年度目标 / The annual target (annual_target in config/indicators.yaml; docs/indicators.md gives its source), or null';
COMMENT ON COLUMN marts.annual_indicators.target_met IS '年初至今是否已达年度目标 / Whether the year-to-date value meets the full annual target; null without a target';
COMMENT ON COLUMN marts.annual_indicators.on_track IS '进度是否正常 / On track: the value against the annual target pro-rated to the elapsed share of the year (counts) or against the target itself (rates, scores); null without a target';
COMMENT ON COLUMN marts.annual_indicators.unit IS '单位：%、count、person-times、yuan、score / Unit';
COMMENT ON COLUMN marts.annual_indicators.period_status IS '年度状态：provisional（年度未结束或在第四季度报送宽限期内）、closed / provisional until the year''s last quarter is closed, closed after';
COMMENT ON COLUMN marts.annual_indicators.through_quarter IS '数据截至季度 / The latest quarter of the year with any data: the figures run through it';

CREATE TABLE marts.annual_indicator_vintages (
    vintage_id BIGINT NOT NULL,
    year INTEGER NOT NULL,
    published_at TIMESTAMP NOT NULL,
    published_by_run VARCHAR NOT NULL,
    indicator VARCHAR NOT NULL,
    scope VARCHAR NOT NULL,
    value DOUBLE,
    numerator DOUBLE,
    denominator DOUBLE,
    target DOUBLE,
    target_met BOOLEAN,
    on_track BOOLEAN,
    unit VARCHAR NOT NULL,
    period_status VARCHAR NOT NULL,
    through_quarter VARCHAR NOT NULL,
    PRIMARY KEY (vintage_id, indicator, scope)
);
COMMENT ON TABLE marts.annual_indicator_vintages IS '年度指标发布版本 / Annual vintages: when a quarter is published, the rows of marts.annual_indicators for its year as they stood, under the same vintage_id as the quarter''s vintage; never updated or deleted';
COMMENT ON COLUMN marts.annual_indicator_vintages.vintage_id IS '发布版本号 / The vintage (marts.indicator_vintages.vintage_id) this year-to-date was published with';
COMMENT ON COLUMN marts.annual_indicator_vintages.year IS '年度 / The year';
COMMENT ON COLUMN marts.annual_indicator_vintages.published_at IS '发布时间（本地时间）/ When the figures were frozen';
COMMENT ON COLUMN marts.annual_indicator_vintages.published_by_run IS '发布的运行编号 / Run that published the vintage';
COMMENT ON COLUMN marts.annual_indicator_vintages.indicator IS '指标代码 / Indicator code';
COMMENT ON COLUMN marts.annual_indicator_vintages.scope IS '范围：district（全区）或街道名 / district, or a street name';
COMMENT ON COLUMN marts.annual_indicator_vintages.value IS '发布时的年初至今值 / The year-to-date figure as published';
COMMENT ON COLUMN marts.annual_indicator_vintages.numerator IS '发布时的分子 / Numerator as published, for rates';
COMMENT ON COLUMN marts.annual_indicator_vintages.denominator IS '发布时的分母 / Denominator as published, for rates';
COMMENT ON COLUMN marts.annual_indicator_vintages.target IS '年度目标 / Annual target as published';
COMMENT ON COLUMN marts.annual_indicator_vintages.target_met IS '发布时是否达年度目标 / target_met as published';
COMMENT ON COLUMN marts.annual_indicator_vintages.on_track IS '发布时进度是否正常 / on_track as published';
COMMENT ON COLUMN marts.annual_indicator_vintages.unit IS '单位 / Unit';
COMMENT ON COLUMN marts.annual_indicator_vintages.period_status IS '发布时的年度状态 / provisional or closed as published';
COMMENT ON COLUMN marts.annual_indicator_vintages.through_quarter IS '发布时数据截至季度 / The quarter the published figures ran through';

CREATE VIEW marts.annual_indicator_restatements AS
WITH heads AS (
    SELECT vintage_id, any_value(year) AS year, any_value(published_at) AS published_at,
           any_value(published_by_run) AS published_by_run, any_value(through_quarter) AS reported_through
    FROM marts.annual_indicator_vintages
    GROUP BY vintage_id
),
latest AS (
    SELECT year, max(vintage_id) AS vintage_id FROM heads GROUP BY year
),
now_rows AS (
    SELECT h.vintage_id, a.*
    FROM heads h
    JOIN marts.annual_indicators a USING (year)
),
compared AS (
    SELECT
        coalesce(v.vintage_id, n.vintage_id) AS vintage_id,
        coalesce(v.indicator, n.indicator) AS indicator,
        coalesce(v.scope, n.scope) AS scope,
        CASE
            WHEN n.indicator IS NULL THEN 'removed'
            WHEN v.indicator IS NULL THEN 'new'
            WHEN coalesce(abs(v.value - n.value) > 1e-9 * greatest(1, abs(v.value)), v.value IS DISTINCT FROM n.value)
              OR coalesce(abs(v.numerator - n.numerator) > 1e-9 * greatest(1, abs(v.numerator)), v.numerator IS DISTINCT FROM n.numerator)
              OR coalesce(abs(v.denominator - n.denominator) > 1e-9 * greatest(1, abs(v.denominator)), v.denominator IS DISTINCT FROM n.denominator)
              OR coalesce(abs(v.target - n.target) > 1e-9 * greatest(1, abs(v.target)), v.target IS DISTINCT FROM n.target)
              OR v.target_met IS DISTINCT FROM n.target_met
              OR v.unit IS DISTINCT FROM n.unit THEN 'changed'
        END AS change,
        v.value AS reported_value,
        n.value AS current_value,
        v.numerator AS reported_numerator,
        n.numerator AS current_numerator,
        v.denominator AS reported_denominator,
        n.denominator AS current_denominator,
        v.target_met AS reported_target_met,
        n.target_met AS current_target_met,
        n.through_quarter AS current_through,
        coalesce(n.unit, v.unit) AS unit
    FROM marts.annual_indicator_vintages v
    FULL OUTER JOIN now_rows n
      ON v.vintage_id = n.vintage_id AND v.indicator = n.indicator AND v.scope = n.scope
)
SELECT
    c.vintage_id,
    h.year,
    h.published_at,
    h.published_by_run,
    c.vintage_id = l.vintage_id AS is_latest_vintage,
    c.indicator,
    c.scope,
    c.change,
    h.reported_through,
    c.current_through,
    c.reported_value,
    c.current_value,
    c.current_value - c.reported_value AS difference,
    c.reported_numerator,
    c.current_numerator,
    c.reported_denominator,
    c.current_denominator,
    c.reported_target_met,
    c.current_target_met,
    c.unit
FROM compared c
JOIN heads h USING (vintage_id)
JOIN latest l USING (year)
WHERE c.change IS NOT NULL;
COMMENT ON VIEW marts.annual_indicator_restatements IS '年度指标发布后的更正 / Annual restatements: one row per annual vintage × indicator × scope whose year-to-date figure in marts.annual_indicators now differs from the vintage (changed), was not in it (new) or is gone (removed); later quarters of the year also restate the year to date (reported_through and current_through say how far each ran)';
COMMENT ON COLUMN marts.annual_indicator_restatements.vintage_id IS '对比的发布版本 / The vintage compared with the current figures';
COMMENT ON COLUMN marts.annual_indicator_restatements.year IS '年度 / Year of the vintage';
COMMENT ON COLUMN marts.annual_indicator_restatements.published_at IS '该版本发布时间 / When the vintage was published';
COMMENT ON COLUMN marts.annual_indicator_restatements.published_by_run IS '发布该版本的运行编号 / Run that published the vintage';
COMMENT ON COLUMN marts.annual_indicator_restatements.is_latest_vintage IS '是否为该年度最新发布版本 / True for the newest vintage of its year';
COMMENT ON COLUMN marts.annual_indicator_restatements.indicator IS '指标代码 / Indicator code';
COMMENT ON COLUMN marts.annual_indicator_restatements.scope IS '范围：district 或街道名 / district, or a street name';
COMMENT ON COLUMN marts.annual_indicator_restatements.change IS '变化类型：changed、new、removed / changed: value, numerator, denominator, target, target_met or unit differs (beyond 1e-9 relative); new: in marts now, not in the vintage; removed: in the vintage, no longer in marts';
COMMENT ON COLUMN marts.annual_indicator_restatements.reported_through IS '发布时数据截至季度 / Quarter the vintage ran through';
COMMENT ON COLUMN marts.annual_indicator_restatements.current_through IS '当前数据截至季度 / Quarter the current figures run through (null for removed)';
COMMENT ON COLUMN marts.annual_indicator_restatements.reported_value IS '发布时的值 / Value as published (null for new)';
COMMENT ON COLUMN marts.annual_indicator_restatements.current_value IS '当前值 / Value in marts.annual_indicators now (null for removed)';
COMMENT ON COLUMN marts.annual_indicator_restatements.difference IS '当前值减发布值 / current_value − reported_value';
COMMENT ON COLUMN marts.annual_indicator_restatements.reported_numerator IS '发布时的分子 / Numerator as published';
COMMENT ON COLUMN marts.annual_indicator_restatements.current_numerator IS '当前分子 / Numerator now';
COMMENT ON COLUMN marts.annual_indicator_restatements.reported_denominator IS '发布时的分母 / Denominator as published';
COMMENT ON COLUMN marts.annual_indicator_restatements.current_denominator IS '当前分母 / Denominator now';
COMMENT ON COLUMN marts.annual_indicator_restatements.reported_target_met IS '发布时是否达标 / target_met as published';
COMMENT ON COLUMN marts.annual_indicator_restatements.current_target_met IS '当前是否达标 / target_met now';
COMMENT ON COLUMN marts.annual_indicator_restatements.unit IS '单位 / Unit';
