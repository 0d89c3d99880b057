"""The one file lock behind `make run` and the warehouse writer: who holds it, wait, no wait, a deadline."""

from __future__ import annotations

import pytest

from quality_pipeline.filelock import LockTimeout, exclusive


def test_a_taken_lock_names_its_holder_and_does_not_wait_when_told(tmp_path):
    lock = tmp_path / "sub" / "x.lock"
    seen: list[str] = []
    with exclusive(lock, "pid 1, since noon") as first:
        assert first and lock.read_text() == "pid 1, since noon"
        with exclusive(lock, "pid 2", wait=False, on_busy=seen.append) as second:
            assert second is False
        with pytest.raises(LockTimeout), exclusive(lock, "pid 3", timeout_s=0.3, poll_s=0.05, on_busy=seen.append):
            pass
    assert seen == ["pid 1, since noon", "pid 1, since noon"]
    assert lock.read_text() == "pid 1, since noon"  # kept unless told to clear it
    with exclusive(lock, "pid 4", wait=False, clear_on_release=True) as held:
        assert held and lock.read_text() == "pid 4"
    assert lock.read_text() == ""
