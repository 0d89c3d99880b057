"""Secure defaults of `make up` that need no running Airflow: where it listens, the admin password file."""

from __future__ import annotations

import json
import os
import stat

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quality_pipeline.orchestration.topology import ADMIN_USER
from quality_pipeline.orchestration.topology.services import (
    embedded_env,
    ensure_admin_password,
    password_file,
)
from quality_pipeline.terminal import printable


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_ui_listens_on_this_machine_only_unless_told(tmp_path):
    assert embedded_env({}, home=tmp_path)["AIRFLOW__API__HOST"] == "127.0.0.1"
    assert embedded_env({"AIRFLOW__API__HOST": "0.0.0.0"}, home=tmp_path)["AIRFLOW__API__HOST"] == "0.0.0.0"


def test_no_default_password_and_the_file_is_private(tmp_path):
    passwords = []
    for home in (tmp_path / "a", tmp_path / "b"):
        env = embedded_env({}, home=home)
        ensure_admin_password(env)
        assert _mode(password_file(env)) == 0o600
        passwords.append(json.loads(password_file(env).read_text())[ADMIN_USER])
    assert passwords[0] != passwords[1] and len(passwords[0]) >= 16


def test_an_existing_password_file_is_kept_and_narrowed(tmp_path):
    env = embedded_env({}, home=tmp_path)
    path = password_file(env)
    path.write_text(json.dumps({ADMIN_USER: "kept-from-last-time"}))
    path.chmod(0o644)
    ensure_admin_password(env)
    assert _mode(path) == 0o600 and json.loads(path.read_text())[ADMIN_USER] == "kept-from-last-time"


def test_a_chosen_password_replaces_the_file_privately(tmp_path):
    env = embedded_env({"AIRFLOW_ADMIN_PASSWORD": "chosen by the operator"}, home=tmp_path)
    path = password_file(env)
    path.write_text("{}")
    path.chmod(0o666)
    ensure_admin_password(env)
    assert _mode(path) == 0o600 and json.loads(path.read_text())[ADMIN_USER] == "chosen by the operator"


@pytest.mark.parametrize(("raw", "shown"), [
    ("抽检\x1b[2K.csv", "抽检\\x1b[2K.csv"),
    ("a\u202eexe.csv", "a\\u202eexe.csv"),
    ("line\nbreak\r\t", "line\\x0abreak\\x0d\\x09"),
    ("全角　空格 和 (copy).xlsx", "全角　空格 和 (copy).xlsx"),
])
def test_printable_escapes_control_characters_only(raw, shown):
    assert printable(raw) == shown



@given(st.text())
def test_printable_never_lets_a_control_character_through(text):
    out = printable(text)
    assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 for ch in out)
    assert printable(out) == out  # what is shown is shown as it is: no double escaping


def test_the_embedded_setup_is_sized_to_the_machine_and_reads_dates_in_the_districts_zone(tmp_path):
    env = embedded_env({}, home=tmp_path, cores=2)
    assert (env["AIRFLOW__CORE__PARALLELISM"], env["AIRFLOW__API__WORKERS"]) == ("2", "2")
    assert embedded_env({}, home=tmp_path, cores=16)["AIRFLOW__API__WORKERS"] == "4"
    assert env["AIRFLOW__CORE__DEFAULT_TIMEZONE"] == "Asia/Shanghai"
    chosen = embedded_env({"AIRFLOW__CORE__PARALLELISM": "8", "AIRFLOW__CORE__DEFAULT_TIMEZONE": "UTC"}, home=tmp_path)
    assert (chosen["AIRFLOW__CORE__PARALLELISM"], chosen["AIRFLOW__CORE__DEFAULT_TIMEZONE"]) == ("8", "UTC")
    assert int(embedded_env({}, home=tmp_path)["AIRFLOW__CORE__PARALLELISM"]) == len(os.sched_getaffinity(0))


def test_the_banner_says_which_dags_were_unpaused_and_how_the_machine_is_used(tmp_path, capsys):
    from quality_pipeline.orchestration.topology import PROJECT_DAGS
    from quality_pipeline.orchestration.topology.__main__ import _banner
    from quality_pipeline.orchestration.topology.services import Topology

    env = embedded_env({"AIRFLOW_ADMIN_PASSWORD": "pw"}, home=tmp_path, cores=2)
    ensure_admin_password(env)
    topology = Topology(env, tmp_path / "logs")
    _banner(topology, "embedded", list(PROJECT_DAGS))
    said = capsys.readouterr().out
    assert "unpaused: ingest_enforcement, ingest_product_sampling, ingest_remediation, quarterly_indicators" in said
    assert "Asia/Shanghai" in said and "parallelism 2, executor LocalExecutor" in said
    _banner(topology, "embedded", None)
    assert "(paused: unpause them in the UI)" in capsys.readouterr().out
