"""The warehouse maintenance (compaction and clean-up of the catalog's files) keeps every row, frees files,
and never pulls a file from under a reader within the grace period."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest

from quality_pipeline.warehouse import lake
from quality_pipeline.warehouse.maintenance import data_files, maintain
from quality_pipeline.warehouse.writer import open_published, write_session

ROWS = 1_500  # past the rows a catalog keeps inline: each delivery below is a Parquet file
_DELIVERY = ("INSERT INTO audit.validations (run_id, feed, file_id, path, suite, expectation, success, validated_at) "
             "SELECT $run, 'product_sampling', range, 'p', 's', 'e', range % 7 <> 0, now() FROM range($rows)")


def _deliveries(settings, count: int) -> None:
    for n in range(count):
        with write_session(settings) as con:
            con.execute(_DELIVERY, {"run": f"r{n}", "rows": ROWS})
    with write_session(settings) as con:  # a correction: delete files beside the data files
        con.execute("DELETE FROM audit.validations WHERE run_id = 'r0' AND file_id < 1000")
        con.execute("INSERT INTO audit.validations (run_id, feed, file_id, path, suite, expectation, success, "
                    "validated_at) VALUES ('small', 'product_sampling', 1, 'p', 's', 'e', true, now())")  # inline


def _content(settings) -> list[tuple]:
    con = open_published(settings.warehouse)
    try:
        return con.execute("SELECT run_id, count(*), sum(file_id), count(*) FILTER (WHERE success) "
                           "FROM audit.validations GROUP BY ALL ORDER BY ALL").fetchall()
    finally:
        con.close()


def _age(path, seconds: float) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_maintenance_merges_the_small_files_and_keeps_every_row(quality_env):
    s = quality_env
    _deliveries(s, 6)
    before = _content(s)
    folder = lake.data_path(s.warehouse) / "audit" / "validations"
    files_before = len(list(folder.iterdir()))
    assert files_before >= 6  # a file per delivery (the correction's deletes may be kept inline)
    stray = lake.data_path(s.warehouse) / "audit" / "crashed-session.parquet"  # written, never committed
    stray.write_bytes(b"PAR1")
    _age(stray, 3 * 3600)

    summary = maintain(s, grace=timedelta(0))
    assert _content(s) == before
    assert summary["merged_tables"] >= 1 and summary["deleted_old_files"] >= files_before
    assert len(list(folder.iterdir())) <= 3  # merged, with the flushed inline rows and the correction's deletes
    assert not stray.exists() and summary["deleted_orphaned_files"] == 1
    assert summary["files_after"] == data_files(s.warehouse)[0]

    maintain(s, grace=timedelta(0))  # nothing left to do: the rows stay
    assert _content(s) == before


def test_a_reader_attached_before_maintenance_reads_its_files_within_the_grace_period(quality_env):
    s = quality_env
    _deliveries(s, 4)
    reader = open_published(s.warehouse)
    try:
        before = reader.execute("SELECT count(*), sum(file_id) FROM audit.validations").fetchall()
        stray = lake.data_path(s.warehouse) / "audit" / "recent.parquet"  # a session still writing it
        stray.write_bytes(b"PAR1")
        summary = maintain(s, grace=timedelta(hours=1))
        assert stray.exists()  # younger than the grace period
        assert summary["deleted_old_files"] == 0
        # the reader's catalog lists the files from before the merge: none was deleted
        assert reader.execute("SELECT count(*), sum(file_id) FROM audit.validations").fetchall() == before
    finally:
        reader.close()
    con = open_published(s.warehouse)  # and a new reader sees the same rows from the merged files
    try:
        assert con.execute("SELECT count(*), sum(file_id) FROM audit.validations").fetchall() == before
    finally:
        con.close()


def test_a_negative_grace_period_is_refused(quality_env):
    with pytest.raises(ValueError, match="negative"):
        maintain(quality_env, grace=timedelta(hours=-1))
