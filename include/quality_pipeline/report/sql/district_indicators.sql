-- Purpose: the quarter's district figures, with the previous quarter's value for the change shown beside them.
-- Grain: one row per indicator (scope district).
-- Sources: marts.quarterly_indicators.
SELECT cur.indicator, cur.value, cur.numerator, cur.denominator, cur.target, cur.target_met, cur.unit,
       prev.value AS previous_value
FROM marts.quarterly_indicators AS cur
LEFT JOIN marts.quarterly_indicators AS prev
  ON prev.quarter = $previous AND prev.indicator = cur.indicator AND prev.scope = 'district'
WHERE cur.quarter = $quarter AND cur.scope = 'district'
ORDER BY cur.indicator
