"""Shared by the service tests: alert receivers, the dates runs are triggered for, and clean-up."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from quality_pipeline.loading.files import RECORDED_BEFORE
from quality_pipeline.orchestration.defaults import TIMEZONE
from quality_pipeline.orchestration.tasks import closed_quarter
from quality_pipeline.validation.gate import IMPORTED_BEFORE
from tests.support.dags import INGEST_DAG_IDS
from tests.support.receivers import SmtpReceiver, WebhookReceiver

LOCAL = ZoneInfo(TIMEZONE)
INGEST = INGEST_DAG_IDS

# Settings of the topologies these tests start, where a test needs less than a district's server: one API
# worker (each one imports Airflow and serves the UI; a test sends a request at a time), and DAG files parsed
# when they appear, not again every 30 seconds (they do not change while a test runs; each parse is a process
# that imports the DAG file). Both run alongside the other tiers of `make test`: what they spin costs the
# other tests' CPU. The production defaults stay in `quality_pipeline.orchestration.topology.services`.
QUIET_TOPOLOGY = {
    "AIRFLOW__API__WORKERS": "1",
    "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "3600",
    "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
}


def validating_task_logs(root: Path) -> list[Path]:
    """The logs, anywhere under `root`, of the tasks that validate a file (`prepare_file`, `publish_file`)."""
    return [p for p in root.glob("**/*.log") if {"task_id=prepare_file", "task_id=publish_file"} & set(p.parts)]


def gx_imported_where_validated(logs: list[Path]) -> bool:
    """Whether every task of `logs` that validated found Great Expectations imported by the process that forked
    it: each `prepare_file`, and each `publish_file` but those that returned a result an earlier publish task of
    their run recorded (the first publishes the run's files in one write session: `loading.files.publish_work`);
    and at least one `publish_file` validated."""
    validated = 0
    for log in logs:
        text = log.read_text(encoding="utf-8", errors="replace")
        if "task_id=publish_file" in log.parts and RECORDED_BEFORE in text and IMPORTED_BEFORE not in text:
            continue
        if IMPORTED_BEFORE not in text:
            return False
        validated += "task_id=publish_file" in log.parts
    return validated >= 1


@pytest.fixture(scope="module")
def receivers():
    with WebhookReceiver() as hook, SmtpReceiver() as smtp:
        yield hook, smtp


def alert_env(hook: WebhookReceiver, smtp: SmtpReceiver) -> dict[str, str]:
    return {
        "QUALITY_ALERT_WEBHOOK_URL": hook.url,
        "QUALITY_ALERT_EMAIL": "quality-team@quality.test",
        "AIRFLOW_CONN_SMTP_DEFAULT": smtp.connection_uri(),
    }


def latest_night(now: datetime | None = None) -> datetime:
    """The logical date of the latest nightly run due (01:00 Asia/Shanghai), as the scheduler computes it."""
    now = (now or datetime.now(LOCAL)).astimezone(LOCAL)
    night = now.replace(hour=1, minute=0, second=0, microsecond=0)
    return night if night <= now else night - timedelta(days=1)


def quarter_close(quarter: str) -> date:
    """The day the quarter closes, i.e. the first day of the next one: 2026Q2 → 2026-07-01."""
    year, q = int(quarter[:4]), int(quarter[-1])
    return date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)


def last_two_closed_quarters(today: date | None = None) -> tuple[str, str]:
    """(the quarter before the last closed one, the last closed one): (2026Q2, 2026Q3) in November 2026."""
    last = closed_quarter(today or datetime.now(LOCAL).date())
    year, q = int(last[:4]), int(last[-1])
    return closed_quarter(date(year, 3 * q - 2, 1)), last


def stop_group(process: subprocess.Popen, timeout_s: float = 60) -> None:
    """SIGTERM the process group we started, then SIGKILL it if it is still there."""
    for sig, wait in ((signal.SIGTERM, timeout_s), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


def kill_processes_of(home: Path) -> list[int]:
    """Last resort: kill, by pid, any process still running with AIRFLOW_HOME set to this test's own folder."""
    import psutil

    killed = []
    for proc in psutil.process_iter(["pid"]):
        try:
            if proc.pid != os.getpid() and proc.environ().get("AIRFLOW_HOME") == str(home):
                proc.kill()
                killed.append(proc.pid)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
    if killed:
        time.sleep(1)
    return killed
