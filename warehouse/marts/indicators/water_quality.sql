-- Purpose: share of water bodies assessed not black-odorous (城市黑臭水体整治工作指南, 2015).
-- Grain: one row per period (quarter 2026Q3, or year 2026 to date) × indicator, scope district only.
-- Sources: core.water_quality. Parameters: $period ('quarter' or 'year'), $periods (the periods to compute,
--   NULL for all).
-- Rules: a sample is black-odorous when any measure is light or heavy. Each band's limit on the clean side
--   belongs to the cleaner grade (as the heavy limits do: transparency 10, DO 0.2, ORP −200, NH3-N 15 are
--   light), so black is transparency < 25 cm, DO < 2.0 mg/L, ORP < 50 mV, NH3-N > 8.0 mg/L; exactly 25 / 2.0 /
--   50 / 8.0 is not black. Shallow water (depth_cm < 25): transparency is black only when
--   < 0.4 × depth_cm (compared as decimals, so exactly 40% is not black). A missing measure makes nothing black.
--   A body is assessed in a period (quarter or year) with samples from ≥ 3 distinct points on ≥ 3 distinct
--   dates; it is not black-odorous when ≤ 10% of its samples are. value = not black ÷ assessed × 100; a period with samples
--   but no assessed body has value NULL, numerator and denominator 0.
WITH samples AS (
    SELECT period_label($period, sample_date) AS period,
           water_body, point_id, sample_date,
           coalesce(CASE WHEN depth_cm < 25
                         THEN transparency_cm::DECIMAL(18, 6) < 0.4 * depth_cm::DECIMAL(18, 6)
                         ELSE transparency_cm < 25 END, false)
           OR coalesce(do_mg_l < 2.0, false)
           OR coalesce(orp_mv < 50, false)
           OR coalesce(nh3n_mg_l > 8.0, false) AS black
    FROM core.water_quality
    WHERE sample_date IS NOT NULL AND in_periods($periods, $period, sample_date)
),
bodies AS (
    SELECT period, water_body,
           count(DISTINCT point_id) >= 3 AND count(DISTINCT sample_date) >= 3 AS assessed,
           count(*) FILTER (WHERE black) * 10 <= count(*) AS not_black
    FROM samples
    GROUP BY period, water_body
),
totals AS (
    SELECT period,
           count(*) FILTER (WHERE assessed AND not_black)::DOUBLE AS not_black,
           count(*) FILTER (WHERE assessed)::DOUBLE AS assessed
    FROM bodies
    GROUP BY period
)
SELECT period, 'water_bodies_not_black_rate' AS indicator, 'district' AS scope,
       round(100.0 * not_black / nullif(assessed, 0), 4) AS value, not_black AS numerator, assessed AS denominator
FROM totals
