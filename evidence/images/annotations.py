"""Annotations on images: the only writers of ImageAnnotation (create, change, end),
each writing a revision and an audit row in its transaction, and the W3C Web
Annotation JSON of one."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from evidence.images.annotation_shapes import (
    Shape,
    ShapeError,
    check_shape,
    selector_for,
    shape_from_selector,
)
from evidence.models import (
    EvidenceItem,
    EvidenceKind,
    ImageAnnotation,
    ImageAnnotationRevision,
)
from evidence.services import audit, locked_item
from provenance.teams.models import user_label
from provenance.teams.rules import ensure_member

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser as User

WEB_ANNOTATION_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
MAX_COUNT = 10_000_000


def original_size(item: EvidenceItem) -> tuple[int, int]:
    """The original's pixel size, which every annotation is measured in."""
    detail = getattr(item, "image", None)
    if item.kind != EvidenceKind.IMAGE or detail is None or not detail.width:
        raise ValidationError(
            {"shape": "Only a processed image (its size known) can be annotated."}
        )
    return detail.width, detail.height or 0


def _checked(
    item: EvidenceItem, shape: str, points: Sequence[Any] | None, selector: Any = None
) -> Shape:
    width, height = original_size(item)
    try:
        if selector is not None:
            return shape_from_selector(selector, width=width, height=height)
        return check_shape(shape, points or [], width=width, height=height)
    except ShapeError as exc:
        # The error names the field the caller sent.
        field = "selector" if selector is not None else "points"
        raise ValidationError({field: str(exc)}) from exc


def _check_text(label: str, count: int | None) -> str:
    label = (label or "").strip()
    if not label:
        raise ValidationError({"label": "Give the annotation a label."})
    if len(label) > 120:
        raise ValidationError({"label": "A label has at most 120 characters."})
    if count is not None and not (0 <= count <= MAX_COUNT):
        raise ValidationError({"count": f"A count is between 0 and {MAX_COUNT}."})
    return label


def _revise(annotation: ImageAnnotation, *, action: str, actor: Any) -> None:
    ImageAnnotationRevision.objects.create(
        annotation=annotation,
        version=annotation.version,
        action=action,
        shape=annotation.shape,
        points=annotation.points,
        label=annotation.label,
        note=annotation.note,
        count=annotation.count,
        by=actor,
        at=annotation.updated_at,
    )


def _payload(annotation: ImageAnnotation) -> dict[str, Any]:
    return {
        "annotation": annotation.pk,
        "version": annotation.version,
        "shape": annotation.shape,
        "points": annotation.points,
        "label": annotation.label,
        "count": annotation.count,
    }


@transaction.atomic
def annotation_create(
    *,
    item_id: int,
    actor: User,
    label: str,
    shape: str = "",
    points: Sequence[Any] | None = None,
    selector: dict[str, Any] | None = None,
    note: str = "",
    count: int | None = None,
) -> ImageAnnotation:
    """Draw a shape on an image: `shape` and `points`, or a W3C `selector`, in the
    original's pixel space, checked inside its bounds. Locks the item; writes
    revision 1 and an audit row."""
    item = locked_item(item_id)
    ensure_member(user=actor, team=item.team)
    item = EvidenceItem.objects.select_related("image", "team").get(pk=item.pk)
    checked = _checked(item, shape, points, selector)
    now = timezone.now()
    annotation = ImageAnnotation(
        item=item,
        shape=checked.kind,
        points=checked.as_json(),
        label=_check_text(label, count),
        note=note.strip(),
        count=count,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    annotation.full_clean()
    annotation.save()
    _revise(annotation, action=ImageAnnotationRevision.Action.CREATED, actor=actor)
    audit(
        item=item,
        actor=actor,
        action="evidence.annotation_create",
        payload=_payload(annotation),
    )
    return annotation


def _locked_annotation(annotation_id: int, actor: Any) -> ImageAnnotation:
    annotation = (
        ImageAnnotation.objects.select_for_update(of=("self",))
        .select_related("item__team")
        .get(pk=annotation_id)
    )
    membership = ensure_member(user=actor, team=annotation.item.team)
    if annotation.created_by_id != actor.pk and not membership.is_editor:
        raise PermissionDenied(
            "Only the annotation's author or an editor may change it."
        )
    if annotation.is_ended:
        raise ValidationError({"annotation": "This annotation has been ended."})
    return annotation


@transaction.atomic
def annotation_update(
    *,
    annotation_id: int,
    actor: User,
    shape: str | None = None,
    points: Sequence[Any] | None = None,
    selector: dict[str, Any] | None = None,
    label: str | None = None,
    note: str | None = None,
    count: int | None = None,
    clear_count: bool = False,
) -> ImageAnnotation:
    """Change an annotation's shape (`points`, or a W3C `selector`), label, note or
    count (its author or an editor). Locks the annotation; a new revision and an
    audit row when anything changed. Estimates made from it keep citing the
    revision they were made from."""
    annotation = _locked_annotation(annotation_id, actor)
    fields: dict[str, Any] = {}
    if points is not None or selector is not None:
        checked = _checked(annotation.item, shape or annotation.shape, points, selector)
        fields["shape"] = checked.kind
        fields["points"] = checked.as_json()
    if label is not None:
        fields["label"] = label.strip()
    if note is not None:
        fields["note"] = note.strip()
    if count is not None or clear_count:
        fields["count"] = None if clear_count else count
    _check_text(fields.get("label", annotation.label), fields.get("count"))
    changed = [k for k, v in fields.items() if getattr(annotation, k) != v]
    if not changed:
        return annotation
    for name in changed:
        setattr(annotation, name, fields[name])
    annotation.version += 1
    annotation.updated_at = timezone.now()
    annotation.full_clean()
    annotation.save(update_fields=[*changed, "version", "updated_at"])
    _revise(annotation, action=ImageAnnotationRevision.Action.CHANGED, actor=actor)
    audit(
        item=annotation.item,
        actor=actor,
        action="evidence.annotation_change",
        payload={**_payload(annotation), "changed": changed},
    )
    return annotation


@transaction.atomic
def annotation_end(*, annotation_id: int, actor: User) -> ImageAnnotation:
    """Take an annotation off the image (its author or an editor). It is ended,
    not deleted: estimates that cite it keep pointing at the pixels they counted."""
    annotation = _locked_annotation(annotation_id, actor)
    now = timezone.now()
    annotation.ended_at = now
    annotation.ended_by = actor
    annotation.version += 1
    annotation.updated_at = now
    annotation.save(update_fields=["ended_at", "ended_by", "version", "updated_at"])
    _revise(annotation, action=ImageAnnotationRevision.Action.ENDED, actor=actor)
    audit(
        item=annotation.item,
        actor=actor,
        action="evidence.annotation_end",
        payload=_payload(annotation),
    )
    return annotation


def source_iri(sha256: str) -> str:
    """The original as a Named Information IRI (RFC 6920): its SHA-256, so the
    target is the exact bytes whatever URL serves them."""
    digest = base64.urlsafe_b64encode(bytes.fromhex(sha256)).rstrip(b"=").decode()
    return f"ni:///sha-256;{digest}"


def web_annotation(
    annotation: ImageAnnotation, *, revision: ImageAnnotationRevision | None = None
) -> dict[str, Any]:
    """The W3C Web Annotation (JSON-LD) of one annotation, as it is now or, given
    one of its revisions, as it was then (what an estimate counted); the item is
    loaded."""
    item = annotation.item
    state: Any = revision if revision is not None else annotation
    body: list[dict[str, Any]] = [
        {"type": "TextualBody", "purpose": "tagging", "value": state.label}
    ]
    if state.note:
        body.append(
            {"type": "TextualBody", "purpose": "describing", "value": state.note}
        )
    if state.count is not None:
        body.append(
            {
                "type": "TextualBody",
                "purpose": "assessing",
                "value": f"{state.label}: {state.count}",
            }
        )
    data: dict[str, Any] = {
        "@context": WEB_ANNOTATION_CONTEXT,
        "id": f"urn:provenance:annotation:{annotation.pk}",
        "type": "Annotation",
        "motivation": "assessing" if state.count is not None else "tagging",
        "created": annotation.created_at.isoformat(),
        "modified": (
            revision.at if revision is not None else annotation.updated_at
        ).isoformat(),
        "creator": {"type": "Person", "name": user_label(annotation.created_by)},
        "body": body,
        "target": {
            "source": source_iri(item.sha256),
            "selector": selector_for(state.shape, state.points),
        },
        "count": state.count,
        "version": state.version,
    }
    if revision is None and annotation.ended_at:
        data["ended"] = annotation.ended_at.isoformat()
    return data
