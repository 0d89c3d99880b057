-- V004: vintages — the figures of a quarter frozen when it is published, and what has been restated since.
-- marts.indicator_vintages: one row per vintage × indicator × scope; rows are only ever inserted.
-- marts.indicator_restatements: one row per vintage × indicator × scope that differs from marts.quarterly_indicators now.
CREATE SEQUENCE marts.vintage_id_seq START 1;
COMMENT ON SEQUENCE marts.vintage_id_seq IS '发布版本号序列 / Numbers the vintages (marts.indicator_vintages.vintage_id)';

CREATE TABLE marts.indicator_vintages (
    vintage_id BIGINT NOT NULL,
    quarter VARCHAR NOT NULL,
    published_at TIMESTAMP NOT NULL,
    published_by_run VARCHAR NOT NULL,
    indicator VARCHAR NOT NULL,
    scope VARCHAR NOT NULL,
    value DOUBLE,
    numerator DOUBLE,
    denominator DOUBLE,
    target DOUBLE,
    target_met BOOLEAN,
    unit VARCHAR NOT NULL,
    PRIMARY KEY (vintage_id, indicator, scope)
);
COMMENT ON TABLE marts.indicator_vintages IS '指标发布版本 / Indicator vintages: the rows of marts.quarterly_indicators for one quarter as they stood when that quarter was published (at quarter close or on demand); one row per vintage × indicator × scope, never updated or deleted';
COMMENT ON COLUMN marts.indicator_vintages.vintage_id IS '发布版本号 / Vintage number, increasing with every publication (marts.vintage_id_seq); one vintage covers one quarter';
COMMENT ON COLUMN marts.indicator_vintages.quarter IS '季度，如 2026Q2 / The published quarter, e.g. 2026Q2';
COMMENT ON COLUMN marts.indicator_vintages.published_at IS '发布时间（本地时间）/ When the figures were frozen (local time of the writer)';
COMMENT ON COLUMN marts.indicator_vintages.published_by_run IS '发布的运行编号 / Airflow run_id (or other caller id) that published the vintage; the same run re-publishing unchanged figures gets the same vintage back';
COMMENT ON COLUMN marts.indicator_vintages.indicator IS '指标代码 / Indicator code, as in marts.quarterly_indicators';
COMMENT ON COLUMN marts.indicator_vintages.scope IS '范围：district（全区）或街道名 / district, or a street name';
COMMENT ON COLUMN marts.indicator_vintages.value IS '发布时的指标值 / The figure as published (rates in percent 0–100, money in yuan)';
COMMENT ON COLUMN marts.indicator_vintages.numerator IS '发布时的分子（比率类）/ Numerator as published, for rates; null otherwise';
COMMENT ON COLUMN marts.indicator_vintages.denominator IS '发布时的分母（比率类）/ Denominator as published, for rates; null otherwise';
COMMENT ON COLUMN marts.indicator_vintages.target IS '发布时的目标值 / Target as published, or null';
COMMENT ON COLUMN marts.indicator_vintages.target_met IS '发布时是否达标 / Whether the target was met as published; null without a target';
COMMENT ON COLUMN marts.indicator_vintages.unit IS '单位：%、count、person-times、yuan、score / Unit';

CREATE VIEW marts.indicator_restatements AS
WITH vintage_heads AS (
    SELECT vintage_id, any_value(quarter) AS quarter, any_value(published_at) AS published_at,
           any_value(published_by_run) AS published_by_run
    FROM marts.indicator_vintages
    GROUP BY vintage_id
),
latest AS (
    SELECT quarter, max(vintage_id) AS vintage_id FROM vintage_heads GROUP BY quarter
),
now_rows AS (
    SELECT h.vintage_id, q.*
    FROM vintage_heads h
    JOIN marts.quarterly_indicators q USING (quarter)
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
        coalesce(n.unit, v.unit) AS unit
    FROM marts.indicator_vintages v
    FULL OUTER JOIN now_rows n
      ON v.vintage_id = n.vintage_id AND v.indicator = n.indicator AND v.scope = n.scope
)
SELECT
    c.vintage_id,
    h.quarter,
    h.published_at,
    h.published_by_run,
    c.vintage_id = l.vintage_id AS is_latest_vintage,
    c.indicator,
    c.scope,
    c.change,
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
JOIN vintage_heads h USING (vintage_id)
JOIN latest l USING (quarter)
WHERE c.change IS NOT NULL;
COMMENT ON VIEW marts.indicator_restatements IS '发布后的更正 / Restatements: one row per vintage × indicator × scope whose figure in marts.quarterly_indicators now differs from the vintage (changed), was not in it (new) or is gone (removed); a vintage with no rows here still stands';
COMMENT ON COLUMN marts.indicator_restatements.vintage_id IS '对比的发布版本 / The vintage compared with the current figures';
COMMENT ON COLUMN marts.indicator_restatements.quarter IS '季度 / Quarter of the vintage';
COMMENT ON COLUMN marts.indicator_restatements.published_at IS '该版本发布时间 / When the vintage was published';
COMMENT ON COLUMN marts.indicator_restatements.published_by_run IS '发布该版本的运行编号 / Run that published the vintage';
COMMENT ON COLUMN marts.indicator_restatements.is_latest_vintage IS '是否为该季度最新发布版本 / True for the newest vintage of its quarter (what was reported last)';
COMMENT ON COLUMN marts.indicator_restatements.indicator IS '指标代码 / Indicator code';
COMMENT ON COLUMN marts.indicator_restatements.scope IS '范围：district 或街道名 / district, or a street name';
COMMENT ON COLUMN marts.indicator_restatements.change IS '变化类型：changed（数值变化）、new（新增）、removed（删除）/ changed: value, numerator, denominator, target, target_met or unit differs (beyond 1e-9 relative); new: in marts now but not in the vintage; removed: in the vintage but no longer in marts';
COMMENT ON COLUMN marts.indicator_restatements.reported_value IS '发布时的值 / Value as published (null for new)';
COMMENT ON COLUMN marts.indicator_restatements.current_value IS '当前值 / Value in marts.quarterly_indicators now (null for removed)';
COMMENT ON COLUMN marts.indicator_restatements.difference IS '当前值减发布值 / current_value − reported_value (null for new or removed)';
COMMENT ON COLUMN marts.indicator_restatements.reported_numerator IS '发布时的分子 / Numerator as published';
COMMENT ON COLUMN marts.indicator_restatements.current_numerator IS '当前分子 / Numerator now';
COMMENT ON COLUMN marts.indicator_restatements.reported_denominator IS '发布时的分母 / Denominator as published';
COMMENT ON COLUMN marts.indicator_restatements.current_denominator IS '当前分母 / Denominator now';
COMMENT ON COLUMN marts.indicator_restatements.reported_target_met IS '发布时是否达标 / target_met as published';
COMMENT ON COLUMN marts.indicator_restatements.current_target_met IS '当前是否达标 / target_met now';
COMMENT ON COLUMN marts.indicator_restatements.unit IS '单位 / Unit (current, or as published for removed rows)';
