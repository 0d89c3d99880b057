-- Purpose: the quarters of year $year, district scope, that the year-to-date charts accumulate.
-- Grain: one row per quarter × indicator (scope district) of year $year.
-- Sources: marts.quarterly_indicators.
SELECT quarter, indicator, value, numerator, denominator, period_status
FROM marts.quarterly_indicators
WHERE scope = 'district' AND starts_with(quarter, $year::VARCHAR)
ORDER BY quarter, indicator
