from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.views import APIView

from provenance.publishing.api.authentication import is_publisher


class IsMemberOrReadingPublisher(permissions.BasePermission):
    """Team members read and write; publishers only read (any write is 403)."""

    message = "Publisher keys are read-only."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if is_publisher(request):
            return request.method in permissions.SAFE_METHODS
        return True


class IsTeamMember(permissions.BasePermission):
    """Team members only: a publisher key reads published claims and nothing else."""

    message = "Publisher keys read published claims only."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        return not is_publisher(request)
