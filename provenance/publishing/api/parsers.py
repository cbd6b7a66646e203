"""The API's one body parser: JSON, bounded in nesting depth.

DRF's JSONParser hands the body to json.load, which recurses once per level: a
body of 100,000 `[` was a RecursionError (500). Here a too-deep body is a 400
before json sees it. (The size is bounded before: DRF reads request.body, which
enforces DATA_UPLOAD_MAX_MEMORY_SIZE; exceptions.py answers that with a 413.)
"""

from __future__ import annotations

import codecs
from typing import IO, Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding
from rest_framework.utils import json

from provenance.common.jsonlimits import MAX_JSON_DEPTH, json_depth_exceeds


class BoundedJSONParser(JSONParser):
    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: dict[str, Any] | None = None,
    ) -> Any:
        encoding = get_encoding(parser_context or {})
        body = stream.read()
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
        # The scan reads UTF-8: the body as sent, or re-encoded from another charset.
        utf8 = body if codecs.lookup(encoding).name == "utf-8" else text
        if json_depth_exceeds(utf8):
            raise ParseError(
                f"JSON parse error - nested more than {MAX_JSON_DEPTH} levels deep."
            )
        try:
            return json.loads(
                text, parse_constant=json.strict_constant if self.strict else None
            )
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from exc
