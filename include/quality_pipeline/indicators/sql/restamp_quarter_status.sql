-- Purpose: bring the status (provisional / closed) of quarters not recomputed up to the run's day.
-- Grain: updates one row per quarter × indicator × scope whose status changed.
-- Sources: marts.quarterly_indicators, quarter_stamps (a registered frame: quarter, period_status).
UPDATE marts.quarterly_indicators AS q
SET period_status = s.period_status
FROM quarter_stamps AS s
WHERE q.quarter = s.quarter
  AND q.period_status IS DISTINCT FROM s.period_status
