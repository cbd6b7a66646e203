from rest_framework.pagination import CursorPagination


class UpdatedCursorPagination(CursorPagination):
    """Cursor pagination on (updated_at, id): stable under inserts, cheap at depth."""

    ordering = ("-updated_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class IdCursorPagination(CursorPagination):
    ordering = ("-id",)
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
