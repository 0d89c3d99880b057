-- Purpose: the newest load of the seeds: which version and content of each seed it loaded.
-- Grain: one row per seed of the newest load.
-- Sources: ref.seed_versions.
SELECT load_id, seed, version, sha256
FROM ref.seed_versions
WHERE load_id = (SELECT max(load_id) FROM ref.seed_versions)
