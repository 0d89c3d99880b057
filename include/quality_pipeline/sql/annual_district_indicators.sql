-- Purpose: a year's district figures to date, as `cli indicators` prints them under the quarter.
-- Grain: one row per indicator.
-- Sources: marts.annual_indicators. Parameters: $year.
SELECT indicator, value, target, target_met, on_track, unit, through_quarter, period_status
FROM marts.annual_indicators
WHERE year = $year AND scope = 'district'
ORDER BY indicator
