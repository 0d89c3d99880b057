"""The Makefile reads .env when present; the environment and the command line win over it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
MAKEFILE = Path(__file__).resolve().parents[2] / "Makefile"


def _config(folder: Path, *args: str, **env: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("QUALITY_", "AIRFLOW"))}
    done = subprocess.run(["make", "-s", "-f", str(MAKEFILE), "-C", str(folder), "config", *args],
                          capture_output=True, text=True, env={**base, **env}, check=True)
    return dict(line.split("=", 1) for line in done.stdout.splitlines())


def test_a_value_in_dot_env_reaches_the_targets(tmp_path):
    (tmp_path / ".env").write_text("# a comment\nQUALITY_REPORTS_DIR=/srv/reports\nAIRFLOW__API__PORT=9090\n"
                                   "AIRFLOW_HOME=home_from_env_file\n", encoding="utf-8")
    said = _config(tmp_path)
    assert said["QUALITY_REPORTS_DIR"] == "/srv/reports" and said["AIRFLOW__API__PORT"] == "9090"
    assert said["AIRFLOW_HOME"] == str(tmp_path / "home_from_env_file")  # relative to the project, made absolute
    assert said["QUALITY_LANDING_DIR"] == "data/landing"  # not in .env: the default


def test_the_environment_and_the_command_line_win_over_dot_env(tmp_path):
    (tmp_path / ".env").write_text("QUALITY_REPORTS_DIR=/srv/reports\nQUALITY_WAREHOUSE=/from/file.duckdb\n",
                                   encoding="utf-8")
    said = _config(tmp_path, "QUALITY_WAREHOUSE=/from/command.duckdb", QUALITY_REPORTS_DIR="/from/env")
    assert said["QUALITY_REPORTS_DIR"] == "/from/env" and said["QUALITY_WAREHOUSE"] == "/from/command.duckdb"


def test_without_dot_env_the_defaults_apply(tmp_path):
    said = _config(tmp_path)
    assert said["QUALITY_REPORTS_DIR"] == "data/reports" and "AIRFLOW__API__PORT" not in said
