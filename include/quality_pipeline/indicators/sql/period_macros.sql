-- Purpose: the three expressions every indicator SQL file (warehouse/marts/indicators) starts from, defined
--   once on the connection before they run: a date's period label for $period ('quarter' → 2026Q3,
--   'year' → 2026), whether that label is one of the periods being recomputed ($periods; NULL: every period),
--   and a street kept only when it is one of the region's streets (else NULL: district only).
-- Grain: none (macro definitions).
-- Sources: none.
CREATE OR REPLACE TEMP MACRO period_label(kind, d) AS
    CASE kind WHEN 'year' THEN year(d)::VARCHAR ELSE year(d) || 'Q' || quarter(d) END;
CREATE OR REPLACE TEMP MACRO period_first(kind, label) AS
    CASE kind WHEN 'year' THEN make_date(label::INTEGER, 1, 1)
              ELSE make_date(left(label, 4)::INTEGER, (right(label, 1)::INTEGER - 1) * 3 + 1, 1) END;
CREATE OR REPLACE TEMP MACRO period_last(kind, label) AS
    (period_first(kind, label) + CASE kind WHEN 'year' THEN INTERVAL 1 YEAR ELSE INTERVAL 3 MONTH END
     - INTERVAL 1 DAY)::DATE;
-- the bounds first (constants for the run: cheap, and they let a scan skip row groups), then the label
CREATE OR REPLACE TEMP MACRO in_periods(periods, kind, d) AS
    periods IS NULL
    OR (d >= period_first(kind, list_min(periods)) AND d <= period_last(kind, list_max(periods))
        AND list_contains(periods, period_label(kind, d)));
CREATE OR REPLACE TEMP MACRO region_street(streets, s) AS
    CASE WHEN list_contains(streets, s) THEN s END;
