-- Purpose: every table and view of the warehouse with its comment, for the data dictionary.
-- Grain: one row per table or view.
-- Sources: duckdb_tables(), duckdb_views().
SELECT schema_name, table_name, 'table', comment FROM duckdb_tables() WHERE database_name = current_database() AND NOT internal AND NOT temporary
UNION ALL
SELECT schema_name, view_name, 'view', comment FROM duckdb_views() WHERE database_name = current_database() AND NOT internal AND NOT temporary
