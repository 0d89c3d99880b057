"""The folder decides a test's tier: tests/conftest.py marks every test with it and refuses files outside one."""

from __future__ import annotations

import pytest

from tests.conftest import TIER_OF_FOLDER, tier_of
from tests.support import TESTS_DIR


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
