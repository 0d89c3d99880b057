-- Purpose: enforcement indicators: inspection person-times and entities (by inspection_date); cases filed,
--   anti-counterfeiting cases, penalties (fine + confiscation, yuan), cases transferred to the judiciary and
--   missed transfers (by filing_date).
-- Grain: one row per period (quarter 2026Q3, or year 2026 to date) × indicator × scope (district, or a
--   street of the region for person-times, entities, cases and anti-counterfeiting cases; the other three are
--   district only).
-- Sources: core.enforcement_inspections, core.enforcement_cases.
-- Parameters: $period ('quarter' or 'year'), $periods (the periods to compute, NULL for all), $streets (the
--   region's streets).
-- Rules: a period with any enforcement row (an inspection or a case, even a revoked one) has rows for every
--   indicator, zero when nothing happened; every street of $streets has a row in each such period; a street
--   outside $streets counts for the district only. Cases with status 撤销 count in no case indicator.
--   Missed transfer: 生产销售伪劣产品, transferred not true, sales_amount ≥ 50,000 or goods_value ≥ 150,000
--   (the prosecution threshold; exactly met counts). Missing money counts as 0.
WITH inspections AS (
    SELECT period_label($period, inspection_date) AS period,
           region_street($streets, street) AS street,
           officers, entities
    FROM core.enforcement_inspections
    WHERE inspection_date IS NOT NULL AND in_periods($periods, $period, inspection_date)
),
all_cases AS (
    SELECT period_label($period, filing_date) AS period,
           region_street($streets, street) AS street,
           * EXCLUDE (street)
    FROM core.enforcement_cases
    WHERE filing_date IS NOT NULL AND in_periods($periods, $period, filing_date)
),
cases AS (
    SELECT period, street,
           violation_type IN ('生产销售伪劣产品', '假冒注册商标') AS anticounterfeit,
           coalesce(fine, 0) + coalesce(confiscation, 0) AS penalty,
           transferred IS TRUE AS is_transferred,
           violation_type = '生产销售伪劣产品' AND transferred IS NOT TRUE
               AND (coalesce(sales_amount >= 50000, false) OR coalesce(goods_value >= 150000, false)) AS missed
    FROM all_cases
    WHERE status IS DISTINCT FROM '撤销'
),
periods AS (
    SELECT period FROM inspections
    UNION
    SELECT period FROM all_cases
),
scopes AS (
    SELECT period, 'district' AS scope FROM periods
    UNION ALL
    SELECT q.period, s.street FROM periods q CROSS JOIN unnest($streets) AS s(street)
),
inspection_counts AS (
    SELECT period, 'district' AS scope, sum(officers) AS person_times, sum(entities) AS entities
    FROM inspections GROUP BY period
    UNION ALL
    SELECT period, street, sum(officers), sum(entities)
    FROM inspections WHERE street IS NOT NULL GROUP BY period, street
),
case_counts AS (
    SELECT period, 'district' AS scope,
           count(*) AS cases,
           count(*) FILTER (WHERE anticounterfeit) AS anticounterfeit,
           sum(penalty) AS penalties,
           count(*) FILTER (WHERE is_transferred) AS transferred,
           count(*) FILTER (WHERE missed) AS missed
    FROM cases GROUP BY period
    UNION ALL
    SELECT period, street, count(*), count(*) FILTER (WHERE anticounterfeit), NULL, NULL, NULL
    FROM cases WHERE street IS NOT NULL GROUP BY period, street
),
totals AS (
    SELECT s.period, s.scope,
           coalesce(i.person_times, 0)::DOUBLE AS person_times,
           coalesce(i.entities, 0)::DOUBLE AS entities,
           coalesce(c.cases, 0)::DOUBLE AS cases,
           coalesce(c.anticounterfeit, 0)::DOUBLE AS anticounterfeit,
           coalesce(c.penalties, 0)::DOUBLE AS penalties,
           coalesce(c.transferred, 0)::DOUBLE AS transferred,
           coalesce(c.missed, 0)::DOUBLE AS missed
    FROM scopes s
    LEFT JOIN inspection_counts i ON i.period = s.period AND i.scope = s.scope
    LEFT JOIN case_counts c ON c.period = s.period AND c.scope = s.scope
)
SELECT period, 'enforcement_inspection_person_times' AS indicator, scope, person_times AS value,
       NULL::DOUBLE AS numerator, NULL::DOUBLE AS denominator
FROM totals
UNION ALL
SELECT period, 'enforcement_entities_inspected', scope, entities, NULL, NULL FROM totals
UNION ALL
SELECT period, 'enforcement_cases', scope, cases, NULL, NULL FROM totals
UNION ALL
SELECT period, 'anticounterfeit_cases', scope, anticounterfeit, NULL, NULL FROM totals
UNION ALL
SELECT period, 'enforcement_penalties_yuan', scope, penalties, NULL, NULL FROM totals WHERE scope = 'district'
UNION ALL
SELECT period, 'enforcement_transferred_cases', scope, transferred, NULL, NULL FROM totals WHERE scope = 'district'
UNION ALL
SELECT period, 'enforcement_missed_transfers', scope, missed, NULL, NULL FROM totals WHERE scope = 'district'
