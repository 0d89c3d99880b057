"""`make run` refuses to start beside a running one when told not to wait, and says who is running."""

from __future__ import annotations

import fcntl
import io

from quality_pipeline import run


def test_no_wait_stops_at_once_and_names_the_run_in_progress(tmp_path, monkeypatch):
    monkeypatch.setenv("AIRFLOW_HOME", str(tmp_path))
    lock = tmp_path / run.LOCK_NAME
    lock.write_text("pid 4242, started 2026-12-01 02:00:00 UTC, logs in \x1b[2Kelsewhere")
    out = io.StringIO()
    with open(lock, "a+") as holder:
        fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)  # another run holds it
        assert run.main(["--no-wait", "ingest_product_sampling"], out=out) == run.BUSY
    said = out.getvalue()
    assert "in progress (pid 4242" in said and "not starting a second one" in said
    assert "\x1b" not in said and "\\x1b[2K" in said
    assert not (tmp_path / "logs").exists()  # nothing of this run was written
