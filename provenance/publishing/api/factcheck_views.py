"""POST /api/v1/claims/import/claimreview/: a fact-check published elsewhere
(ClaimReview JSON-LD, an HTML page with ld+json blocks, or a Google Fact Check
Tools claims:search response) as the request body becomes draft claims of the
member's team (publishing.factcheck_import). Team members only."""

from __future__ import annotations

from typing import IO, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from provenance.claims.models import ClaimStatus, ExternalVerdict
from provenance.publishing.api.base import ApiView
from provenance.publishing.api.permissions import IsTeamMember
from provenance.publishing.factcheck_import import factcheck_import, import_summary
from provenance.publishing.factcheck_parse import MAX_BYTES


class _RawDocumentParser(BaseParser):
    """The body as bytes, at most MAX_BYTES + 1 read (the importer refuses more
    with its reason); the importer checks the JSON depth before parsing."""

    def parse(
        self,
        stream: IO[bytes],
        media_type: str | None = None,
        parser_context: dict[str, Any] | None = None,
    ) -> bytes:
        return stream.read(MAX_BYTES + 1) if stream is not None else b""


class JSONDocumentParser(_RawDocumentParser):
    media_type = "application/json"


class JSONLDDocumentParser(_RawDocumentParser):
    media_type = "application/ld+json"


class HTMLDocumentParser(_RawDocumentParser):
    media_type = "text/html"


class ClaimantOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="The entity's id.")
    name = serializers.CharField(help_text="The entity's name.")
    kind = serializers.CharField(help_text="person, organization or government.")
    is_new = serializers.BooleanField(help_text="Created by this import.")


class ExternalVerdictOut(serializers.Serializer):
    reviewer_name = serializers.CharField(
        help_text="The fact-checker (review author or publisher)."
    )
    reviewer_url = serializers.CharField(help_text="The fact-checker's site.")
    rating_text = serializers.CharField(help_text="alternateName / textualRating.")
    rating_value = serializers.CharField(
        help_text="reviewRating.ratingValue, as given."
    )
    best_rating = serializers.CharField(help_text="reviewRating.bestRating, as given.")
    worst_rating = serializers.CharField(
        help_text="reviewRating.worstRating, as given."
    )
    review_title = serializers.CharField(help_text="The review's headline or title.")
    review_url = serializers.CharField(help_text="The review's page.")
    reviewed_at = serializers.DateTimeField(
        allow_null=True, help_text="When the review was published (UTC)."
    )
    language = serializers.CharField(help_text="The review's language code.")
    source_format = serializers.ChoiceField(
        choices=ExternalVerdict.SourceFormat.choices,
        help_text="Which format it was imported from.",
    )


class SimilarClaimOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="The claim's id.")
    text = serializers.CharField(help_text="The claim's text.")
    url = serializers.CharField(help_text="The claim's page.")


class ImportedClaimOut(serializers.Serializer):
    id = serializers.IntegerField(help_text="The new draft claim's id.")
    url = serializers.CharField(help_text="The draft's page.")
    text = serializers.CharField(help_text="The claim's text (claimReviewed / text).")
    status = serializers.ChoiceField(
        choices=ClaimStatus.choices, help_text="Always draft."
    )
    first_appearance_url = serializers.CharField(
        help_text="Where the claim first appeared."
    )
    first_appearance_at = serializers.DateTimeField(
        allow_null=True, help_text="When it first appeared (UTC)."
    )
    first_appearance_source = serializers.CharField(help_text="Who said it, and where.")
    claimant = ClaimantOut(
        allow_null=True, help_text="The team's entity for the claimant, or null."
    )
    claimant_name = serializers.CharField(help_text="As the fact-check named it.")
    external_verdicts = ExternalVerdictOut(
        many=True, help_text="The fact-checkers' ratings."
    )
    similar = SimilarClaimOut(
        many=True, help_text="The team's claims that look the same, to link."
    )


class FactCheckImportOut(serializers.Serializer):
    claims = ImportedClaimOut(
        many=True, help_text="One draft per fact-check, in input order."
    )


class FactCheckImportView(ApiView, APIView):
    permission_classes = [IsTeamMember]
    parser_classes = [JSONDocumentParser, JSONLDDocumentParser, HTMLDocumentParser]

    @extend_schema(
        summary="Import a fact-check as draft claims (team members)",
        description=(
            "The body is the document: schema.org ClaimReview JSON-LD "
            "(application/json or application/ld+json; one review, a list, or an "
            '@graph), an HTML page whose <script type="application/ld+json"> '
            "blocks hold ClaimReviews (text/html), or a Google Fact Check Tools "
            "claims:search response. At most 2 MB and 64 levels of nesting. Each "
            "fact-check becomes one draft claim with its first appearance and "
            "claimant, the rating kept as an external verdict. Everything or "
            "nothing is written: a refusal is 400 with the reason in `document`."
        ),
        parameters=[
            OpenApiParameter(
                "create_claimants",
                OpenApiTypes.BOOL,
                description=(
                    "Create a person or organisation for a claimant not found in "
                    "the team (when the document says which it is)."
                ),
            )
        ],
        request={
            "application/json": OpenApiTypes.OBJECT,
            "application/ld+json": OpenApiTypes.OBJECT,
            "text/html": OpenApiTypes.STR,
        },
        responses={
            201: FactCheckImportOut,
            400: OpenApiResponse(description="Refused, with the reason"),
        },
    )
    def post(self, request: Request) -> Response:
        team = self.team()
        flag = request.query_params.get("create_claimants", "").lower()
        try:
            imported = factcheck_import(
                team=team,
                actor=request.user,
                data=request.data if isinstance(request.data, bytes) else b"",
                create_claimants=flag in {"1", "true", "yes"},
            )
        except DjangoValidationError as exc:
            raise ValidationError(
                exc.message_dict if hasattr(exc, "error_dict") else exc.messages
            ) from None
        return Response(
            FactCheckImportOut(import_summary(imported)).data,
            status=status.HTTP_201_CREATED,
        )
