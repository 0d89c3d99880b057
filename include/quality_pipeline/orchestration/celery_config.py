"""The Celery configuration of the distributed topology: Airflow's own, and the pipeline imported once per worker.

Each Airflow task runs in a process forked from a Celery worker's pool process, which imports nothing of the
pipeline: every task that validates would import Great Expectations again (seconds of CPU each time). When the
worker starts, before it forks its pool, `import_the_pipeline` imports Great Expectations and the modules the
tasks use, so every pool process and every task process forked from it has them already. Only the worker does
this (Celery's `worker_init` signal): the scheduler, which reads this configuration too, imports nothing more.
Set by `AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS` (`quality_pipeline.orchestration.topology.SHARED_SETTINGS`,
docker-compose.yml).
"""

from __future__ import annotations

import logging
import time

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG
from celery.signals import worker_init

log = logging.getLogger(__name__)

CELERY_CONFIG = dict(DEFAULT_CELERY_CONFIG)


@worker_init.connect
def import_the_pipeline(**_) -> None:
    """Import what the tasks import, in the worker's main process, before it forks its pool."""
    started = time.perf_counter()
    from quality_pipeline.validation.gate import import_great_expectations

    import_great_expectations()
    import quality_pipeline.loading.files  # noqa: F401
    import quality_pipeline.orchestration.tasks  # noqa: F401

    log.info("pipeline and Great Expectations imported for the task processes in %.1f s",
             time.perf_counter() - started)
