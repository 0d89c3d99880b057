"""Import Great Expectations and the pipeline once in the process that forks the task processes.

Airflow runs each task in a process forked from a worker: a Celery pool process, or a LocalExecutor worker
forked from the scheduler. Neither imports anything of the pipeline, so every task that validates would import
Great Expectations again (seconds of CPU each time). Imported once in the process that forks, before it forks,
they are in every task process from the start. Two hooks call `import_the_pipeline`: the Celery worker's start
(`celery_config`) and the LocalExecutor's start in the scheduler (`executors.LocalExecutor`, which `make up`
and the embedded topology use). A task's log says whether it found them imported (`IMPORTED_BEFORE`).
"""

from __future__ import annotations

import gc
import logging
import time

log = logging.getLogger(__name__)


def import_the_pipeline() -> None:
    """Import what the tasks import: Great Expectations with the project's expectations, loading and tasks."""
    started = time.perf_counter()
    from quality_pipeline.validation.gate import import_great_expectations

    import_great_expectations()
    import quality_pipeline.loading.files  # noqa: F401
    import quality_pipeline.orchestration.tasks  # noqa: F401

    gc.freeze()  # these modules' objects too: left out of the task processes' full collections (see the gate)
    log.info("pipeline and Great Expectations imported for the task processes in %.1f s",
             time.perf_counter() - started)
