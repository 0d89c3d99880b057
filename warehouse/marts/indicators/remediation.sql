-- Purpose: remediation-project indicators: investment completion rate (Σ completed ÷ Σ planned × 100, yuan)
--   and projects completed (actual_finish on or before the period's end).
-- Grain: one row per period (quarter 2026Q3, or year 2026 to date) × indicator, scope district only.
-- Sources: core.remediation_projects. Parameters: $period ('quarter' or 'year'), $periods (the periods to
--   compute, NULL for all: every report is still read, since a period carries earlier reports forward).
-- Rules: every period from the first to the last with any report; in each, every project that has reported
--   by the period's end counts at its latest report month on or before that end, so a project carries
--   forward through periods without new reports (a year to date: each project at its latest month so far).
WITH reports AS (
    SELECT project_no, report_month, planned_investment, completed_investment, actual_finish
    FROM core.remediation_projects
    WHERE report_month IS NOT NULL
),
step AS (
    SELECT CASE $period WHEN 'year' THEN INTERVAL 1 YEAR ELSE INTERVAL 3 MONTH END AS length
),
bounds AS (
    SELECT min(date_trunc($period, report_month)) AS first_start,
           max(date_trunc($period, report_month)) AS last_start
    FROM reports
),
periods AS (
    SELECT period_start::DATE AS period_start,
           (period_start + length - INTERVAL 1 DAY)::DATE AS period_end
    FROM (SELECT unnest(generate_series(first_start, last_start, length)) AS period_start, length
          FROM bounds, step)
),
latest AS (
    SELECT p.period_start, p.period_end, r.*
    FROM (SELECT * FROM periods WHERE in_periods($periods, $period, period_start)) p
    JOIN reports r ON r.report_month <= p.period_end
    QUALIFY row_number() OVER (PARTITION BY p.period_start, r.project_no ORDER BY r.report_month DESC) = 1
),
totals AS (
    SELECT period_label($period, period_start) AS period,
           sum(completed_investment)::DOUBLE AS completed,
           sum(planned_investment)::DOUBLE AS planned,
           count(*) FILTER (WHERE actual_finish <= period_end)::DOUBLE AS finished
    FROM latest
    GROUP BY period_start
)
SELECT period, 'remediation_investment_rate' AS indicator, 'district' AS scope,
       round(100.0 * completed / nullif(planned, 0), 4) AS value, completed AS numerator, planned AS denominator
FROM totals
UNION ALL
SELECT period, 'remediation_projects_completed', 'district', finished, NULL, NULL FROM totals
