from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request


class StrictPageSize:
    """A page_size that is not a whole number is a 400, not silently the default."""

    page_size_query_param = "page_size"

    def get_page_size(self, request: Request) -> int | None:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None and not raw.strip().isdigit():
            raise ValidationError({"page_size": "A whole number (at most 200)."})
        return super().get_page_size(request)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters


class UpdatedCursorPagination(StrictPageSize, CursorPagination):
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


class IdCursorPagination(StrictPageSize, CursorPagination):
    ordering = ("-id",)
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
