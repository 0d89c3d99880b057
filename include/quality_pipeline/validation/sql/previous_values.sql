-- Purpose: for each row of a file, the value of each never-falling column in the latest earlier report month
--   of the same key (the largest within a month), from the warehouse and the file itself.
-- Grain: one row per row of the file (__idx).
-- Sources: core.<feed>, this_file (a registered frame). A template: {key}, {month}, {table}, {columns},
--   {maxima} and {previous} are identifiers from the feed declaration, filled in by validation.never_falls.
WITH hist AS (
    SELECT {key}, {month}, {maxima}
    FROM (SELECT {key}, {month}, {columns} FROM {table}
          UNION ALL
          SELECT {key}, CAST({month} AS DATE), {columns} FROM this_file
          WHERE {key} IS NOT NULL AND {month} IS NOT NULL)
    GROUP BY ALL
)
SELECT f.__idx, {previous}
FROM this_file f ASOF LEFT JOIN hist h
  ON f.{key} = h.{key} AND CAST(f.{month} AS DATE) > h.{month}
