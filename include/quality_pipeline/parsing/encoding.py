"""Detect a CSV's text encoding: UTF-8 with or without BOM, UTF-16 with BOM, or GB18030 (which covers GBK)."""

from __future__ import annotations

import codecs
from pathlib import Path

from quality_pipeline.parsing.errors import ExtractRejected

_CHUNK = 1 << 20


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(path: Path) -> str:
    """The whole file is checked, so a GB18030 character deep in the file is not misread as UTF-8."""
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        if _decodes(path, encoding):
            return encoding
    raise ExtractRejected(
        "encoding",
        "无法识别文件编码（应为 UTF-8 或 GBK/GB18030），或文件不是文本表格",
        "cannot decode the file as UTF-8 or GBK/GB18030, or it is not a text table",
    )
