"""Quality-strategy (质量强区) pipeline: parse, validate and load district extracts into DuckDB."""
