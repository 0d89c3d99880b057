"""Orchestration features run in-process with Airflow's test runner: Params, alerts, vintages and reports.

The same features through real services (scheduler, triggerer, dag-processor, REST API) are in tests/service.
"""

from __future__ import annotations

import asyncio

import pytest

from quality_pipeline.demo import generate
from quality_pipeline.orchestration.notifications import QualityAlert
from quality_pipeline.warehouse.writer import open_published
from tests.support.dags import run_dag
from tests.support.receivers import SmtpReceiver, WebhookReceiver


@pytest.fixture
def receivers(monkeypatch):
    """A webhook and an SMTP server on localhost, wired in through the environment as operators would."""
    with WebhookReceiver() as hook, SmtpReceiver() as smtp:
        monkeypatch.setenv("QUALITY_ALERT_WEBHOOK_URL", hook.url)
        monkeypatch.setenv("QUALITY_ALERT_EMAIL", "quality-team@quality.test, duty@quality.test")
        monkeypatch.setenv("AIRFLOW_CONN_SMTP_DEFAULT", smtp.connection_uri())
        yield hook, smtp


def _xcom(run, task_id: str):
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        row = session.scalars(XComModel.get_many(run_id=run.run_id, dag_ids=run.dag_id, task_ids=task_id,
                                                 key="return_value")).first()
        return XComModel.deserialize_value(row) if row is not None else None


def _files(settings) -> dict[str, str]:
    con = open_published(settings.warehouse)
    try:
        return dict(con.execute("SELECT path, status FROM audit.files").fetchall())
    finally:
        con.close()


def test_failed_run_alerts_by_webhook_and_email(quality_env, dagbag, receivers):
    hook, smtp = receivers
    broken = quality_env.landing_dir / "product_sampling" / "抽检结果_损坏.xlsx"
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"PK\x03\x04 this is not a workbook")

    assert run_dag(dagbag, "ingest_product_sampling") == "failed"

    message = hook.wait_for(lambda m: m.get("event") == "dag_failed", timeout_s=10)
    assert message["dag_id"] == "ingest_product_sampling" and message["task_id"] == "check_attention"
    assert "ingest_product_sampling failed" in message["text"] and "When it fails" in message["text"]
    mail = smtp.wait_for(lambda m: "ingest_product_sampling" in m["subject"], timeout_s=10)
    assert "failed" in mail["subject"] and "质量强区" in mail["subject"]
    assert sorted(mail["envelope"]["to"]) == ["<duty@quality.test>", "<quality-team@quality.test>"]
    assert _files(quality_env) == {"product_sampling/抽检结果_损坏.xlsx": "rejected"}


def test_deadline_alert_reaches_both_channels_from_the_triggerer_path(receivers):
    """The triggerer awaits the notifier class with the deadline's context: the same call, made here."""
    hook, smtp = receivers
    context = {"dag_run": {"dag_id": "ingest_remediation", "dag_run_id": "scheduled__2026-11-24T17:00:00+00:00",
                           "logical_date": "2026-11-24T17:00:00Z", "state": "running"},
               "deadline": {"id": "x", "deadline_time": "2026-11-24T22:00:00+00:00"}}

    async def fire():
        await QualityAlert(event="deadline_missed", context=context)

    asyncio.run(fire())
    message = hook.wait_for(lambda m: m.get("event") == "deadline_missed", timeout_s=10)
    assert message["run_id"] == "scheduled__2026-11-24T17:00:00+00:00"
    assert "had not finished by its deadline" in message["text"]
    smtp.wait_for(lambda m: "ingest_remediation" in m["subject"] and "deadline" in m["subject"], timeout_s=10)


def test_without_channels_an_alert_is_only_logged(monkeypatch):
    for var in ("QUALITY_ALERT_WEBHOOK_URL", "QUALITY_ALERT_EMAIL"):
        monkeypatch.delenv(var, raising=False)
    QualityAlert()({"run_id": "r", "reason": "task_failure"})  # neither raises nor needs a connection


@pytest.mark.parametrize("dag_id, conf", [
    ("ingest_enforcement", {"feeds": ["product_sampling"]}),
    ("ingest_enforcement", {"feeds": []}),
    ("ingest_remediation", {"reprocess": "remediation/projects/a.xlsx"}),
    ("ingest_product_sampling", {"withdraw": "product_sampling/a.xlsx"}),
    ("ingest_product_sampling", {"withdraw": [""]}),
    ("ingest_product_sampling", {"reason": ["wrong district"]}),
    ("quarterly_indicators", {"quarters": ["2026Q5"]}),
    ("quarterly_indicators", {"publish_vintage": "yes"}),
])
def test_params_are_validated_by_their_json_schema(dagbag, airflow_db, dag_id, conf):
    from airflow.sdk.definitions.param import ParamsDict
    from airflow.sdk.exceptions import ParamValidationError

    params = ParamsDict(dagbag.dags[dag_id].params)
    params.validate()  # the defaults are valid
    with pytest.raises(ParamValidationError):
        for key, value in conf.items():
            params[key] = value
        params.validate()


def test_manual_vintage_and_reports(demo_env, dagbag):
    quality_env = demo_env  # the session's demo, ingested: only quarterly_indicators runs here
    run = dagbag.dags["quarterly_indicators"].test(run_conf={"quarters": ["2026Q3"], "publish_vintage": True})
    assert run.state == "success"

    plan = _xcom(run, "plan_quarters")
    assert plan["quarters"] == ["2026Q3"] and plan["vintage_quarters"] == ["2026Q3"]
    assert _xcom(run, "compute_indicators")["quarters"] == ["2026Q3"]
    con = open_published(quality_env.warehouse)
    vintages = con.execute("SELECT DISTINCT quarter, published_by_run FROM marts.indicator_vintages").fetchall()
    con.close()
    assert vintages == [("2026Q3", run.run_id)]
    reports = _xcom(run, "build_reports")["reports"]
    assert list(reports) == ["2026Q3"]
    assert (quality_env.reports_dir / "2026Q3" / "report.html").is_file()


def _states(run) -> dict[str, str]:
    return {ti.task_id: str(getattr(ti.state, "value", ti.state)) for ti in run.get_task_instances()}


def _asset_events(run) -> int:
    from airflow.models.asset import AssetEvent
    from airflow.utils.session import create_session
    from sqlalchemy import func, select

    with create_session() as session:
        return session.scalar(select(func.count()).select_from(AssetEvent).where(
            AssetEvent.source_dag_id == run.dag_id, AssetEvent.source_run_id == run.run_id))


def test_feeds_param_a_night_with_nothing_new_and_the_reprocess_param(quality_env, dagbag):
    """The `feeds` param limits a run to its feeds; the same files again are a visible no-op without an asset
    event (nothing published); the `reprocess` param then runs its file again. One landing folder, one DAG."""
    generate(quality_env.landing_dir, seed=3, quarters=1, rows_per_quarter=20, defect_rate=0)
    dag = dagbag.dags["ingest_enforcement"]
    first = dag.test(run_conf={"feeds": ["enforcement_cases"]})
    assert first.state == "success"
    assert _states(first)["announce_changes"] == "success" and _asset_events(first) == 1
    loaded = _files(quality_env)
    assert loaded and all(path.startswith("enforcement/cases/") for path in loaded)
    assert any(not p.startswith("enforcement/cases/") for p in _landed(quality_env))  # other feeds were there

    published = quality_env.warehouse.stat()
    second = dag.test(run_conf={"feeds": ["enforcement_cases"]})  # the same files: nothing new
    again = quality_env.warehouse.stat()  # and nothing published: not one copy of the warehouse
    assert (again.st_ino, again.st_mtime_ns) == (published.st_ino, published.st_mtime_ns)
    assert str(second.state) in ("success", "DagRunState.SUCCESS")
    assert _states(second) == {"discover_files": "success", "prepare_file": "skipped",
                               "in_delivery_order": "success", "publish_file": "skipped",
                               "publish_warehouse": "success", "summarise": "success", "announce_changes": "skipped", "check_attention": "success",
                               "held_files": "success", "held_decision.describe": "skipped",
                               "held_decision.decide": "skipped", "held_decision.apply_decision": "skipped"}
    assert _asset_events(second) == 0

    redo = sorted(loaded)[0]
    run = dag.test(run_conf={"feeds": ["enforcement_cases"], "reprocess": [redo]})
    assert run.state == "success"
    assert [f["path"] for f in _xcom(run, "summarise")["files"]] == [redo]


def _landed(settings) -> list[str]:
    root = settings.landing_dir
    return [p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()]
