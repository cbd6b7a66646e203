"""The search index: one document per searchable object of a team.

The document is a copy, rebuilt from its object by `search.indexing` whenever a
service records a change to that object (in the same transaction). On PostgreSQL
`vector` holds the weighted tsvector (GIN index); on SQLite an FTS5 table over the
folded columns mirrors the rows through triggers. Both are created by migration
0014, not declared here, because each exists on one database only.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils import timezone

from provenance.teams.models import Team


class DocumentKind(models.TextChoices):
    CLAIM = "claim", "Claims"
    STATEMENT = "statement", "Statements"
    EVIDENCE = "evidence", "Evidence"
    ENTITY = "entity", "Entities"
    COMMENT = "comment", "Comments"


# The order result groups are shown in.
KIND_ORDER = [kind.value for kind in DocumentKind]


@dataclass(frozen=True)
class Audience:
    """Who is searching: the teams whose documents they may find, whether they may
    see restricted material (source protection) and whether they see only what is
    public (a publisher: published claims)."""

    team_ids: tuple[int, ...]
    sees_restricted: bool
    public_only: bool

    @classmethod
    def member(cls, team: Team) -> Audience:
        # Members see their team's restricted items (marked so); restriction keeps
        # them from ever being exported, not from the team (evidence.services).
        return cls(team_ids=(team.pk,), sees_restricted=True, public_only=False)

    @classmethod
    def publisher(cls, team_ids: tuple[int, ...]) -> Audience:
        return cls(team_ids=team_ids, sees_restricted=False, public_only=True)


class SearchDocumentQuerySet(models.QuerySet):
    def visible_to(self, audience: Audience) -> SearchDocumentQuerySet:
        documents = self.filter(team_id__in=audience.team_ids)
        if not audience.sees_restricted:
            documents = documents.filter(is_restricted=False)
        if audience.public_only:
            documents = documents.filter(kind=DocumentKind.CLAIM, is_public=True)
        return documents


class SearchDocument(models.Model):
    # No index of its own: the (team, kind, updated_at) index leads with the team
    # (one index fewer to keep up on every document write).
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=16, choices=DocumentKind.choices)
    object_id = models.PositiveBigIntegerField()
    title = models.TextField()
    body = models.TextField(blank=True)
    # anyascii transliterations, lowercased: "Ангара" is stored as "angara".
    title_folded = models.TextField()
    body_folded = models.TextField(blank=True)
    url = models.CharField(max_length=500)
    is_restricted = models.BooleanField(default=False)
    # A published (or retracted) claim: what a publisher's search may return.
    is_public = models.BooleanField(default=False)
    updated_at = models.DateTimeField(default=timezone.now)
    # PostgreSQL only (null on SQLite): the weighted tsvector, GIN-indexed.
    vector = SearchVectorField(null=True, editable=False)

    objects = SearchDocumentQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id"], name="search_document_unique"
            )
        ]
        # A kind's most recent matches first (search.selectors._best walks it
        # for common words); also serves every (team, kind) filter.
        indexes = [
            models.Index(
                fields=["team", "kind", "-updated_at"], name="search_document_recent"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id} {self.title[:60]}"


class SearchWord(models.Model):
    """A word of a team's document titles (folded), what "did you mean" picks
    from: a few thousand rows per team, so the trigram search is over them rather
    than over every title (on PostgreSQL a GIN trigram index, migration 0016).
    Added by search.indexing when a document is stored, never removed: a stale
    word is harmless because a suggestion is offered only when its corrected query
    finds something the searcher may see."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    word = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "word"], name="search_word_unique")
        ]

    def __str__(self) -> str:
        return self.word


class SavedSearchQuerySet(models.QuerySet):
    def of(self, *, user: object, team: Team) -> SavedSearchQuerySet:
        return self.filter(owner=user, team=team)

    def watched(self) -> SavedSearchQuerySet:
        return self.filter(is_watched=True)


class SavedSearch(models.Model):
    """A member's named search in one team; watched, it notifies its owner when a
    new claim, statement or evidence item matches (search.watches)."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    name = models.CharField(max_length=100)
    query = models.CharField(max_length=500)
    kind = models.CharField(max_length=16, choices=DocumentKind.choices, blank=True)
    is_watched = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = SavedSearchQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "owner", "name"], name="saved_search_name_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name
