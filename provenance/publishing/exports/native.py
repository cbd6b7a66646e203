"""The native JSON: ``orjson.dumps`` of the export dataclasses (shapes), field
order as key order; datetimes ISO 8601 with Z."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

import orjson

from provenance.publishing.exports.shapes import ClaimExport, decimal_text

# Non-str keys: DRF reports list-item errors keyed by index.
JSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return decimal_text(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def native_bytes(value: Any) -> bytes:
    """Dataclasses (and dicts/lists of them) as JSON; datetimes ISO 8601 with Z."""
    return orjson.dumps(value, default=_default, option=JSON_OPTIONS)


def native_dict(export: ClaimExport) -> dict[str, Any]:
    return orjson.loads(native_bytes(export))


def jsonl_lines(exports: Iterable[ClaimExport]) -> Iterator[bytes]:
    option = JSON_OPTIONS | orjson.OPT_APPEND_NEWLINE
    for export in exports:
        yield orjson.dumps(export, default=_default, option=option)
