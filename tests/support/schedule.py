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
# per file; 2026-12-02 on this 2-core machine under a load of 9-16, with the service files alongside, so several
# times a quiet machine's figures: only their order matters). Files under 20 s are left out. Refresh after a big
# change.
FILE_SECONDS: dict[str, float] = {
    "tests/e2e/test_make_run.py": 638,
    "tests/e2e/test_demo.py": 612,
    "tests/e2e/test_warehouse_safety.py": 355,
    "tests/hostile/test_gx_agreement.py": 265,
    "tests/unit/test_partitions.py": 215,
    "tests/e2e/test_orchestration.py": 209,
    "tests/hostile/test_hostile_input.py": 162,
    "tests/unit/test_incremental_marts.py": 143,
    "tests/e2e/test_year.py": 139,
    "tests/hostile/test_withdrawals.py": 105,
    "tests/e2e/test_file_tasks.py": 64,
    "tests/hostile/test_unseen_and_transitions.py": 57,
    "tests/unit/test_delivery_semantics.py": 54,
    "tests/e2e/test_data_docs.py": 44,
    "tests/unit/test_indicator_sql.py": 31,
    "tests/unit/test_provisional_quarters.py": 30,
    "tests/unit/test_values.py": 29,
    "tests/e2e/test_pipeline.py": 26,
    "tests/unit/test_feed_rules.py": 23,
    "tests/unit/test_periods_and_annual.py": 21,
}


def file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def longest_first(items: list, seconds: dict[str, float] | None = None) -> list:
    """`items` with the files of `seconds` first, longest first; within a file, and for the other files, the
    collected order (a stable sort)."""
    seconds = FILE_SECONDS if seconds is None else seconds
    return sorted(items, key=lambda item: -seconds.get(file_of(item.nodeid), 0.0))
