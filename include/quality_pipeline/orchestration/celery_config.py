"""The Celery configuration of the distributed topology: Airflow's own, and the pipeline imported once per worker.

When a Celery worker starts (Celery's `worker_init` signal, in its main process before it forks its pool),
`preload.import_the_pipeline` imports Great Expectations and the modules the tasks use, so every pool process
and every task process forked from one has them already. Only the worker does this: the scheduler, which reads
this configuration too, imports nothing more. Set by `AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS`
(`quality_pipeline.orchestration.topology.SHARED_SETTINGS`, docker-compose.yml).
"""

from __future__ import annotations

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG
from celery.signals import worker_init

from quality_pipeline.orchestration.preload import import_the_pipeline

CELERY_CONFIG = dict(DEFAULT_CELERY_CONFIG)


@worker_init.connect
def _import_the_pipeline(**_) -> None:
    import_the_pipeline()
