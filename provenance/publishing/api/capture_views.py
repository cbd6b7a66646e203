"""/api/v1/evidence/{id}/captures/: a link's or statement's captures, each a
version kept with its files' hashes (GET), and capture again (POST). Team
members only; publishers are refused; another team's item is 404."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from evidence import processing, selectors
from evidence.captures import services as capture_services
from evidence.models import WebCapture
from provenance.publishing.api.base import ApiView
from provenance.publishing.api.outputs import CaptureVersionOut
from provenance.publishing.api.permissions import IsTeamMember


def capture_out(capture: WebCapture) -> dict[str, Any]:
    summary = capture.summary or {}
    if capture.captured_at is not None:
        state = "captured"
    elif summary:
        state = "failed"  # a failed capture keeps its summary, never its files
    else:
        state = "queued"
    return {
        "id": capture.pk,
        "number": capture.number,
        "state": state,
        "requested_url": capture.requested_url,
        "requested_at": capture.requested_at,
        "requested_by": (
            capture.requested_by.get_username() if capture.requested_by else None
        ),
        "captured_at": capture.captured_at,
        "final_url": capture.final_url,
        "http_status": capture.http_status,
        "title": capture.title,
        "server_ip": capture.server_ip,
        "redirects": capture.redirects,
        "refused": summary.get("blocked", []),
        "errors": summary.get("errors", []),
        "truncated": summary.get("truncated", []),
        "files": [
            {
                "role": f.role,
                "sha256": f.sha256,
                "size_bytes": f.size_bytes,
                "mime_type": f.mime_type,
            }
            for f in capture.files.all()
        ],
    }


# The route takes any path segment (not only digits) so that a malformed id is
# this API's JSON 404, not the site's HTML one.
ITEM_ID = OpenApiParameter("pk", int, OpenApiParameter.PATH, description="Item id.")


def _item_id(pk: str) -> int:
    if not (pk.isascii() and pk.isdigit()):
        raise NotFound("No evidence item with this id.")
    return int(pk)


class EvidenceCapturesView(ApiView, GenericAPIView):
    permission_classes = [IsTeamMember]
    serializer_class = CaptureVersionOut
    pagination_class = None

    @extend_schema(
        summary="The captures of a link or statement source, oldest first "
        "(team members)",
        parameters=[ITEM_ID],
        responses={200: CaptureVersionOut(many=True)},
    )
    def get(self, request: Request, pk: str) -> Response:
        _, captures = selectors.capture_versions(team=self.team(), item_id=_item_id(pk))
        return Response([capture_out(c) for c in captures])

    @extend_schema(
        summary="Capture the page again (team members)",
        description="Queues a new capture of the item's URL; every earlier capture "
        "is kept. 409 while a capture of the item runs; 400 for an item without "
        "a page to capture.",
        request=None,
        parameters=[ITEM_ID],
        responses={
            202: CaptureVersionOut,
            400: OpenApiResponse(description="Nothing to capture"),
            409: OpenApiResponse(description="A capture is running"),
        },
    )
    def post(self, request: Request, pk: str) -> Response:
        team = self.team()
        item, _ = selectors.capture_versions(team=team, item_id=_item_id(pk))
        try:
            capture = capture_services.capture_again(
                item_id=item.pk, actor=request.user
            )
        except processing.IllegalMove as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        except ValueError as exc:
            raise ValidationError({"detail": str(exc)}) from exc
        # Read back: with no broker the capture has run by now.
        _, captures = selectors.capture_versions(team=team, item_id=item.pk)
        new = next(c for c in captures if c.pk == capture.pk)
        return Response(capture_out(new), status=status.HTTP_202_ACCEPTED)
