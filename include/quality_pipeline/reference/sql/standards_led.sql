-- Purpose: standards published by a day whose drafting a district enterprise led (role 主导).
-- Grain: one row.
-- Sources: ref.standards. Parameters: $as_of.
SELECT count(*) AS led
FROM ref.standards
WHERE published_date <= $as_of AND role = '主导'
