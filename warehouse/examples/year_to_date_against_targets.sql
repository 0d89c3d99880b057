-- Where are we for the year, and are we on track? The newest year's district figures to date against the
--   annual targets: met (the full target) and on track (counts against the target pro-rated to the share of
--   the year elapsed, rates and scores against the target itself; docs/indicators.md).
-- Grain: one row per indicator with an annual target (scope = district) of the newest year in
--   marts.annual_indicators, behind-schedule first.
-- Sources: marts.annual_indicators.
SELECT year, through_quarter, period_status, indicator, value, numerator, denominator, target, target_met,
       on_track, unit
FROM marts.annual_indicators
WHERE scope = 'district'
  AND target IS NOT NULL
  AND year = (SELECT max(year) FROM marts.annual_indicators)
ORDER BY on_track NULLS LAST, indicator;
