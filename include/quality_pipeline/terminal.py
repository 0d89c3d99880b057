"""Text that is safe to print to a terminal or write to a log.

File names and cell values come from the offices' extracts. A name carrying ANSI escape
sequences (`ESC[2K`, `ESC[1A`) could erase or rewrite the line that reports its rejection,
and a right-to-left override could make it read as another name. Everything the pipeline
prints or logs that came from outside passes through `printable`, which shows every such
character as a visible escape and leaves all other text, Chinese included, as it is.
"""

from __future__ import annotations

import unicodedata

_BIDI_AND_INVISIBLE = {"Cc", "Cf", "Zl", "Zp", "Cs"}


def _escape(ch: str) -> str:
    code = ord(ch)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def printable(value: object) -> str:
    """`value` as text with control, format (bidi) and separator characters shown as `\\x..`/`\\u....` escapes."""
    text = value if isinstance(value, str) else str(value)
    if text.isprintable():
        return text
    return "".join(_escape(ch) if unicodedata.category(ch) in _BIDI_AND_INVISIBLE else ch for ch in text)
