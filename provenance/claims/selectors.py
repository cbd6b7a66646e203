"""Reads of the claims domain composed for one use case each; they own
select_related/prefetch_related."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.text import slugify

from evidence.models import (
    EvidenceItem,
    EvidenceKind,
    ImageAnnotation,
    ImageAnnotationRevision,
)
from provenance.audit.models import AuditEvent
from provenance.claims.confidence import BANDS
from provenance.claims.models import (
    PUBLIC_STATUSES,
    Claim,
    ClaimEvidence,
    ClaimRelationship,
    ClaimStatus,
    Comment,
    ConfidenceAssessment,
    Decision,
    ExternalVerdict,
    QuantityEstimate,
    Review,
    SameClaimLink,
    Stance,
    Tag,
    confidence_in_force,
    format_quantity,
)
from provenance.claims.timeline import TimelineEvent
from provenance.common.filters import unknown_note
from provenance.entities.models import Entity
from provenance.teams.models import Team


def claim_list(
    *,
    team: Team,
    text: str = "",
    status: str = "",
    subject: str = "",
    tag: str = "",
    confidence: str = "",
    has_denials: bool | None = None,
    sort: str = "",
) -> QuerySet[Claim]:
    claims = (
        Claim.objects.for_team(team)
        .search(text)
        .with_current_confidence()
        .with_denial_count()
        .with_evidence_count()
        .select_related("author")
        .prefetch_related("subjects", "tags")
    )
    if status:
        claims = claims.filter(status=status)
    # A name that names nothing gives no claims (never every claim): the page
    # says why (claim_filter_notes).
    if subject:
        claims = claims.filter(subjects__in=named_entities(team=team, name=subject))
    if tag:
        claims = claims.filter(tags__in=named_tags(team=team, name=tag))
    if confidence:
        claims = claims.filter(current_confidence=confidence)
    if has_denials is True:
        claims = claims.filter(denial_count__gt=0)
    elif has_denials is False:
        claims = claims.filter(denial_count=0)
    order = CLAIM_SORTS.get(sort, CLAIM_SORTS[""])
    if subject or tag:
        # Only these filters join many-to-many rows that could repeat a claim.
        claims = claims.distinct()
    return claims.order_by(*order)


def named_entities(*, team: Team, name: str) -> QuerySet[Entity]:
    """The team's entities a filter value names: by name, any case ("maria",
    "Democratic People's Republic of Korea"), or by slug (older links)."""
    name = name.strip()
    return Entity.objects.for_team(team).filter(
        Q(name__iexact=name) | Q(slug__in={name, slugify(name)})
    )


def named_tags(*, team: Team, name: str) -> QuerySet[Tag]:
    name = name.strip()
    return Tag.objects.filter(team=team).filter(
        Q(name__iexact=name) | Q(slug__in={name, slugify(name)})
    )


def claim_filter_notes(*, team: Team, subject: str = "", tag: str = "") -> list[str]:
    """What the claim list says about filter values that name nothing (and gives
    no claims for): "No entity named …; did you mean …?". One query per value given,
    one more for the close names when a value is unknown."""
    notes = []
    if subject.strip() and not named_entities(team=team, name=subject).exists():
        names = list(Entity.objects.for_team(team).values_list("name", flat=True))
        notes.append(unknown_note("subject", subject, names))
    if tag.strip() and not named_tags(team=team, name=tag).exists():
        names = list(Tag.objects.filter(team=team).values_list("name", flat=True))
        notes.append(unknown_note("tag", tag, names))
    return notes


CLAIM_SORTS: dict[str, tuple[str, ...]] = {
    "": ("-updated_at", "-pk"),
    "oldest": ("updated_at", "pk"),
    "denials": ("-denial_count", "-updated_at", "-pk"),
    "confidence": ("-current_confidence_rank", "-updated_at", "-pk"),
}


# What the claim page, its chart and its forms read of a linked item; its other
# columns are deferred. A long claim's page reads 300 items, and the rest (four
# of them timestamps parsed per row) were a fifth of the time spent reading its
# links. The dossier prints them (whole_items=True); the page's query-count tests
# catch a read of a deferred one.
_PAGE_ITEM_COLUMNS = frozenset(
    {
        "id",
        "team",
        "kind",
        "title",
        "source",
        "observed_at",
        "is_synthetic",
        "is_restricted",
    }
)
_ITEM_COLUMNS_OFF_PAGE = tuple(
    f"item__{field.name}"
    for field in EvidenceItem._meta.concrete_fields
    if field.name not in _PAGE_ITEM_COLUMNS
)
# Who unlinked is named by username only.
_USER_COLUMNS_UNREAD = ("password", "last_login", "date_joined")


def _page_links(*, whole_items: bool = False) -> QuerySet[ClaimEvidence]:
    """The links as the claim page and its chart read them: each with its item,
    the statement's speaker and principal (the timeline names them), who unlinked.
    Not linked_by: neither names who linked (300 users made for nothing on a long
    claim); the link's own page reads it."""
    links = ClaimEvidence.objects.select_related(
        "item",
        "item__statement__speaker",
        "item__statement__on_behalf_of",
        "unlinked_by",
    ).order_by("linked_at", "pk")
    unread = [f"unlinked_by__{name}" for name in _USER_COLUMNS_UNREAD]
    return links.defer(*unread, *(() if whole_items else _ITEM_COLUMNS_OFF_PAGE))


def _has_estimates() -> Exists:
    return Exists(QuantityEstimate.objects.filter(claim=OuterRef("pk")))


def _one_claim(claims: QuerySet[Claim], *, team: Team, claim_id: int) -> Claim:
    """The claim of `claims` (annotated with has_estimates) with its estimates,
    read only when it has some; 404 when the team has no such claim."""
    try:
        claim = claims.get(pk=claim_id)
    except Claim.DoesNotExist as exc:
        raise Http404("No such claim in your team.") from exc
    estimates = (
        QuantityEstimate.objects.select_related(
            "annotation__item", "annotation__created_by"
        )
        if claim.has_estimates
        else QuantityEstimate.objects.none()  # prefetched empty: no query
    )
    prefetch_related_objects(
        [claim], Prefetch("quantity_estimates", queryset=estimates)
    )
    # The team the caller read it through (a query less for claim.team).
    claim.team = team
    return claim


def claim_for_page(*, team: Team, claim_id: int, whole_items: bool = False) -> Claim:
    """One claim of the team, with everything its page shows; 404 outside the team.
    whole_items: every column of the linked items (the dossier prints them)."""
    claims = (
        Claim.objects.for_team(team)
        .select_related(
            "author",
            "last_edited_by",
            "first_appearance_entity",
            "assignment__assignee",
        )
        .prefetch_related(
            "subjects",
            "tags",
            Prefetch("evidence_links", queryset=_page_links(whole_items=whole_items)),
            REVIEWS,
        )
        # In the claim's own query: most claims have none of these, and their
        # page then reads no more for them (external_verdicts, same_claims,
        # the estimates, the comment thread, relationship_citations_for).
        .annotate(
            has_comments=Exists(Comment.objects.filter(claim=OuterRef("pk"))),
            has_estimates=_has_estimates(),
            has_relationship_citations=Exists(
                ClaimRelationship.objects.filter(claim=OuterRef("pk"))
            ),
            has_external_verdicts=Exists(
                ExternalVerdict.objects.filter(claim=OuterRef("pk"))
            ),
            has_same_claims=Exists(
                SameClaimLink.objects.filter(
                    Q(claim=OuterRef("pk")) | Q(same_as=OuterRef("pk"))
                )
            ),
        )
    )
    return _one_claim(claims, team=team, claim_id=claim_id)


def claim_for_chart(*, team: Team, claim_id: int) -> Claim:
    """One claim of the team with what its timeline chart reads (claim_as_of and
    claim_timeline: links as the page reads them, reviews, estimates), none of the
    page's labels and people; 404 outside the team."""
    claims = (
        Claim.objects.for_team(team)
        .prefetch_related(Prefetch("evidence_links", queryset=_page_links()), REVIEWS)
        .annotate(has_estimates=_has_estimates())
    )
    return _one_claim(claims, team=team, claim_id=claim_id)


AXES = ("recorded", "happened")


@dataclass(frozen=True)
class ClaimAsOf:
    """The claim as the team knew it at `when`, rebuilt from recorded history."""

    when: datetime
    axis: str
    existed: bool
    text: str
    summary: str
    status: str
    quantity_display: str
    confidence: ConfidenceAssessment | None
    assessments: list[ConfidenceAssessment]
    links: list[ClaimEvidence]
    denials: list[ClaimEvidence]
    estimates: list[QuantityEstimate]
    first_appearance_source: str = ""
    first_appearance_at: datetime | None = None
    recorded_at: datetime | None = None
    history_id: int | None = None  # the version shown (claim_labels_as_of)
    correction_note: str = ""  # the public correction in force at `when`
    retraction_reason: str = ""

    @property
    def status_label(self) -> str:
        return ClaimStatus(self.status).label if self.status else ""

    @property
    def correction_text(self) -> str:
        return plain_correction(self.correction_note)


def plain_correction(note: str) -> str:
    """A correction note without a leading "Correction:", which every place that
    shows it says already ("Correction. Correction: …" otherwise)."""
    note = note.strip()
    head, sep, rest = note.partition(":")
    return rest.strip() if sep and head.strip().lower() == "correction" else note


def end_of_day(day: date) -> datetime:
    """An as-of date means 'by the end of that day', UTC."""
    return datetime.combine(day, time.max, tzinfo=UTC)


def happened_at(link: ClaimEvidence) -> datetime | None:
    """When the thing a link points to happened: a statement's time, else observed."""
    statement = getattr(link.item, "statement", None)
    return statement.stated_at if statement else link.item.observed_at


def claim_as_of(
    *, claim: Claim, when: datetime, axis: str = "recorded", chart_only: bool = False
) -> ClaimAsOf:
    """What the team knew at `when`.

    axis="recorded" (default) counts what had been recorded by then: the claim's text,
    quantity and status from its history, links by linked_at, assessments by
    recorded_at. axis="happened" counts evidence by when it happened (stated_at /
    observed_at) and assessments by effective_at, with the text as recorded.
    Uses claim.evidence_links prefetched by claim_for_page.
    chart_only: what the timeline chart draws, the assessments without their
    assessors and cited items (two queries fewer for timeline.svg).
    """
    if axis not in AXES:
        raise ValueError(f"axis must be one of {AXES}")
    version = (
        claim.history.filter(history_date__lte=when)
        .order_by("-history_date", "-history_id")
        .first()
    )
    if version is None:
        return ClaimAsOf(when, axis, False, "", "", "", "", None, [], [], [], [])
    links, assessments, estimates = _known_at(
        claim, when=when, axis=axis, chart_only=chart_only
    )
    return ClaimAsOf(
        when=when,
        axis=axis,
        existed=True,
        text=version.text,
        summary=version.summary,
        status=version.status,
        quantity_display=format_quantity(
            version.quantity_amount, version.quantity_unit, version.quantity_bound
        ),
        confidence=confidence_in_force(assessments, when),
        assessments=assessments,
        links=links,
        denials=sorted(
            (link for link in links if link.stance == Stance.DENIES),
            key=lambda link: happened_at(link) or link.linked_at,
            reverse=True,
        ),
        estimates=estimates,
        first_appearance_source=version.first_appearance_source,
        first_appearance_at=version.first_appearance_at,
        recorded_at=version.history_date,
        history_id=version.history_id,
        correction_note=version.correction_note,
        retraction_reason=version.retraction_reason,
    )


# An assessment's cited items, as _known_at reads them (the templates' a.x_evidence).
CITED = "x_evidence"


def _known_at(
    claim: Claim, *, when: datetime, axis: str, chart_only: bool = False
) -> tuple[list[ClaimEvidence], list[ConfidenceAssessment], list[QuantityEstimate]]:
    """The links, assessments (in force order) and estimates counted at `when` on
    the axis. Links and estimates are filtered from the prefetched rows."""
    assessments = claim.assessments.effective_by(when)
    if axis == "recorded":
        # Each link as it was then: the version in force at `when`.
        links = [link for link in claim.evidence_links.all() if link.was_in_force(when)]
        assessments = assessments.recorded_by(when)
        estimates = [e for e in claim.quantity_estimates.all() if e.recorded_at <= when]
    else:
        links = [
            link
            for link in claim.evidence_links.all()
            # The links as they stand now (a wrong one stays corrected), by when
            # their evidence happened.
            if link.unlinked_at is None
            and (happened_at(link) or link.linked_at) <= when
        ]
        estimates = [
            e
            for e in claim.quantity_estimates.all()
            if (e.stated_at or e.recorded_at) <= when
        ]
    # The cited items' ids and restriction are all that the pages and exports read
    # of them (a count, evidence_ids): whole rows cost a model each per citation.
    # In a plain list (to_attr): a related manager made per assessment cost more
    # than its rows on a long claim. The name is the exports' to_attr naming
    # (exports.queries.PREFIX), so their prefetched(assessment, "evidence") reads it.
    cited = Prefetch(
        "evidence",
        queryset=EvidenceItem.objects.only("pk", "is_restricted"),
        to_attr=CITED,
    )
    # The assessors in a query of their own: a long claim's 200 assessments are
    # mostly by a few people, and a join made a user model per assessment.
    assessors = Prefetch(
        "assessed_by",
        queryset=get_user_model().objects.defer(*_USER_COLUMNS_UNREAD),
    )
    assessed = list(
        assessments if chart_only else assessments.prefetch_related(assessors, cited)
    )
    assessed.sort(key=lambda a: (a.effective_at, a.recorded_at, a.pk))
    return links, assessed, estimates


@dataclass(frozen=True)
class LinkEnded:
    """A link version that ended: unlinked, or changed into `replaced_by`."""

    link: ClaimEvidence
    replaced_by: ClaimEvidence | None


def ended_links(claim: Claim) -> list[LinkEnded]:
    """The claim's changed and unlinked links, newest first, from the rows
    prefetched by claim_for_page (no query)."""
    rows = list(claim.evidence_links.all())
    successors = {row.replaces_id: row for row in rows if row.replaces_id}
    ended = [LinkEnded(row, successors.get(row.pk)) for row in rows if row.unlinked_at]
    ended.sort(key=lambda e: (e.link.unlinked_at, e.link.pk), reverse=True)
    return ended


@dataclass(frozen=True)
class NotYetPublic:
    """Ids of the rows on a published claim's page that publishers do not see yet:
    recorded after the last publish/correct decision; the next correction shows
    them."""

    links: frozenset[int] = frozenset()
    assessments: frozenset[int] = frozenset()
    estimates: frozenset[int] = frozenset()


def not_yet_public(*, claim: Claim, state: ClaimAsOf) -> NotYetPublic:
    if claim.status not in PUBLIC_STATUSES:
        return NotYetPublic()
    cutoff = claim.public_cutoff

    def later(rows: list[Any], moment: str) -> frozenset[int]:
        return frozenset(
            row.pk for row in rows if cutoff is None or getattr(row, moment) > cutoff
        )

    return NotYetPublic(
        links=later(state.links, "linked_at"),
        assessments=later(state.assessments, "recorded_at"),
        estimates=later(state.estimates, "recorded_at"),
    )


def claim_labels_as_of(state: ClaimAsOf) -> tuple[list[Entity], list[Tag]]:
    """The subjects and tags of the claim version `state` shows, by name: history
    keeps them with each version (Claim.history m2m_fields)."""
    if state.history_id is None:
        return [], []
    # simple-history's per-version copies of the claim's m2m rows.
    versions = Claim.history.model
    subjects = versions.subjects.model.objects.filter(history_id=state.history_id)
    tags = versions.tags.model.objects.filter(history_id=state.history_id)
    return (
        [
            row.entity
            for row in subjects.select_related("entity").order_by("entity__name")
        ],
        [row.tag for row in tags.select_related("tag").order_by("tag__name")],
    )


def current_assessment(
    claim: Claim, at: datetime | None = None
) -> ConfidenceAssessment | None:
    """The assessment in force now (or at `at`): see `in_force`."""
    return (
        claim.assessments.in_force(at or timezone.now())
        .select_related("assessed_by")
        .first()
    )


# The timeline's two date axes: when things happened (stated, observed, effective
# dates; the default, since that is the story) or when the team recorded them.
TIMELINE_DATES = ("happened", "recorded")


def claim_timeline(
    *, claim: Claim, state: ClaimAsOf, dates: str = "happened"
) -> list[TimelineEvent]:
    """Every dated event of a claim known in `state`, for the chart and the list,
    each at its date on the `dates` axis."""
    if dates not in TIMELINE_DATES:
        raise ValueError(f"dates must be one of {TIMELINE_DATES}")
    recorded = dates == "recorded"
    events = [
        *_confidence_events(state, recorded),
        *(_link_event(link, recorded) for link in state.links),
        *_link_ended_events(claim, state),
        *_quantity_events(claim, state),
        *_estimate_events(state, recorded),
        *_annotation_events(state, recorded),
        *_review_events(claim, state),
    ]
    if recorded:
        # On the recording axis every event has its real date: all set the span.
        events = [replace(event, recorded_only=False) for event in events]
    events.sort(key=lambda event: event.at)
    return events


# Events more than this long before a claim first appeared are background (a 2020
# study behind a 2023 claim): the default window leaves them pinned and listed.
BACKGROUND_BEFORE = timedelta(days=365)


def timeline_window(
    *, state: ClaimAsOf, events: list[TimelineEvent], dates: str
) -> datetime | None:
    """Where the chart's default window opens, or None for "at the first event".

    On the "happened" axis, when the claim's first appearance is known, the window
    opens at the earliest event less than BACKGROUND_BEFORE before it, so that old
    background does not squash the story; older events are pinned with a note,
    listed below the chart, and the page can widen the window to them."""
    first = state.first_appearance_at
    if dates != "happened" or first is None:
        return None
    horizon = first - BACKGROUND_BEFORE
    if all(event.at >= horizon for event in events):
        return None
    recent = [e.at for e in events if e.at >= horizon and not e.recorded_only]
    return min([*recent, first])


def _confidence_events(state: ClaimAsOf, recorded: bool) -> Iterator[TimelineEvent]:
    for assessment in state.assessments:
        band = BANDS[assessment.level]
        yield TimelineEvent(
            lane="confidence",
            at=assessment.recorded_at if recorded else assessment.effective_at,
            label=f"Confidence: {band.label}",
            detail=assessment.rationale,
            level=assessment.level,
        )


def _link_event(link: ClaimEvidence, recorded: bool) -> TimelineEvent:
    moment = link.linked_at if recorded else happened_at(link) or link.linked_at
    statement = getattr(link.item, "statement", None)
    if statement is None:
        return TimelineEvent(
            lane="evidence",
            at=moment,
            label=f"{link.item.get_kind_display()}: {link.item.title}",
            detail=link.get_relation_display(),
        )
    who = statement.speaker or statement.on_behalf_of or link.item.source
    verb = link.get_stance_display() if link.stance else "Statement"
    return TimelineEvent(
        lane="statement",
        at=moment,
        label=f"{who}: {verb.lower()}",
        detail=statement.quote[:200],
        marker=link.stance,
    )


def _link_ended_events(claim: Claim, state: ClaimAsOf) -> Iterator[TimelineEvent]:
    """A link changed (relation, stance or note) or unlinked by `state.when`, at the
    time it was done, with its reason: the chart shows when the team changed its
    reading of the evidence. From the prefetched rows (no query)."""
    for ended in ended_links(claim):
        link = ended.link
        if link.unlinked_at > state.when:
            continue
        lane = "statement" if hasattr(link.item, "statement") else "evidence"
        successor = ended.replaced_by
        if successor is None:
            label = f"Unlinked: {link.item.title}"
        else:
            before = _link_reading(link)
            after = _link_reading(successor)
            change = f"{before} → {after}" if before != after else "note changed"
            label = f"Link changed: {link.item.title} ({change})"
        yield TimelineEvent(
            lane=lane,
            at=link.unlinked_at,
            label=label,
            detail=link.unlink_reason,
            marker="unlinked" if successor is None else "changed",
            recorded_only=True,
        )


def _link_reading(link: ClaimEvidence) -> str:
    relation = link.get_relation_display()
    return f"{relation}, {link.get_stance_display()}" if link.stance else relation


def _quantity_events(claim: Claim, state: ClaimAsOf) -> Iterator[TimelineEvent]:
    """Each change of the claim's own figure, from its recorded versions."""
    previous = None
    versions = claim.history.filter(history_date__lte=state.when).order_by(
        "history_date", "history_id"
    )
    for version in versions.only(
        "history_date",
        "history_change_reason",
        "quantity_amount",
        "quantity_unit",
        "quantity_bound",
    ):
        quantity = (
            version.quantity_amount,
            version.quantity_unit,
            version.quantity_bound,
        )
        if quantity != previous and (previous is not None or quantity[0] is not None):
            shown = format_quantity(*quantity) or "no figure"
            yield TimelineEvent(
                lane="quantity",
                at=version.history_date,
                label=f"Quantity: {shown}",
                detail=version.history_change_reason or "",
                recorded_only=True,
            )
        previous = quantity


def _estimate_events(state: ClaimAsOf, recorded: bool) -> Iterator[TimelineEvent]:
    """Other sources' figures (the current one is the claim's own figure)."""
    for estimate in state.estimates:
        if not estimate.is_current:
            yield TimelineEvent(
                lane="quantity",
                at=estimate.recorded_at
                if recorded
                else estimate.stated_at or estimate.recorded_at,
                label="Estimate: "
                + format_quantity(estimate.amount, estimate.unit, estimate.bound),
                detail=estimate.source_label,
                marker="estimate",
            )


def _annotation_events(state: ClaimAsOf, recorded: bool) -> Iterator[TimelineEvent]:
    """Annotations on the linked images standing at `state.when`, each with the
    label, count and note it had then (its last revision by then; one query). On
    the "happened" axis a count speaks for the image's capture time."""
    # Only images are annotated: a claim without linked images reads nothing.
    items = {
        link.item_id: link.item
        for link in state.links
        if link.item.kind == EvidenceKind.IMAGE
    }
    if not items:
        return
    revisions = (
        ImageAnnotationRevision.objects.filter(
            annotation__item_id__in=items, at__lte=state.when
        )
        .select_related("annotation")
        .order_by("annotation_id", "-version")
    )
    standing: dict[int, ImageAnnotationRevision] = {}
    for revision in revisions:
        standing.setdefault(revision.annotation_id, revision)
    shown = sorted(
        (r for r in standing.values() if r.action != r.Action.ENDED),
        key=lambda r: (r.annotation.created_at, r.annotation_id),
    )
    for revision in shown:
        annotation = revision.annotation
        item = items[annotation.item_id]
        count = f": {revision.count}" if revision.count is not None else ""
        yield TimelineEvent(
            lane="evidence",
            at=annotation.created_at
            if recorded
            else item.observed_at or annotation.created_at,
            label=f"Annotation: {revision.label}{count} on {item.title}",
            detail=revision.note,
            marker="annotation",
        )


def _review_events(claim: Claim, state: ClaimAsOf) -> Iterator[TimelineEvent]:
    for review in claim_reviews(claim, until=state.when):
        yield TimelineEvent(
            lane="review",
            at=review.at,
            label=review.get_decision_display(),
            detail=f"{review.from_status} → {review.to_status}",
            recorded_only=True,
        )


# --- Review workflow ------------------------------------------------------------------


def _last_submitted_at() -> Subquery:
    return Subquery(
        Review.objects.filter(claim=OuterRef("pk"), to_status=ClaimStatus.IN_REVIEW)
        .order_by("-at", "-pk")
        .values("at")[:1]
    )


def _last_submission(column: str) -> Subquery:
    """A column of the latest review that sent the claim to review: the submission,
    or the edit that sent it back (its comment, who)."""
    return Subquery(
        Review.objects.filter(claim=OuterRef("pk"), to_status=ClaimStatus.IN_REVIEW)
        .order_by("-at", "-pk")
        .values(column)[:1]
    )


def changes_requested(claim: Claim) -> Review | None:
    """The editor's request for changes the draft is waiting on: the latest review
    decision, when it is one (None once the author resubmits)."""
    if claim.status != ClaimStatus.DRAFT:
        return None
    reviews = claim_reviews(claim)
    latest = reviews[-1] if reviews else None
    if latest is None or latest.decision != Decision.REQUEST_CHANGES:
        return None
    return latest


def _latest_approver_id() -> Subquery:
    return Subquery(
        Review.objects.filter(claim=OuterRef("pk"), decision=Decision.APPROVE)
        .order_by("-at", "-pk")
        .values("by")[:1]
    )


def review_queue(team: Team) -> QuerySet[Claim]:
    """Claims waiting for an editor, longest waiting first, with the queue's columns
    (author, evidence and denial counts, current confidence, approval readiness)."""
    return (
        Claim.objects.for_team(team)
        .in_review()
        .with_current_confidence()
        .with_denial_count()
        .with_evidence_count()
        .annotate(
            submitted_at=Coalesce(_last_submitted_at(), F("updated_at")),
            submission_comment=_last_submission("comment"),
            submitted_by=_last_submission("by__username"),
            has_supporting_evidence=Exists(
                ClaimEvidence.objects.supporting().filter(claim=OuterRef("pk"))
            ),
            has_assessment=Exists(
                ConfidenceAssessment.objects.filter(claim=OuterRef("pk"))
            ),
        )
        .select_related("team", "author", "last_edited_by")
        .order_by("submitted_at", "pk")
    )


def awaiting_publication(team: Team) -> QuerySet[Claim]:
    """Approved claims, embargoed ones by the time they publish themselves."""
    return (
        Claim.objects.for_team(team)
        .approved()
        .with_current_confidence()
        .select_related("team", "author", "last_edited_by")
        .order_by(F("publish_at").asc(nulls_last=True), "updated_at", "pk")
    )


def claims_in_workflow_by(*, team: Team, author: Any) -> QuerySet[Claim]:
    """A reporter's own unpublished claims with their review comments."""
    return (
        Claim.objects.for_team(team)
        .filter(author=author)
        .unpublished()
        .prefetch_related(
            Prefetch(
                "reviews",
                queryset=Review.objects.select_related("by").order_by("-at", "-pk"),
            )
        )
        .order_by("-updated_at", "-pk")
    )


def claim_for_review(*, team: Team, claim_id: int) -> Claim:
    try:
        return Claim.objects.for_team(team).get(pk=claim_id)
    except Claim.DoesNotExist as exc:
        raise Http404("No such claim in your team.") from exc


# Prefetched by claim_for_page: the timeline's review lane, the review history, the
# corrections log and the changes-requested banner read this one list.
REVIEWS = Prefetch(
    "reviews", queryset=Review.objects.select_related("by").order_by("at", "pk")
)


def claim_reviews(claim: Claim, *, until: datetime | None = None) -> list[Review]:
    """The claim's reviews, oldest first, with who made each; up to `until` for an
    as-of view. One query per claim object, none when claim_for_page read it."""
    prefetch_related_objects([claim], REVIEWS)
    return [r for r in claim.reviews.all() if until is None or r.at <= until]


def corrections_for(claim: Claim, until: datetime | None = None) -> list[Review]:
    """The claim's published corrections, oldest first (each review's comment is
    the public note), up to `until` for an as-of page."""
    reviews = claim_reviews(claim, until=until)
    return [r for r in reviews if r.decision == Decision.CORRECT]


def audit_trail_for(claim: Claim) -> QuerySet[AuditEvent]:
    """The claim's audit events, including those recorded on its evidence links and
    assessments, in chain order."""
    object_id = str(claim.pk)
    link_ids = [str(pk) for pk in claim.evidence_links.values_list("pk", flat=True)]
    assessment_ids = [str(pk) for pk in claim.assessments.values_list("pk", flat=True)]
    return AuditEvent.objects.filter(
        Q(object_type="provenance.claim", object_id=object_id)
        | Q(object_type="provenance.claimevidence", object_id__in=link_ids)
        | Q(
            object_type="provenance.confidenceassessment", object_id__in=assessment_ids
        ),
        team_id=claim.team_id,
    ).order_by("seq")


def _approved_version() -> Subquery:
    # The approve decision saves a history row; later links and assessments bump
    # the version without one, and an edit sends the claim back to review.
    return Subquery(
        Claim.history.filter(id=OuterRef("pk"), status=ClaimStatus.APPROVED)
        .order_by("-history_date", "-history_id")
        .values("version")[:1]
    )


def embargoes_due(now: datetime) -> list[tuple[int, Any, int | None]]:
    """(claim id, approving editor, version approved) for approved claims whose
    embargo has ended."""
    due = list(
        Claim.objects.embargo_ended(now)
        .annotate(approver_id=_latest_approver_id(), approved=_approved_version())
        .order_by("publish_at", "pk")
        .values_list("pk", "approver_id", "approved")
    )
    users = get_user_model().objects.in_bulk({uid for _, uid, _ in due if uid})
    return [(claim_id, users.get(uid), version) for claim_id, uid, version in due]


# --- The ownership graph, seen from claims -------------------------------------------


def claims_citing(
    *, team: Team, relationship_ids: Iterable[int]
) -> dict[int, list[Claim]]:
    """relationship id -> the team's claims citing it now (one query)."""
    ids = list(relationship_ids)
    if not ids:
        return {}
    found: dict[int, list[Claim]] = {}
    citations = (
        ClaimRelationship.objects.current()
        .filter(relationship_id__in=ids, claim__team=team)
        .select_related("claim")
        .order_by("claim__text", "pk")
    )
    for citation in citations:
        found.setdefault(citation.relationship_id, []).append(citation.claim)
    return found


def claim_counts_about(*, team: Team, entity_ids: Iterable[int]) -> dict[int, int]:
    """entity id -> how many of the team's claims name it as a subject."""
    ids = list(entity_ids)
    if not ids:
        return {}
    return dict(
        Claim.subjects.through.objects.filter(entity_id__in=ids, claim__team=team)
        .values("entity_id")
        .annotate(n=Count("claim_id"))
        .values_list("entity_id", "n")
        .order_by()
    )


def relationship_citations_for(
    claim: Claim, *, when: datetime | None = None
) -> list[ClaimRelationship]:
    """The claim's citations of the graph in force now (or at `when`), each with
    its edge and both ends: one query, none for a claim read by claim_for_page
    that has never cited an edge."""
    if not getattr(claim, "has_relationship_citations", True):
        return []
    citations = ClaimRelationship.objects.filter(claim=claim)
    if when is None:
        citations = citations.current()
    else:
        citations = citations.filter(linked_at__lte=when).filter(
            Q(unlinked_at__isnull=True) | Q(unlinked_at__gt=when)
        )
    return list(
        citations.select_related(
            "relationship__source", "relationship__target", "linked_by"
        ).order_by("linked_at", "pk")
    )


def external_verdicts(claim: Claim) -> list[ExternalVerdict]:
    """Other fact-checkers' ratings of the claim, latest review first: one query,
    none for a claim read by claim_for_page that has none."""
    if not getattr(claim, "has_external_verdicts", True):
        return []
    return list(
        ExternalVerdict.objects.filter(claim=claim).order_by(
            F("reviewed_at").desc(nulls_last=True), "pk"
        )
    )


def same_claims(claim: Claim) -> list[Claim]:
    """The team's claims linked to this one as "same claim as": one query, none
    for a claim read by claim_for_page that has none."""
    if not getattr(claim, "has_same_claims", True):
        return []
    links = SameClaimLink.objects.all()
    return list(
        Claim.objects.filter(team_id=claim.team_id)
        .filter(
            Q(pk__in=links.filter(same_as=claim).values("claim_id"))
            | Q(pk__in=links.filter(claim=claim).values("same_as_id"))
        )
        .order_by("pk")
    )


def counted_annotations(
    *, claim: Claim, links: Iterable[ClaimEvidence] | None = None
) -> list[ImageAnnotation]:
    """Live annotations with a count on images linked to the claim (not unlinked):
    the counts that can be proposed as its quantity estimate. Given the claim's
    live links (read already), no query when none of them is an image."""
    if links is not None and not any(
        link.item.kind == EvidenceKind.IMAGE for link in links
    ):
        return []
    return list(
        ImageAnnotation.objects.live()
        .filter(
            count__isnull=False,
            item__claim_links__claim=claim,
            item__claim_links__unlinked_at__isnull=True,
        )
        .select_related("item", "created_by")
        .order_by("item__observed_at", "created_at", "pk")
        .distinct()
    )
