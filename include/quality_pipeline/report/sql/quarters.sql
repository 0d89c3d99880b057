-- Purpose: the quarters that have published indicators, oldest first, with the status each was computed with.
-- Grain: one row per quarter.
-- Sources: marts.quarterly_indicators.
SELECT quarter, any_value(period_status) AS period_status
FROM marts.quarterly_indicators
GROUP BY quarter
ORDER BY quarter
