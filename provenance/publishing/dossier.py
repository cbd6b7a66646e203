"""The claim dossier: the claim as one document for a lawyer or a standards editor
(text, quantity, confidence then and now with rationales, denials, evidence with
SHA-256 and custody, review history, corrections, the audit-chain head and a signed
bundle), current or as of a date; as HTML with a print stylesheet and as PDF.

The PDF is drawn by WeasyPrint, which fetches nothing: every URL in the document is
refused (no request leaves the server while rendering), the stylesheet is read from
the static files and the signed bundle rides inside the PDF as an attachment.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.staticfiles import finders
from django.db.models import Count, Max, Min, Prefetch, Q
from django.utils import timezone
from PIL import ImageFile

from evidence.images.annotation_shapes import OverlayShape, overlay_svg
from evidence.models import CustodyEvent, EvidenceItem, ImageAnnotation
from provenance.audit.chain import chain_head
from provenance.audit.models import AuditEvent
from provenance.claims import selectors
from provenance.claims.models import Claim, Decision, Review
from provenance.entities.models import Entity
from provenance.publishing import signing
from provenance.publishing.exports.builders import ExportUrls
from provenance.publishing.exports.bundles import bundle_payload
from provenance.teams.models import Team

STYLESHEET = "css/dossier.css"


@dataclass(frozen=True)
class Custody:
    events: int
    first_at: datetime | None
    last_at: datetime | None
    obtained_from: str


@dataclass(frozen=True)
class SignedBundle:
    """The claim's current export, signed: its bytes, digest and key id."""

    data: bytes
    sha256: str
    key_id: str
    created_at: str
    filename: str


@dataclass
class Dossier:
    claim: Claim
    state: selectors.ClaimAsOf
    as_of: datetime | None
    subjects: list[Entity]
    tags: list[Any]
    custody: dict[int, Custody]
    reviews: list[Review]
    corrections: list[Review]
    audit_seq: int
    audit_hash: str
    bundle: SignedBundle | None = None
    timeline_svg: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def claim_dossier(
    *, team: Team, claim_id: int, as_of: datetime | None, urls: ExportUrls
) -> Dossier:
    """Everything the dossier prints, read in a fixed number of queries."""
    claim = selectors.claim_for_page(team=team, claim_id=claim_id, whole_items=True)
    when = as_of or timezone.now()
    state = selectors.claim_as_of(claim=claim, when=when)
    if as_of is not None:
        subjects, tags = selectors.claim_labels_as_of(state)
    else:
        subjects, tags = list(claim.subjects.all()), list(claim.tags.all())
    reviews = selectors.claim_reviews(claim, until=state.when)
    seq, digest = _audit_head(team, as_of)
    dossier = Dossier(
        claim=claim,
        state=state,
        as_of=as_of,
        subjects=list(subjects),
        tags=list(tags),
        custody=_custody([link.item_id for link in state.links]),
        reviews=reviews,
        corrections=[r for r in reviews if r.decision == Decision.CORRECT],
        audit_seq=seq,
        audit_hash=digest,
    )
    dossier.extra["annotations"] = _annotation_figures(state)
    if state.existed:
        dossier.bundle = signed_bundle(claim=claim, team=team, urls=urls)
    return dossier


def _annotation_figures(state: selectors.ClaimAsOf) -> list[dict[str, Any]]:
    """Per linked image with annotations standing then: the shapes drawn as SVG in
    the original's pixel frame (the dossier loads no image), and the list."""
    rows = (
        ImageAnnotation.objects.filter(
            item_id__in=[link.item_id for link in state.links],
            item__image__width__gt=0,
            created_at__lte=state.when,
        )
        .exclude(ended_at__lte=state.when)
        .select_related("created_by", "item__image")
        .order_by("item_id", "created_at", "pk")
    )
    items = {row.item_id: row.item for row in rows}
    by_item: dict[int, list[ImageAnnotation]] = {}
    for row in rows:
        by_item.setdefault(row.item_id, []).append(row)
    figures = []
    for item_id, drawn in by_item.items():
        item = items[item_id]
        figures.append(
            {
                "item": item,
                "annotations": drawn,
                "svg": overlay_svg(
                    (OverlayShape(a.shape, a.points, a.label) for a in drawn),
                    width=item.image.width,
                    height=item.image.height or 1,
                ),
            }
        )
    return figures


def _audit_head(team: Team, as_of: datetime | None) -> tuple[int, str]:
    """The team's chain head now, or the last event recorded by `as_of`."""
    if as_of is None:
        return chain_head(team)
    last = (
        AuditEvent.objects.filter(team=team, at__lte=as_of)
        .order_by("-seq")
        .values_list("seq", "hash")
        .first()
    )
    return last or (0, "")


def _custody(item_ids: list[int]) -> dict[int, Custody]:
    """Per item: how many custody events, the first and last, and who it came from."""
    rows = (
        EvidenceItem.objects.filter(pk__in=item_ids)
        .annotate(
            custody_count=Count("custody_events"),
            custody_first=Min("custody_events__at"),
            custody_last=Max("custody_events__at"),
        )
        .prefetch_related(
            Prefetch(
                "custody_events",
                queryset=CustodyEvent.objects.filter(
                    Q(action=CustodyEvent.Action.OBTAINED) & ~Q(party="")
                ),
                to_attr="obtained",
            )
        )
    )
    return {
        row.pk: Custody(
            events=row.custody_count,
            first_at=row.custody_first,
            last_at=row.custody_last,
            obtained_from="; ".join(sorted({e.party for e in row.obtained})),
        )
        for row in rows
    }


def signed_bundle(*, claim: Claim, team: Team, urls: ExportUrls) -> SignedBundle:
    """The claim's current member export in a signed bundle, as /api/v1/export/
    bundle.json would give it for this one claim (verify_bundle checks it)."""
    payload = bundle_payload(
        claims=Claim.objects.filter(pk=claim.pk),
        public=False,
        urls=urls,
        teams=[team],
    )
    bundle = signing.sign_bundle(payload)
    data = signing.bundle_bytes(bundle)
    return SignedBundle(
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        key_id=bundle["signature"]["key_id"],
        created_at=payload["created_at"],
        filename=f"claim-{claim.pk}-bundle.json",
    )


class PdfUnavailable(RuntimeError):
    """WeasyPrint or the Pango library it draws with is not installed."""


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    # Evidence titles and URLs are the team's input: rendering must not fetch them.
    raise ValueError(f"The dossier fetches nothing ({url[:80]}).")


def render_pdf(html: str, bundle: SignedBundle | None) -> bytes:
    """The dossier HTML as PDF, the signed bundle attached."""
    try:
        import weasyprint  # Pango is a system library: absent on some machines.
    except OSError as exc:  # pragma: no cover - depends on the machine
        raise PdfUnavailable(str(exc)) from exc
    # WeasyPrint's import sets Pillow's process-wide LOAD_TRUNCATED_IMAGES; evidence
    # processing refuses to run with it on (safety.py). The dossier loads no image
    # (every fetch is refused), so turn it back off.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    stylesheet = finders.find(STYLESHEET)
    attachments = []
    if bundle is not None:
        attachments.append(
            weasyprint.Attachment(
                file_obj=io.BytesIO(bundle.data),
                name=bundle.filename,
                description="Signed bundle (Ed25519 over RFC 8785 JSON)",
            )
        )
    document = weasyprint.HTML(string=html, url_fetcher=_refuse_fetch)
    return document.write_pdf(
        stylesheets=[weasyprint.CSS(filename=stylesheet)],
        attachments=attachments,
    )
