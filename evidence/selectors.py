"""Reads composed for one use case each; they own select_related/prefetch_related."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db.models import F, Prefetch, Q, QuerySet, Window
from django.db.models.functions import Length, RowNumber, Substr
from django.http import Http404, HttpRequest

from evidence.maps.geometry import (
    SAME_PLACE_KM,
    Spot,
    search_box,
    spot_distance_km,
    spot_of,
)
from evidence.models import (
    CaptureFile,
    CustodyEvent,
    EvidenceItem,
    EvidenceKind,
    ImageAnnotation,
    ImageDetail,
    NearDuplicate,
    RelationshipEvidence,
    WebCapture,
)
from provenance.teams.models import Membership, Team

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser as User


def current_team(request: HttpRequest) -> Team:
    """The team the user works in (set by the project's TeamMiddleware), or 404."""
    membership = getattr(request, "membership", None)
    if not membership:
        raise Http404("You are not a member of any team.")
    return membership.team


EVIDENCE_SORTS: dict[str, tuple[str, ...]] = {
    "": ("-created_at", "-pk"),
    "oldest": ("created_at", "pk"),
    "observed": ("-observed_at", "-pk"),
    "title": ("title", "pk"),
}


def evidence_list(
    *,
    team: Team,
    text: str = "",
    kind: str = "",
    state: str = "",
    reliability: str = "",
    credibility: str = "",
    is_synthetic: bool | None = None,
    is_restricted: bool | None = None,
    sort: str = "",
    keep: Q | None = None,
) -> QuerySet[EvidenceItem]:
    """`keep`: what the shared subject and tag filters leave (common.filters)."""
    items = (
        EvidenceItem.objects.for_team(team)
        .search(text)
        .select_related("added_by", "image", "statement__speaker")
    )
    if kind:
        items = items.of_kind(kind)
    if state:
        items = items.filter(processing_state=state)
    if reliability:
        items = items.filter(source_reliability=reliability)
    if credibility:
        items = items.filter(information_credibility=credibility)
    if is_synthetic is not None:
        items = items.filter(is_synthetic=is_synthetic)
    if is_restricted is not None:
        items = items.filter(is_restricted=is_restricted)
    if keep is not None:
        items = items.filter(keep)
    return items.order_by(*EVIDENCE_SORTS.get(sort, EVIDENCE_SORTS[""]))


# A link's captures, newest first, with their files (the processing part,
# _capture.html, shows the newest 3 in full and the others as a list). Their text is not
# read whole (a page's text can be megabytes): only the head the page shows, in
# the same query; `number` counts them from the oldest (capture 1, 2, 3…).
CAPTURE_TEXT_SHOWN = 5000
CAPTURES_PREFETCH = (
    Prefetch(
        "captures",
        queryset=WebCapture.objects.select_related("requested_by")
        .defer("text")
        .annotate(
            text_head=Substr("text", 1, CAPTURE_TEXT_SHOWN + 1),
            number=Window(
                RowNumber(),
                partition_by=[F("item_id")],
                order_by=[F("requested_at").asc(), F("pk").asc()],
            ),
        )
        .order_by("-requested_at", "-pk"),
    ),
    "captures__files",
)


def capture_versions(
    *, team: Team, item_id: int
) -> tuple[EvidenceItem, list[WebCapture]]:
    """An item of the team and its captures, oldest first, each numbered
    (``number``: capture 1, 2, 3…), with who asked and their files; 404 when
    the item is not the team's."""
    item = _team_item(team=team, item_id=item_id)
    captures = list(
        WebCapture.objects.filter(item=item)
        .select_related("requested_by")
        .prefetch_related("files")
        .defer("text")
        .order_by("requested_at", "pk")
    )
    for number, capture in enumerate(captures, start=1):
        capture.number = number
    return item, captures


def capture_texts(
    *, team: Team, item_id: int, capture_ids: Iterable[int], max_chars: int
) -> dict[int, tuple[str, bool]]:
    """capture id -> (its text cut at ``max_chars`` characters, whether it was
    cut), for the given captures of an item of the team (the database cuts
    it: memory stays bounded whatever the page)."""
    item = _team_item(team=team, item_id=item_id)
    rows = (
        WebCapture.objects.filter(item=item, pk__in=list(capture_ids))
        .annotate(head=Substr("text", 1, max_chars), text_length=Length("text"))
        .values_list("pk", "head", "text_length")
    )
    return {pk: (head, length > max_chars) for pk, head, length in rows}


def _team_item(*, team: Team, item_id: int) -> EvidenceItem:
    try:
        return EvidenceItem.objects.for_team(team).get(pk=item_id)
    except EvidenceItem.DoesNotExist as exc:
        raise Http404("No such evidence in your team.") from exc


def capture_file_for_media(
    *, user: User | None, item_id: int, capture_id: int, role: str
) -> CaptureFile:
    """One stored file of a capture of an item the user may fetch, else 404."""
    item = evidence_for_media(user=user, item_id=item_id)
    try:
        return CaptureFile.objects.select_related("capture").get(
            capture__item=item, capture_id=capture_id, role=role
        )
    except CaptureFile.DoesNotExist as exc:
        raise Http404("No such capture file.") from exc


def evidence_for_page(*, team: Team, item_id: int) -> EvidenceItem:
    """One item of the team with everything its page shows; 404 outside the team.
    (Its claim links are the claims room's read: the page loads them by a tag.)"""
    duplicates = NearDuplicate.objects.select_related("other", "other__image")
    custody = CustodyEvent.objects.select_related("actor")
    try:
        return (
            EvidenceItem.objects.for_team(team)
            .select_related(
                "added_by",
                "image",
                "document",
                "statement__speaker",
                "statement__on_behalf_of",
            )
            .prefetch_related(
                Prefetch("near_duplicates", queryset=duplicates),
                Prefetch("custody_events", queryset=custody),
                *CAPTURES_PREFETCH,
            )
            .get(pk=item_id)
        )
    except EvidenceItem.DoesNotExist as exc:
        raise Http404("No such evidence in your team.") from exc


def evidence_for_status(*, team: Team, item_id: int) -> EvidenceItem:
    try:
        return (
            EvidenceItem.objects.for_team(team)
            .select_related("image", "document")
            .prefetch_related(
                Prefetch(
                    "near_duplicates",
                    queryset=NearDuplicate.objects.select_related("other"),
                ),
                *CAPTURES_PREFETCH,
            )
            .get(pk=item_id)
        )
    except EvidenceItem.DoesNotExist as exc:
        raise Http404("No such evidence in your team.") from exc


def evidence_for_media(*, user: User | None, item_id: int) -> EvidenceItem:
    """An item whose files the user may fetch: a member of its team, else 404.

    Any of the user's teams counts (not only the current one): the answer for
    everyone else is the same 404 as for an id that does not exist.
    """
    if user is None or not user.is_authenticated:
        raise Http404
    try:
        return (
            EvidenceItem.objects.select_related("image")
            .filter(team__in=Membership.objects.filter(user=user).values("team"))
            .get(pk=item_id)
        )
    except EvidenceItem.DoesNotExist as exc:
        raise Http404("No such evidence.") from exc


def evidence_by_sha256(*, team: Team, sha256: str) -> EvidenceItem | None:
    return EvidenceItem.objects.for_team(team).filter(sha256=sha256).first()


def evidence_to_link(
    *, team: Team, exclude_ids: Iterable[int] = ()
) -> QuerySet[EvidenceItem]:
    """The team's evidence that can still be linked to a claim."""
    return (
        EvidenceItem.objects.for_team(team)
        .exclude(pk__in=list(exclude_ids))
        .order_by("-created_at", "-pk")
    )


def relationship_evidence(
    *, relationship_ids: Iterable[int], known_at: datetime | None = None
) -> dict[int, list[RelationshipEvidence]]:
    """relationship id -> its evidence links with their items, oldest first: those
    in force now, or at `known_at` (recording time). One query for a page."""
    ids = list(relationship_ids)
    if not ids:
        return {}
    links = RelationshipEvidence.objects.filter(relationship_id__in=ids)
    links = links.in_force_at(known_at) if known_at else links.current()
    found: dict[int, list[RelationshipEvidence]] = {}
    for link in links.select_related("item", "linked_by").order_by("linked_at", "pk"):
        found.setdefault(link.relationship_id, []).append(link)
    return found


def image_summary(item: EvidenceItem) -> dict[str, Any]:
    """An image item as one JSON-safe dict (the add_image command's --json output)."""
    image = getattr(item, "image", None)
    exif = image.exif if image else {}
    duplicates = (
        NearDuplicate.objects.filter(item=item).order_by("distance", "other_id")
        if item.pk
        else []
    )
    return {
        "id": item.pk,
        "team": item.team.slug,
        "title": item.title,
        "sha256": item.sha256,
        "size_bytes": item.size_bytes,
        "mime_type": item.mime_type,
        "original_filename": item.original_filename,
        "has_extension_mismatch": item.has_extension_mismatch,
        "width": image.width if image else None,
        "height": image.height if image else None,
        "exif": exif,
        "gps": (
            {
                "latitude": image.gps_latitude,
                "longitude": image.gps_longitude,
                "altitude_m": image.gps_altitude,
            }
            if image and image.has_gps
            else None
        ),
        "captured_at": (
            image.captured_at.isoformat() if image and image.captured_at else None
        ),
        "captured_at_local": exif.get("DateTimeOriginal"),
        "captured_at_source": image.captured_at_source if image else "",
        "captured_at_offset": image.captured_at_offset if image else "",
        "captured_at_precision": image.captured_at_precision if image else "",
        "capture_times": image.capture_times if image else [],
        "metadata": image.metadata if image else {},
        "phash": (image.phash or None) if image else None,
        "phash_low_information": image.phash_low_information if image else False,
        "image_format": (image.image_format or None) if image else None,
        "geo": image.geo if image else None,
        "near_duplicates": [
            {"id": d.other_id, "distance": d.distance} for d in duplicates
        ],
        "content_credentials": image.content_credentials if image else None,
        "processing_state": item.processing_state,
        "processing_error": item.processing_error,
        "is_restricted": item.is_restricted,
        "is_synthetic": item.is_synthetic,
    }


def command_context(
    *, team_slug: str, username: str | None = None
) -> tuple[Team, User]:
    """(team, acting user) for a batch command: the named user, else the team's
    first editor. Raises LookupError with a message for the command line."""
    team = Team.objects.filter(slug=team_slug).first()
    if team is None:
        raise LookupError(f"No team with slug {team_slug!r}")
    users = get_user_model().objects
    if username:
        user = users.filter(username=username).first()
        if user is None:
            raise LookupError(f"No user {username!r}")
        return team, user
    membership = (
        Membership.objects.filter(team=team)
        .editors()
        .select_related("user")
        .order_by("created_at", "pk")
        .first()
    )
    if membership is None:
        raise LookupError(f"Team {team.slug} has no editor; pass --user.")
    return team, membership.user


def annotations_for_item(
    *, item: EvidenceItem, include_ended: bool = False
) -> list[ImageAnnotation]:
    """An image's annotations (live ones unless asked), each with its item loaded."""
    rows = ImageAnnotation.objects.filter(item=item).select_related("created_by")
    if not include_ended:
        rows = rows.live()
    found = list(rows)
    for row in found:
        row.item = item
    return found


def annotation_for_team(*, team: Team, annotation_id: int) -> ImageAnnotation:
    try:
        return (
            ImageAnnotation.objects.for_team(team)
            .select_related("item", "item__image", "created_by")
            .get(pk=annotation_id)
        )
    except ImageAnnotation.DoesNotExist as exc:
        raise Http404("No such annotation in your team.") from exc


# How many images the compare view offers, and how many rows the place query may
# read before the exact check (the bounding box is a superset of the place).
MAX_COMPARE_CHOICES = 20
MAX_PLACE_CANDIDATES = 200


@dataclass(frozen=True, slots=True)
class CompareChoice:
    """An image to compare with: of the same place (``distance_km`` from this one,
    0 when a footprint covers the other) or, when None, only of the same claim."""

    item: EvidenceItem
    distance_km: float | None

    @property
    def is_same_place(self) -> bool:
        return self.distance_km is not None


def _spot(detail: ImageDetail | None) -> Spot | None:
    if detail is None:
        return None
    return spot_of(
        footprint=(detail.geo or {}).get("footprint"),
        gps_latitude=detail.gps_latitude,
        gps_longitude=detail.gps_longitude,
    )


def _same_place(
    images: QuerySet[EvidenceItem], spot: Spot, *, within_km: float
) -> list[CompareChoice]:
    """Images within ``within_km`` of ``spot``: one query bounded by a box (GPS
    inside it, or a footprint's ``bounds_wgs84`` overlapping it), then the exact
    distance in Python; nearest first."""
    west, south, east, north = search_box(spot, within_km)
    in_box = Q(
        image__gps_latitude__gte=south,
        image__gps_latitude__lte=north,
        image__gps_longitude__gte=west,
        image__gps_longitude__lte=east,
    ) | Q(
        image__geo__bounds_wgs84__0__lte=east,
        image__geo__bounds_wgs84__1__lte=north,
        image__geo__bounds_wgs84__2__gte=west,
        image__geo__bounds_wgs84__3__gte=south,
    )
    found = []
    for other in images.filter(in_box)[:MAX_PLACE_CANDIDATES]:
        other_spot = _spot(other.image)
        if other_spot is None:
            continue
        distance = spot_distance_km(spot, other_spot)
        if distance <= within_km:
            found.append(CompareChoice(item=other, distance_km=distance))
    found.sort(key=lambda c: c.distance_km or 0.0)
    return found


def images_to_compare(
    *, team: Team, item: EvidenceItem, within_km: float = SAME_PLACE_KM
) -> list[CompareChoice]:
    """Other processed images of the team to compare this one with: first those of
    the same place (a GPS position or footprint within ``within_km`` of this
    image's position or footprint, nearest first), then those sharing a claim with
    it (oldest first). At most ``MAX_COMPARE_CHOICES``; two queries."""
    images = (
        EvidenceItem.objects.for_team(team)
        .of_kind(EvidenceKind.IMAGE)
        .filter(image__display__gt="")
        .exclude(pk=item.pk)
        .select_related("image")
        .order_by("observed_at", "pk")
    )
    spot = _spot(getattr(item, "image", None))
    choices = _same_place(images, spot, within_km=within_km) if spot else []
    choices = choices[:MAX_COMPARE_CHOICES]
    seen = {c.item.pk for c in choices}
    same_claim = (
        images.filter(
            claim_links__claim__in=EvidenceItem.objects.filter(pk=item.pk).values(
                "claim_links__claim"
            )
        )
        .exclude(pk__in=seen)
        .distinct()
    )
    room = MAX_COMPARE_CHOICES - len(choices)
    if room > 0:
        choices += [CompareChoice(item=c, distance_km=None) for c in same_claim[:room]]
    return choices
