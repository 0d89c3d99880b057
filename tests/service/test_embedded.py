"""The embedded default, as `make up` starts it (`airflow standalone`: SQLite, LocalExecutor), driven through
REST API v2: token, trigger, poll, then the warehouse; the deadline alert fired by the triggerer; Airflow's
own backfill of a past quarter close; a held file decided through the REST API (`hitlDetails`); and screenshots
of the grid in headless Chromium, one mapped task per file.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import urllib.parse
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path

import pytest

from quality_pipeline.demo import generate
from quality_pipeline.orchestration.defaults import DECISIONS, KEEP_HELD, PUBLISH, WITHDRAW
from quality_pipeline.orchestration.topology import ADMIN_USER
from quality_pipeline.orchestration.topology.api import AirflowApi
from quality_pipeline.orchestration.topology.services import AIRFLOW, Topology, free_port
from quality_pipeline.warehouse.writer import open_published
from tests.service.conftest import (
    LOCAL,
    QUIET_TOPOLOGY,
    alert_env,
    gx_imported_where_validated,
    kill_processes_of,
    last_two_closed_quarters,
    latest_night,
    quarter_close,
    stop_group,
    validating_task_logs,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]  # a whole topology started: minutes
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


class Embedded:
    def __init__(self, root: Path, env: dict, port: int, truth, quarters: tuple[str, str]):
        self.root, self.env, self.port, self.truth, self.quarters = root, env, port, truth, quarters
        self.base_url = f"http://127.0.0.1:{port}"

    def password(self) -> str:
        path = Path(self.env["AIRFLOW_HOME"]) / "simple_auth_manager_passwords.json.generated"
        return json.loads(path.read_text())[ADMIN_USER]

    def api(self) -> AirflowApi:
        return AirflowApi(self.base_url, ADMIN_USER, self.password())

    def warehouse(self, sql: str, params: list | None = None) -> list[tuple]:
        con = open_published(Path(self.env["QUALITY_WAREHOUSE"]))
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()


@pytest.fixture(scope="module")
def embedded(tmp_path_factory, receivers):
    """`python -m quality_pipeline.orchestration.topology up` (what `make up` runs) in a private AIRFLOW_HOME, on a free port."""
    root = tmp_path_factory.mktemp("embedded")
    quarters = last_two_closed_quarters()
    truth = generate(root / "landing", seed=21, end_quarter=quarters[1], quarters=2, rows_per_quarter=30,
                     defect_rate=0, messy=False)  # orchestration is under test here, not the parsers
    port = free_port()
    env = {**os.environ, **alert_env(*receivers),
           "AIRFLOW_HOME": str(root / "home"),
           "QUALITY_LANDING_DIR": str(root / "landing"),
           "QUALITY_WAREHOUSE": str(root / "warehouse" / "quality.duckdb"),
           "QUALITY_REPORTS_DIR": str(root / "reports"),
           "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(free_port()),
           "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(free_port()),
           "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
           **QUIET_TOPOLOGY}
    for var in ("AIRFLOW__CORE__DAGS_FOLDER", "AIRFLOW__CORE__EXECUTOR", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"):
        env.pop(var, None)
    log = root / "up.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "quality_pipeline.orchestration.topology", "up", "--port", str(port),
                                    "--keep-paused"],
                                   env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 300
        while "Airflow (embedded" not in log.read_text(errors="replace"):
            assert process.poll() is None, log.read_text(errors="replace")[-5000:]
            assert time.monotonic() < deadline, "no banner after 300 s:\n" + log.read_text(errors="replace")[-5000:]
            time.sleep(2)
        yield Embedded(root, env, port, truth, quarters)
    finally:
        stop_group(process)
        kill_processes_of(root / "home")


def _listening_on(port: int) -> set[str]:
    """Local addresses with a socket listening on `port`, from the kernel's own tables (IPv4 and IPv6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


def test_make_up_prints_the_login_and_listens_on_this_machine_only(embedded):
    banner = (embedded.root / "up.log").read_text()
    assert f"login     admin / {embedded.password()}" in banner
    assert f"http://127.0.0.1:{embedded.port}" in banner
    assert _listening_on(embedded.port) == {"0100007F"}  # 127.0.0.1, not 0.0.0.0 nor ::
    password_file = Path(embedded.env["AIRFLOW_HOME"]) / "simple_auth_manager_passwords.json.generated"
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600


def test_rest_api_run_loads_the_warehouse_and_misses_a_deadline(embedded, receivers):
    hook, smtp = receivers
    api = embedded.api()
    api.wait_for_dags(["ingest_product_sampling", "quarterly_indicators"])
    tonight = latest_night()
    # Triggered while paused, so the scheduler finds tonight's run there already and adds none of its own;
    # the second one is last night's, long past its 06:00 deadline.
    run = api.trigger("ingest_product_sampling", logical_date=tonight)
    late = api.trigger("ingest_product_sampling", logical_date=tonight - timedelta(days=1))
    api.unpause("ingest_product_sampling")

    assert api.wait_for_run("ingest_product_sampling", run, timeout_s=600) == "success"
    assert api.wait_for_run("ingest_product_sampling", late, timeout_s=600) == "success"
    assert {r["dag_run_id"] for r in api.runs("ingest_product_sampling")} == {run, late}

    expected = {f.path for f in embedded.truth.files if f.path.startswith("product_sampling/")}
    files = dict(embedded.warehouse("SELECT path, status FROM audit.files"))
    assert set(files) == expected and set(files.values()) == {"loaded"}
    assert embedded.warehouse("SELECT count(*) FROM raw.product_sampling")[0][0] > 0
    tis = api.task_instances("ingest_product_sampling", run)
    publishes = [ti for ti in tis if ti["task_id"] == "publish_file"]
    assert {(ti["pool"], ti["queue"]) for ti in publishes} == {("quality_warehouse", "warehouse")}
    # one mapped task instance per file, named after it in the grid
    assert sorted(ti["rendered_map_index"] for ti in publishes) == sorted(expected)
    assert sorted(ti["rendered_map_index"] for ti in tis if ti["task_id"] == "prepare_file") == sorted(expected)
    # each file's tasks found Great Expectations imported by the scheduler's LocalExecutor, which forked them
    logs = Path(embedded.env["AIRFLOW_HOME"], "logs", "dag_id=ingest_product_sampling", f"run_id={run}")
    validating = validating_task_logs(logs)
    assert len(validating) == 2 * len(expected), validating
    assert gx_imported_where_validated(validating), validating

    alert = hook.wait_for(lambda m: m.get("event") == "deadline_missed" and m.get("run_id") == late, timeout_s=180)
    assert alert["dag_id"] == "ingest_product_sampling"
    smtp.wait_for(lambda m: "deadline" in m["subject"] and "ingest_product_sampling" in m["subject"], timeout_s=60)


def test_backfill_replays_a_past_quarter_close(embedded):
    """`airflow backfill create` for the close of the quarter before last; the scheduler runs it."""
    api = embedded.api()
    previous, last = embedded.quarters
    api.wait_for_run("ingest_product_sampling", api.runs("ingest_product_sampling")[0]["dag_run_id"])
    closed_on = quarter_close(previous)
    for _ in range(3):  # the scheduler shares the SQLite metadata DB: a write can meet "database is locked"
        done = subprocess.run([AIRFLOW, "backfill", "create", "--dag-id", "quarterly_indicators",
                               "--from-date", (closed_on - timedelta(days=1)).isoformat(),
                               "--to-date", (closed_on + timedelta(days=1)).isoformat()],
                              env=embedded.env, capture_output=True, text=True, timeout=180)
        if done.returncode == 0 or "database is locked" not in done.stdout + done.stderr:
            break
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    api.unpause("quarterly_indicators")  # backfill runs wait for an unpaused DAG; unpausing also runs the latest close

    runs = _wait_for_runs(api, "quarterly_indicators", {"backfill", "scheduled"})
    assert {r["run_type"]: r["state"] for r in runs} == {"backfill": "success", "scheduled": "success"}
    backfill = next(r for r in runs if r["run_type"] == "backfill")
    close_run = next(r for r in runs if r["run_type"] == "scheduled")
    assert datetime.fromisoformat(backfill["logical_date"]).astimezone(LOCAL) == datetime.combine(
        closed_on, clock(3), LOCAL)

    plan = api.xcom("quarterly_indicators", backfill["dag_run_id"], "plan_quarters")
    assert plan["quarters"] == [previous] and plan["vintage_quarters"] == [] and plan["closed_at"] is None
    # Any indicators run also recomputes the quarters a delivery left dirty (marts.dirty_quarters): here `last`,
    # when the backfill runs before the scheduled close. Nothing else.
    computed = api.xcom("quarterly_indicators", backfill["dag_run_id"], "compute_indicators")["quarters"]
    assert previous in computed and set(computed) <= {previous, last}, computed
    close_plan = api.xcom("quarterly_indicators", close_run["dag_run_id"], "plan_quarters")
    assert close_plan["quarters"] == [last] and close_plan["closed_at"] == quarter_close(last).isoformat()
    published = api.xcom("quarterly_indicators", close_run["dag_run_id"], "publish_vintage")
    assert list(published["vintages"]) == [last]

    quarters = {q for (q,) in embedded.warehouse("SELECT DISTINCT quarter FROM marts.quarterly_indicators")}
    assert {previous, last} <= quarters
    vintages = embedded.warehouse("SELECT DISTINCT quarter, published_by_run FROM marts.indicator_vintages")
    assert vintages == [(last, close_run["dag_run_id"])]
    for quarter in (previous, last):
        assert (Path(embedded.env["QUALITY_REPORTS_DIR"]) / quarter / "report.html").is_file()


def _wait_for_runs(api, dag_id: str, run_types: set[str], timeout_s: float = 600) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    while True:
        runs = api.runs(dag_id)
        if {r["run_type"] for r in runs} >= run_types and all(r["state"] in ("success", "failed") for r in runs):
            return runs
        assert time.monotonic() < deadline, f"runs of {dag_id} after {timeout_s:.0f}s: {runs}"
        time.sleep(3)


def _held_csv(landing: Path, name: str, seed: int) -> str:
    """A sampling CSV with 6 of its 10 rows rejected (an impossible date): the batch check holds it."""
    from tests.support.extracts import sampling_row, write_sampling_csv

    rows = [sampling_row(seed + i) for i in range(4)] + [sampling_row(seed + 10 + i, day="2026-02-30") for i in range(6)]
    write_sampling_csv(landing / "product_sampling" / name, rows)
    return f"product_sampling/{name}"


def _parked(api, ti: dict, timeout_s: float = 300) -> None:
    """Until the decision task is parked (awaiting input) and the scheduler has had time to take in its worker's
    exit. An answer landing in between (seconds after the request appears: only a script is that fast) meets a
    race in Airflow 3.3.2: the worker's `success` finds the task queued again by the answer, and it is failed."""
    path = (f"/api/v2/dags/{ti['dag_id']}/dagRuns/{urllib.parse.quote(ti['dag_run_id'], safe='')}"
            f"/taskInstances/{ti['task_id']}/{ti['map_index']}")
    deadline = time.monotonic() + timeout_s
    while api.get(path)["state"] != "awaiting_input":
        assert time.monotonic() < deadline, api.get(path)
        time.sleep(2)
    time.sleep(20)  # several scheduler heartbeats (2 s here)


def _decide(api, dag_id: str, run: str, path: str, chosen: str, reason: str) -> dict:
    """Wait for the run's decision about `path`, check what it shows, answer it through the REST API."""
    (request,) = api.wait_for_hitl(dag_id, run, timeout_s=600)
    assert path in request["subject"] and request["task_instance"]["task_id"] == "held_decision.decide"
    assert request["options"] == list(DECISIONS) and request["defaults"] == [KEEP_HELD]
    body = request["body"]
    assert "被拒绝的行超过" in body and "rejected" in body  # the reason
    assert "| 10 | 4 | 6 | 0 |" in body  # read, ready to load, rejected, duplicates
    assert "2026-02-30" in body  # a sample of the rejected rows, as written
    assert "validation" in body and "index.html" in body  # where its validation pages are
    _parked(api, request["task_instance"])
    answered = api.answer_hitl(request, [chosen], {"reason": reason})
    assert answered["chosen_options"] == [chosen] and answered["responded_by"]["name"] == ADMIN_USER
    return request


def test_a_held_file_is_decided_through_the_rest_api(embedded):
    """Run 1: a held file waits on its decision; answered `publish` through the REST API, it loads. Run 2: another
    held file, answered `withdraw`, is withdrawn. Who and when are in audit.files."""
    api, dag = embedded.api(), "ingest_product_sampling"
    api.wait_for_dags([dag])
    landing = Path(embedded.env["QUALITY_LANDING_DIR"])

    first = _held_csv(landing, "held-1.csv", 100)
    if api.get(f"/api/v2/dags/{dag}")["is_paused"]:  # run alone: tonight's run is ours, the scheduler adds none
        run = api.trigger(dag, logical_date=latest_night())
        api.unpause(dag)
    else:
        run = api.trigger(dag)
    _decide(api, dag, run, first, PUBLISH, "checked with the lab / 已与检验机构核对")
    assert api.wait_for_run(dag, run, timeout_s=600) == "success"
    row = embedded.warehouse("SELECT status, rows_loaded, decision, decided_by, decided_at IS NOT NULL "
                             "FROM audit.files WHERE path = ?", [first])
    assert row == [("loaded", 4, "released", ADMIN_USER, True)]
    states = {(ti["task_id"], ti["rendered_map_index"]): ti["state"] for ti in api.task_instances(dag, run)}
    assert states[("held_decision.apply_decision", first)] == "success"  # it changed the warehouse
    assert states[("check_attention", None)] == "success"  # a held file with a decision asked is not a failure

    second = _held_csv(landing, "held-2.csv", 200)
    run = api.trigger(dag)
    _decide(api, dag, run, second, WITHDRAW, "wrong lab sheet / 检验单位报错")
    assert api.wait_for_run(dag, run, timeout_s=600) == "success"
    row = embedded.warehouse("SELECT status, decision, decided_by, decision_reason FROM audit.files WHERE path = ?",
                             [second])
    assert row == [("withdrawn", "withdrawn", ADMIN_USER, "wrong lab sheet / 检验单位报错")]


def _screenshot(url: str, target: Path, profile: str) -> subprocess.CompletedProcess:
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                           "--no-first-run", "--disable-background-networking", "--disable-component-update",
                           "--disable-sync", f"--user-data-dir={profile}", "--hide-scrollbars",
                           "--window-size=1600,1000", "--virtual-time-budget=15000",
                           f"--screenshot={target}", url],
                          capture_output=True, text=True, timeout=180)


def test_grid_screenshot(embedded, artifacts, tmp_path):
    """A second api-server on the same metadata DB, with every visitor an admin, so Chromium needs no login: the
    grid, and the mapped `publish_file` of the run that loaded every generated file, one row per file."""
    api, dag = embedded.api(), "ingest_product_sampling"
    api.wait_for_run(dag, api.runs(dag)[0]["dag_run_id"])
    busiest = max(api.runs(dag), key=lambda r: sum(ti["task_id"] == "publish_file"
                                                    for ti in api.task_instances(dag, r["dag_run_id"])))
    port = free_port()
    env = {**embedded.env, "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
           "AIRFLOW__API__PORT": str(port), "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{port}"}
    viewer = Topology(env, embedded.root / "viewer")
    viewer.start("api-server", [AIRFLOW, "api-server", "--port", str(port)])
    profile = tempfile.mkdtemp(prefix="chromium-")
    grid = artifacts / "embedded-grid-ingest_product_sampling.png"
    mapped = tmp_path / "grid-one-task-per-file.png"
    grid.unlink(missing_ok=True)
    try:
        viewer.wait_until_up(timeout_s=180)
        base = f"http://127.0.0.1:{port}/dags/{dag}"
        run_id = urllib.parse.quote(busiest["dag_run_id"], safe="")
        for url, target in ((base, grid), (f"{base}/runs/{run_id}/tasks/publish_file/mapped", mapped)):
            shot = _screenshot(url, target, profile)
            assert target.is_file() and target.stat().st_size > 20_000, shot.stderr[-2000:]
        screens = Path("/work/screens")
        if screens.is_dir():  # a copy for a person to look at
            shutil.copy(mapped, screens / "grid.png")
    finally:
        viewer.stop()
        shutil.rmtree(profile, ignore_errors=True)
