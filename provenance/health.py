"""The health check: the full middleware stack and nothing else."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import (
    require_safe,
)


@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for load balancers: answers without touching the database."""
    return HttpResponse("ok\n", content_type="text/plain")
