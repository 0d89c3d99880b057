-- Purpose: how many figures of a vintage (quarter and year to date) differ from the current marts.
-- Grain: one row.
-- Sources: marts.indicator_restatements, marts.annual_indicator_restatements. Parameters: $v (vintage_id).
SELECT (SELECT count(*) FROM marts.indicator_restatements WHERE vintage_id = $v)
     + (SELECT count(*) FROM marts.annual_indicator_restatements WHERE vintage_id = $v) AS restated
