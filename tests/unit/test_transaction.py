"""`warehouse.transaction`: the one BEGIN / COMMIT / ROLLBACK block every writer path uses."""

from __future__ import annotations

import duckdb
import pytest

from quality_pipeline.warehouse.transaction import transaction


def _table() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (k INTEGER PRIMARY KEY)")
    return con


def _rows(con: duckdb.DuckDBPyConnection) -> list[int]:
    return [k for (k,) in con.execute("SELECT k FROM t ORDER BY k").fetchall()]


def test_the_block_commits_when_it_ends():
    con = _table()
    with transaction(con) as same:
        same.execute("INSERT INTO t VALUES (1), (2)")
    assert _rows(con) == [1, 2]
    con.execute("BEGIN")  # no transaction was left open
    con.execute("ROLLBACK")


@pytest.mark.parametrize("error", [RuntimeError("boom"), KeyboardInterrupt()])
def test_anything_raised_in_the_block_rolls_it_back_and_is_raised_as_it_was(error):
    con = _table()
    with pytest.raises(type(error)) as raised, transaction(con):
        con.execute("INSERT INTO t VALUES (1)")
        raise error
    assert raised.value is error
    assert _rows(con) == []
    with transaction(con):  # the connection is usable again
        con.execute("INSERT INTO t VALUES (3)")
    assert _rows(con) == [3]


def test_a_failed_commit_raises_its_own_error_not_the_rollback_after_it():
    # Two transactions insert the same key: the second COMMIT fails and ends its transaction, so the ROLLBACK
    # that follows fails too ("no transaction is active"); the caller must see why the commit failed.
    con = _table()
    other = con.cursor()
    other.execute("BEGIN")
    other.execute("INSERT INTO t VALUES (7)")
    with pytest.raises(duckdb.TransactionException, match="Failed to commit") as raised:
        with transaction(con.cursor()) as mine:
            mine.execute("INSERT INTO t VALUES (7)")
            other.execute("COMMIT")
    assert "no transaction is active" not in str(raised.value)
    assert _rows(con) == [7]
