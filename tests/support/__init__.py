"""What every tier of the tests shares: paths, hand-made extracts, ground-truth checks, alert receivers, DAG runs.

Test modules import helpers from here and never from another tier's folder, so a tier can be run alone.
"""

from __future__ import annotations

from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parents[1]
PROJECT_ROOT = TESTS_DIR.parent
DAGS_DIR = PROJECT_ROOT / "dags"
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
