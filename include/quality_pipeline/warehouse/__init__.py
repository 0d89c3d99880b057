"""The DuckDB warehouse: one private working copy written by one writer at a time, published by atomic rename."""
