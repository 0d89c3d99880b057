-- Purpose: stock of standards led or co-drafted by district enterprises, as at the quarter's end.
-- Grain: one row per level (国家, 行业, 地方, 团体) with at least one standard.
-- Sources: ref.standards (seeded by hand).
SELECT level AS label, count(*) AS value
FROM ref.standards
WHERE published_date <= $quarter_end
GROUP BY level
ORDER BY list_position(['国家', '行业', '地方', '团体'], level) NULLS LAST, level
