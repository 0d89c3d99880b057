-- Purpose: each remediation project's investment progress at the quarter's end, from its latest report.
-- Grain: one row per project (project_no) that has reported by $quarter_end.
-- Sources: core.remediation_projects.
SELECT project_no, report_month, water_body, street, status,
       planned_investment::DOUBLE AS planned_investment,
       completed_investment::DOUBLE AS completed_investment,
       progress_pct, actual_finish,
       actual_finish IS NOT NULL AND actual_finish <= $quarter_end AS finished
FROM core.remediation_projects
WHERE report_month IS NOT NULL AND report_month <= $quarter_end
QUALIFY row_number() OVER (PARTITION BY project_no ORDER BY report_month DESC) = 1
ORDER BY project_no
