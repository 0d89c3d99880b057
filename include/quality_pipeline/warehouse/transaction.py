"""One transaction on a warehouse connection: what every writer path that must land whole or not at all uses.

    with transaction(con):
        ...  # statements that commit together

The block's statements commit together when it ends; any exception (a task's timeout and Ctrl-C included)
rolls them back and is raised again as it was. A failed COMMIT (a DuckLake commit conflict, a full disk)
has already ended the transaction: the ROLLBACK that follows then fails too, and its error is logged, never
raised over the one that says what went wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

log = logging.getLogger(__name__)


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN; COMMIT when the block ends; ROLLBACK when anything in it (the COMMIT included) raises."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
        con.execute("COMMIT")
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except duckdb.Error as exc:  # no transaction left to roll back (it ended with the failure)
            log.debug("ROLLBACK after a failed transaction: %s", exc)
        raise
