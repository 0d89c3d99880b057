"""Validation with Great Expectations: suites built from the feed declarations, run over pandas frames."""
