"""GET /api/v1/search/?q=: the search page's results as JSON.

Members search their team's documents (restricted ones marked); a publisher key
searches the published (and retracted) claims of its teams only.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from provenance.publishing.api.authentication import is_publisher
from provenance.publishing.api.base import ApiView
from provenance.publishing.api.permissions import IsMemberOrReadingPublisher
from provenance.search.models import Audience, DocumentKind
from provenance.search.selectors import MAX_QUERY, Hit, SearchResults, search


class SearchParams(serializers.Serializer):
    """The query string, checked: an overlong query or an unknown kind is a 400
    with the field's message (as the search page refuses them), not cut or
    ignored."""

    q = serializers.CharField(required=False, allow_blank=True, max_length=MAX_QUERY)
    kind = serializers.ChoiceField(
        choices=DocumentKind.choices, required=False, allow_blank=True
    )


class SearchHitOut(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=DocumentKind.choices, help_text="What the result is."
    )
    id = serializers.IntegerField(help_text="The object's id within its kind.")
    title = serializers.CharField(
        help_text="The claim's text, the item's title, the entity's name."
    )
    title_html = serializers.CharField(
        help_text="The title, HTML-escaped, with matching words in <mark>."
    )
    snippet_html = serializers.CharField(
        help_text="Some words around the first match, HTML-escaped, in <mark>."
    )
    url = serializers.URLField(help_text="The object's page (members) or API URL.")
    is_restricted = serializers.BooleanField(
        help_text="Source protection: never leaves the team (members only)."
    )


class SearchGroupOut(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=DocumentKind.choices, help_text="The kind of every hit here."
    )
    label = serializers.CharField(help_text="The group's heading.")
    total = serializers.IntegerField(help_text="How many of this kind match.")
    total_is_estimate = serializers.BooleanField(
        help_text="`total` is an estimate: more match than `hits` shows (a full "
        "group's count is the database planner's estimate, not a count)."
    )
    hits = SearchHitOut(many=True, help_text="The best matches, best first.")


class SearchOut(serializers.Serializer):
    query = serializers.CharField(help_text="The query as searched (trimmed).")
    suggestion = serializers.CharField(help_text='"Did you mean", or empty.')
    shows_suggestion = serializers.BooleanField(
        help_text="Nothing matched `query`: the groups are the suggestion's results."
    )
    total = serializers.IntegerField(help_text="Matches over all groups.")
    groups = SearchGroupOut(
        many=True,
        help_text="Claims, statements, evidence, entities, comments, in that order.",
    )


class SearchView(ApiView, APIView):
    """Full-text search, grouped by kind and ranked."""

    permission_classes = [IsMemberOrReadingPublisher]

    def _url(self, request: Request, hit: Hit, *, public: bool) -> str:
        path = reverse("api:claim-detail", args=[hit.object_id]) if public else hit.url
        return request.build_absolute_uri(path)

    @extend_schema(
        summary="Search claims, statements, evidence, entities and comments",
        description=(
            "PostgreSQL websearch syntax on both databases: words are ANDed, "
            '"a phrase", -exclude, this OR that. Cyrillic and Latin spellings find '
            "each other (transliterated index); a misspelt query that finds nothing "
            "is corrected (`suggestion`). Members search their team; a publisher "
            "key searches the published claims of its teams."
        ),
        parameters=[
            OpenApiParameter(
                "q",
                OpenApiTypes.STR,
                description=f"The query, at most {MAX_QUERY} characters.",
            ),
            OpenApiParameter(
                "kind",
                OpenApiTypes.STR,
                enum=[kind.value for kind in DocumentKind],
                description="Only results of this kind.",
            ),
        ],
        responses={200: SearchOut, 400: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        public = is_publisher(request)
        if public:
            team_ids = tuple(sorted(request.auth.teams.values_list("pk", flat=True)))
            audience = Audience.publisher(team_ids)
        else:
            audience = Audience.member(self.team())
        params = SearchParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        results: SearchResults = search(
            audience=audience,
            q=params.validated_data.get("q", ""),
            kind=params.validated_data.get("kind", ""),
        )
        data = {
            "query": results.query,
            "suggestion": results.suggestion,
            "shows_suggestion": results.shows_suggestion,
            "total": results.total,
            "groups": [
                {
                    "kind": group.kind,
                    "label": group.label,
                    "total": group.total,
                    "total_is_estimate": group.total_is_estimate,
                    "hits": [
                        {
                            "kind": hit.kind,
                            "id": hit.object_id,
                            "title": hit.plain_title,
                            "title_html": str(hit.title),
                            "snippet_html": str(hit.snippet),
                            "url": self._url(request, hit, public=public),
                            "is_restricted": hit.is_restricted,
                        }
                        for hit in group.hits
                    ],
                }
                for group in results.groups
            ],
        }
        return Response(SearchOut(data).data)
