"""The encoding scan's UTF-8 check by Arrow (`encoding.utf8_valid`, `_valid_utf8`): the verdict of Python's
strict decoder, on any bytes and on files whose characters straddle the scan's blocks."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quality_pipeline.parsing import encoding
from quality_pipeline.parsing.errors import ExtractRejected

# Bytes that make and break UTF-8: ASCII, continuation bytes, every kind of lead byte (overlong C0/C1, the
# surrogate-range ED, the above-U+10FFFF F4 9x and F5+), plus whole characters of the Chinese the files hold.
PIECES = st.one_of(
    st.sampled_from([b"a", b"\n", b"\x00", b"\x7f", b"\x80", b"\xbf", b"\xc0", b"\xc1", b"\xc2", b"\xdf", b"\xe0",
                     b"\xed", b"\xef", b"\xf0", b"\xf4", b"\xf5", b"\xff", b"\xa0", b"\x9f", b"\x90", b"\x8f"]),
    st.text(alphabet=st.sampled_from("合格抽样街道😀é"), min_size=1, max_size=3).map(str.encode),
)


def _python_says(data: bytes) -> bool:
    try:
        data.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        return False
    return True


@given(st.lists(PIECES, max_size=12).map(b"".join))
def test_arrow_and_python_agree_on_any_bytes(data):
    assert encoding.utf8_valid(data) == _python_says(data)


def test_a_character_cut_by_the_scans_blocks_is_still_one_character(tmp_path):
    line = "合格,抽样,街道\n".encode()
    body = line * ((encoding._CHUNK // len(line)) + 3)
    for shift in range(1, 4):  # the block boundary inside a three-byte character, at each of its bytes
        path = tmp_path / f"ok{shift}.csv"
        path.write_bytes(b"x" * shift + body)
        assert encoding._valid_utf8(path)
        assert encoding._first_bad_line(path, "utf-8") is None


def test_a_bad_byte_deep_in_the_file_is_found_and_its_line_named(tmp_path):
    line = "合格,抽样,街道\n".encode()
    lines = (encoding._CHUNK // len(line)) * 2
    path = tmp_path / "bad.csv"
    path.write_bytes(line * lines + "合格,".encode() + b"\xb2\xbb\xba\xcf\xb8\xf1\n" + line)  # GBK bytes
    assert not encoding._valid_utf8(path)
    assert encoding._first_bad_line(path, "utf-8") == lines + 1
    with pytest.raises(ExtractRejected) as refused:  # UTF-8 lines and a GBK one: refused, naming both lines
        encoding.scan_text(path)
    assert refused.value.code == "mixed_encoding" and f"line {lines + 1}" in refused.value.en


def test_a_file_without_a_final_newline_is_checked_to_its_last_byte(tmp_path):
    path = tmp_path / "tail.csv"
    path.write_bytes("合格\n合".encode() + b"\xe6")
    assert not encoding._valid_utf8(path)
    path.write_bytes("合格\n合格".encode())
    assert encoding._valid_utf8(path)


def test_the_utf8_check_beside_the_line_count_stops_once_a_line_is_refused(tmp_path, monkeypatch):
    """`scan_text` validates UTF-8 in a thread while it counts lines: a line refused as too long stops that
    thread within a chunk, rather than it reading (and keeping, no newline in sight) the rest of the file."""
    import collections
    import threading

    path = tmp_path / "one_line.csv"
    monkeypatch.setattr(encoding, "_CHUNK", 1 << 20)
    path.write_bytes(b"a" * (40 << 20))  # 40 chunks, no newline
    served: collections.Counter = collections.Counter()
    chunks = encoding._chunks

    def counted(p):
        for chunk in chunks(p):
            served[threading.current_thread().name] += 1
            yield chunk

    monkeypatch.setattr(encoding, "_chunks", counted)
    with pytest.raises(ExtractRejected) as refused:
        encoding.scan_text(path, max_line_bytes=1 << 20)
    assert refused.value.code == "line_too_long"
    assert 0 < served["utf8-check"] < 40
    assert not any(t.name == "utf8-check" for t in threading.enumerate())


def test_the_scan_finds_the_same_encoding_and_lines_with_the_check_in_its_thread(tmp_path):
    utf8, gbk = tmp_path / "u.csv", tmp_path / "g.csv"
    text = "样品编号,抽样日期\n" + "".join(f"S{n},2026-07-0{n % 9 + 1}\n" for n in range(5000))
    utf8.write_text(text, encoding="utf-8")
    gbk.write_text(text, encoding="gb18030")
    assert encoding.scan_text(utf8) == encoding.TextScan("utf-8", 5001, len("样品编号,抽样日期\n".encode()))
    assert encoding.scan_text(gbk).encoding == "gb18030"
