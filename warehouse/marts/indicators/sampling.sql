-- Purpose: product-sampling indicators (batches, pass rate, refusals, open follow-ups).
-- Grain: one row per period (quarter 2026Q3, or year 2026 to date) × indicator × scope (district, or a
--   street of the region).
-- Sources: core.product_sampling. Parameters: $period ('quarter' or 'year'), $periods (the periods to compute,
--   NULL for all), $streets (the region's streets).
WITH batches AS (
    SELECT period_label($period, sampling_date) AS period,
           region_street($streets, street) AS street,
           conclusion, followup_status
    FROM core.product_sampling
    WHERE in_periods($periods, $period, sampling_date)
),
scoped AS (
    SELECT period, 'district' AS scope, * EXCLUDE (period, street) FROM batches
    UNION ALL
    SELECT q.period, s.street, b.conclusion, b.followup_status
    FROM (SELECT DISTINCT period FROM batches) q
    CROSS JOIN unnest($streets) AS s(street)
    LEFT JOIN batches b ON b.period = q.period AND b.street = s.street
),
counts AS (
    SELECT period, scope,
           count(*) FILTER (WHERE conclusion = '合格') AS passed,
           count(*) FILTER (WHERE conclusion IN ('合格', '不合格')) AS decided,
           count(*) FILTER (WHERE conclusion = '拒检') AS refused,
           count(*) FILTER (WHERE conclusion = '不合格'
                            AND coalesce(followup_status, '') NOT IN ('复查合格', '已立案')) AS open_followups
    FROM scoped
    GROUP BY period, scope
)
SELECT period, 'sampling_batches' AS indicator, scope, decided AS value, NULL AS numerator, NULL AS denominator
FROM counts
UNION ALL
SELECT period, 'sampling_pass_rate', scope, round(100.0 * passed / nullif(decided, 0), 4), passed, decided
FROM counts
UNION ALL
SELECT period, 'sampling_refusals', scope, refused, NULL, NULL FROM counts WHERE scope = 'district'
UNION ALL
SELECT period, 'sampling_followup_open', scope, open_followups, NULL, NULL FROM counts WHERE scope = 'district'
