"""Turn delivered extract files into typed rows: file reading, header matching and cell value parsing."""
