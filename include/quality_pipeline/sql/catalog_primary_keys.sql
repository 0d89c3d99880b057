-- Purpose: the columns of every primary key, for the data dictionary's "key" mark.
-- Grain: one row per table × key column.
-- Sources: duckdb_constraints().
SELECT schema_name, table_name, unnest(constraint_column_names)
FROM duckdb_constraints()
WHERE constraint_type = 'PRIMARY KEY'
