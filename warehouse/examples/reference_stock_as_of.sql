-- Reference stock on one day: standards published by then (by level) and brand titles valid then (by kind).
-- Grain: one row per category × item. Sources: ref.standards, ref.brands, ref.seed_versions.
-- A title counts from awarded_date until the day before expires_date; 驰名商标 and 著名商标 never expire.
SET VARIABLE as_of = DATE '2026-06-30';
WITH stock AS (
    SELECT 'standards' AS category, level AS item, count(*) AS stock
    FROM ref.standards
    WHERE published_date <= getvariable('as_of')
    GROUP BY level
    UNION ALL
    SELECT 'brands', kind, count(*)
    FROM ref.brands
    WHERE awarded_date <= getvariable('as_of')
      AND (expires_date IS NULL OR getvariable('as_of') < expires_date)
    GROUP BY kind
)
SELECT category, item, stock, (SELECT max_by(version, load_id) FROM ref.seed_versions) AS seed_version
FROM stock
ORDER BY category DESC, list_position(['国家', '行业', '地方', '团体', '驰名商标', '著名商标', '省名牌产品'], item);
