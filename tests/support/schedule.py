"""The order test files start in: the longest first, so two xdist workers finish together.

pytest-xdist (`--dist loadfile`) hands a worker one file at a time, in the order the files are collected, and
by default reorders them by their number of tests (`--no-loadscope-reorder` turns that off, as the Makefile
does). A file of two tests can take minutes (the demo tour, `make run` twice) and a file of three hundred a few
seconds: started last, the long file leaves one worker busy and the other idle. So the files measured as long
start first (longest processing time first), each file's tests keep their order, and every other file follows
in the collected order. The figures only order the files: a stale one makes a run slower, never wrong.
"""

from __future__ import annotations

# Seconds a test file took on one xdist worker of `make test` (the per-test durations of `--durations=0` summed
# per file; 2026-12-01 on this 2-core machine under a load of 15-20, so several times a quiet machine's figures:
# only their order matters). Files under 20 s are left out. Refresh after a big change.
FILE_SECONDS: dict[str, float] = {
    "tests/e2e/test_demo.py": 1403,
    "tests/e2e/test_make_run.py": 838,
    "tests/e2e/test_warehouse_safety.py": 671,
    "tests/e2e/test_orchestration.py": 312,
    "tests/e2e/test_pipeline.py": 300,  # estimated: that run was stopped in this file
    "tests/hostile/test_hostile_input.py": 294,
    "tests/unit/test_partitions.py": 263,
    "tests/e2e/test_year.py": 157,
    "tests/dags/test_dag_integrity.py": 147,
    "tests/e2e/test_new_feed.py": 111,
    "tests/e2e/test_file_tasks.py": 107,
    "tests/hostile/test_withdrawals.py": 96,
    "tests/e2e/test_data_docs.py": 53,
    "tests/hostile/test_unseen_and_transitions.py": 49,
    "tests/unit/test_indicator_sql.py": 47,
    "tests/unit/test_provisional_quarters.py": 44,
    "tests/unit/test_values.py": 43,
    "tests/unit/test_delivery_semantics.py": 39,
    "tests/unit/test_value_properties.py": 28,
    "tests/e2e/test_report.py": 22,
    "tests/unit/test_periods_and_annual.py": 20,
}


def file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def longest_first(items: list, seconds: dict[str, float] | None = None) -> list:
    """`items` with the files of `seconds` first, longest first; within a file, and for the other files, the
    collected order (a stable sort)."""
    seconds = FILE_SECONDS if seconds is None else seconds
    return sorted(items, key=lambda item: -seconds.get(file_of(item.nodeid), 0.0))
