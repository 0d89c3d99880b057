"""Nightly load of the feeds whose `dag:` is product_sampling (feeds/*.yaml); the DAG's doc is generated from them."""

from airflow.sdk import dag

from quality_pipeline.orchestration.dag_factory import ingest_dag_args, ingest_tasks


@dag(**ingest_dag_args("product_sampling"))
def ingest_product_sampling():
    ingest_tasks("product_sampling")


ingest_product_sampling()
