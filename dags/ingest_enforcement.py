"""Nightly load of the feeds whose `dag:` is enforcement (feeds/*.yaml); the DAG's doc is generated from them."""

from airflow.sdk import dag

from quality_pipeline.orchestration.dag_factory import ingest_dag_args, ingest_tasks


@dag(**ingest_dag_args("enforcement"))
def ingest_enforcement():
    ingest_tasks("enforcement")


ingest_enforcement()
