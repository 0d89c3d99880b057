"""Airflow's LocalExecutor, which imports the pipeline in the scheduler before it forks its workers.

The LocalExecutor runs in the scheduler and forks `parallelism` worker processes, each forking a process per
task. Importing Great Expectations and the pipeline in the scheduler first (`preload.import_the_pipeline`)
puts them in every worker and task process at once, instead of each task importing them again. `make up` and
the embedded topology set `AIRFLOW__CORE__EXECUTOR` to this class
(`quality_pipeline.orchestration.topology.services.EMBEDDED_EXECUTOR`); it is otherwise Airflow's.
"""

from __future__ import annotations

from airflow.executors.local_executor import LocalExecutor as AirflowLocalExecutor

from quality_pipeline.orchestration.preload import import_the_pipeline


class LocalExecutor(AirflowLocalExecutor):
    def start(self) -> None:
        import_the_pipeline()
        super().start()
