-- Purpose: a table's or view's columns with type, nullability and comment, for the data dictionary.
-- Grain: one row per column, in table order.
-- Sources: duckdb_columns(). Parameters: $schema, $name.
SELECT column_name, data_type, is_nullable, comment
FROM duckdb_columns()
WHERE database_name = current_database() AND schema_name = $schema AND table_name = $name
ORDER BY column_index
