"""CSV for spreadsheets, safe from formula injection.

A cell that starts with = + - @ (or a tab/CR) is run as a formula by Excel, LibreOffice
and Google Sheets; claim text and quotes come from outside sources, so such cells are
prefixed with an apostrophe, which spreadsheets show as plain text (OWASP's advice).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def csv_lines(header: list[str], rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    """Yield CSV text line by line (for a streaming response)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    yield _drain(buffer)
    for row in rows:
        writer.writerow([csv_safe(value) for value in row])
        yield _drain(buffer)


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
