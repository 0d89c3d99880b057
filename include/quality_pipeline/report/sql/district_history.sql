-- Purpose: district figures of the report quarter and the quarters before it, for the trend charts.
-- Grain: one row per quarter × indicator (scope district), at most $max_quarters quarters up to $quarter.
-- Sources: marts.quarterly_indicators.
WITH shown AS (
    SELECT DISTINCT quarter
    FROM marts.quarterly_indicators
    WHERE quarter <= $quarter
    ORDER BY quarter DESC
    LIMIT $max_quarters
)
SELECT quarter, indicator, value, numerator, denominator, target, target_met
FROM marts.quarterly_indicators
WHERE scope = 'district' AND quarter IN (SELECT quarter FROM shown)
ORDER BY quarter, indicator
