"""Claims and what the team records about them: quantity estimates, confidence
assessments, evidence links, reviews and tags."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models import Case, Count, F, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from provenance.claims.confidence import SCALE, ConfidenceLevel
from provenance.common.versioned_links import (
    VersionedLink,
    VersionedLinkQuerySet,
    ended_after_linked,
    one_current,
)
from provenance.entities.models import Entity
from provenance.teams.models import Team

# --- Claims ---------------------------------------------------------------------------


class Tag(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=60)
    slug = models.SlugField(max_length=60)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "slug"], name="tag_slug_unique")
        ]

    def __str__(self) -> str:
        return self.name


class ClaimStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    PUBLISHED = "published", "Published"
    RETRACTED = "retracted", "Retracted"


class QuantityBound(models.TextChoices):
    EXACT = "exact", "exactly"
    AT_LEAST = "at_least", "at least"
    AT_MOST = "at_most", "at most"
    ABOUT = "about", "about"


# Publishers see these claims (a retracted one stays visible, marked retracted).
PUBLIC_STATUSES = frozenset({ClaimStatus.PUBLISHED, ClaimStatus.RETRACTED})


class ClaimQuerySet(models.QuerySet):
    def for_team(self, team: Team) -> ClaimQuerySet:
        return self.filter(team=team)

    def published(self) -> ClaimQuerySet:
        return self.filter(status__in=PUBLIC_STATUSES)

    def unpublished(self) -> ClaimQuerySet:
        """Claims still in the workflow: neither published nor retracted."""
        return self.exclude(status__in=PUBLIC_STATUSES)

    def in_review(self) -> ClaimQuerySet:
        return self.filter(status=ClaimStatus.IN_REVIEW)

    def approved(self) -> ClaimQuerySet:
        return self.filter(status=ClaimStatus.APPROVED)

    def embargo_ended(self, now: datetime) -> ClaimQuerySet:
        """Approved claims whose embargo (`publish_at`) is over by `now`."""
        return self.approved().filter(publish_at__lte=now)

    def search(self, text: str) -> ClaimQuerySet:
        text = text.strip()
        if not text:
            return self
        return self.filter(
            Q(text__icontains=text) | Q(summary__icontains=text) | Q(slug=text)
        )

    def with_subject(self, entity_slug: str) -> ClaimQuerySet:
        return self.filter(subjects__slug=entity_slug)

    def about(self, entity: Entity) -> ClaimQuerySet:
        """Claims that name the entity among their subjects."""
        return self.filter(subjects=entity)

    def with_tag(self, tag_slug: str) -> ClaimQuerySet:
        return self.filter(tags__slug=tag_slug)

    def with_current_confidence(self, at: datetime | None = None) -> ClaimQuerySet:
        """Annotate the level in force at `at` (default now): see `in_force`."""
        latest = ConfidenceAssessment.objects.filter(claim=OuterRef("pk")).in_force(
            at or timezone.now()
        )
        rank = Case(
            *[
                When(current_confidence=band.key, then=Value(band.rank))
                for band in SCALE
            ],
            default=Value(0),
            output_field=models.IntegerField(),
        )
        return self.annotate(
            current_confidence=Subquery(latest.values("level")[:1])
        ).annotate(current_confidence_rank=rank)

    # Counts as correlated subqueries, not JOIN + GROUP BY: with ORDER BY ... LIMIT
    # the database computes them for the rows of one page only, and COUNT(*) for the
    # paginator leaves them out.
    def with_denial_count(self) -> ClaimQuerySet:
        return self.annotate(denial_count=_link_count(ClaimEvidence.objects.denials()))

    def with_evidence_count(self) -> ClaimQuerySet:
        return self.annotate(
            evidence_count=_link_count(ClaimEvidence.objects.current())
        )


def _link_count(links: models.QuerySet) -> Coalesce:
    counted = (
        links.filter(claim=OuterRef("pk"))
        .order_by()
        .values("claim")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=models.IntegerField()), 0)


class Claim(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="claims")
    text = models.TextField(help_text="The claim as a single checkable statement.")
    slug = models.SlugField(max_length=120)
    summary = models.TextField(blank=True)
    subjects = models.ManyToManyField(Entity, blank=True, related_name="claims")
    tags = models.ManyToManyField(Tag, blank=True, related_name="claims")
    quantity_amount = models.DecimalField(
        max_digits=20, decimal_places=4, null=True, blank=True
    )
    quantity_unit = models.CharField(max_length=60, blank=True)
    quantity_bound = models.CharField(
        max_length=10, choices=QuantityBound.choices, blank=True
    )
    first_appearance_source = models.CharField(
        max_length=300, blank=True, help_text="Who first made the claim, and where."
    )
    first_appearance_entity = models.ForeignKey(
        Entity,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="first_appearances",
    )
    first_appearance_url = models.URLField(max_length=500, blank=True)
    first_appearance_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=ClaimStatus.choices, default=ClaimStatus.DRAFT
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="claims"
    )
    last_edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Optimistic concurrency: every save is UPDATE ... WHERE version = v.
    version = models.PositiveIntegerField(default=1)
    publish_at = models.DateTimeField(
        null=True, blank=True, help_text="Embargo: publish automatically at this time."
    )
    published_at = models.DateTimeField(null=True, blank=True)
    # The time of the last publish or correct decision: publishers see the
    # assessments, links and estimates recorded by then, nothing later (issue 12).
    public_content_at = models.DateTimeField(null=True, blank=True, editable=False)
    correction_note = models.TextField(blank=True)
    retraction_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)
    history = HistoricalRecords(m2m_fields=[subjects, tags])

    objects = ClaimQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["team", "slug"], name="claim_slug_unique"),
            models.CheckConstraint(
                condition=Q(quantity_amount__isnull=True)
                | ~Q(quantity_bound="") & ~Q(quantity_unit=""),
                name="claim_quantity_complete",
            ),
        ]
        indexes = [
            models.Index(fields=["team", "status"]),
            models.Index(
                fields=["team", "-updated_at", "-id"], name="claim_team_recent"
            ),
        ]

    def __str__(self) -> str:
        return self.text[:80]

    def get_absolute_url(self) -> str:
        return reverse("provenance:claim-detail", args=[self.pk])

    @property
    def has_quantity(self) -> bool:
        return self.quantity_amount is not None

    @property
    def public_cutoff(self) -> datetime | None:
        """Publishers see what was recorded by this time; None: nothing is public."""
        if self.status not in PUBLIC_STATUSES:
            return None
        return self.public_content_at

    @property
    def quantity_display(self) -> str:
        return format_quantity(
            self.quantity_amount, self.quantity_unit, self.quantity_bound
        )


def format_quantity(amount: Decimal | None, unit: str, bound: str) -> str:
    """'at least 1,000 containers': the bound's words, the amount, the unit."""
    if amount is None:
        return ""
    amount = amount.normalize()
    text = f"{int(amount):,}" if amount == amount.to_integral() else f"{amount:,f}"
    words = QuantityBound(bound).label if bound else ""
    return f"{words} {text} {unit}".strip()


class QuantityEstimate(models.Model):
    """One source's figure for a claim's quantity; the team marks the one it uses."""

    claim = models.ForeignKey(
        Claim, on_delete=models.CASCADE, related_name="quantity_estimates"
    )
    amount = models.DecimalField(max_digits=20, decimal_places=4)
    unit = models.CharField(max_length=60)
    bound = models.CharField(max_length=10, choices=QuantityBound.choices)
    source_label = models.CharField(max_length=300)
    source_entity = models.ForeignKey(
        Entity, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_url = models.URLField(max_length=500, blank=True)
    # A count made on an image: the figure traces back to the pixels counted.
    annotation = models.ForeignKey(
        "evidence.ImageAnnotation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="estimates",
    )
    # The annotation as it was when counted: a later change to its count or shape
    # is a new revision, and this figure keeps citing the one it was made from.
    annotation_revision = models.ForeignKey(
        "evidence.ImageAnnotationRevision",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    stated_at = models.DateTimeField(null=True, blank=True)
    is_current = models.BooleanField(default=False)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["recorded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.bound} {self.amount} {self.unit} ({self.source_label})"


class ConfidenceAssessmentQuerySet(models.QuerySet):
    def recorded_by(self, when: datetime) -> ConfidenceAssessmentQuerySet:
        return self.filter(recorded_at__lte=when)

    def effective_by(self, when: datetime) -> ConfidenceAssessmentQuerySet:
        return self.filter(effective_at__lte=when)

    def latest_first(self) -> ConfidenceAssessmentQuerySet:
        return self.order_by("-effective_at", "-recorded_at", "-pk")

    def in_force(self, at: datetime) -> ConfidenceAssessmentQuerySet:
        """What "current confidence" means everywhere (page, list, API, exports):
        the latest by effective_at among those speaking for a time up to `at`, ties
        by recorded_at. One that speaks for the future is not in force yet.
        `confidence_in_force` is the same rule over rows already loaded."""
        return self.effective_by(at).latest_first()


def confidence_in_force(
    assessments: Iterable[ConfidenceAssessment], at: datetime
) -> ConfidenceAssessment | None:
    """`ConfidenceAssessmentQuerySet.in_force(at).first()` over loaded rows (the
    exports and as-of views have them prefetched)."""
    return max(
        (a for a in assessments if a.effective_at <= at),
        key=lambda a: (a.effective_at, a.recorded_at, a.pk),
        default=None,
    )


class ConfidenceAssessment(models.Model):
    """Append-only: a mistaken assessment is superseded by a new one, never edited."""

    claim = models.ForeignKey(
        Claim, on_delete=models.PROTECT, related_name="assessments"
    )
    level = models.CharField(max_length=24, choices=ConfidenceLevel.choices)
    rationale = models.TextField()
    evidence = models.ManyToManyField(
        "evidence.EvidenceItem", blank=True, related_name="cited_by_assessments"
    )
    supersedes = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    effective_at = models.DateTimeField(
        default=timezone.now, help_text="The date this assessment speaks for."
    )

    objects = ConfidenceAssessmentQuerySet.as_manager()

    class Meta:
        ordering = ["effective_at", "recorded_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_level_display()} ({self.effective_at:%Y-%m-%d})"


class Relation(models.TextChoices):
    SUPPORTS = "supports", "Supports"
    CONTRADICTS = "contradicts", "Contradicts"
    CONTEXT = "context", "Context"


class Stance(models.TextChoices):
    ASSERTS = "asserts", "Asserts"
    CONFIRMS = "confirms", "Confirms"
    DENIES = "denies", "Denies"
    DECLINES = "declines_to_comment", "Declines to comment"


class ClaimEvidenceQuerySet(VersionedLinkQuerySet):
    def denials(self) -> ClaimEvidenceQuerySet:
        return self.current().filter(stance=Stance.DENIES)

    def supporting(self) -> ClaimEvidenceQuerySet:
        """Links that support the claim now: approval needs one."""
        return self.current().filter(relation=Relation.SUPPORTS)


class ClaimEvidence(VersionedLink):
    """A claim ↔ evidence link with its relation; a stance when it is a statement.

    Rows are versions (common.versioned_links): a change ends the row and records a
    new one that `replaces` it; an unlink only ends it. Nothing is deleted, so the
    as-of view and publishers' view at an earlier moment read the link as it was then.
    """

    claim = models.ForeignKey(
        Claim, on_delete=models.CASCADE, related_name="evidence_links"
    )
    item = models.ForeignKey(
        "evidence.EvidenceItem", on_delete=models.PROTECT, related_name="claim_links"
    )
    relation = models.CharField(max_length=12, choices=Relation.choices)
    stance = models.CharField(max_length=24, choices=Stance.choices, blank=True)
    note = models.TextField(blank=True)

    objects = ClaimEvidenceQuerySet.as_manager()

    class Meta(VersionedLink.Meta):
        verbose_name_plural = "claim evidence links"
        constraints = [
            one_current("claim", "item", name="claim_item_current_unique"),
            ended_after_linked(name="claim_evidence_unlinked_after_linked"),
        ]

    def __str__(self) -> str:
        return f"{self.item} {self.relation} {self.claim}"

    @property
    def is_contradictory(self) -> bool:
        return is_contradictory(self.relation, self.stance)


# A statement's stance against its relation that says the opposite: a denial that
# supports the claim, an assertion or confirmation that contradicts it.
CONTRADICTORY: frozenset[tuple[str, str]] = frozenset(
    {
        (Relation.SUPPORTS, Stance.DENIES),
        (Relation.CONTRADICTS, Stance.ASSERTS),
        (Relation.CONTRADICTS, Stance.CONFIRMS),
    }
)


class ClaimRelationship(VersionedLink):
    """A claim citing an edge of the ownership graph as evidence ("the Angara is
    owned by M Leasing" backs a claim about the ship), with a relation and a note.
    Versioned like ClaimEvidence: a change ends the row and records one that
    `replaces` it; nothing is deleted. Written only by claims.relationship_citations."""

    claim = models.ForeignKey(
        Claim, on_delete=models.CASCADE, related_name="relationship_links"
    )
    relationship = models.ForeignKey(
        "provenance.Relationship", on_delete=models.PROTECT, related_name="claim_links"
    )
    relation = models.CharField(max_length=12, choices=Relation.choices)
    note = models.TextField(blank=True)

    class Meta(VersionedLink.Meta):
        verbose_name_plural = "claim relationship citations"
        constraints = [
            one_current(
                "claim", "relationship", name="claim_relationship_current_unique"
            ),
            ended_after_linked(name="claim_relationship_unlinked_after_linked"),
        ]

    def __str__(self) -> str:
        return f"{self.relationship} {self.relation} {self.claim}"


def is_contradictory(relation: str, stance: str) -> bool:
    return (relation, stance) in CONTRADICTORY


class Decision(models.TextChoices):
    SUBMIT = "submit", "Submit for review"
    APPROVE = "approve", "Approve"
    REQUEST_CHANGES = "request_changes", "Request changes"
    PUBLISH = "publish", "Publish"
    CORRECT = "correct", "Correct"
    RETRACT = "retract", "Retract"
    EDIT = "edit", "Edit (sent back to review)"


class Review(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="reviews")
    decision = models.CharField(max_length=20, choices=Decision.choices)
    from_status = models.CharField(max_length=16, choices=ClaimStatus.choices)
    to_status = models.CharField(max_length=16, choices=ClaimStatus.choices)
    comment = models.TextField(blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.by} at {self.at:%Y-%m-%d}"


# --- Comments, assignments, watching (issue 16) ---------------------------------------


class QuoteSource(models.TextChoices):
    STATEMENT = "statement", "Statement text"
    STATEMENT_ORIGINAL = "statement_original", "Statement, original language"
    DOCUMENT = "document", "Document's extracted text"


class CommentQuerySet(models.QuerySet):
    def on_claim(self, claim: Claim) -> CommentQuerySet:
        return self.filter(claim=claim)

    def on_item(self, item_id: int) -> CommentQuerySet:
        return self.filter(item_id=item_id)

    def for_thread(self) -> CommentQuerySet:
        """What a thread draws, in one query plus the mentions' prefetch."""
        return (
            self.select_related("author", "quote_item", "deleted_by")
            .prefetch_related("mentions")
            .order_by("created_at", "pk")
        )


class Comment(models.Model):
    """A team-internal remark on a claim or an evidence item, threaded by `parent`.

    Never exported: no publisher serializer or export reads this model. Edits and
    deletes go through `comments.comment_edit/comment_delete`; `history` keeps every
    earlier text (a delete blanks `body` here, the history keeps what it said).
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="comments")
    claim = models.ForeignKey(
        Claim, null=True, blank=True, on_delete=models.CASCADE, related_name="comments"
    )
    item = models.ForeignKey(
        "evidence.EvidenceItem",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="comments",
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replies"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField(blank=True)
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+"
    )
    # A piece of a statement's or a document's text, kept as it read then.
    quote_item = models.ForeignKey(
        "evidence.EvidenceItem",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    quote_source = models.CharField(
        max_length=20, choices=QuoteSource.choices, blank=True
    )
    quote_start = models.PositiveIntegerField(null=True, blank=True)
    quote_end = models.PositiveIntegerField(null=True, blank=True)
    quote_text = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    history = HistoricalRecords(excluded_fields=["team"])

    objects = CommentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(claim__isnull=False, item__isnull=True)
                | Q(claim__isnull=True, item__isnull=False),
                name="comment_on_claim_or_item",
            ),
            models.CheckConstraint(
                condition=Q(quote_item__isnull=True)
                | Q(quote_start__isnull=False, quote_end__gt=models.F("quote_start")),
                name="comment_quote_has_offsets",
            ),
        ]

    def __str__(self) -> str:
        return f"Comment {self.pk} by {self.author_id}"

    def get_absolute_url(self) -> str:
        target = self.claim if self.claim_id else self.item
        return f"{target.get_absolute_url()}#comment-{self.pk}"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class AssignmentQuerySet(models.QuerySet):
    def for_team(self, team: Team) -> AssignmentQuerySet:
        return self.filter(claim__team=team)

    def of(self, user: Any) -> AssignmentQuerySet:
        return self.filter(assignee=user)

    def due_first(self) -> AssignmentQuerySet:
        """Overdue and soonest due first, undated last."""
        return self.order_by(F("due_on").asc(nulls_last=True), "assigned_at", "pk")


class Assignment(models.Model):
    """Who works on a claim now, and by when. Unassigning deletes the row; the audit
    chain keeps every (un)assignment."""

    claim = models.OneToOneField(
        Claim, on_delete=models.CASCADE, related_name="assignment"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    due_on = models.DateField(null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField(default=timezone.now)

    objects = AssignmentQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.claim_id} → {self.assignee_id}"

    def is_overdue(self, today: date) -> bool:
        return self.due_on is not None and self.due_on < today


class Watch(models.Model):
    """A user's choice about following a claim. The author and the assignee follow
    without a row; a row with `is_watching=False` is their "unwatch"."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="watches")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    is_watching = models.BooleanField(default=True)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["claim", "user"], name="watch_unique")
        ]

    def __str__(self) -> str:
        verb = "watches" if self.is_watching else "ignores"
        return f"{self.user_id} {verb} {self.claim_id}"


# --- Fact-checks from elsewhere (issue 20: ClaimReview import) -----------------------


class ExternalVerdict(models.Model):
    """Another organisation's rating of a claim, as its ClaimReview (or Google Fact
    Check Tools) record gave it: kept beside our own assessments, never one of them.
    Written by claims.verdicts.external_verdict_add only."""

    class SourceFormat(models.TextChoices):
        CLAIMREVIEW = "claimreview", "schema.org ClaimReview"
        FACTCHECK_TOOLS = "factcheck_tools", "Google Fact Check Tools"

    claim = models.ForeignKey(
        Claim, on_delete=models.CASCADE, related_name="external_verdicts"
    )
    reviewer_name = models.CharField(max_length=300, blank=True)
    reviewer_url = models.URLField(max_length=500, blank=True)
    rating_text = models.CharField(
        max_length=300, blank=True, help_text="reviewRating.alternateName"
    )
    rating_value = models.CharField(max_length=40, blank=True)
    best_rating = models.CharField(max_length=40, blank=True)
    worst_rating = models.CharField(max_length=40, blank=True)
    review_title = models.CharField(max_length=500, blank=True)
    review_url = models.URLField(max_length=500, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    language = models.CharField(max_length=20, blank=True)
    source_format = models.CharField(max_length=20, choices=SourceFormat.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["claim", "-reviewed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.reviewer_name or self.reviewer_url}: {self.rating_display}"

    @property
    def reviewer_label(self) -> str:
        """The reviewer's name, else the host of its URL."""
        return self.reviewer_name or urlsplit(self.reviewer_url).hostname or ""

    @property
    def rating_display(self) -> str:
        scale = ""
        if self.rating_value:
            scale = self.rating_value
            if self.best_rating:
                scale += f" of {self.best_rating}"
                if self.worst_rating:
                    scale += f" (worst {self.worst_rating})"
        if self.rating_text and scale:
            return f"{self.rating_text} ({scale})"
        return self.rating_text or scale


class SameClaimLink(models.Model):
    """ "Same claim as": two claims of one team that state the same thing (an
    imported fact-check and a claim already recorded). Stored once per pair, the
    lower id first; written by claims.verdicts.claim_same_as_link only."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="+")
    same_as = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="+")
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    linked_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["claim", "same_as"]
        constraints = [
            models.UniqueConstraint(
                fields=["claim", "same_as"], name="same_claim_link_unique"
            ),
            models.CheckConstraint(
                condition=Q(claim__lt=F("same_as")), name="same_claim_link_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id} same as {self.same_as_id}"
