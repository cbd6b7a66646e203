from rest_framework import viewsets
from rest_framework.request import Request

from ..models import Claim, Entity
from ..selectors import require_team
from .serializers import ClaimSerializer, EntitySerializer


class TeamScopedMixin:
    request: Request

    def team(self):
        return require_team(self.request)


class ClaimViewSet(TeamScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Claims of the caller's team."""

    serializer_class = ClaimSerializer
    queryset = Claim.objects.none()  # for schema generation; real rows are scoped below

    def get_queryset(self):
        return (
            Claim.objects.for_team(self.team())
            .prefetch_related("subjects", "tags")
            .order_by("-updated_at", "-id")
        )


class EntityViewSet(TeamScopedMixin, viewsets.ReadOnlyModelViewSet):
    """Entities of the caller's team."""

    serializer_class = EntitySerializer
    queryset = Entity.objects.none()

    def get_queryset(self):
        return Entity.objects.for_team(self.team()).order_by("-updated_at", "-id")
