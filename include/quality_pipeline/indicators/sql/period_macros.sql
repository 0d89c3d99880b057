-- Purpose: the three expressions every indicator SQL file (warehouse/marts/indicators) starts from, defined
--   once on the connection before they run: a date's period label for $period ('quarter' → 2026Q3,
--   'year' → 2026), whether that label is one of the periods being recomputed ($periods; NULL: every period),
--   and a street kept only when it is one of the region's streets (else NULL: district only).
-- Grain: none (macro definitions).
-- Sources: none.
CREATE OR REPLACE TEMP MACRO period_label(kind, d) AS
    CASE kind WHEN 'year' THEN year(d)::VARCHAR ELSE year(d) || 'Q' || quarter(d) END;
CREATE OR REPLACE TEMP MACRO in_periods(periods, kind, d) AS
    periods IS NULL OR list_contains(periods, period_label(kind, d));
CREATE OR REPLACE TEMP MACRO region_street(streets, s) AS
    CASE WHEN list_contains(streets, s) THEN s END;
