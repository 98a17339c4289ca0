"""Whole numbers typed by people or sent in links, held to what the database can store.

PostgreSQL's ``integer`` columns (every id) stop at 2**31 - 1 and SQLite's at 2**63 - 1;
``str.isdigit`` is true for "²", which ``int`` refuses, so a plain ``isdigit`` check lets a
crafted value through to a 500. Pure functions: the forms, views and imports share them.
"""

from __future__ import annotations

#: The largest id (PostgreSQL ``integer``; every table's primary key).
MAX_ID = 2**31 - 1


def whole_number(text: object, *, low: int = 0, high: int = MAX_ID) -> int | None:
    """``text`` as an int when it is plain ASCII digits in ``low..high``; else None.

    ``str.isdigit`` alone is not enough: it accepts "²" and "٣", which ``int`` refuses or reads,
    and a 30-digit string that no column can hold.
    """
    if isinstance(text, bool):
        return None
    if isinstance(text, int):
        return text if low <= text <= high else None
    cleaned = str(text).strip() if text is not None else ""
    if not cleaned or not cleaned.isascii() or not cleaned.isdigit() or len(cleaned) > 12:
        return None
    value = int(cleaned)
    return value if low <= value <= high else None
