-- History of one sampled batch across deliveries: every version, the file that brought it, and which one counts.
-- Grain: one row per delivered version of the key. Sources: raw.product_sampling, audit.files, core.product_sampling.
-- For another feed, use raw.<feed> / core.<feed> and its key columns (see docs/data-dictionary.md).
-- The key below is a sample whose conclusion the demo's correction of 2026Q2 changes (make demo): two versions.
SET VARIABLE sample_no = 'QC2644051120091';
SELECT
    r._delivery_seq AS delivery,
    f.path AS file,
    f.processed_at,
    r._run_id AS run_id,
    r._row_number AS row_number,
    r.sampling_date,
    r.conclusion,
    r.failed_items,
    r.followup_status,
    r._delivery_seq = c._delivery_seq AS is_current
FROM raw.product_sampling r
JOIN audit.files f ON f.file_id = r._file_id
LEFT JOIN core.product_sampling c ON c.sample_no = r.sample_no
WHERE r.sample_no = getvariable('sample_no')
ORDER BY r._delivery_seq, r._row_number;
