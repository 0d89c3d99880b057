-- Purpose: the construction bureau's return for the quarter, if it has one.
-- Grain: at most three rows (one per figure) for the quarter ending $quarter_end.
-- Sources: ref.construction_quality (seeded by hand).
WITH q AS (
    SELECT * FROM ref.construction_quality
    WHERE quarter = year($quarter_end::DATE) || 'Q' || quarter($quarter_end::DATE)
)
SELECT label, value
FROM (
    SELECT 1 AS pos, '监督检查工程项目数' AS label, projects_inspected::DOUBLE AS value
    FROM q
    UNION ALL
    SELECT 2, '竣工验收一次合格率(%)', acceptance_pass_rate FROM q
    UNION ALL
    SELECT 3, '优质工程奖项数', quality_awards::DOUBLE FROM q
)
ORDER BY pos
