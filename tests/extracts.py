"""The old name of tests/support/extracts.py, kept for tests written against it; import from tests.support."""

from tests.support.extracts import SAMPLING_HEADER, sampling_row, write_sampling_csv

__all__ = ["SAMPLING_HEADER", "sampling_row", "write_sampling_csv"]
