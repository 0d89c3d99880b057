"""The order test files start in: the longest first, so two xdist workers finish together.

pytest-xdist (`--dist loadfile`) hands a worker one file at a time, in the order the files are collected, and
by default reorders them by their number of tests (`--no-loadscope-reorder` turns that off, as the Makefile
does). A file of two tests can take minutes (the demo tour, `make run` twice) and a file of three hundred a few
seconds: started last, the long file leaves one worker busy and the other idle. So the files measured as long
start first (longest processing time first), each file's tests keep their order, and every other file follows
in the collected order. The figures only order the files: a stale one makes a run slower, never wrong.
"""

from __future__ import annotations

# Seconds a test file took on one xdist worker of `make test` (2026-12-01, this 2-core machine; the per-test
# durations summed per file, `--durations=0`). Files below 20 s are left out. Refresh after a big change.
FILE_SECONDS: dict[str, float] = {
    "tests/e2e/test_demo.py": 1400,
    "tests/e2e/test_warehouse_safety.py": 670,
    "tests/e2e/test_orchestration.py": 480,
    "tests/hostile/test_hostile_input.py": 400,
    "tests/e2e/test_pipeline.py": 300,
    "tests/e2e/test_year.py": 230,
    "tests/e2e/test_make_run.py": 220,
    "tests/e2e/test_new_feed.py": 110,
    "tests/e2e/test_file_tasks.py": 110,
}


def file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def longest_first(items: list, seconds: dict[str, float] | None = None) -> list:
    """`items` with the files of `seconds` first, longest first; within a file, and for the other files, the
    collected order (a stable sort)."""
    seconds = FILE_SECONDS if seconds is None else seconds
    return sorted(items, key=lambda item: -seconds.get(file_of(item.nodeid), 0.0))
