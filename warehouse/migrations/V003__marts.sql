-- V003: the published indicator table analysts query (columns exactly as indicators.md).
CREATE TABLE marts.quarterly_indicators (
    quarter VARCHAR NOT NULL,
    indicator VARCHAR NOT NULL,
    scope VARCHAR NOT NULL,
    value DOUBLE,
    numerator DOUBLE,
    denominator DOUBLE,
    target DOUBLE,
    target_met BOOLEAN,
    unit VARCHAR NOT NULL,
    PRIMARY KEY (quarter, indicator, scope)
);
COMMENT ON TABLE marts.quarterly_indicators IS 'One row per quarter × indicator × scope (district or street): the quality-strategy figures';
