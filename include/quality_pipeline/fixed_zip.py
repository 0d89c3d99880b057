"""Equal workbooks give equal bytes: an XLSX archive rewritten with one fixed time on every entry."""

from __future__ import annotations

import io
import zipfile


def with_fixed_times(data: bytes, date_time: tuple[int, int, int, int, int, int]) -> bytes:
    """The same archive, every entry deflated, owner read/write only and stamped `date_time`."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()
