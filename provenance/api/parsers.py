"""The API's one body parser: JSON, bounded in nesting depth.

DRF's JSONParser hands the body to json.load, which recurses once per level: a
body of 100,000 `[` was a RecursionError (500). Here a too-deep body is a 400
before json sees it. (The size is bounded before: DRF reads request.body, which
enforces DATA_UPLOAD_MAX_MEMORY_SIZE; exceptions.py answers that with a 413.)
"""

from __future__ import annotations

from typing import IO, Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding
from rest_framework.utils import json

from ..jsonlimits import MAX_JSON_DEPTH, json_depth_exceeds


class BoundedJSONParser(JSONParser):
    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: dict[str, Any] | None = None,
    ) -> Any:
        encoding = get_encoding(parser_context or {})
        try:
            text = stream.read().decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        if json_depth_exceeds(text):
            raise ParseError(
                f"JSON parse error - nested more than {MAX_JSON_DEPTH} levels deep."
            )
        try:
            return json.loads(
                text, parse_constant=json.strict_constant if self.strict else None
            )
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
