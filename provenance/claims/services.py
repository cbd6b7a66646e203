"""Every state change of the claims domain (the review decisions are in `decisions`,
reached from here too). Each service is one transaction that checks
permission, saves named fields, and writes history and the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from evidence.models import (
    EvidenceItem,
    EvidenceKind,
    ImageAnnotation,
    ImageAnnotationRevision,
)
from provenance.audit.chain import audit_record
from provenance.claims import notices
from provenance.claims.content import (
    apply_content,
    check_fields,
    check_same_team,
    save_claim,
    tags_from_names,
    write_content,
)

# The review decisions live in `decisions`; every claim write is reached from here.
from provenance.claims.decisions import (  # noqa: F401
    claim_approve,
    claim_correct,
    claim_publish,
    claim_request_changes,
    claim_retract,
    claim_submit,
    claim_transition,
    enter_transition,
)
from provenance.claims.models import (
    Claim,
    ClaimEvidence,
    ClaimStatus,
    ConfidenceAssessment,
    Decision,
    QuantityEstimate,
    Stance,
    is_contradictory,
)
from provenance.claims.rules import (
    PUBLISHED_CONTENT_LOCKED,
    WORKFLOW,
    EditConflict,
    InvalidTransition,
    ensure_content_editable,
    ensure_may_take,
)
from provenance.common.writes import (
    audit_value,
    check_dates,
    end_link,
    insert_with_unique_slug,
    link_version,
    replace_link,
    required_reason,
    unique_slug,
)
from provenance.entities.models import Entity
from provenance.teams.models import Team, user_label
from provenance.teams.rules import ensure_member


def _bump_version(claim: Claim, at: datetime) -> None:
    """A new link, assessment or estimate is a new version of what reviewers see:
    a decision taken on the version before it is refused (claim_transition)."""
    Claim.objects.filter(pk=claim.pk).update(
        updated_at=max(at, claim.updated_at), version=F("version") + 1
    )


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
    check_fields(fields)
    check_same_team(team, subjects)
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
    check_fields(fields)
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
    content = apply_content(
        claim, fields=fields, subjects=subjects, tag_names=tag_names
    )
    update_fields = [*content.changed, "version", "updated_at", "last_edited_by"]
    status_before = claim.status
    edit = WORKFLOW[Decision.EDIT]
    if claim.status in edit.sources and content.any:
        ensure_may_take(transition=edit, user=actor, claim=claim)
        _, entered = enter_transition(edit, claim, actor=actor, comment=reason, at=at)
        update_fields += entered
    claim.last_edited_by = actor
    claim.updated_at = at
    save_claim(claim, actor=actor, at=at, reason=reason, update_fields=update_fields)
    payload = write_content(claim, content)
    if reason:
        payload["reason"] = reason
    if claim.status != status_before:
        payload["status"] = [status_before, claim.status]
    audit_record(
        team=claim.team, actor=actor, action="claim.update", obj=claim, payload=payload
    )
    return claim


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
    claim = (
        Claim.objects.select_for_update(of=("self",))
        .select_related("team")
        .get(pk=claim_id)
    )
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
        claim.evidence_links.current()
        .filter(item_id__in=evidence_ids)
        .values_list("item_id", flat=True)
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
    annotation: ImageAnnotation | None = None,
    annotation_revision: ImageAnnotationRevision | None = None,
) -> QuantityEstimate:
    """Record one source's figure for the claim's quantity. With make_current, the
    claim's quantity is revised to it (the old value stays in the claim's history and
    in earlier estimates). Locks the claim; audited."""
    claim = (
        Claim.objects.select_for_update(of=("self",))
        .select_related("team")
        .get(pk=claim_id)
    )
    ensure_member(user=actor, team=claim.team)
    if make_current and claim.status == ClaimStatus.PUBLISHED:
        # The estimate may be recorded; revising the public figure is a correction.
        raise InvalidTransition(PUBLISHED_CONTENT_LOCKED)
    if source_entity is not None:
        check_same_team(claim.team, [source_entity])
    if annotation is not None and annotation.item.team_id != claim.team_id:
        raise ValidationError({"annotation": "The annotation is not in your team."})
    if annotation_revision is not None and (
        annotation is None or annotation_revision.annotation_id != annotation.pk
    ):
        raise ValidationError({"annotation": "That revision is of another annotation."})
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
        annotation=annotation,
        annotation_revision=annotation_revision,
        stated_at=stated_at,
        note=note,
        is_current=make_current,
        recorded_by=actor,
        recorded_at=at,
    )
    estimate.full_clean()
    _save_estimate(claim, estimate, actor=actor, at=at, source_label=source_label)
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
            "annotation": annotation.pk if annotation else None,
            "annotation_version": (
                annotation_revision.version if annotation_revision else None
            ),
        },
        at=at,
    )
    return estimate


@transaction.atomic
def quantity_estimate_from_annotation(
    *,
    claim_id: int,
    annotation_id: int,
    actor: Any,
    unit: str = "",
    bound: str = "exact",
    note: str = "",
    make_current: bool = False,
) -> QuantityEstimate:
    """Propose an annotation's count as an estimate of the claim's quantity: the
    figure cites the annotation (and so the pixels and the original's SHA-256).
    The annotation must be live, carry a count, and be on an image of the claim's
    team; the unit defaults to its label; it is stated at the image's observed
    time. Same locks and audit as quantity_estimate_add."""
    annotation = (
        ImageAnnotation.objects.select_for_update(of=("self",))
        .select_related("item__team", "created_by")
        .live()
        .filter(pk=annotation_id)
        .first()
    )
    if annotation is None:
        raise ValidationError({"annotation": "No such annotation on the image."})
    ensure_member(user=actor, team=annotation.item.team)
    if annotation.count is None:
        raise ValidationError({"annotation": "This annotation has no count."})
    # The revision holding the count as it is now (locked above, so current).
    revision = annotation.revisions.get(version=annotation.version)
    return quantity_estimate_add(
        claim_id=claim_id,
        actor=actor,
        amount=Decimal(annotation.count),
        unit=unit or annotation.label,
        bound=bound,
        source_label=(
            f"counted on {annotation.item.title} "
            f"(annotation by {user_label(annotation.created_by)})"
        )[:300],
        # A count speaks for the moment the image shows, not for when it was made.
        stated_at=annotation.item.observed_at or annotation.updated_at,
        note=note,
        make_current=make_current,
        annotation=annotation,
        annotation_revision=revision,
    )


def _save_estimate(
    claim: Claim,
    estimate: QuantityEstimate,
    *,
    actor: Any,
    at: datetime,
    source_label: str,
) -> None:
    """Save the estimate. The current one revises the claim's quantity: an edit like
    any other (back to review when approved), on the version just locked; any other
    is a new version of what reviewers see."""
    if not estimate.is_current:
        estimate.save()
        _bump_version(claim, at)
        return
    claim.quantity_estimates.filter(is_current=True).update(is_current=False)
    estimate.save()
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
    confirm_contradiction: bool = False,
    reason: str = "",
    at: datetime | None = None,
) -> ClaimEvidence:
    """Link an evidence item of the claim's team to the claim, with a relation and,
    for statements, a stance. A contradictory pair (a denial that supports, an
    assertion that contradicts) needs `confirm_contradiction` and a reason. Locks
    the claim; bumps its updated_at; audited."""
    claim = (
        Claim.objects.select_for_update(of=("self",))
        .select_related("team")
        .get(pk=claim_id)
    )
    ensure_member(user=actor, team=claim.team)
    # Another team's item is answered as a missing one: its existence is not said.
    item = EvidenceItem.objects.filter(pk=item_id, team_id=claim.team_id).first()
    if item is None:
        raise ValidationError({"item": "No evidence item with this id in the team."})
    if claim.status == ClaimStatus.RETRACTED:
        raise ValueError("A retracted claim takes no new evidence.")
    if stance and item.kind != EvidenceKind.STATEMENT:
        raise ValidationError({"stance": "Only statements take a stance."})
    if ClaimEvidence.objects.current().filter(claim=claim, item=item).exists():
        raise ValidationError({"item": "This evidence is already linked to the claim."})
    reason = _contradiction_confirmed(
        relation=relation,
        stance=stance,
        confirm_contradiction=confirm_contradiction,
        reason=reason,
    )
    at = at or timezone.now()
    link = ClaimEvidence(
        claim=claim,
        item=item,
        relation=relation,
        stance=stance,
        note=note,
        reason=reason,
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
            **({"reason": reason} if reason else {}),
        },
        at=at,
    )
    notices.evidence_linked(link=link, actor=actor)
    return link


CONTRADICTION_REFUSED = (
    "This stance says the opposite of the relation (a denial that supports, or an "
    "assertion that contradicts). Pick the matching relation, or confirm the "
    "combination and say why."
)


def _contradiction_confirmed(
    *, relation: str, stance: str, confirm_contradiction: bool, reason: str
) -> str:
    """The reason kept with a contradictory pair; ValidationError when it is not
    confirmed with one. Other pairs keep the reason given."""
    reason = reason.strip()
    if not is_contradictory(relation, stance):
        return reason
    if not confirm_contradiction:
        raise ValidationError({"stance": CONTRADICTION_REFUSED})
    if not reason:
        raise ValidationError(
            {"reason": "Say why this contradictory combination is right."}
        )
    return reason


def _locked_link(link_id: int, actor: Any) -> tuple[ClaimEvidence, Claim]:
    """The link and its claim, both locked, for a member of the claim's team; a link
    already ended (unlinked or changed) is refused."""
    claim_id = ClaimEvidence.objects.filter(pk=link_id).values("claim_id")
    claim = (
        Claim.objects.select_for_update(of=("self",))
        .select_related("team")
        .get(pk__in=claim_id)
    )
    ensure_member(user=actor, team=claim.team)
    link = (
        ClaimEvidence.objects.select_for_update(of=("self",))
        .select_related("item")
        .get(pk=link_id, claim=claim)
    )
    if link.unlinked_at is not None:
        raise ValidationError(
            "This link was already changed or unlinked; reload the claim."
        )
    if claim.status == ClaimStatus.RETRACTED:
        raise ValueError("A retracted claim's evidence can no longer be changed.")
    return link, claim


def _link_edited(claim: Claim, *, actor: Any, at: datetime, reason: str) -> bool:
    """A link change or unlink is an edit of what reviewers saw: a new version, its
    editor the actor (so another editor takes the next four-eyes decision), and an
    approved claim goes back to review (the `edit` row of `rules.WORKFLOW`). On a
    published claim publishers keep the link as it was until the next correction
    (`public_part`). Returns True when the claim went back to review."""
    edit = WORKFLOW[Decision.EDIT]
    update_fields = ["version", "updated_at", "last_edited_by"]
    back_to_review = claim.status in edit.sources
    if back_to_review:
        ensure_may_take(transition=edit, user=actor, claim=claim)
        _, entered = enter_transition(edit, claim, actor=actor, comment=reason, at=at)
        update_fields += entered
    claim.version += 1
    claim.last_edited_by = actor
    claim.updated_at = max(at, claim.updated_at)
    save_claim(claim, actor=actor, at=at, reason=reason, update_fields=update_fields)
    return back_to_review


def _link_state(link: ClaimEvidence) -> dict[str, str]:
    return {"relation": link.relation, "stance": link.stance, "note": link.note}


@transaction.atomic
def evidence_link_change(
    *,
    link_id: int,
    actor: Any,
    reason: str,
    relation: str | None = None,
    stance: str | None = None,
    note: str | None = None,
    confirm_contradiction: bool = False,
    at: datetime | None = None,
) -> ClaimEvidence:
    """Change a link's relation, stance or note (None: keep it), with a reason.

    The link row is ended and a new row that `replaces` it is recorded, so earlier
    moments still read the old one. A contradictory pair needs
    `confirm_contradiction`. Locks the claim and the link; a new claim version
    (`_link_edited`); audited as `claim.evidence_change` with both states.
    """
    link, claim = _locked_link(link_id, actor)
    reason = required_reason(reason)
    new = link_version(
        link,
        ends={"claim": claim, "item": link.item},
        says={
            "relation": relation,
            "stance": stance,
            "note": None if note is None else note.strip(),
        },
        actor=actor,
        reason=reason,
    )
    if new.stance and link.item.kind != EvidenceKind.STATEMENT:
        raise ValidationError({"stance": "Only statements take a stance."})
    _contradiction_confirmed(
        relation=new.relation,
        stance=new.stance,
        confirm_contradiction=confirm_contradiction,
        reason=reason,
    )
    at = at or timezone.now()
    replace_link(link, new, actor=actor, at=at, reason=reason)
    back_to_review = _link_edited(claim, actor=actor, at=at, reason=reason)
    audit_record(
        team=claim.team,
        actor=actor,
        action="claim.evidence_change",
        obj=claim,
        payload={
            "item": link.item_id,
            "link": new.pk,
            "replaces": link.pk,
            "from": _link_state(link),
            "to": _link_state(new),
            "reason": reason,
            **_back_to_review(claim, back_to_review),
        },
        at=at,
    )
    if new.stance == Stance.DENIES and link.stance != Stance.DENIES:
        notices.evidence_linked(link=new, actor=actor)  # it has become a denial
    return new


@transaction.atomic
def evidence_unlink(
    *, link_id: int, actor: Any, reason: str, at: datetime | None = None
) -> ClaimEvidence:
    """End a wrong link, with a reason. The row stays (who, when, why), so the
    as-of view of an earlier date and the timeline still show it then. Cited in an
    assessment or not, the item stays in the team. Locks the claim and the link; a
    new claim version (`_link_edited`); audited as `claim.evidence_unlink`."""
    link, claim = _locked_link(link_id, actor)
    reason = required_reason(reason)
    at = at or timezone.now()
    end_link(link, actor=actor, at=at, reason=reason)
    back_to_review = _link_edited(claim, actor=actor, at=at, reason=reason)
    audit_record(
        team=claim.team,
        actor=actor,
        action="claim.evidence_unlink",
        obj=claim,
        payload={
            "item": link.item_id,
            "link": link.pk,
            "was": _link_state(link),
            "reason": reason,
            **_back_to_review(claim, back_to_review),
        },
        at=at,
    )
    return link


def _back_to_review(claim: Claim, sent_back: bool) -> dict[str, list[str]]:
    """The audit payload's status move when a link edit sent an approved claim
    back to review (nothing otherwise)."""
    return {"status": [ClaimStatus.APPROVED, claim.status]} if sent_back else {}
