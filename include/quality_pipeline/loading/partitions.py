"""A large CSV ingested in parts, with every cross-row rule still exact: parts are cut by key, not by position.

Rows are spread over the parts by a hash of their first key column, typed as the ingest types it, so the rows
that a rule compares always meet in one part: exact duplicates and conflicting rows share their key, and the
months of one project share its number. Each part is spilled to an Arrow IPC file in the writer's private
folder as the file is read, and read back one at a time, so memory holds one part, not the file.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.ipc as ipc

from quality_pipeline.feeds import Feed
from quality_pipeline.parsing.coerce import typed_key
from quality_pipeline.parsing.frame import ROW_COLUMN
from quality_pipeline.region import Region

PART_BYTES = 24 << 20  # about 225,000 rows of a sampling CSV per part (memory holds one part as Python objects)
PARTITION_ABOVE_BYTES = 160 << 20  # smaller files are read whole (bench/results.md: why)


def parts_for(size_bytes: int, suffix: str) -> int:
    """How many parts a file is ingested in: 1 unless it is a CSV over PARTITION_ABOVE_BYTES."""
    if suffix.lower() != ".csv" or size_bytes <= PARTITION_ABOVE_BYTES:
        return 1
    return -(-size_bytes // PART_BYTES)


class KeyPartitions:
    """A `parsing.rows.RowSink` that spreads rows over `parts` spill files by key; `frames()` gives them back."""

    def __init__(self, parts: int, feed: Feed, region: Region, directory: Path | None = None):
        self.parts, self.feed, self.region = parts, feed, region
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._dir = Path(tempfile.mkdtemp(prefix="parts-", dir=directory))
        self._writers: dict[int, ipc.RecordBatchFileWriter] = {}
        self._schema: pa.Schema | None = None
        self.rows = 0

    def reset(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()
        for path in self._dir.glob("*.arrow"):
            path.unlink()
        self.rows = 0

    def add(self, frame: pd.DataFrame) -> None:
        if not len(frame):
            return
        key = typed_key(frame, self.feed, self.region, text_only=True).to_numpy()
        part = (pd.util.hash_array(key, categorize=False) % np.uint64(self.parts)).astype(np.int64)
        batch = self._batch(frame)
        order = np.argsort(part, kind="stable")
        bounds = np.searchsorted(part[order], np.arange(self.parts + 1))
        for p in range(self.parts):
            if bounds[p] < bounds[p + 1]:
                self._writer(p).write_batch(batch.take(pa.array(order[bounds[p]:bounds[p + 1]])))
        self.rows += len(frame)

    def _batch(self, frame: pd.DataFrame) -> pa.RecordBatch:
        if self._schema is None:
            self._schema = pa.schema([(name, pa.int64() if name == ROW_COLUMN else pa.string())
                                      for name in frame.columns])
        return pa.RecordBatch.from_arrays(
            [pa.array(frame[f.name].to_numpy(), type=f.type, from_pandas=True) for f in self._schema],
            schema=self._schema,
        )

    def _writer(self, part: int) -> ipc.RecordBatchFileWriter:
        if part not in self._writers:
            self._writers[part] = ipc.new_file(self._dir / f"{part:04d}.arrow", self._schema)
        return self._writers[part]

    def frames(self) -> Iterator[pd.DataFrame]:
        """Each non-empty part as a frame of the reader's kind (text cells as str or None), one at a time."""
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()
        for path in sorted(self._dir.glob("*.arrow")):
            with pa.OSFile(str(path)) as source:  # read into memory: the buffers outlive the file
                table = ipc.open_file(source).read_all()
            frame = pd.DataFrame({
                name: pd.Series(column.to_numpy(), dtype="int64", copy=False) if name == ROW_COLUMN
                else pd.Series(np.asarray(column.to_numpy(zero_copy_only=False), dtype=object), dtype=object,
                               copy=False)
                for name, column in zip(table.column_names, table.columns, strict=True)
            })
            del table
            path.unlink()
            yield frame
            del frame  # before the next part is built

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> KeyPartitions:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
