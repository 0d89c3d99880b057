-- Purpose: one quarter's figures for one scope, as `cli indicators` prints them.
-- Grain: one row per indicator.
-- Sources: marts.quarterly_indicators. Parameters: $quarter (2026Q3), $scope ('district' or a street).
SELECT indicator, value, numerator, denominator, target, target_met, unit
FROM marts.quarterly_indicators
WHERE quarter = $quarter AND scope = $scope
ORDER BY indicator
