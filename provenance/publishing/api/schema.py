"""OpenAPI post-processing: document the error answers every endpoint can give, and
link every operation on one object to where its id comes from.

drf-spectacular documents the success responses it sees in the views; the errors
come from DRF and our exception handler, the same for every endpoint, so they are
added here once: 400 (a malformed parameter or body), 401 (no or bad credentials),
403 (a publisher key where only members may go), 404 (not in your scope, or an
unknown cursor or format) and 429 (throttled).
"""

from __future__ import annotations

import re
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


# A collection's list and create answers carry the ids its `{id}` operations take.
ID_SOURCES = {
    ("get", "200"): "$response.body#/results/0/id",
    ("post", "201"): "$response.body#/id",
}
COLLECTION = re.compile(r"^(?P<collection>/api/v1/[^/{}]+/)(?P<rest>\{id\}/.*)$")


def _link_name(operation_id: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[_.]", operation_id))


def add_object_links(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """OpenAPI links from each collection's list (its first result) and create
    answers, and from an object's own read, to every operation on one object
    (`/api/v1/<collection>/{id}/...`).

    Without them a client, or a fuzzer's stateful phase, has no documented way to
    reach `GET /api/v1/evidence/{id}/` with a real id: schemathesis' object-level
    authorization check then never compared team A's and team B's reads there."""
    paths = result.get("paths", {})
    targets: dict[str, list[str]] = {}
    for path, item in paths.items():
        match = COLLECTION.match(path)
        if match is None:
            continue
        for operation in item.values():
            targets.setdefault(match["collection"], []).append(operation["operationId"])
    for collection, operation_ids in targets.items():
        item = paths.get(collection, {})
        for (method, status), source in ID_SOURCES.items():
            response = item.get(method, {}).get("responses", {}).get(status)
            if response is None:
                continue
            links = response.setdefault("links", {})
            for operation_id in operation_ids:
                links[_link_name(operation_id)] = {
                    "operationId": operation_id,
                    "parameters": {"id": source},
                }
        read = paths.get(f"{collection}{{id}}/", {}).get("get")
        if read is None:
            continue
        links = read["responses"]["200"].setdefault("links", {})
        for operation_id in operation_ids:
            if operation_id != read["operationId"]:
                links[_link_name(operation_id)] = {
                    "operationId": operation_id,
                    "parameters": {"id": "$request.path.id"},
                }
    return result
