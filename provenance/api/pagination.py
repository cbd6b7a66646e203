from typing import Any

from rest_framework.pagination import CursorPagination


class UpdatedCursorPagination(CursorPagination):
    """Cursor pagination on (updated_at, id): stable under inserts, cheap at depth."""

    ordering = ("-updated_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        response = super().get_paginated_response_schema(schema)
        properties = response["properties"]
        properties["next"]["description"] = (
            "URL of the next (older) page, or null on the last page."
        )
        properties["previous"]["description"] = (
            "URL of the previous (newer) page, or null on the first page."
        )
        properties["results"]["description"] = "This page's objects, newest first."
        return response


class IdCursorPagination(CursorPagination):
    ordering = ("-id",)
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
