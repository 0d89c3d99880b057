"""Adding a feed touches its declaration, its DAG's wiring line and its tests, nothing else: a throwaway sixth
feed, declared in a temporary folder, runs from a file in its landing folder to a commented raw table and core
view, its own DAG, asset and tags, and the data dictionary."""

from __future__ import annotations

import subprocess
import textwrap

from quality_pipeline.warehouse.writer import open_published
from tests.support import PROJECT_ROOT
from tests.support.dags import run_dag
from tests.support.feeds import own_feeds

NOISE = textwrap.dedent("""\
    # 噪声投诉登记 — one row is one complaint.
    feed: noise_complaints
    title_zh: 噪声投诉登记
    title_en: noise complaints
    folder: environment/noise
    dag: environment
    tags: [noise]
    grain: one complaint
    key: [complaint_no]
    event_date: received_date
    columns:
      - {name: complaint_no, type: text, required: true, header: 投诉编号, aliases: [编号], en: "Complaint number; the key of the feed."}
      - {name: received_date, type: date, required: true, header: 受理日期, en: "Date the complaint was received."}
      - {name: street, type: street, header: 所在街道, en: "Street of the noise source."}
      - {name: decibels, type: number, header: 噪声值, min: 0, max: 200, en: "Measured noise level, dB(A)."}
""")
WIRING = textwrap.dedent("""\
    \"\"\"Nightly load of the feeds whose `dag:` is environment.\"\"\"
    from airflow.sdk import dag

    from quality_pipeline.orchestration.dag_factory import ingest_dag_args, ingest_tasks


    @dag(**ingest_dag_args("environment"))
    def ingest_environment():
        ingest_tasks("environment")


    ingest_environment()
""")
PROJECT_FOLDERS = ["include/quality_pipeline/feeds", "warehouse", "expectations", "dags", "docs"]


def _project_status() -> str:
    return subprocess.run(["git", "status", "--porcelain", "--", *PROJECT_FOLDERS], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, check=True).stdout


def test_a_sixth_feed_declared_in_a_temporary_folder_runs_end_to_end(quality_env, tmp_path, monkeypatch, airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    from quality_pipeline.dictionary import generate as dictionary
    from quality_pipeline.orchestration.defaults import asset_uris, tags

    before = _project_status()
    own_feeds(tmp_path, monkeypatch, {"noise_complaints": NOISE})
    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "ingest_environment.py").write_text(WIRING, encoding="utf-8")
    import airflow.settings

    monkeypatch.setattr(airflow.settings, "DAGS_FOLDER", str(dags))  # dag.test() serializes the DAGs of this folder
    landing = quality_env.landing_dir / "environment" / "noise"
    landing.mkdir(parents=True)
    (landing / "2026年5月噪声投诉.csv").write_text(
        "投诉编号,受理日期,所在街道,噪声值\nN-001,2026-05-03,金砂,72.5\nN-002,2026-05-09,东方,65\n"
        "N-003,2026-05-21,光华,58\n", encoding="utf-8")

    bag = DagBag(str(dags))
    assert bag.import_errors == {}
    dag = bag.dags["ingest_environment"]
    assert "`$QUALITY_LANDING_DIR/environment/noise/`" in dag.doc_md and "噪声投诉登记" in dag.doc_md
    assert set(dag.tags) == {"ingest", "nightly", "environment", "noise"} and set(dag.tags) <= tags()
    assert asset_uris()["environment"] == "duckdb://quality/raw/environment"
    assert run_dag(bag, "ingest_environment") == "success"

    con = open_published(quality_env.warehouse)
    try:
        assert con.execute("SELECT count(*) FROM raw.noise_complaints").fetchone() == (3,)
        assert con.execute("SELECT complaint_no, street, decibels FROM core.noise_complaints ORDER BY 1").fetchall() == [
            ("N-001", "金砂街道", 72.5), ("N-002", "东方街道", 65.0), ("N-003", "光华街道", 58.0)]
        assert con.execute("SELECT comment FROM duckdb_columns() WHERE schema_name = 'core' AND table_name = "
                           "'noise_complaints' AND column_name = 'decibels'").fetchone() == (
            "噪声值 / Measured noise level, dB(A). 规则：须为数值；范围 ≥ 0, ≤ 200 / Rules: must parse as number; "
            "range ≥ 0, ≤ 200.",)
        assert con.execute("SELECT status FROM audit.files").fetchall() == [("loaded",)]
    finally:
        con.close()
    text = dictionary()
    assert "### raw.noise_complaints (table)" in text and "### core.noise_complaints (table)" in text
    assert "Complaint number; the key of the feed." in text
    assert _project_status() == before
