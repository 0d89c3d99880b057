-- Purpose: freeze the year to date of a published quarter under the same vintage as the quarter.
-- Grain: one row per year × indicator × scope of the vintage.
-- Sources: marts.annual_indicators. Parameters: $vintage_id, $published_at, $run_id, $year.
INSERT INTO marts.annual_indicator_vintages (vintage_id, year, published_at, published_by_run,
    indicator, scope, value, numerator, denominator, target, target_met, on_track, unit, period_status,
    through_quarter)
SELECT $vintage_id, year, $published_at, $run_id, indicator, scope, value, numerator, denominator, target,
       target_met, on_track, unit, period_status, through_quarter
FROM marts.annual_indicators
WHERE year = $year
