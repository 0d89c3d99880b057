-- Purpose: the quarter's street breakdown (every indicator that has one).
-- Grain: one row per street × indicator.
-- Sources: marts.quarterly_indicators.
SELECT scope AS street, indicator, value, numerator, denominator, target, target_met
FROM marts.quarterly_indicators
WHERE quarter = $quarter AND scope <> 'district'
ORDER BY street, indicator
