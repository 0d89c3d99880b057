-- Purpose: remediation-project indicators: investment completion rate (Σ completed ÷ Σ planned × 100, yuan)
--   and projects completed (actual_finish on or before quarter end).
-- Grain: one row per quarter × indicator, scope district only.
-- Sources: core.remediation_projects.
-- Rules: every quarter from the first to the last with any report; in each, every project that has reported
--   by the quarter's end counts at its latest report month on or before that end, so a project carries
--   forward through quarters without new reports.
WITH reports AS (
    SELECT project_no, report_month, planned_investment, completed_investment, actual_finish
    FROM core.remediation_projects
    WHERE report_month IS NOT NULL
),
bounds AS (
    SELECT min(date_trunc('quarter', report_month)) AS first_quarter,
           max(date_trunc('quarter', report_month)) AS last_quarter
    FROM reports
),
quarters AS (
    SELECT quarter_start::DATE AS quarter_start,
           (quarter_start + INTERVAL 3 MONTH - INTERVAL 1 DAY)::DATE AS quarter_end
    FROM (SELECT unnest(generate_series(first_quarter, last_quarter, INTERVAL 3 MONTH)) AS quarter_start
          FROM bounds)
),
latest AS (
    SELECT q.quarter_start, q.quarter_end, r.*
    FROM quarters q
    JOIN reports r ON r.report_month <= q.quarter_end
    QUALIFY row_number() OVER (PARTITION BY q.quarter_start, r.project_no ORDER BY r.report_month DESC) = 1
),
totals AS (
    SELECT year(quarter_start) || 'Q' || quarter(quarter_start) AS quarter,
           sum(completed_investment)::DOUBLE AS completed,
           sum(planned_investment)::DOUBLE AS planned,
           count(*) FILTER (WHERE actual_finish <= quarter_end)::DOUBLE AS finished
    FROM latest
    GROUP BY quarter_start
)
SELECT quarter, 'remediation_investment_rate' AS indicator, 'district' AS scope,
       round(100.0 * completed / nullif(planned, 0), 4) AS value, completed AS numerator, planned AS denominator
FROM totals
UNION ALL
SELECT quarter, 'remediation_projects_completed', 'district', finished, NULL, NULL FROM totals
