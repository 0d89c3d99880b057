-- Every publication of every quarter: when, by which run, how many figures, and how many restated since.
-- Grain: one row per vintage. Sources: marts.indicator_vintages, marts.indicator_restatements.
SELECT
    v.vintage_id,
    v.quarter,
    any_value(v.published_at) AS published_at,
    any_value(v.published_by_run) AS published_by_run,
    count(*) AS figures,
    (SELECT count(*) FROM marts.indicator_restatements r WHERE r.vintage_id = v.vintage_id) AS restated_since
FROM marts.indicator_vintages v
GROUP BY v.vintage_id, v.quarter
ORDER BY v.quarter DESC, v.vintage_id DESC;
