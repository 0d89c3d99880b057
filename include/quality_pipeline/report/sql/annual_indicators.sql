-- Purpose: the year to date of the report quarter's year, district scope, for the report's year section.
-- Grain: one row per indicator (scope district) of year $year.
-- Sources: marts.annual_indicators.
SELECT indicator, value, numerator, denominator, target, target_met, on_track, unit, period_status,
       through_quarter
FROM marts.annual_indicators
WHERE year = $year AND scope = 'district'
ORDER BY indicator
