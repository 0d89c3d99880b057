-- Purpose: brand titles in force at the quarter's end (著名商标 frozen since 2018; 省名牌 lasts 3 years).
-- Grain: one row per kind (驰名商标, 著名商标, 省名牌产品) with at least one title in force.
-- Sources: ref.brands (seeded by hand).
SELECT kind AS label, count(*) AS value
FROM ref.brands
WHERE awarded_date <= $quarter_end AND (expires_date IS NULL OR expires_date > $quarter_end)
GROUP BY kind
ORDER BY list_position(['驰名商标', '著名商标', '省名牌产品'], kind) NULLS LAST, kind
