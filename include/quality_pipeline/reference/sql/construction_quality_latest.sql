-- Purpose: the latest construction-quality return up to a quarter.
-- Grain: at most one row.
-- Sources: ref.construction_quality. Parameters: $quarter (2026Q3).
SELECT quarter, projects_inspected, acceptance_pass_rate, quality_awards
FROM ref.construction_quality
WHERE quarter <= $quarter
ORDER BY quarter DESC
LIMIT 1
