"""Many rows of derived data written at once (issue 18, item 5: the status facts of 600
schools, 1.8 million rows, refreshed nightly).

On PostgreSQL, ``COPY ... FROM STDIN`` through the session's own connection (the same
transaction): several times faster than an ``executemany`` of ``INSERT``, which sends a
statement per row. Elsewhere (SQLite), a Core ``executemany``. For tables whose columns take
no Python-side defaults: each row must name every column it fills.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Connection

#: Rows a SQLite ``executemany`` is given at a time.
_BATCH = 5000


def insert_rows(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (the same keys each) into ``table``."""
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        for start in range(0, len(rows), _BATCH):
            connection.execute(insert(table), list(rows[start : start + _BATCH]))
        return
    names = list(rows[0])
    columns = ", ".join(connection.dialect.identifier_preparer.quote(n) for n in names)
    target = connection.dialect.identifier_preparer.format_table(table)
    driver = connection.connection.driver_connection
    assert driver is not None
    with (
        driver.cursor() as cursor,
        cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row([row[n] for n in names])
