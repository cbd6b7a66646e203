"""Every state change of the claims domain. Each service is one transaction that checks
permission, saves named fields, and writes history and the audit trail."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from evidence.models import EvidenceItem, EvidenceKind
from provenance.audit.chain import audit_record
from provenance.claims import tasks
from provenance.claims.models import (
    Claim,
    ClaimEvidence,
    ClaimStatus,
    ConfidenceAssessment,
    Decision,
    QuantityEstimate,
    Review,
    Tag,
)
from provenance.claims.rules import (
    PUBLISHED_CONTENT_LOCKED,
    WORKFLOW,
    EditConflict,
    InvalidTransition,
    Transition,
    Value,
    ensure_content_editable,
    ensure_decision_valid,
    ensure_may_take,
    transition_for,
)
from provenance.claims.signals import claim_event
from provenance.common.writes import (
    audit_value,
    check_dates,
    insert_with_unique_slug,
    unique_slug,
)
from provenance.entities.models import (
    Entity,
)
from provenance.teams.models import Team
from provenance.teams.rules import ensure_member

logger = logging.getLogger(__name__)

CLAIM_FIELDS = (
    "text",
    "summary",
    "quantity_amount",
    "quantity_unit",
    "quantity_bound",
    "first_appearance_source",
    "first_appearance_entity",
    "first_appearance_url",
    "first_appearance_at",
)


def tags_from_names(*, team: Team, names: Iterable[str]) -> list[Tag]:
    tags = []
    for name in names:
        name = name.strip()
        if not name:
            continue
        slug = slugify(name)[:60] or "tag"
        tag, _ = Tag.objects.get_or_create(
            team=team, slug=slug, defaults={"name": name}
        )
        tags.append(tag)
    return tags


def _check_same_team(team: Team, entities: Iterable[Entity]) -> None:
    for entity in entities:
        if entity.team_id != team.pk:
            raise ValueError("Subjects must belong to the claim's team.")


def _bump_version(claim: Claim, at: datetime) -> None:
    """A new link, assessment or estimate is a new version of what reviewers see:
    a decision taken on the version before it is refused (claim_transition)."""
    Claim.objects.filter(pk=claim.pk).update(
        updated_at=max(at, claim.updated_at), version=F("version") + 1
    )


@dataclass(frozen=True)
class ContentChange:
    """New content for a (locked) claim: the claim fields given, which of them
    differ, and the subjects and tags when given and different."""

    fields: Mapping[str, Any]
    changed: list[str]
    subjects: Sequence[Entity] | None
    tag_names: Sequence[str] | None
    subjects_changed: bool
    tags_changed: bool

    @property
    def any(self) -> bool:
        return bool(self.changed) or self.subjects_changed or self.tags_changed


def _check_fields(fields: Mapping[str, Any]) -> None:
    unknown = set(fields) - set(CLAIM_FIELDS)
    if unknown:
        raise TypeError(f"Unknown claim fields: {sorted(unknown)}")


def _apply_content(
    claim: Claim,
    *,
    fields: Mapping[str, Any],
    subjects: Sequence[Entity] | None,
    tag_names: Sequence[str] | None,
) -> ContentChange:
    """Set the changed content fields on the (locked) claim; m2m are compared only."""
    _check_fields(fields)
    if subjects is not None:
        _check_same_team(claim.team, subjects)
    check_dates(first_appearance_at=fields.get("first_appearance_at"))
    changed = [name for name, value in fields.items() if getattr(claim, name) != value]
    for name in changed:
        setattr(claim, name, fields[name])
    old_subjects = set(claim.subjects.values_list("pk", flat=True))
    old_tags = set(claim.tags.values_list("name", flat=True))
    return ContentChange(
        fields=fields,
        changed=changed,
        subjects=subjects,
        tag_names=tag_names,
        subjects_changed=subjects is not None
        and {s.pk for s in subjects} != old_subjects,
        tags_changed=tag_names is not None
        and {n.strip() for n in tag_names if n.strip()} != old_tags,
    )


def _write_content(claim: Claim, content: ContentChange) -> dict[str, Any]:
    """Write the m2m changes (after the claim's save) and describe them for audit."""
    if content.subjects_changed:
        claim.subjects.set(content.subjects)
    if content.tags_changed:
        claim.tags.set(tags_from_names(team=claim.team, names=content.tag_names))
    payload: dict[str, Any] = {
        k: audit_value(content.fields[k]) for k in content.changed
    }
    if content.subjects_changed:
        payload["subjects"] = [s.pk for s in content.subjects]
    if content.tags_changed:
        payload["tags"] = sorted(content.tag_names)
    return payload


# --- Claims ---------------------------------------------------------------------------


@transaction.atomic
def claim_create(
    *,
    team: Team,
    actor: Any,
    text: str,
    subjects: Sequence[Entity] = (),
    tag_names: Sequence[str] = (),
    at: datetime | None = None,
    **fields: Any,
) -> Claim:
    """Create a draft claim authored by the actor. `at` back-dates the record (demo)."""
    ensure_member(user=actor, team=team)
    _check_fields(fields)
    _check_same_team(team, subjects)
    at = at or timezone.now()
    claim = Claim(
        team=team,
        text=text.strip(),
        slug=unique_slug(Claim, team=team, text=text, max_length=120),
        author=actor,
        last_edited_by=actor,
        created_at=at,
        updated_at=at,
        **fields,
    )
    # The slug's uniqueness is settled by the insert itself (it may be taken by now).
    claim.full_clean(exclude=["slug"])
    claim._history_user = actor
    claim._history_date = at
    insert_with_unique_slug(claim, text=text, max_length=120)
    claim.subjects.set(subjects)
    claim.tags.set(tags_from_names(team=team, names=tag_names))
    audit_record(
        team=team,
        actor=actor,
        action="claim.create",
        obj=claim,
        payload={
            "text": claim.text,
            **{k: audit_value(v) for k, v in fields.items()},
            "subjects": [s.pk for s in subjects],
        },
        at=at,
    )
    return claim


@transaction.atomic
def claim_update(
    *,
    claim_id: int,
    actor: Any,
    expected_version: int,
    reason: str = "",
    subjects: Sequence[Entity] | None = None,
    tag_names: Sequence[str] | None = None,
    at: datetime | None = None,
    **fields: Any,
) -> Claim:
    """Edit a claim's named fields.

    Compare-and-swap on `version` (UPDATE ... WHERE version = v): a stale form raises
    EditConflict instead of overwriting. Editing an approved claim sends it back to
    review (the `edit` row of `rules.WORKFLOW`). A published claim is refused
    (InvalidTransition): its public content changes only through a correction
    (`claim_correct`), a reviewed decision.
    """
    _check_fields(fields)
    claim = Claim.objects.select_related("team").get(pk=claim_id)
    ensure_member(user=actor, team=claim.team)
    swapped = Claim.objects.filter(pk=claim_id, version=expected_version).update(
        version=F("version") + 1
    )
    if not swapped:
        raise EditConflict(
            "This claim was changed by someone else since you opened it. Reload it to "
            "see their changes, then make yours again."
        )
    claim.refresh_from_db()
    ensure_content_editable(claim)
    at = at or timezone.now()
    content = _apply_content(
        claim, fields=fields, subjects=subjects, tag_names=tag_names
    )
    update_fields = [*content.changed, "version", "updated_at", "last_edited_by"]
    status_before = claim.status
    edit = WORKFLOW[Decision.EDIT]
    if claim.status in edit.sources and content.any:
        ensure_may_take(transition=edit, user=actor, claim=claim)
        _, entered = _enter(edit, claim, actor=actor, comment=reason, at=at)
        update_fields += entered
    claim.last_edited_by = actor
    claim.updated_at = at
    _save(claim, actor=actor, at=at, reason=reason, update_fields=update_fields)
    payload = _write_content(claim, content)
    if reason:
        payload["reason"] = reason
    if claim.status != status_before:
        payload["status"] = [status_before, claim.status]
    audit_record(
        team=claim.team, actor=actor, action="claim.update", obj=claim, payload=payload
    )
    return claim


def _save(
    claim: Claim, *, actor: Any, at: datetime, reason: str, update_fields: list[str]
) -> None:
    """Validate and save the named fields, with the history record's who, when and
    why."""
    claim.full_clean()
    claim._history_user = actor
    claim._history_date = at
    claim._change_reason = reason[:100]
    claim.save(update_fields=update_fields)


# --- Confidence and quantities ------------------------------------------------------


@transaction.atomic
def confidence_assess(
    *,
    claim_id: int,
    actor: Any,
    level: str,
    rationale: str,
    evidence_ids: Sequence[int] = (),
    effective_at: datetime | None = None,
    supersedes_id: int | None = None,
    at: datetime | None = None,
) -> ConfidenceAssessment:
    """Append a confidence assessment. Assessments are never edited or deleted: a
    mistaken one is superseded by a new one that names it. Locks the claim; cited
    evidence must already be linked to the claim; audited."""
    claim = Claim.objects.select_for_update().select_related("team").get(pk=claim_id)
    ensure_member(user=actor, team=claim.team)
    if claim.status == ClaimStatus.RETRACTED:
        raise ValueError("A retracted claim is no longer assessed.")
    if not rationale.strip():
        raise ValidationError({"rationale": "Say why: a rationale is required."})
    check_dates(effective_at=effective_at)
    linked = _cited_evidence(claim, evidence_ids)
    supersedes = _superseded(claim, supersedes_id)
    at = at or timezone.now()
    assessment = ConfidenceAssessment(
        claim=claim,
        level=level,
        rationale=rationale.strip(),
        supersedes=supersedes,
        assessed_by=actor,
        recorded_at=at,
        effective_at=effective_at or at,
    )
    assessment.full_clean()
    assessment.save()
    assessment.evidence.set(sorted(linked))
    _bump_version(claim, at)
    audit_record(
        team=claim.team,
        actor=actor,
        action="claim.assess",
        obj=claim,
        payload={
            "assessment": assessment.pk,
            "level": level,
            "rationale": assessment.rationale,
            "evidence": sorted(linked),
            "effective_at": assessment.effective_at.isoformat(),
            "supersedes": supersedes_id,
        },
        at=at,
    )
    return assessment


def _cited_evidence(claim: Claim, evidence_ids: Sequence[int]) -> set[int]:
    """The cited items, each of which must be linked to the claim already."""
    linked = set(
        claim.evidence_links.filter(item_id__in=evidence_ids).values_list(
            "item_id", flat=True
        )
    )
    unlinked = sorted(set(evidence_ids) - linked)
    if unlinked:
        raise ValidationError(
            {"evidence": f"Evidence {unlinked} is not linked to this claim."}
        )
    return linked


def _superseded(claim: Claim, supersedes_id: int | None) -> ConfidenceAssessment | None:
    if supersedes_id is None:
        return None
    supersedes = claim.assessments.filter(pk=supersedes_id).first()
    if supersedes is None:
        raise ValidationError(
            {"supersedes": "Only an assessment of this claim can be superseded."}
        )
    return supersedes


@transaction.atomic
def quantity_estimate_add(
    *,
    claim_id: int,
    actor: Any,
    amount: Decimal,
    unit: str,
    bound: str,
    source_label: str,
    source_entity: Entity | None = None,
    source_url: str = "",
    stated_at: datetime | None = None,
    note: str = "",
    make_current: bool = False,
    at: datetime | None = None,
) -> QuantityEstimate:
    """Record one source's figure for the claim's quantity. With make_current, the
    claim's quantity is revised to it (the old value stays in the claim's history and
    in earlier estimates). Locks the claim; audited."""
    claim = Claim.objects.select_for_update().select_related("team").get(pk=claim_id)
    ensure_member(user=actor, team=claim.team)
    if make_current and claim.status == ClaimStatus.PUBLISHED:
        # The estimate may be recorded; revising the public figure is a correction.
        raise InvalidTransition(PUBLISHED_CONTENT_LOCKED)
    if source_entity is not None:
        _check_same_team(claim.team, [source_entity])
    check_dates(stated_at=stated_at)
    at = at or timezone.now()
    estimate = QuantityEstimate(
        claim=claim,
        amount=amount,
        unit=unit.strip(),
        bound=bound,
        source_label=source_label.strip(),
        source_entity=source_entity,
        source_url=source_url,
        stated_at=stated_at,
        note=note,
        is_current=make_current,
        recorded_by=actor,
        recorded_at=at,
    )
    estimate.full_clean()
    if make_current:
        claim.quantity_estimates.filter(is_current=True).update(is_current=False)
    estimate.save()
    if make_current:
        _make_current(claim, estimate, actor=actor, at=at, source_label=source_label)
    else:
        _bump_version(claim, at)
    audit_record(
        team=claim.team,
        actor=actor,
        action="claim.quantity_estimate",
        obj=claim,
        payload={
            "estimate": estimate.pk,
            "amount": audit_value(amount),
            "unit": estimate.unit,
            "bound": bound,
            "source": estimate.source_label,
            "is_current": make_current,
        },
        at=at,
    )
    return estimate


def _make_current(
    claim: Claim,
    estimate: QuantityEstimate,
    *,
    actor: Any,
    at: datetime,
    source_label: str,
) -> None:
    """Revise the claim's quantity to the estimate: an edit like any other (back to
    review when approved), on the version just locked."""
    claim_update(
        claim_id=claim.pk,
        actor=actor,
        expected_version=claim.version,
        reason=f"Quantity revised from {source_label}",
        at=at,
        quantity_amount=estimate.amount,
        quantity_unit=estimate.unit,
        quantity_bound=estimate.bound,
    )


# --- Evidence links -------------------------------------------------------------------


@transaction.atomic
def evidence_attach(
    *,
    claim_id: int,
    item_id: int,
    actor: Any,
    relation: str,
    stance: str = "",
    note: str = "",
    at: datetime | None = None,
) -> ClaimEvidence:
    """Link an evidence item of the claim's team to the claim, with a relation and,
    for statements, a stance. Locks the claim; bumps its updated_at; audited."""
    claim = Claim.objects.select_for_update().select_related("team").get(pk=claim_id)
    ensure_member(user=actor, team=claim.team)
    item = EvidenceItem.objects.get(pk=item_id)
    if item.team_id != claim.team_id:
        raise PermissionDenied("Evidence and claim belong to different teams.")
    if claim.status == ClaimStatus.RETRACTED:
        raise ValueError("A retracted claim takes no new evidence.")
    if stance and item.kind != EvidenceKind.STATEMENT:
        raise ValidationError({"stance": "Only statements take a stance."})
    if ClaimEvidence.objects.filter(claim=claim, item=item).exists():
        raise ValidationError({"item": "This evidence is already linked to the claim."})
    at = at or timezone.now()
    link = ClaimEvidence(
        claim=claim,
        item=item,
        relation=relation,
        stance=stance,
        note=note,
        linked_by=actor,
        linked_at=at,
    )
    link.full_clean()
    link.save()
    _bump_version(claim, at)
    audit_record(
        team=claim.team,
        actor=actor,
        action="claim.evidence_attach",
        obj=claim,
        payload={
            "item": item.pk,
            "relation": relation,
            "stance": stance,
            "note": note,
        },
        at=at,
    )
    return link


# --- Review workflow ------------------------------------------------------------------


@transaction.atomic
def claim_transition(
    *,
    claim_id: int,
    decision: str,
    actor: Any,
    expected_version: int | None = None,
    comment: str = "",
    publish_at: datetime | None = None,
    changes: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> Claim:
    """Move a claim one step along the review workflow: the decision's row of
    `rules.WORKFLOW` says every rule, this drives it.

    Locks the claim row, then refuses with EditConflict (the claim is no longer at
    `expected_version`, the version the decision was made on), InvalidTransition
    (state, missing evidence or assessment, embargo), PermissionDenied (role, four
    eyes) or ValidationError (missing comment, embargo in the past). Writes one
    Review row, a history record and an audit event, bumps `version` (a form opened
    before the decision then gets EditConflict), writes the publishers' outbox event
    (the row's `outbox_event`) in the same transaction, and notifies people only on
    commit.

    `expected_version` is required from people (web, API, admin); None skips the
    check for the system's own decisions (the embargo task publishes the approved
    version: any edit since sent the claim back to review).

    `changes` (correct only) is the new public content: claim fields by name, plus
    `subjects` and `tag_names`; a published claim changes only this way. Publish
    and correct set `public_content_at`: publishers see the assessments, links and
    estimates recorded by then.

    `publish_at` (approve only) is the embargo: the claim stays approved until
    `tasks.publish_due_claims` publishes it. The embargo is checked against the real
    clock, never against `at`, which only back-dates the record.
    """
    claim = Claim.objects.select_for_update().get(pk=claim_id)
    if expected_version is not None and claim.version != expected_version:
        raise EditConflict(
            f"This claim changed since you opened it (you saw version "
            f"{expected_version}, it is now version {claim.version}). Reload it and "
            "decide on what it says now."
        )
    transition = transition_for(claim=claim, decision=decision)
    ensure_may_take(transition=transition, user=actor, claim=claim)
    comment = comment.strip()
    changes = dict(changes or {})
    now = timezone.now()
    ensure_decision_valid(
        transition=transition,
        claim=claim,
        comment=comment,
        publish_at=publish_at,
        changes=changes,
        now=now,
    )
    at = at or now
    content = (
        _correction(claim, changes, actor=actor) if transition.changes_content else None
    )
    from_status = claim.status
    review, update_fields = _enter(
        transition, claim, actor=actor, comment=comment, at=at, publish_at=publish_at
    )
    if content is not None and content.any:
        update_fields += [*content.changed, "last_edited_by"]
    claim.version += 1
    claim.updated_at = max(at, claim.updated_at)
    _save(
        claim,
        actor=actor,
        at=at,
        reason=f"{Decision(decision).label}: {comment}",
        update_fields=[*update_fields, "version", "updated_at"],
    )
    payload: dict[str, Any] = {
        "review": review.pk,
        "decision": decision,
        "status": [from_status, transition.target],
        "comment": comment,
        "version": claim.version,
    }
    if content is not None and (changed := _write_content(claim, content)):
        payload["changes"] = changed
    for field, source in transition.sets:
        if source == Value.EMBARGO and getattr(claim, field) is not None:
            payload[field] = audit_value(getattr(claim, field))
    audit_record(
        team=claim.team,
        actor=actor,
        action=f"claim.{decision}",
        obj=claim,
        payload=payload,
        at=at,
    )
    if transition.outbox_event:
        claim_event.send(sender=Claim, claim=claim, event_type=transition.outbox_event)
    transaction.on_commit(partial(_notify_review, review.pk))
    return claim


def _correction(claim: Claim, changes: dict[str, Any], *, actor: Any) -> ContentChange:
    """Set a correction's new content on the claim; whoever changes it is its last
    editor."""
    subjects = changes.pop("subjects", None)
    tag_names = changes.pop("tag_names", None)
    content = _apply_content(
        claim, fields=changes, subjects=subjects, tag_names=tag_names
    )
    if content.any:
        claim.last_edited_by = actor
    return content


def _enter(
    transition: Transition,
    claim: Claim,
    *,
    actor: Any,
    comment: str,
    at: datetime,
    publish_at: datetime | None = None,
) -> tuple[Review, list[str]]:
    """Take the transition on the locked claim: set the fields its row sets and its
    target status, and write the Review row. The only place a claim's status is
    assigned. Returns the Review and the fields to save; the caller saves."""
    values = {
        Value.AT: at,
        Value.COMMENT: comment,
        Value.EMBARGO: publish_at,
        Value.CLEARED: None,
    }
    for field, source in transition.sets:
        setattr(claim, field, values[source])
    review = Review.objects.create(
        claim=claim,
        decision=transition.decision,
        from_status=claim.status,
        to_status=transition.target,
        comment=comment or transition.default_comment,
        by=actor,
        at=at,
    )
    claim.status = transition.target
    return review, ["status", *(field for field, _ in transition.sets)]


def _notify_review(review_id: int) -> None:
    # Runs after commit: a broker outage must not turn a recorded decision into an
    # error (the publish's webhooks have the outbox; this e-mail is best effort).
    try:
        tasks.notify_review_decision.delay(review_id)
    except Exception:
        logger.warning(
            "Broker unavailable; review %s notification not sent",
            review_id,
            exc_info=True,
        )


def claim_submit(
    *,
    claim_id: int,
    actor: Any,
    expected_version: int | None = None,
    comment: str = "",
    at: datetime | None = None,
) -> Claim:
    return claim_transition(
        claim_id=claim_id,
        decision=Decision.SUBMIT,
        actor=actor,
        expected_version=expected_version,
        comment=comment,
        at=at,
    )


def claim_approve(
    *,
    claim_id: int,
    actor: Any,
    expected_version: int | None = None,
    comment: str = "",
    publish_at: datetime | None = None,
    at: datetime | None = None,
) -> Claim:
    """Approve; with `publish_at`, approve under embargo (publishes itself then)."""
    return claim_transition(
        claim_id=claim_id,
        decision=Decision.APPROVE,
        actor=actor,
        expected_version=expected_version,
        comment=comment,
        publish_at=publish_at,
        at=at,
    )


def claim_request_changes(
    *,
    claim_id: int,
    actor: Any,
    comment: str,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Claim:
    return claim_transition(
        claim_id=claim_id,
        decision=Decision.REQUEST_CHANGES,
        actor=actor,
        expected_version=expected_version,
        comment=comment,
        at=at,
    )


def claim_publish(
    *,
    claim_id: int,
    actor: Any,
    expected_version: int | None = None,
    comment: str = "",
    at: datetime | None = None,
) -> Claim:
    return claim_transition(
        claim_id=claim_id,
        decision=Decision.PUBLISH,
        actor=actor,
        expected_version=expected_version,
        comment=comment,
        at=at,
    )


def claim_correct(
    *,
    claim_id: int,
    actor: Any,
    correction_note: str,
    expected_version: int | None = None,
    changes: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> Claim:
    """Correct a published claim in public: the new content (`changes`: claim fields,
    `subjects`, `tag_names`) with its correction note, by an editor other than the
    author or last editor. The claim stays published; its history keeps the old
    content; publishers get the `claim.corrected` webhook."""
    return claim_transition(
        claim_id=claim_id,
        decision=Decision.CORRECT,
        actor=actor,
        expected_version=expected_version,
        comment=correction_note,
        changes=changes,
        at=at,
    )


def claim_retract(
    *,
    claim_id: int,
    actor: Any,
    reason: str,
    expected_version: int | None = None,
    at: datetime | None = None,
) -> Claim:
    """Retract a published claim: it stays visible, marked retracted, with a reason."""
    return claim_transition(
        claim_id=claim_id,
        decision=Decision.RETRACT,
        actor=actor,
        expected_version=expected_version,
        comment=reason,
        at=at,
    )
