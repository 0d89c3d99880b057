-- What changed since we reported a quarter: every figure restated since its latest vintage (changed, new, removed).
-- Grain: one row per indicator × scope that differs. Sources: marts.indicator_restatements (vintages vs marts now).
-- No rows: nothing has changed since the report. For the first report instead of the latest, compare with
-- vintage_id = (SELECT min(vintage_id) FROM marts.indicator_vintages WHERE quarter = getvariable('quarter')).
SET VARIABLE quarter = '2026Q2';
SELECT
    vintage_id,
    published_at,
    indicator,
    scope,
    change,
    reported_value,
    current_value,
    difference,
    reported_target_met,
    current_target_met,
    unit
FROM marts.indicator_restatements
WHERE quarter = getvariable('quarter')
  AND is_latest_vintage
ORDER BY scope = 'district' DESC, indicator, scope;
