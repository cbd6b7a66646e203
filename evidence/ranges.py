"""HTTP byte ranges (RFC 9110 §14) for the files the evidence pages stream.

ReplayWeb.page reads a WACZ by ranges (its ZIP directory at the end, then each
WARC record by the offset its index gives), so a stored file must answer a
``Range`` request with 206 and only those bytes. No ORM, no Django.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SPEC = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


class RangeNotSatisfiable(ValueError):
    """The range lies outside the file (answer 416 with ``bytes */size``)."""


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive, as Content-Range writes it

    @property
    def length(self) -> int:
        return self.end - self.start + 1

    def content_range(self, size: int) -> str:
        return f"bytes {self.start}-{self.end}/{size}"


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The one range a ``Range`` header asks for, clipped to the file, or None
    to send the whole file (no header, another unit, several ranges, or a
    header that does not parse: RFC 9110 lets a server ignore those).

    Raises RangeNotSatisfiable when the range starts past the end of the file
    or asks for a suffix of nothing.
    """
    if not header:
        return None
    match = _SPEC.match(header)
    if match is None:
        return None  # several ranges, another unit, or garbage: the whole file
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # "bytes=-N": the last N bytes
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable(header)
        return ByteRange(max(size - suffix, 0), size - 1)
    start = int(first)
    if start >= size:
        raise RangeNotSatisfiable(header)
    end = min(int(last), size - 1) if last else size - 1
    if end < start:
        return None  # an invalid range-spec is ignored, not refused
    return ByteRange(start, end)
