-- Purpose: the version of the reference seeds loaded last, when it says they are sample data
--   (warehouse/seeds/VERSION ends in -sample, as the committed seeds' does; an office's own registers carry
--   their own version).
-- Grain: at most one row.
-- Sources: ref.seed_versions.
SELECT max(version) AS version
FROM ref.seed_versions
WHERE load_id = (SELECT max(load_id) FROM ref.seed_versions)
  AND version LIKE '%-sample'
HAVING count(*) > 0;
