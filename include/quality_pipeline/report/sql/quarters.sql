-- Purpose: the quarters that have published indicators, oldest first (the report's default is the last).
-- Grain: one row per quarter.
-- Sources: marts.quarterly_indicators.
SELECT DISTINCT quarter
FROM marts.quarterly_indicators
ORDER BY quarter
