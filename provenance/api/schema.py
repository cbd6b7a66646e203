"""OpenAPI post-processing: document the error answers every endpoint can give.

drf-spectacular documents the success responses it sees in the views; the errors
come from DRF and our exception handler, the same for every endpoint, so they are
added here once: 400 (a malformed parameter or body), 401 (no or bad credentials),
403 (a publisher key where only members may go), 404 (not in your scope, or an
unknown cursor or format) and 429 (throttled).
"""

from __future__ import annotations

from typing import Any

ERROR_COMPONENT = "ErrorOut"
ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "An error: `detail` says why; a validation error maps each bad field or "
        "parameter to its messages instead."
    ),
    "properties": {
        "detail": {"type": "string", "description": "Why the request failed."},
    },
    "additionalProperties": True,
}
ERRORS = {
    "400": "Malformed parameter or body.",
    "401": "No credentials, or invalid, expired or revoked ones.",
    "403": "These credentials may not do this (publisher keys only read claims).",
    "404": "Not found in what you may read (or an unknown cursor or format).",
    "429": "Too many requests; see Retry-After.",
}


def _media_types(operation: dict[str, Any]) -> list[str]:
    """Errors are rendered like the success response when it is JSON of a kind."""
    types = {"application/json"}
    for response in operation.get("responses", {}).values():
        types |= {t for t in response.get("content", {}) if "json" in t}
    return sorted(types)


def add_error_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR_COMPONENT] = (
        ERROR_SCHEMA
    )
    ref = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
    for path_item in result.get("paths", {}).values():
        for operation in path_item.values():
            content = {media: {"schema": ref} for media in _media_types(operation)}
            responses = operation.setdefault("responses", {})
            for code, description in ERRORS.items():
                responses.setdefault(
                    code, {"description": description, "content": content}
                )
    return result
