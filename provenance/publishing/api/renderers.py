from typing import Any

from rest_framework.renderers import BaseRenderer

from provenance.publishing.exports.native import native_bytes


class ORJSONRenderer(BaseRenderer):
    """JSON via orjson: renders the export dataclasses directly (and plain data)."""

    media_type = "application/json"
    format = "json"
    charset = None

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        return native_bytes(data)


class JSONLDRenderer(ORJSONRenderer):
    media_type = "application/ld+json"
    format = "jsonld"


class JSONLinesRenderer(ORJSONRenderer):
    """For the bulk export; an error is one JSON line too."""

    media_type = "application/x-ndjson"
    format = "jsonl"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: dict[str, Any] | None = None,
    ) -> bytes:
        return super().render(data) + b"\n"
