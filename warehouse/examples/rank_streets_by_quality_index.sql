-- Streets ranked by quality-competitiveness index in one quarter (default: the latest closed one), with their band.
-- Grain: one row per street with an index that quarter. Sources: marts.quarterly_indicators.
-- Bands (docs/indicators.md): ≥ 90 strong, 85–90 good, 80–85 fair, < 80 weak.
SET VARIABLE quarter = (SELECT max(quarter) FROM marts.quarterly_indicators
                        WHERE indicator = 'quality_competitiveness_index' AND period_status = 'closed');
SELECT
    rank() OVER (ORDER BY value DESC) AS rank,
    scope AS street,
    round(value, 1) AS quality_competitiveness_index,
    CASE WHEN value >= 90 THEN 'strong' WHEN value >= 85 THEN 'good' WHEN value >= 80 THEN 'fair' ELSE 'weak' END
        AS band,
    target_met
FROM marts.quarterly_indicators
WHERE indicator = 'quality_competitiveness_index'
  AND scope <> 'district'
  AND quarter = getvariable('quarter')
ORDER BY rank, street;
