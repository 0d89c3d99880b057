"""The folder decides a test's tier: tests/conftest.py marks every test with it and refuses files outside one; the
files measured as longest start first."""

from __future__ import annotations

import pytest

from tests.conftest import TIER_OF_FOLDER, tier_of
from tests.support import PROJECT_ROOT, TESTS_DIR
from tests.support.schedule import FILE_SECONDS, longest_first


@pytest.mark.parametrize("folder", sorted(TIER_OF_FOLDER))
def test_each_tier_folder_gives_its_tier(folder):
    assert tier_of(TESTS_DIR / folder / "test_x.py") == TIER_OF_FOLDER[folder]
    assert tier_of(TESTS_DIR / folder / "deeper" / "test_x.py") == TIER_OF_FOLDER[folder]


@pytest.mark.parametrize("relative", ["test_x.py", "support/test_x.py", "../test_x.py", "/elsewhere/test_x.py"])
def test_a_file_outside_a_tier_folder_has_no_tier(relative):
    assert tier_of(TESTS_DIR / relative) is None


def test_this_test_carries_its_folders_marker_and_no_other_tier(request):
    tiers = {m.name for m in request.node.iter_markers()} & set(TIER_OF_FOLDER.values())
    assert tiers == {"unit"}


class _Item:
    def __init__(self, nodeid: str):
        self.nodeid = nodeid


def test_the_longest_files_start_first_and_each_file_keeps_its_order():
    collected = [_Item(n) for n in ("tests/unit/a.py::t1", "tests/unit/a.py::t2", "tests/e2e/long.py::t1",
                                    "tests/e2e/long.py::t2", "tests/unit/b.py::t1", "tests/e2e/longer.py::t")]
    seconds = {"tests/e2e/long.py": 60.0, "tests/e2e/longer.py": 300.0}
    assert [i.nodeid for i in longest_first(collected, seconds)] == [
        "tests/e2e/longer.py::t", "tests/e2e/long.py::t1", "tests/e2e/long.py::t2",
        "tests/unit/a.py::t1", "tests/unit/a.py::t2", "tests/unit/b.py::t1"]


def test_every_file_the_schedule_names_exists():
    assert FILE_SECONDS and all((PROJECT_ROOT / path).is_file() for path in FILE_SECONDS)
