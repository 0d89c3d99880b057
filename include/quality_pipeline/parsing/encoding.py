"""Detect a CSV's text encoding (UTF-8 with or without BOM, UTF-16 with BOM, or GB18030, which covers GBK)
and check, in the same pass over the bytes, what would make the file unsafe to parse: a line too long to be
a table row, or UTF-8 lines mixed into a GBK file (which GB18030 would silently read as mojibake).
"""

from __future__ import annotations

import codecs
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from quality_pipeline.parsing.errors import ExtractRejected

_CHUNK = 1 << 22
MAX_LINE_BYTES = 4 << 20  # a record of 16,384 columns of 256 bytes; anything longer is not a table row
# A line that is valid UTF-8, holds at least two CJK ideographs and nothing outside ASCII and the CJK
# blocks: in a GBK file such a line was written in UTF-8 (GBK bytes almost never decode that cleanly).
_UTF8_CJK_LINE = re.compile(
    r"^[\x00-\x09\x0b-\x7f\u3000-\u9fff\uff00-\uffef]*[\u4e00-\u9fff]"
    r"[\x00-\x09\x0b-\x7f\u3000-\u9fff\uff00-\uffef]*[\u4e00-\u9fff][\x00-\x09\x0b-\x7f\u3000-\u9fff\uff00-\uffef]*$",
    re.MULTILINE,
)


@dataclass(frozen=True)
class TextScan:
    encoding: str
    lines: int
    longest_line: int  # bytes


def _chunks(path: Path):
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            yield chunk


def _line_lengths(chunks, limit: int) -> tuple[int, int]:
    """(number of newlines, longest line in bytes); refuses a line longer than `limit` as soon as it is seen."""
    lines, longest, run = 0, 0, 0
    for chunk in chunks:
        ends = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 10)
        if not len(ends):
            run += len(chunk)
        else:
            first = run + int(ends[0]) + 1
            inner = int(np.diff(ends).max()) if len(ends) > 1 else 0
            longest = max(longest, first, inner)
            run = len(chunk) - int(ends[-1]) - 1
            lines += len(ends)
        longest = max(longest, run)
        if longest > limit:
            raise ExtractRejected(
                "line_too_long",
                f"第 {lines + 1} 行附近有一行超过 {limit >> 20} MB，不是表格数据（文件可能已损坏）",
                f"a line near line {lines + 1} is longer than {limit >> 20} MB: not table data (the file may be damaged)",
            )
    return lines, longest


def _first_bad_line(path: Path, encoding: str, valid_utf8: bool | None = None) -> int | None:
    """The line number of the first byte that does not decode, or None when the whole file decodes. UTF-8 is
    checked by Arrow's validator first (the same verdict as Python's strict decoder, property-tested, at many
    times its speed; `valid_utf8`, its verdict when already known); a file it refuses is decoded by Python,
    which says where."""
    if encoding in ("utf-8", "utf-8-sig") and (_valid_utf8(path) if valid_utf8 is None else valid_utf8):
        return None
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    lines = 0
    for chunk in _chunks(path):
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            return lines + chunk.count(b"\n", 0, max(exc.start, 0)) + 1
        lines += chunk.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return lines + 1
    return None


def _line_blocks(path: Path, stop: threading.Event | None = None) -> Iterator[memoryview]:
    """The file's bytes a block of whole lines at a time (the last block: what follows the last newline, if
    anything does). A newline byte never falls inside a UTF-8 or GB18030 character, so no character is cut
    between two blocks. Ends early, between two chunks, once `stop` is set."""
    carry = b""
    for chunk in _chunks(path):
        if stop is not None and stop.is_set():
            return
        data = carry + chunk if carry else chunk
        cut = data.rfind(b"\n") + 1
        if cut:
            yield memoryview(data)[:cut]
        carry = data[cut:]
    if carry:
        yield memoryview(carry)


def _valid_utf8(path: Path, stop: threading.Event | None = None) -> bool:
    """Whether every byte of the file is UTF-8, checked where the bytes are, a block of lines at a time (no
    verdict once `stop` is set: the caller refuses the file for another reason)."""
    return all(utf8_valid(block) for block in _line_blocks(path, stop))


def _valid_utf8_into(path: Path, out: dict, stop: threading.Event) -> None:
    """`_valid_utf8` for a thread: its verdict, or what it raised, in out["valid"]."""
    try:
        out["valid"] = _valid_utf8(path, stop)
    except BaseException as exc:  # noqa: BLE001 - raised again by the caller
        out["valid"] = exc


def utf8_valid(data: bytes | memoryview) -> bool:
    """Whether `data` decodes as UTF-8 (strict: no surrogates, no overlong forms, nothing above U+10FFFF):
    Arrow validates the bytes where they are, as one string."""
    offsets = pa.array([0, len(data)], type=pa.int64()).buffers()[1]
    try:
        pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, pa.py_buffer(data)]).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _utf8_line_in_gbk(path: Path) -> int | None:
    """The line number of the first line written in UTF-8 inside a file that is otherwise GB18030, or None."""
    seen = 0
    for block in _line_blocks(path):
        data = bytes(block)
        if not data.isascii():
            text = data.decode("utf-8", errors="replace")
            if match := _UTF8_CJK_LINE.search(text):
                return seen + text.count("\n", 0, match.start()) + 1
        seen += data.count(b"\n")
    return None


def scan_text(path: Path, max_line_bytes: int = MAX_LINE_BYTES) -> TextScan:
    """The encoding, checked over the whole file (a GB18030 character deep in the file is not misread as
    UTF-8), with line counts; refuses over-long lines and a file that mixes UTF-8 and GBK lines."""
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gb18030"]
    # Arrow validates the UTF-8 in a thread while numpy counts the lines (each mostly without the GIL: 0.09 s
    # for both on 100 MB, 0.16 one after the other); an over-long line is refused first all the same
    utf8: dict[str, bool | BaseException] = {}
    checking, stop = None, threading.Event()
    if candidates[0] in ("utf-8", "utf-8-sig"):
        checking = threading.Thread(target=_valid_utf8_into, args=(path, utf8, stop), name="utf8-check",
                                    daemon=True)
        checking.start()
    try:
        lines, longest = _line_lengths(_chunks(path), max_line_bytes)
    except BaseException:
        stop.set()  # refused (an over-long line): the check stops within a chunk, its bytes not kept
        raise
    finally:
        if checking is not None:
            checking.join()
    if isinstance(utf8.get("valid"), BaseException):
        raise utf8["valid"]
    not_utf8 = None
    for encoding in candidates:
        bad = _first_bad_line(path, encoding, utf8.get("valid"))
        if encoding == "utf-8":
            not_utf8 = bad
        if bad is None:
            if encoding == "gb18030" and (line := _utf8_line_in_gbk(path)) is not None:
                raise _mixed(line, not_utf8)
            return TextScan(encoding, lines, longest)
    if not_utf8 is not None and (line := _utf8_line_in_gbk(path)) is not None:
        raise _mixed(line, not_utf8)  # UTF-8 lines, and a line neither UTF-8 nor GBK
    where = f"第 {not_utf8} 行" if not_utf8 else "文件"
    raise ExtractRejected(
        "encoding",
        f"无法识别文件编码：{where}既不是 UTF-8 也不是 GBK/GB18030，或文件不是文本表格",
        f"cannot decode the file as UTF-8 or GBK/GB18030{f' (line {not_utf8})' if not_utf8 else ''}, "
        "or it is not a text table",
    )


def _mixed(utf8_line: int, other_line: int | None) -> ExtractRejected:
    return ExtractRejected(
        "mixed_encoding",
        f"文件混用了多种编码：第 {utf8_line} 行为 UTF-8，第 {other_line} 行不是 UTF-8（GBK/GB18030 或已损坏）；"
        "请将整个文件另存为同一种编码（建议 UTF-8）",
        f"the file mixes encodings: line {utf8_line} is UTF-8 but line {other_line} is not (GBK/GB18030 or "
        "damaged); save the whole file in one encoding (UTF-8 preferred)",
    )
