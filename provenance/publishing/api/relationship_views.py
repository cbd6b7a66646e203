"""/api/v1/entities/{id}/relationships/: the ownership graph for team members.

List an entity's edges (now, or as recorded by `?as_of=`), record one with its
evidence, change it (PATCH) or end it, through the same services as the entity
page (entities.services, evidence.relationship_links)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from evidence import relationship_links
from evidence import selectors as evidence_selectors
from evidence.models import RelationshipEvidence
from provenance.common.confidence import ConfidenceLevel
from provenance.common.dates import validate_as_of_day
from provenance.entities import selectors as entity_selectors
from provenance.entities import services as entity_services
from provenance.entities.models import (
    DatePrecision,
    Entity,
    Relationship,
    RelationshipKind,
)
from provenance.publishing.api.base import parse_when
from provenance.publishing.api.outputs import RelationshipMemberOut
from provenance.publishing.api.permissions import IsTeamMember
from provenance.publishing.exports.builders import member_relationship

RELATIONSHIP_ID = OpenApiParameter(
    "relationship_id",
    OpenApiTypes.INT,
    OpenApiParameter.PATH,
    description="Id of one of the entity's relationships.",
)
AS_OF = OpenApiParameter(
    "as_of",
    OpenApiTypes.DATETIME,
    description="The edges as the team had recorded them at this time (a date "
    "means its midnight UTC); omitted: as they stand now.",
)


class _DatesIn(serializers.Serializer):
    start_date = serializers.DateField(
        required=False,
        allow_null=True,
        validators=[validate_as_of_day],
        help_text="When the edge began (null: not known).",
    )
    start_precision = serializers.ChoiceField(
        choices=DatePrecision.choices,
        required=False,
        help_text="How much of start_date is known: day, month or year.",
    )
    start_is_approximate = serializers.BooleanField(
        required=False, help_text="The start is approximate (circa)."
    )
    end_date = serializers.DateField(
        required=False,
        allow_null=True,
        validators=[validate_as_of_day],
        help_text="Null: still in force (open-ended).",
    )
    end_precision = serializers.ChoiceField(
        choices=DatePrecision.choices,
        required=False,
        help_text="How much of end_date is known: day, month or year.",
    )
    end_is_approximate = serializers.BooleanField(
        required=False, help_text="The end is approximate (circa)."
    )
    description = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=5000,
        help_text='What the edge is ("linked to" needs one).',
    )
    share_percent = serializers.DecimalField(
        max_digits=7,
        decimal_places=4,
        min_value=0,
        max_value=100,
        required=False,
        allow_null=True,
        help_text="Owners only: the share held, in percent.",
    )
    confidence = serializers.ChoiceField(
        choices=[*ConfidenceLevel.choices, ("", "None")],
        required=False,
        help_text="The team's confidence in the edge (ICD-203 scale; empty: none).",
    )
    confidence_rationale = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=5000,
        help_text="Why that confidence.",
    )


class RelationshipEvidenceIn(serializers.Serializer):
    evidence = serializers.IntegerField(help_text="Id of an evidence item of the team.")
    relation = serializers.ChoiceField(
        choices=RelationshipEvidence.Relation.choices,
        default=RelationshipEvidence.Relation.SUPPORTS,
        help_text="Whether the item supports or contradicts the edge.",
    )
    note = serializers.CharField(
        required=False, default="", allow_blank=True, help_text="A note on the link."
    )


class RelationshipIn(_DatesIn):
    kind = serializers.ChoiceField(
        choices=RelationshipKind.choices, help_text="What the source is to the target."
    )
    source = serializers.IntegerField(help_text="Entity id: the owner, manager…")
    target = serializers.IntegerField(help_text="Entity id: what is owned, managed…")
    dataset = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="For imported edges: the dataset's name (empty: team-asserted).",
    )
    source_entity_id = serializers.CharField(
        required=False,
        allow_null=True,
        max_length=200,
        help_text="For imported edges: the edge's id in the dataset.",
    )
    evidence = RelationshipEvidenceIn(
        many=True,
        required=False,
        max_length=100,
        help_text="Evidence items backing or contradicting the edge.",
    )


class RelationshipChangeIn(_DatesIn):
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=2000, help_text="Why."
    )


class RelationshipEndIn(serializers.Serializer):
    end_date = serializers.DateField(
        validators=[validate_as_of_day], help_text="When the edge ended."
    )
    end_precision = serializers.ChoiceField(
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
        help_text="How much of end_date is known: day, month or year.",
    )
    end_is_approximate = serializers.BooleanField(
        default=False, help_text="The end is approximate (circa)."
    )
    reason = serializers.CharField(
        required=False, default="", allow_blank=True, help_text="Why it is ended."
    )


class EntityRelationshipActions:
    """Actions of EntityViewSet (evidence_views) for an entity's edges."""

    def _entity(self, pk: str) -> Entity:
        return get_object_or_404(Entity.objects.for_team(self.team()), pk=pk)

    def _edge(self, entity: Entity, relationship_id: str) -> Relationship:
        if not relationship_id.isascii() or not relationship_id.isdigit():
            raise Http404("No such relationship.")
        relationship = get_object_or_404(
            Relationship.objects.for_team(self.team()).select_related(
                "source", "target", "recorded_by"
            ),
            pk=relationship_id,
        )
        if entity.pk not in (relationship.source_id, relationship.target_id):
            raise Http404("No such relationship of this entity.")
        return relationship

    def _answer(self, relationships: list[Relationship], **kwargs: Any) -> Any:
        links = evidence_selectors.relationship_evidence(
            relationship_ids=[r.pk for r in relationships],
            known_at=kwargs.get("known_at"),
        )
        return [member_relationship(r, links.get(r.pk, [])) for r in relationships]

    def _reloaded(self, pk: int) -> Relationship:
        return Relationship.objects.select_related(
            "source", "target", "recorded_by"
        ).get(pk=pk)

    @extend_schema(
        methods=["GET"],
        summary="An entity's relationships (team members)",
        description="Every edge touching the entity, oldest recorded first: as it "
        "stands now, or as the team had recorded it by `as_of`.",
        parameters=[AS_OF],
        responses={200: RelationshipMemberOut(many=True)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Record a relationship with its evidence (team members)",
        description="`source` is `kind` of `target`; the entity must be one of "
        "them. Dates are kept to their precision (a year's start is 1 January, "
        "its end 31 December). All or nothing: a bad evidence id leaves no edge.",
        request=RelationshipIn,
        responses={201: RelationshipMemberOut},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="relationships",
        permission_classes=[IsTeamMember],
        pagination_class=None,
    )
    def relationships(self, request: Request, pk: str) -> Response:
        entity = self._entity(pk)
        team = self.team()
        if request.method == "POST":
            data = RelationshipIn(data=request.data)
            data.is_valid(raise_exception=True)
            fields = dict(data.validated_data)
            if entity.pk not in (fields["source"], fields["target"]):
                raise serializers.ValidationError(
                    {"source": "The entity must be the source or the target."}
                )
            evidence = fields.pop("evidence", [])
            relationship = relationship_links.relationship_record(
                team=team,
                actor=request.user,
                source_id=fields.pop("source"),
                target_id=fields.pop("target"),
                evidence=[
                    relationship_links.EvidenceCitation(
                        e["evidence"], e["relation"], e["note"]
                    )
                    for e in evidence
                ],
                **fields,
            )
            [answer] = self._answer([self._reloaded(relationship.pk)])
            return Response(answer, status=status.HTTP_201_CREATED)
        raw = request.query_params.get("as_of")
        known_at = parse_when(raw, name="as_of") if raw is not None else None
        rows = entity_selectors.relationships_known(
            team=team, entity_ids={entity.pk}, known_at=known_at
        )
        # One query for both ends of every edge (history rows carry ids only).
        ids = {r.source_id for r in rows} | {r.target_id for r in rows}
        entities = {e.pk: e for e in Entity.objects.for_team(team).filter(pk__in=ids)}
        users = {r.recorded_by_id for r in rows} - {None}
        recorders = {u.pk: u for u in _users(users)}
        for row in rows:
            row.source = entities[row.source_id]
            row.target = entities[row.target_id]
            row.recorded_by = recorders.get(row.recorded_by_id)
        return Response(self._answer(rows, known_at=known_at))

    @extend_schema(
        summary="Change a relationship (team members)",
        description="Named fields only; the ends and the kind stay (record a new "
        "edge and end the wrong one). The old version stays in the history.",
        request=RelationshipChangeIn,
        responses={200: RelationshipMemberOut},
        parameters=[RELATIONSHIP_ID],
    )
    @action(
        detail=True,
        methods=["patch"],
        url_path=r"relationships/(?P<relationship_id>[^/]+)",
        permission_classes=[IsTeamMember],
    )
    def relationship_change(
        self, request: Request, pk: str, relationship_id: str
    ) -> Response:
        relationship = self._edge(self._entity(pk), relationship_id)
        data = RelationshipChangeIn(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        entity_services.relationship_update(
            relationship_id=relationship.pk,
            actor=request.user,
            reason=fields.pop("reason", ""),
            **fields,
        )
        [answer] = self._answer([self._reloaded(relationship.pk)])
        return Response(answer)

    @extend_schema(
        summary="End a relationship (team members)",
        description="The date it stopped holding, with its precision; an edge "
        "that has an end already is changed with PATCH instead.",
        request=RelationshipEndIn,
        responses={200: RelationshipMemberOut},
        parameters=[RELATIONSHIP_ID],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"relationships/(?P<relationship_id>[^/]+)/end",
        permission_classes=[IsTeamMember],
    )
    def relationship_end(
        self, request: Request, pk: str, relationship_id: str
    ) -> Response:
        relationship = self._edge(self._entity(pk), relationship_id)
        data = RelationshipEndIn(data=request.data)
        data.is_valid(raise_exception=True)
        entity_services.relationship_end(
            relationship_id=relationship.pk, actor=request.user, **data.validated_data
        )
        [answer] = self._answer([self._reloaded(relationship.pk)])
        return Response(answer)


def _users(ids: set[int]) -> list[Any]:
    return list(get_user_model().objects.filter(pk__in=ids)) if ids else []
