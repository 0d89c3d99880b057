-- Purpose: freeze a quarter's current figures as a vintage (what was reported, kept when marts are restated).
-- Grain: one row per quarter × indicator × scope of the vintage.
-- Sources: marts.quarterly_indicators. Parameters: $vintage_id, $published_at, $run_id, $quarter.
INSERT INTO marts.indicator_vintages (vintage_id, quarter, published_at, published_by_run,
    indicator, scope, value, numerator, denominator, target, target_met, unit, period_status)
SELECT $vintage_id, quarter, $published_at, $run_id, indicator, scope, value, numerator, denominator, target,
       target_met, unit, period_status
FROM marts.quarterly_indicators
WHERE quarter = $quarter
