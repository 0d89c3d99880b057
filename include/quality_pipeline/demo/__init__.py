"""Demo extracts: realistic, messy files for every feed, with the truth the pipeline should reproduce."""

from quality_pipeline.demo.generator import generate
from quality_pipeline.demo.large import write_large_sampling_csv
from quality_pipeline.demo.truth import FileTruth, RowIssue, Truth

__all__ = ["FileTruth", "RowIssue", "Truth", "generate", "write_large_sampling_csv"]
