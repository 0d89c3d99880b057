-- The latest closed quarter's district figures, with their targets and whether each was met.
-- Grain: one row per indicator (scope = district) of the newest quarter whose period_status is closed (a quarter
--   still open or within its delivery grace period is provisional: docs/indicators.md).
-- Sources: marts.quarterly_indicators.
SELECT quarter, indicator, value, numerator, denominator, target, target_met, unit
FROM marts.quarterly_indicators
WHERE scope = 'district'
  AND quarter = (SELECT max(quarter) FROM marts.quarterly_indicators WHERE period_status = 'closed')
ORDER BY target_met NULLS LAST, indicator;
