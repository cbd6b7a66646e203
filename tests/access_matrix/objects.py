"""Which of team A's objects each route's URL points at, by route name.

A route with several variants (a draft and a published claim, a restricted item)
is checked once per variant: publishers may read one and not the other.
"""

from __future__ import annotations

from collections.abc import Callable

from tests.access_matrix.world import World

Kwargs = Callable[[World], dict]


def claim(which: str) -> Kwargs:
    return lambda w: {"pk": getattr(w, which).pk}


def item(which: str) -> Kwargs:
    return lambda w: {"pk": getattr(w, which).pk}


def link_of(which: str) -> Kwargs:
    """The claim's first link in force (its change and unlink pages)."""

    def kwargs(w: World) -> dict:
        claim = getattr(w, which)
        link = claim.evidence_links.current().order_by("pk").first()
        return {"pk": claim.pk, "link_id": link.pk}

    return kwargs


NONE: dict[str, Kwargs] = {"": lambda w: {}}
CLAIMS = {"draft": claim("draft"), "published": claim("published")}
LINKS = {"draft": link_of("draft"), "published": link_of("published")}
ENTITY_SLUG = {"entity": lambda w: {"slug": w.entity.slug}}
ENTITY_PK = {"entity": lambda w: {"pk": w.entity.pk}}
ITEMS = {"link": item("link_item"), "restricted": item("restricted_item")}
IMAGES = {"image": item("image_item"), "restricted-image": item("restricted_image")}
AIS = {"ais": item("ais_item")}
API_ITEMS = {**ITEMS, **IMAGES, **AIS}


def _capture_screenshot(w: World) -> dict:
    """A stored capture of the link item, made the first time asked."""
    from django.core.files.base import ContentFile

    from evidence.models import CaptureFile, WebCapture

    capture = w.link_item.captures.order_by("pk").first()
    if capture is None:
        capture = WebCapture.objects.create(
            item=w.link_item, requested_url="https://example.org/"
        )
        record = CaptureFile(
            capture=capture, role="screenshot", sha256="0" * 64, size_bytes=4
        )
        record.mime_type = "image/png"
        record.file.save("screenshot.png", ContentFile(b"\x89PNG"), save=True)
    return {"pk": w.link_item.pk, "capture_id": capture.pk, "role": "screenshot"}


CAPTURE_FILES = {"screenshot": _capture_screenshot}
ADMIN_CLAIM = {"claim": lambda w: {"object_id": w.draft.pk}}


def comment_on(which: str) -> Kwargs:
    """A comment on the claim (written through the service the first time asked)."""

    def kwargs(w: World) -> dict:
        from provenance.claims.comments import comment_create

        claim = getattr(w, which)
        comment = claim.comments.order_by("pk").first() or comment_create(
            actor=w.reporter_a, claim_id=claim.pk, body="Qx7wv internal remark"
        )
        return {"comment_id": comment.pk}

    return kwargs


COMMENTS = {"draft": comment_on("draft"), "published": comment_on("published")}


def _edge(w: World):
    """Team A's entity owning a vessel, with one evidence link and one claim
    citing the edge on each claim (written through the services the first time)."""
    from evidence import relationship_links
    from provenance.claims.relationship_citations import relationship_cite
    from provenance.entities.models import Relationship
    from tests.factories import EntityFactory

    edge = Relationship.objects.filter(source=w.entity).order_by("pk").first()
    if edge is None:
        vessel = EntityFactory(team=w.entity.team, kind="vessel", name="Qx7wv Hull")
        edge = relationship_links.relationship_record(
            team=w.entity.team,
            actor=w.reporter_a,
            kind="registered_owner",
            source_id=w.entity.pk,
            target_id=vessel.pk,
            evidence=[relationship_links.EvidenceCitation(w.link_item.pk)],
        )
        for claim in (w.draft, w.published):
            relationship_cite(
                claim_id=claim.pk,
                relationship_id=edge.pk,
                actor=w.reporter_a,
                relation="context",
            )
    return edge


def _citation(which: str) -> Kwargs:
    def kwargs(w: World) -> dict:
        claim = getattr(w, which)
        _edge(w)
        citation = claim.relationship_links.current().order_by("pk").first()
        return {"pk": claim.pk, "citation_id": citation.pk}

    return kwargs


EDGE_SLUG = {"edge": lambda w: {"slug": w.entity.slug, "pk": _edge(w).pk}}
EDGE_LINK = {
    "edge": lambda w: {
        "slug": w.entity.slug,
        "pk": _edge(w).pk,
        "link_id": _edge(w).evidence_links.current().order_by("pk").first().pk,
    }
}
EDGE_API = {"edge": lambda w: {"pk": w.entity.pk, "relationship_id": _edge(w).pk}}
CITATIONS = {"draft": _citation("draft"), "published": _citation("published")}


def _screening(w: World):
    """Team A's import of a one-vessel dataset whose IMO matches a vessel of the
    team: one open screening candidate (through the import service, once)."""
    from provenance.entities.ftm_import import ftm_import
    from provenance.entities.models import ScreeningCandidate
    from tests.factories import EntityFactory

    candidate = ScreeningCandidate.objects.filter(team=w.entity.team).first()
    if candidate is None:
        EntityFactory(
            team=w.entity.team, kind="vessel", name="Qx7wv Own", imo="0000012"
        )
        line = (
            b'{"id": "qx7wv-v", "schema": "Vessel", "properties": '
            b'{"name": ["Qx7wv Listed"], "imoNumber": ["IMO0000012"]}}'
        )
        ftm_import(team=w.entity.team, actor=w.editor_a, dataset="qx7wv", lines=[line])
        candidate = ScreeningCandidate.objects.get(team=w.entity.team)
    return candidate


SCREENING = {"candidate": lambda w: {"pk": _screening(w).pk}}
IMPORTS = {"import": lambda w: {"pk": _screening(w).proposed_in_id}}


def _annotation(w: World) -> dict:
    """An annotation on team A's image (drawn through the service the first time)."""
    from evidence.images.annotations import annotation_create

    annotation = w.image_item.annotations.order_by("pk").first() or (
        annotation_create(
            item_id=w.image_item.pk,
            actor=w.reporter_a,
            shape="rectangle",
            points=[[0, 0], [1, 1]],
            label="Qx7wv pits",
            count=3,
        )
    )
    return {"pk": w.image_item.pk, "annotation_id": annotation.pk}


ANNOTATIONS = {"annotation": _annotation}
